import { describe, expect, it } from 'vitest';
import { SafetensorsFile, ShardedCheckpoint, writeSafetensors } from './safetensors';

const values = Float32Array.from([0, 1, -2.5, 3.140625, 1e-3, -65504, 0.5, 7]);

function rawFile(header: unknown, dataBytes: number, headerLengthOverride?: number): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + dataBytes);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLengthOverride ?? json.length), true);
  out.set(json, 8);
  return out;
}

describe('safetensors', () => {
  for (const dtype of ['F32', 'F16', 'BF16'] as const) {
    it(`round-trips ${dtype}`, async () => {
      const bytes = writeSafetensors(
        { 'a.weight': { shape: [2, 4], data: values }, 'b.bias': { shape: [2], data: values.subarray(0, 2) } },
        { dtype, metadata: { format: 'pt' } },
      );
      const file = await SafetensorsFile.open(new Blob([bytes]), 'model.safetensors');
      expect(file.metadata).toEqual({ format: 'pt' });
      expect(file.info('a.weight')).toMatchObject({ dtype, shape: [2, 4] });
      const back = await file.read('a.weight');
      // F16 keeps 11 significant bits, BF16 8: compare within their rounding.
      const tolerance = { F32: 0, F16: 2 ** -11, BF16: 2 ** -8 }[dtype];
      back.forEach((v, i) => expect(Math.abs(v - values[i])).toBeLessThanOrEqual(tolerance * Math.abs(values[i])));
    });
  }

  for (const dtype of ['F32', 'BF16'] as const) {
    it(`reads a ${dtype} tensor larger than one read (16 MiB) in slices, every value in place`, async () => {
      // Integers exact in bf16, of a period (251) no slice is a multiple of, after another tensor (an odd offset).
      const n = (9 << 20) + 3;
      const data = new Float32Array(n);
      for (let i = 0; i < n; i++) data[i] = (i % 251) - 125;
      const bytes = writeSafetensors(
        { a: { shape: [3], data: values.subarray(0, 3) }, big: { shape: [n], data } },
        { dtype },
      );
      const back = await (await SafetensorsFile.open(new Blob([bytes]), 'big.safetensors')).read('big');
      expect(back.length).toBe(n);
      expect(back.every((v, i) => v === data[i])).toBe(true);
    });
  }

  it('refuses a truncated file, naming the file and the tensor', async () => {
    const bytes = writeSafetensors({ 'model.embed_tokens.weight': { shape: [2, 4], data: values } });
    await expect(
      SafetensorsFile.open(bytes.subarray(0, bytes.length - 5), 'model-00001-of-00002.safetensors'),
    ).rejects.toThrow(
      'model-00001-of-00002.safetensors: tensor model.embed_tokens.weight: its data ends at byte 32 but the file holds 27: the file is truncated',
    );
    await expect(SafetensorsFile.open(bytes.subarray(0, 5), 'x.safetensors')).rejects.toThrow(
      'x.safetensors: only 5 bytes',
    );
  });

  it('refuses an oversized header', async () => {
    await expect(SafetensorsFile.open(rawFile({}, 0, 2 ** 40), 'big.safetensors')).rejects.toThrow(
      /big.safetensors: header claims 1099511627776 bytes/,
    );
  });

  it('refuses a wrong dtype or a size that does not match the shape', async () => {
    await expect(
      SafetensorsFile.open(rawFile({ w: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }, 8), 'm.safetensors'),
    ).rejects.toThrow('m.safetensors: tensor w: dtype "I64" is not supported');
    await expect(
      SafetensorsFile.open(rawFile({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, 8), 'm.safetensors'),
    ).rejects.toThrow('m.safetensors: tensor w: 8 bytes for shape [3] of F32 (expected 12)');
    await expect(SafetensorsFile.open(rawFile({ w: 1 }, 0), 'm.safetensors')).rejects.toThrow(
      'tensor w: header entry is not an object',
    );
  });

  // Found by safetensors.fuzz.test.ts.
  it('refuses tensors that share bytes', async () => {
    const a = { dtype: 'F32', shape: [2], data_offsets: [0, 8] };
    await expect(
      SafetensorsFile.open(rawFile({ a, b: { ...a, data_offsets: [4, 12] } }, 12), 'm.safetensors'),
    ).rejects.toThrow('m.safetensors: tensors a and b share bytes 4–8 of the data');
    await expect(SafetensorsFile.open(rawFile({ a, b: a }, 8), 'm.safetensors')).rejects.toThrow(
      'm.safetensors: tensors a and b share bytes 0–8 of the data',
    );
    // Empty tensors hold no bytes, so they share none.
    const empty = { dtype: 'F32', shape: [0], data_offsets: [4, 4] };
    expect([...(await SafetensorsFile.open(rawFile({ a, empty }, 8), 'm.safetensors')).tensors.keys()]).toEqual([
      'a',
      'empty',
    ]);
  });

  // Found by safetensors.fuzz.test.ts: String() of a deeply nested value overflowed the stack.
  it('keeps metadata that is not a string as brief JSON', async () => {
    // Written by hand: JSON.stringify would overflow on it too.
    const header = new TextEncoder().encode(
      `{"__metadata__": {"format": "pt", "n": 3, "deep": ${'['.repeat(12_000)}${']'.repeat(12_000)}}}`,
    );
    const bytes = new Uint8Array(8 + header.length);
    new DataView(bytes.buffer).setBigUint64(0, BigInt(header.length), true);
    bytes.set(header, 8);
    const file = await SafetensorsFile.open(bytes, 'm.safetensors');
    expect(file.metadata).toEqual({ format: 'pt', n: '3', deep: 'an array nested too deep' });
  });

  it('reads sharded checkpoints through the index', async () => {
    const shards: Record<string, Uint8Array> = {
      'model-00001-of-00002.safetensors': writeSafetensors({ a: { shape: [2], data: Float32Array.from([1, 2]) } }),
      'model-00002-of-00002.safetensors': writeSafetensors({ b: { shape: [1], data: Float32Array.from([3]) } }),
    };
    const index = {
      metadata: {},
      weight_map: { a: 'model-00001-of-00002.safetensors', b: 'model-00002-of-00002.safetensors' },
    };
    const checkpoint = await ShardedCheckpoint.open(index, async (file) => shards[file]);
    expect(Array.from(await checkpoint.read('b'))).toEqual([3]);
    expect(checkpoint.names.sort()).toEqual(['a', 'b']);
    const broken = { weight_map: { a: 'model-00002-of-00002.safetensors' } };
    await expect(ShardedCheckpoint.open(broken, async (file) => shards[file])).rejects.toThrow(
      'model-00002-of-00002.safetensors: the index lists tensor a but the file does not hold it',
    );
    // Found by safetensors.fuzz.test.ts: any string was opened as a shard, a path outside the folder too.
    for (const file of ['../../secret.safetensors', 'config.json', ''])
      await expect(ShardedCheckpoint.open({ weight_map: { a: file } }, async (f) => shards[f])).rejects.toThrow(
        `model.safetensors.index.json: weight_map["a"] is ${JSON.stringify(file)}, not the name of a .safetensors file in the model's folder`,
      );
  });
});
