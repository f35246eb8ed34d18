import { readFileSync } from 'node:fs';
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
import { parseJsonFile } from '../core/json';
import { type Qwen3Config, parseQwen3Config } from './config';

const configText = readFileSync(new URL('../../public/models/tiny-qwen3-student/config.json', import.meta.url), 'utf8');
const config: unknown = JSON.parse(configText);

/** What the engine relies on in a parsed config: sizes it can allocate and index by, finite floats, whole heads. */
function expectWellFormed(c: Qwen3Config): void {
  for (const size of [
    c.hiddenSize,
    c.intermediateSize,
    c.numLayers,
    c.numHeads,
    c.numKvHeads,
    c.headDim,
    c.vocabSize,
    c.maxPositionEmbeddings,
  ]) {
    expect(Number.isSafeInteger(size) && size > 0, `size ${size}`).toBe(true);
  }
  for (const x of [c.rmsNormEps, c.ropeTheta]) expect(Number.isFinite(x) && x > 0, `number ${x}`).toBe(true);
  expect(c.numHeads % c.numKvHeads).toBe(0);
  expect(c.headDim % 2).toBe(0);
  expect(typeof c.tieWordEmbeddings).toBe('boolean');
  expect(typeof c.torchDtype).toBe('string');
}

describe('config.json, fuzzed', () => {
  it(
    'a mutated config is read whole or refused naming config.json and the field',
    async () => {
      await fuzz('config.json (structured)', jsonMutations, async (mutations) => {
        const json = mutatedJson(config, mutations);
        const result = await outcomeOf(() => parseQwen3Config(json, 'student/config.json'), 'student/config.json');
        if (result.ok) expectWellFormed(result.value);
        return result.ok;
      });
    },
    fuzzTimeout(),
  );

  it(
    'edited config.json text is read or refused naming the file',
    async () => {
      const inputs = fc.oneof(
        textEdits.map((edits) => editText(configText, edits)),
        jsonMutations.map((m) => mutatedJsonText(config, m)),
        fc.string({ unit: 'binary', maxLength: 200 }),
      );
      await fuzz('config.json (text)', inputs, async (text) => {
        const result = await outcomeOf(
          () => parseQwen3Config(parseJsonFile(text, 'student/config.json'), 'student/config.json'),
          'student/config.json',
        );
        if (result.ok) expectWellFormed(result.value);
        return result.ok;
      });
    },
    fuzzTimeout(),
  );
});
