import { describe, expect, it } from 'vitest';
import { parseQwen3Config, qwen3ConfigJson } from './config';
import { tinyConfig } from './testing/tiny';

// Qwen/Qwen3-0.6B's config.json (the fields the engine reads).
const qwen3_06b = {
  architectures: ['Qwen3ForCausalLM'],
  model_type: 'qwen3',
  hidden_size: 1024,
  intermediate_size: 3072,
  num_hidden_layers: 28,
  num_attention_heads: 16,
  num_key_value_heads: 8,
  head_dim: 128,
  rms_norm_eps: 1e-6,
  rope_theta: 1000000,
  vocab_size: 151936,
  tie_word_embeddings: true,
  max_position_embeddings: 40960,
  torch_dtype: 'bfloat16',
};

describe('parseQwen3Config', () => {
  it('reads Qwen3-0.6B, whose head_dim differs from hidden/heads', () => {
    const c = parseQwen3Config(qwen3_06b);
    expect(c).toMatchObject({
      hiddenSize: 1024,
      numHeads: 16,
      numKvHeads: 8,
      headDim: 128,
      vocabSize: 151936,
      tieWordEmbeddings: true,
      torchDtype: 'bfloat16',
    });
  });
  it('round-trips through config.json', () => {
    expect(parseQwen3Config(qwen3ConfigJson(tinyConfig))).toEqual(tinyConfig);
  });
  it('refuses another architecture', () => {
    expect(() => parseQwen3Config({ ...qwen3_06b, architectures: ['LlamaForCausalLM'], model_type: 'llama' })).toThrow(
      'config.json: architecture LlamaForCausalLM is not Qwen3ForCausalLM',
    );
  });
  it('names a missing or inconsistent field', () => {
    const { vocab_size: _, ...missing } = qwen3_06b;
    expect(() => parseQwen3Config(missing)).toThrow('config.json: vocab_size is missing');
    expect(() => parseQwen3Config({ ...qwen3_06b, num_key_value_heads: 3 })).toThrow(
      'num_attention_heads (16) must be a multiple of num_key_value_heads (3)',
    );
    expect(() => parseQwen3Config({ ...qwen3_06b, hidden_size: -4 })).toThrow(
      'hidden_size must be a positive integer, got -4',
    );
    expect(() => parseQwen3Config({ ...qwen3_06b, tie_word_embeddings: 'yes' })).toThrow(
      'tie_word_embeddings must be true or false',
    );
  });
  // Found by config.fuzz.test.ts.
  it('refuses sizes and numbers JSON can hold but a model cannot, saying so', () => {
    // JSON.parse reads 1e999 as Infinity, which used to pass as a positive rope_theta.
    const { rope_theta: _, ...rest } = qwen3_06b;
    expect(() => parseQwen3Config({ ...rest, ...JSON.parse('{"rope_theta": 1e999}') })).toThrow(
      'config.json: rope_theta must be a positive finite number, got Infinity',
    );
    expect(() => parseQwen3Config({ ...qwen3_06b, vocab_size: 2 ** 64 })).toThrow(
      'config.json: vocab_size is 18446744073709552000, too large to be a size',
    );
    const { head_dim: __, ...noHeadDim } = qwen3_06b;
    expect(() => parseQwen3Config({ ...noHeadDim, hidden_size: 1000 })).toThrow(
      'config.json: head_dim is missing and hidden_size / num_attention_heads (1000 / 16) is not an even integer',
    );
  });
  it('names a field whose value is too deep or too long to quote, without crashing or quoting it whole', () => {
    const deep = JSON.parse(`${'['.repeat(12_000)}${']'.repeat(12_000)}`);
    expect(() => parseQwen3Config({ ...qwen3_06b, architectures: [deep], model_type: 'llama' })).toThrow(
      'config.json: architecture an array nested too deep is not Qwen3ForCausalLM',
    );
    expect(() => parseQwen3Config({ ...qwen3_06b, hidden_size: deep })).toThrow(
      'config.json: hidden_size must be a positive integer, got an array nested too deep',
    );
    expect(() => parseQwen3Config({ ...qwen3_06b, hidden_size: 'x'.repeat(5000) })).toThrow(
      `config.json: hidden_size must be a positive integer, got "${'x'.repeat(78)}…`,
    );
  });
});
