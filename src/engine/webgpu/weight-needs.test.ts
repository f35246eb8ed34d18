import { describe, expect, it } from 'vitest';
import { parseQwen3Config } from '../config';
import { minimalNeeds, weightNeeds } from './device';

describe('weightNeeds', () => {
  it('asks for the largest weight in f32 that cannot be split: an MLP projection of Qwen3-0.6B, not its embedding', () => {
    const config = parseQwen3Config({
      model_type: 'qwen3',
      architectures: ['Qwen3ForCausalLM'],
      hidden_size: 1024,
      intermediate_size: 3072,
      num_hidden_layers: 28,
      num_attention_heads: 16,
      num_key_value_heads: 8,
      head_dim: 128,
      rms_norm_eps: 1e-6,
      rope_theta: 1e6,
      vocab_size: 151936,
      tie_word_embeddings: true,
      max_position_embeddings: 40960,
    });
    const needs = weightNeeds(config);
    // The embedding (151936 × 1024, 622 MB in f32) is split by rows; gate, up and down are 3072 × 1024.
    expect(needs.maxBufferSize).toBe(Math.max(minimalNeeds.maxBufferSize, 3072 * 1024 * 4));
    expect(needs.maxStorageBufferBindingSize).toBe(Math.max(minimalNeeds.maxStorageBufferBindingSize, 3072 * 1024 * 4));
    expect(needs.maxComputeWorkgroupStorageSize).toBe(minimalNeeds.maxComputeWorkgroupStorageSize);
  });

  it('never asks for less than the engine’s minimum', () => {
    const config = parseQwen3Config({
      model_type: 'qwen3',
      architectures: ['Qwen3ForCausalLM'],
      hidden_size: 8,
      intermediate_size: 16,
      num_hidden_layers: 1,
      num_attention_heads: 2,
      num_key_value_heads: 1,
      head_dim: 4,
      rms_norm_eps: 1e-6,
      rope_theta: 1e4,
      vocab_size: 32,
      tie_word_embeddings: false,
      max_position_embeddings: 64,
    });
    expect(weightNeeds(config)).toEqual(minimalNeeds);
  });
});
