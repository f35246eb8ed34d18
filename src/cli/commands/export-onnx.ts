import { exportOnnxFolder } from '../../models/onnx/export-folder';
import { exportDtypes, type ExportDtype } from '../../models/onnx/dtypes';
import { q4BlockSizes } from '../../models/onnx/quantize-q4';
import { choiceOption, parseOptions, UsageError, type CliCommand } from '../command';
import { modelFolder, modelSourceHelp, modelSourceOptionSpec } from '../model-source';

const help = `Usage: sodp export-onnx --model DIR|ID --out DIR [--dtype fp32|fp16|q4] [--block-size 32|64|128]

Writes a Qwen3 model as a folder @huggingface/transformers loads (the teacher of
'--teacher-backend onnx', or a browser's transformers.js):

  config.json                    the model's, with a transformers.js_config entry
  tokenizer.json, tokenizer_config.json, and generation_config.json and
  special_tokens_map.json when the model has them
  onnx/model.onnx                --dtype fp32 (default)
  onnx/model_fp16.onnx           --dtype fp16: float16 weights and KV cache; norms,
                                 softmax and the residual stream in float32
  onnx/model_q4.onnx             --dtype q4: every projection and the LM head as
                                 com.microsoft MatMulNBits (4 bits, symmetric), the
                                 embedding in float32 (no float16 op: runs on
                                 WebGPU without shader-f16)

A graph over 2 GiB puts its tensors in <file>_data (and <file>_data_1, … past 2 GiB each),
named in config.json's transformers.js_config.use_external_data_format.
Load it with from_pretrained(DIR, { dtype }) for the dtype written. Exporting another dtype
into the same DIR adds its file; the first dtype written stays the folder's default.

  --model DIR|ID         a Qwen3 model folder (safetensors) or Hub id
  --out DIR              the folder to write (created; may be the model's own folder)
  --dtype D              fp32 (default), fp16 or q4
  --block-size N         q4: weights per scale along the input, 32 (default), 64 or 128
  --cache-dir DIR        the Hugging Face cache for Hub ids
  -h, --help             show this help

${modelSourceHelp}`;

export const exportOnnxCommand: CliCommand = {
  name: 'export-onnx',
  summary: 'write a Qwen3 model as ONNX in the transformers.js layout (fp32, fp16 or q4)',
  help,
  async run(argv, io) {
    const { values } = parseOptions(argv, {
      model: { type: 'string' },
      out: { type: 'string' },
      dtype: { type: 'string' },
      'block-size': { type: 'string' },
      ...modelSourceOptionSpec,
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      io.stdout.write(help + '\n');
      return 0;
    }
    if (values.model === undefined) throw new UsageError('--model DIR|ID is required');
    if (values.out === undefined) throw new UsageError('--out DIR is required');
    const dtype = choiceOption<ExportDtype>('dtype', values.dtype, exportDtypes, 'fp32');
    const blockText = choiceOption(
      'block-size',
      values['block-size'],
      q4BlockSizes.map((b) => String(b)),
      '32',
    );
    if (values['block-size'] !== undefined && dtype !== 'q4')
      throw new UsageError('--block-size applies to --dtype q4 only');
    const log = (line: string) => io.stderr.write(`${line}\n`);
    const modelDir = await modelFolder(values.model, values['cache-dir'], log);
    const started = performance.now();
    let lastReport = 0;
    const result = await exportOnnxFolder(modelDir, values.out, {
      dtype,
      blockSize: Number(blockText),
      onProgress: (done, total, tensor) => {
        // One line a second at most: a 4B model has a few hundred tensors.
        const now = performance.now();
        if (done === total || now - lastReport > 1000) {
          lastReport = now;
          log(`${done}/${total} ${tensor}`);
        }
      },
    });
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    const data = result.dataFiles.length > 0 ? ` (tensor data in ${result.dataFiles.join(', ')})` : '';
    io.stdout.write(`wrote ${values.out}/${result.modelFile}${data} and ${result.copied.join(', ')} in ${seconds} s\n`);
    return 0;
  },
};
