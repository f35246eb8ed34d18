import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  editText,
  fuzz,
  fuzzTimeout,
  jsonMutations,
  mutatedJson,
  mutatedJsonText,
  outcomeOf,
  textEdits,
} from '../../tests/support/fuzz';
import { loraLayout } from './lora';
import { exportPeft, importPeft } from './peft';
import { tinyConfig } from './testing/tiny';

const layout = loraLayout(tinyConfig, { rank: 2, alpha: 4, targets: ['q_proj', 'v_proj', 'down_proj'] });
const files = exportPeft(
  layout,
  Float32Array.from({ length: layout.size }, (_, i) => Math.sin(i)),
  'test/tiny-qwen3',
);
const adapterConfig = files['adapter_config.json'];
const weights = files['adapter_model.safetensors'];
const headerLength = Number(new DataView(weights.buffer).getBigUint64(0, true));
const header: unknown = JSON.parse(new TextDecoder().decode(weights.subarray(8, 8 + headerLength)));

/** adapter_model.safetensors with another header (the data left as it was). */
function withHeader(text: string): Uint8Array<ArrayBuffer> {
  const bytes = new TextEncoder().encode(text);
  const out = new Uint8Array(8 + bytes.length + weights.length - 8 - headerLength);
  new DataView(out.buffer).setBigUint64(0, BigInt(bytes.length), true);
  out.set(bytes, 8);
  out.set(weights.subarray(8 + headerLength), 8 + bytes.length);
  return out;
}

const adapter = fc.oneof(
  { arbitrary: jsonMutations.map((m) => ({ config: mutatedJson(adapterConfig, m), weights })), weight: 4 },
  {
    arbitrary: jsonMutations.map((m) => ({
      config: adapterConfig,
      weights: withHeader(mutatedJsonText(header, m)),
    })),
    weight: 2,
  },
  {
    arbitrary: textEdits.map((edits) => ({
      config: adapterConfig,
      weights: withHeader(editText(JSON.stringify(header), edits)),
    })),
    weight: 1,
  },
  {
    arbitrary: fc.nat({ max: weights.length }).map((n) => ({ config: adapterConfig, weights: weights.slice(0, n) })),
    weight: 1,
  },
  {
    // The rank (and with it the shapes the file must hold) set to sizes no adapter has.
    arbitrary: fc
      .constantFrom(2 ** 20, 2 ** 31, 2 ** 40, 1e21)
      .map((r) => ({ config: { ...adapterConfig, r }, weights })),
    weight: 1,
  },
);

/** Runs `f`, giving back the length of the largest Float32Array it made (so a size read from a file cannot allocate before it is checked). */
async function largestFloat32Array(f: () => Promise<unknown>): Promise<number> {
  const original = globalThis.Float32Array;
  let largest = 0;
  globalThis.Float32Array = new Proxy(original, {
    construct(target, args: unknown[]) {
      if (typeof args[0] === 'number') largest = Math.max(largest, args[0]);
      return Reflect.construct(target, args);
    },
  });
  try {
    await f();
  } finally {
    globalThis.Float32Array = original;
  }
  return largest;
}

describe('PEFT adapters, fuzzed', () => {
  it(
    'a mutated adapter imports as a usable layout or is refused naming the file and field, allocating no more than the file holds',
    async () => {
      await fuzz('PEFT adapter', adapter, async ({ config, weights }) => {
        let result: Awaited<ReturnType<typeof outcomeOf<Awaited<ReturnType<typeof importPeft>>>>> | undefined;
        const largest = await largestFloat32Array(async () => {
          result = await outcomeOf(
            () => importPeft(config, weights, tinyConfig),
            ['adapter_config.json', 'adapter_model.safetensors'],
          );
        });
        // Values come from the file (2 bytes each at least), plus each view's padding to 64.
        expect(largest).toBeLessThanOrEqual(weights.length / 2 + 128 * tinyConfig.numLayers * 7);
        if (result === undefined || !result.ok) return false;
        const { layout: read, params } = result.value;
        expect(params.length).toBe(read.size);
        expect(Number.isSafeInteger(read.config.rank) && read.config.rank > 0).toBe(true);
        expect(Number.isFinite(read.scale), `scale ${read.scale}`).toBe(true);
        return true;
      });
    },
    fuzzTimeout(),
  );
});
