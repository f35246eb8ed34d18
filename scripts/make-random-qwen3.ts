/**
 * Writes a random Qwen3 model folder with the real dimensions of Qwen3-0.6B, -1.7B or -4B
 * (bf16, tied, sharded, the real Qwen3 tokenizer) for tests and benchmarks at real size:
 *
 *   npm run make:random-qwen3 -- --size 0.6B --layers 2 --out runs/random-qwen3-0.6b-2l
 *   npm run make:random-qwen3 -- --size 1.7B --layers 2 --shards 3 --out DIR
 *   npm run make:random-qwen3 -- --size 0.6B --out DIR                  # all 28 layers (1.2 GB)
 */
import { parseArgs } from 'node:util';
import { qwen3Sizes, type Qwen3Size } from '../src/engine/qwen3-sizes';
import { writeRandomQwen3Folder } from '../src/models/testing/random-qwen3';

const { values } = parseArgs({
  options: {
    size: { type: 'string', default: '0.6B' },
    layers: { type: 'string' },
    shards: { type: 'string', default: '2' },
    seed: { type: 'string', default: '1' },
    dtype: { type: 'string', default: 'BF16' },
    'store-tied-head': { type: 'boolean', default: false },
    out: { type: 'string' },
  },
});
const isSize = (s: string): s is Qwen3Size => s in qwen3Sizes;
const size = values.size;
if (!isSize(size)) throw new Error(`--size must be one of ${Object.keys(qwen3Sizes).join(', ')}, got ${size}`);
if (values.out === undefined) throw new Error('--out DIR is required');
const int = (name: string, v: string | undefined): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got ${v}`);
  return n;
};
const dtype = values.dtype;
if (dtype !== 'BF16' && dtype !== 'F16' && dtype !== 'F32')
  throw new Error(`--dtype must be BF16, F16 or F32, got ${dtype}`);
const started = performance.now();
writeRandomQwen3Folder(values.out, {
  size,
  layers: int('layers', values.layers),
  shards: int('shards', values.shards),
  seed: int('seed', values.seed),
  dtype,
  storeTiedHead: values['store-tied-head'],
});
console.log(`wrote ${values.out} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
