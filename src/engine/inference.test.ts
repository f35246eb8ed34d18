import { describe, expect, it } from 'vitest';
import { defaultSampling, type GeneratedToken } from '../core/policy';
import { CpuBackend } from './cpu/backend';
import { Decoder, EnginePolicy, EngineScorer } from './inference';
import { releaseLoraState } from './lora-state';
import { allLoraTargets } from './params';
import { seededUniform } from '../core/random';
import { byFallingLogit, logSoftmaxAt, sampleToken } from './sampling';
import { randomLora, randomModel, tinyConfig } from './testing/tiny';
import { defaultAdamW, LoraTrainer } from './train';

const f64 = new CpuBackend(Float64Array);

async function collect(stream: AsyncIterable<GeneratedToken>): Promise<GeneratedToken[]> {
  const out: GeneratedToken[] = [];
  for await (const t of stream) out.push(t);
  return out;
}

describe('KV-cache decoding', () => {
  it('equals recomputing the whole sequence, with and without an adapter', async () => {
    const model = randomModel(f64);
    for (const lora of [undefined, randomLora(f64, tinyConfig, { rank: 2, alpha: 4, targets: allLoraTargets })]) {
      const ids = [2, 7, 1, 8, 2, 8, 1, 8, 2];
      const full = await model.logprobs(ids, lora);
      const decoder = new Decoder(model, lora);
      const cache = decoder.newCache(32);
      let logits = await decoder.feed(cache, ids.slice(0, 4)); // prefill
      for (let t = 4; t < ids.length; t++) {
        // log p(ids[t] | ids[..t)) from the cached decoder equals the full pass.
        expect(logSoftmaxAt(logits, ids[t])).toBeCloseTo(full[t - 1], 10);
        logits = await decoder.feed(cache, [ids[t]]);
      }
    }
  });
});

describe('the KV cache of a policy', () => {
  it('grows with the conversation instead of holding the whole context, and keeps what it held', async () => {
    const config = { ...tinyConfig, maxPositionEmbeddings: 409600 };
    const backend = new CpuBackend(Float64Array);
    const model = randomModel(backend, config);
    const policy = new EnginePolicy('p', model);
    const before = backend.liveBytes;
    const greedy = { ...defaultSampling, temperature: 0, maxNewTokens: 8 };
    const uniform = seededUniform(5);
    const prompt = Array.from({ length: 600 }, () => Math.floor(uniform() * config.vocabSize));
    const first = await collect(policy.generate({ inputIds: prompt, sampling: greedy }));
    // A second, longer turn past the first capacity: the cache grows and keeps the earlier entries.
    const turn = [...prompt, ...first.map((t) => t.id), ...prompt.slice(0, 700)];
    const second = await collect(policy.generate({ inputIds: turn, sampling: greedy }));
    const held = backend.liveBytes - before;
    const full = await model.logprobs([...turn, ...second.map((t) => t.id)]);
    second.forEach((t, i) => expect(t.logprob).toBeCloseTo(full[turn.length - 1 + i], 9));
    const wholeContext = 2 * config.numLayers * config.maxPositionEmbeddings * config.numKvHeads * config.headDim * 8;
    expect(held).toBeLessThan(wholeContext / 20);
  });
});

describe('EngineScorer', () => {
  it('scores prompts that share a prefix from its cache exactly as a full pass does, and forgets it after an optimizer step', async () => {
    const model = randomModel(f64);
    const lora = randomLora(f64, tinyConfig, { rank: 2, alpha: 4, targets: allLoraTargets });
    const scorer = new EngineScorer('s', model, lora);
    const system = [3, 1, 4, 1, 5, 9, 2, 6];
    const cases: [number[], number[]][] = [
      [
        [...system, 5, 3],
        [5, 8, 9, 7],
      ],
      [
        [...system, 5, 3],
        [9, 3],
      ], // the same prompt: only the response is new
      [
        [...system, 2, 3, 8],
        [4, 6, 2, 6, 4],
      ], // the same system text, another question
      [[7], [1, 2]], // nothing in common
      [
        [...system, 5, 3],
        [5, 8, 9, 7],
      ],
    ];
    const check = async () => {
      for (const [prompt, response] of cases) {
        const full = (await model.logprobs([...prompt, ...response], lora)).subarray(prompt.length - 1);
        const cached = await scorer.scoreTokens(prompt, response);
        expect(cached).toHaveLength(response.length);
        cached.forEach((lp, i) => expect(lp).toBeCloseTo(full[i], 10));
      }
    };
    await check();
    const trainer = new LoraTrainer(model, lora, { ...defaultAdamW, lr: 0.5 });
    await trainer.trainStep([
      { promptIds: system, responseIds: [7], loss: (lp) => ({ loss: -lp[0], grad: Float64Array.of(-1) }) },
    ]);
    await check();
  });
});

describe('EnginePolicy', () => {
  it('gives the same tokens for the same seed and reports their log-probs under the model', async () => {
    const model = randomModel(f64);
    const sampling = { ...defaultSampling, temperature: 0.8, topK: 10, topP: 0.95, seed: 42, maxNewTokens: 8 };
    const a = await collect(new EnginePolicy('a', model).generate({ inputIds: [1, 2, 3], sampling }));
    const b = await collect(new EnginePolicy('b', model).generate({ inputIds: [1, 2, 3], sampling }));
    expect(a.map((t) => t.id)).toEqual(b.map((t) => t.id));
    expect(a).toHaveLength(8);
    const teacherForced = await new EngineScorer('s', model).scoreTokens(
      [1, 2, 3],
      a.map((t) => t.id),
    );
    a.forEach((t, i) => expect(t.logprob).toBeCloseTo(teacherForced[i], 10));
  });

  it('does not reuse keys and values cached before an optimizer step changed its adapter', async () => {
    const model = randomModel(f64);
    const lora = randomLora(f64, tinyConfig, { rank: 2, alpha: 4, targets: allLoraTargets });
    const policy = new EnginePolicy('p', model, lora);
    const greedy = { ...defaultSampling, temperature: 0, maxNewTokens: 4 };
    const prompt = [3, 1, 4, 1, 5, 9, 2, 6];
    await collect(policy.generate({ inputIds: prompt, sampling: greedy }));
    // An optimizer step on the adapter (here: a large one, then the version bump the trainer does).
    const trainer = new LoraTrainer(model, lora, { ...defaultAdamW, lr: 0.5 });
    await trainer.trainStep([
      { promptIds: prompt, responseIds: [7], loss: (lp) => ({ loss: -lp[0], grad: Float64Array.of(-1) }) },
    ]);
    expect(lora.version).toBe(1);
    // The same prompt again: as a fresh policy on the new adapter gives it, not from the stale cache.
    const again = await collect(policy.generate({ inputIds: [...prompt, 7], sampling: greedy }));
    const fresh = await collect(
      new EnginePolicy('q', model, lora).generate({ inputIds: [...prompt, 7], sampling: greedy }),
    );
    expect(again.map((t) => t.id)).toEqual(fresh.map((t) => t.id));
    again.forEach((t, i) => expect(t.logprob).toBeCloseTo(fresh[i].logprob, 10));
  });

  it('stops at a stop id (emitting it), at maxNewTokens, and when aborted', async () => {
    const model = randomModel(f64);
    const greedy = { ...defaultSampling, temperature: 0, maxNewTokens: 6 };
    const free = await collect(new EnginePolicy('p', model).generate({ inputIds: [4, 5], sampling: greedy }));
    const stopAt = free[2].id;
    const stopped = await collect(
      new EnginePolicy('p', model).generate({ inputIds: [4, 5], sampling: { ...greedy, stopTokenIds: [stopAt] } }),
    );
    expect(stopped.at(-1)?.id).toBe(stopAt);
    expect(stopped.length).toBe(free.findIndex((t) => t.id === stopAt) + 1);
    const controller = new AbortController();
    const tokens: GeneratedToken[] = [];
    for await (const t of new EnginePolicy('p', model).generate({
      inputIds: [4, 5],
      sampling: { ...greedy, maxNewTokens: 50 },
      signal: controller.signal,
    })) {
      tokens.push(t);
      if (tokens.length === 3) controller.abort();
    }
    expect(tokens).toHaveLength(3);
  });

  it('reuses its cache across turns: continuing a sequence gives the same tokens as starting fresh', async () => {
    const model = randomModel(f64);
    const greedy = { ...defaultSampling, temperature: 0, maxNewTokens: 4 };
    const policy = new EnginePolicy('p', model);
    const first = await collect(policy.generate({ inputIds: [1, 2], sampling: greedy }));
    const turn2Input = [1, 2, ...first.map((t) => t.id), 9, 9];
    const second = await collect(policy.generate({ inputIds: turn2Input, sampling: greedy }));
    const fresh = await collect(new EnginePolicy('q', model).generate({ inputIds: turn2Input, sampling: greedy }));
    expect(second.map((t) => t.id)).toEqual(fresh.map((t) => t.id));
    second.forEach((t, i) => expect(t.logprob).toBeCloseTo(fresh[i].logprob, 10));
  });
});

describe('sampleToken', () => {
  it('is greedy at temperature 0 and respects top-k', () => {
    const logits = [0.1, 3, 2.9, -1];
    expect(sampleToken(logits, { temperature: 0, topK: 0, topP: 1 }, Math.random)).toBe(1);
    const uniform = seededUniform(1);
    for (let i = 0; i < 50; i++)
      expect([1, 2]).toContain(sampleToken(logits, { temperature: 5, topK: 2, topP: 1 }, uniform));
  });
  it('draws in proportion to the probabilities', () => {
    const uniform = seededUniform(7);
    const counts = [0, 0];
    for (let i = 0; i < 4000; i++)
      counts[sampleToken([0, Math.log(3)], { temperature: 1, topK: 0, topP: 1 }, uniform)]++;
    expect(counts[1] / 4000).toBeGreaterThan(0.71);
    expect(counts[1] / 4000).toBeLessThan(0.79);
  });
  it('orders float32 logits by packed keys exactly as the comparator does: ties by id, −0 and +0 equal', () => {
    const uniform = seededUniform(5);
    const values = [0, -0, 1, -1, 1e-30, -1e-30, 3.4e38, -3.4e38, Infinity, -Infinity, 0.1, -0.1];
    const logits = Float32Array.from({ length: 5000 }, (_, i) =>
      i % 3 === 0 ? values[Math.floor(uniform() * values.length)] : (uniform() - 0.5) * 60,
    );
    const comparator = Array.from(logits, (_, i) => i).sort((a, b) => logits[b] - logits[a] || a - b);
    expect(byFallingLogit(logits)).toEqual(comparator);
    // Float64 logits, and float32 ones holding NaN, take the comparator itself.
    expect(byFallingLogit(Float64Array.from(logits))).toEqual(comparator);
  });
});

describe('releasing a policy', () => {
  it('gives back every byte its decoding, growing caches and scoring took: new adapters do not pile up', async () => {
    const config = { ...tinyConfig, maxPositionEmbeddings: 4096 };
    const backend = new CpuBackend(Float64Array);
    const model = randomModel(backend, config);
    // A long input grows the decoder's activations and the cache past their first sizes.
    const inputIds = Array.from({ length: 700 }, (_, i) => (i * 7) % config.vocabSize);
    const after: number[] = [];
    for (let run = 0; run < 3; run++) {
      const lora = randomLora(backend, config, { rank: 2, alpha: 4, targets: allLoraTargets });
      const policy = new EnginePolicy('tiny', model, lora);
      const before = backend.liveBytes;
      await collect(policy.generate({ inputIds, sampling: { ...defaultSampling, maxNewTokens: 4, seed: run } }));
      await policy.scoreTokens(inputIds.slice(0, 100), [3, 4, 5]);
      expect(backend.liveBytes).toBeGreaterThan(before);
      policy.release();
      releaseLoraState(backend, lora);
      // What stays is the model's own scoring workspace, sized by the first run.
      after.push(backend.liveBytes);
    }
    expect(after[2]).toBe(after[0]);
    expect(after[1]).toBe(after[0]);
  });
});
