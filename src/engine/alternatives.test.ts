import { describe, expect, it } from 'vitest';
import { topAlternatives, topLogprobs } from './alternatives';
import { CpuBackend } from './cpu/backend';
import { Decoder } from './inference';
import { randomModel } from './testing/tiny';

describe('topLogprobs', () => {
  it('returns the k most likely indices with normalised log-probabilities, best first', () => {
    const logits = [0.5, 3, -1, 2, 3 - 1e-9];
    const top = topLogprobs(logits, 3);
    expect(top.map(([i]) => i)).toEqual([1, 4, 3]);
    const logZ = Math.log(logits.reduce((s, x) => s + Math.exp(x), 0));
    top.forEach(([i, lp]) => expect(lp).toBeCloseTo(logits[i] - logZ, 12));
  });
});

describe('topAlternatives', () => {
  it('at every response position ranks the same log-probs the teacher-forced scorer gives', async () => {
    const model = randomModel(new CpuBackend());
    const prompt = [1, 5, 9];
    const response = [4, 2, 7, 7];
    const alternatives = await topAlternatives(new Decoder(model), prompt, response, model.config.vocabSize);
    const scored = await model.logprobs([...prompt, ...response]);
    expect(alternatives).toHaveLength(response.length);
    response.forEach((id, t) => {
      const entry = alternatives[t].find(([i]) => i === id);
      expect(entry?.[1]).toBeCloseTo(scored[prompt.length - 1 + t], 4);
    });
  });
});
