import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  editText,
  fuzz,
  fuzzTimeout,
  jsonMutations,
  jsonText,
  mutatedJsonText,
  outcomeOf,
  textEdits,
} from '../../tests/support/fuzz';
import { SafetensorsFile, ShardedCheckpoint, writeSafetensors } from './safetensors';

const bytesPerValue: Record<string, number> = { F32: 4, F16: 2, BF16: 2 };

const base = writeSafetensors(
  {
    'model.embed_tokens.weight': { shape: [3, 2], data: Float32Array.from([1, 2, 3, 4, 5, 6]) },
    'model.norm.weight': { shape: [2], data: Float32Array.from([0.5, -0.5]) },
    'lm_head.weight': { shape: [1, 2, 2], data: Float32Array.from([7, 8, 9, 10]) },
  },
  { dtype: 'F16', metadata: { format: 'pt' } },
);
const baseHeaderLength = Number(new DataView(base.buffer).getBigUint64(0, true));
const baseHeader: Record<string, unknown> = JSON.parse(
  new TextDecoder().decode(base.subarray(8, 8 + baseHeaderLength)),
);
const baseData = base.subarray(8 + baseHeaderLength);
const tensorNames = Object.keys(baseHeader).filter((k) => k !== '__metadata__');

/** A file from its parts: the header length written may differ from the header's (then it is `claimed`). */
function file(headerText: string, data: Uint8Array, claimed?: bigint): Uint8Array {
  const header = new TextEncoder().encode(headerText);
  const out = new Uint8Array(8 + header.length + data.length);
  new DataView(out.buffer).setBigUint64(0, claimed ?? BigInt(header.length), true);
  out.set(header, 8);
  out.set(data, 8 + header.length);
  return out;
}

/** Header lengths that lie: zero, off by a little, past the end, and huge. */
const claimedLength = fc.oneof(
  fc.constantFrom(0n, 1n, 2n ** 32n, 2n ** 53n, 2n ** 63n, 2n ** 64n - 1n, 100n * 1024n * 1024n + 1n),
  fc.integer({ min: -8, max: 8 }).map((d) => BigInt(Math.max(0, baseHeaderLength + d))),
  fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
);

/** One tensor given another's byte range (with its dtype and shape, so only the overlap is wrong). */
const overlap = fc.tuple(fc.nat(), fc.nat(), fc.option(jsonMutations, { nil: undefined })).map(([i, j, mutations]) => {
  const header = structuredClone(baseHeader);
  const from = tensorNames[i % tensorNames.length];
  const to = tensorNames[j % tensorNames.length];
  header[to] = structuredClone(header[from]);
  return file(mutations === undefined ? jsonText(header) : mutatedJsonText(header, mutations), baseData);
});

const safetensorsFile = fc.oneof(
  { arbitrary: jsonMutations.map((m) => file(mutatedJsonText(baseHeader, m), baseData)), weight: 5 },
  { arbitrary: overlap, weight: 2 },
  { arbitrary: textEdits.map((edits) => file(editText(JSON.stringify(baseHeader), edits), baseData)), weight: 2 },
  { arbitrary: claimedLength.map((n) => file(JSON.stringify(baseHeader), baseData, n)), weight: 2 },
  { arbitrary: fc.nat({ max: base.length }).map((n) => base.slice(0, n)), weight: 2 },
  { arbitrary: fc.uint8Array({ maxLength: 64 }), weight: 1 },
);

/** Every tensor lies inside the file, after the header, holds exactly its shape's bytes, and shares none with another. */
async function expectWellFormed(st: SafetensorsFile, size: number): Promise<void> {
  const ranges: [number, number][] = [];
  for (const info of st.tensors.values()) {
    const count = info.shape.reduce((a, b) => a * b, 1);
    expect(Number.isSafeInteger(info.begin) && Number.isSafeInteger(info.end)).toBe(true);
    expect(info.begin).toBeGreaterThanOrEqual(8);
    expect(info.end).toBeLessThanOrEqual(size);
    expect(info.end - info.begin).toBe(count * bytesPerValue[info.dtype]);
    if (info.end > info.begin) ranges.push([info.begin, info.end]);
    expect((await st.read(info.name)).length).toBe(count);
  }
  ranges.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < ranges.length; i++)
    expect(ranges[i][0], 'tensors share bytes').toBeGreaterThanOrEqual(ranges[i - 1][1]);
}

describe('safetensors files, fuzzed', () => {
  it(
    'a mutated, truncated or lying file opens with every tensor in bounds, or is refused naming the file',
    async () => {
      await fuzz('safetensors header', safetensorsFile, async (bytes) => {
        const opened = await outcomeOf(() => SafetensorsFile.open(bytes, 'model.safetensors'), 'model.safetensors');
        if (opened.ok) await expectWellFormed(opened.value, bytes.length);
        return opened.ok;
      });
    },
    fuzzTimeout(),
  );

  it(
    'a mutated model.safetensors.index.json opens its shards or is refused naming the index or the shard',
    async () => {
      const shards: Record<string, Uint8Array> = {
        'model-00001-of-00002.safetensors': writeSafetensors({ a: { shape: [2], data: Float32Array.from([1, 2]) } }),
        'model-00002-of-00002.safetensors': writeSafetensors({ b: { shape: [1], data: Float32Array.from([3]) } }),
      };
      const index = {
        metadata: { total_size: 12 },
        weight_map: { a: 'model-00001-of-00002.safetensors', b: 'model-00002-of-00002.safetensors' },
      };
      const openShard = async (name: string) => {
        const shard = shards[name];
        if (shard === undefined) throw new Error(`${name}: no such file`);
        return shard;
      };
      await fuzz('model.safetensors.index.json', jsonMutations, async (mutations) => {
        const json: unknown = JSON.parse(mutatedJsonText(index, mutations));
        const opened = await outcomeOf(
          () => ShardedCheckpoint.open(json, openShard),
          ['model.safetensors.index.json', '.safetensors'],
        );
        if (opened.ok)
          for (const name of opened.value.names)
            expect((await opened.value.read(name)).length).toBe(1 + Number(name === 'a'));
        return opened.ok;
      });
    },
    fuzzTimeout(),
  );
});
