import { qwen3ConfigJson, type Qwen3Config } from '../../engine/config';
import { weightNames } from '../../engine/params';
import { writeSafetensors } from '../../engine/safetensors';
import type { TokenizerFiles } from '../tokenizer/hf-files';

/** What a Hugging Face Qwen3 model folder we make holds. */
export interface ModelFolderContents {
  config: Qwen3Config;
  /** Every weight of the config, by Hugging Face name. */
  tensors: ReadonlyMap<string, Float32Array>;
  tokenizer: TokenizerFiles;
}

/** The id of an added token of our tokenizer files. */
function addedTokenId(tokenizer: TokenizerFiles, content: string): number {
  const list = tokenizer['tokenizer.json'].added_tokens;
  const found = Array.isArray(list)
    ? list.find((t: unknown) => typeof t === 'object' && t !== null && 'content' in t && t.content === content)
    : undefined;
  const id: unknown =
    found !== undefined && typeof found === 'object' && found !== null && 'id' in found ? found.id : undefined;
  if (typeof id !== 'number') throw new Error(`the tokenizer has no ${content} token`);
  return id;
}

/**
 * The files of a Hugging Face model folder, by name: config.json, generation_config.json
 * (Qwen3's sampling defaults; generation stops at <|im_end|> or <|endoftext|>), the
 * tokenizer files and model.safetensors (f32).
 */
export function modelFolderFiles({
  config,
  tensors,
  tokenizer,
}: ModelFolderContents): Record<string, string | Uint8Array> {
  const imEnd = addedTokenId(tokenizer, '<|im_end|>');
  const endOfText = addedTokenId(tokenizer, '<|endoftext|>');
  const weights = Object.fromEntries(
    weightNames(config).map(({ name, shape }) => {
      const data = tensors.get(name);
      if (data === undefined || data.length !== shape.reduce((a, b) => a * b, 1))
        throw new Error(`${name}: missing or not of shape [${shape.join(', ')}]`);
      return [name, { shape, data }];
    }),
  );
  return {
    'config.json':
      JSON.stringify(
        qwen3ConfigJson(config, { eos_token_id: imEnd, bos_token_id: null, pad_token_id: endOfText }),
        null,
        2,
      ) + '\n',
    'generation_config.json':
      JSON.stringify(
        {
          eos_token_id: [imEnd, endOfText],
          pad_token_id: endOfText,
          do_sample: true,
          temperature: 0.6,
          top_p: 0.95,
          top_k: 20,
        },
        null,
        2,
      ) + '\n',
    'tokenizer.json': JSON.stringify(tokenizer['tokenizer.json']),
    'tokenizer_config.json': JSON.stringify(tokenizer['tokenizer_config.json'], null, 2) + '\n',
    'model.safetensors': writeSafetensors(weights),
  };
}
