/**
 * What running a shared prompt once saves in one SOD update on the demo pair's shapes: the
 * student's and teacher's scoring of G = 4 samples of one prompt (scorer with its prompt
 * cache vs a full pass per sample) and one optimizer step on them (`sharedPrefix: 'exact'`
 * vs `'none'`, the same gradient). Prompt and response lengths are those of the demo's
 * rollouts (about 260 prompt and 95 response tokens). CPU backend; medians; ratios none/shared.
 *
 *   npm run bench -- shared-prefix
 */
import type { TrainingSequence } from '../src/core/policy';
import { CpuBackend } from '../src/engine/cpu/backend';
import { EngineScorer } from '../src/engine/inference';
import { loadQwen3 } from '../src/engine/load';
import { defaultLoraConfig, initLoraParams, loraLayout } from '../src/engine/lora';
import { createLoraState } from '../src/engine/lora-state';
import { folderFiles } from '../src/engine/node-files';
import { LoraTrainer } from '../src/engine/train';
import { seededUniform } from '../src/core/random';
import { maskedCrossEntropy } from '../src/sod/loss';
import { median, timeRuns, type BenchReport } from './report';

const promptTokens = 261;
const responseTokens = 95;
const group = 4;
const runs = 5;

export async function benchSharedPrefix(report: BenchReport): Promise<void> {
  const backend = new CpuBackend();
  const model = await loadQwen3(backend, folderFiles('public/models/tiny-qwen3-student'));
  const V = model.config.vocabSize;
  const uniform = seededUniform(7);
  const token = () => Math.floor(uniform() * (V - 8));
  const prompt = Array.from({ length: promptTokens }, token);
  const responses = Array.from({ length: group }, () => Array.from({ length: responseTokens }, token));
  const layout = loraLayout(model.config, { ...defaultLoraConfig, rank: 8, alpha: 16 });
  const lora = createLoraState(backend, layout, initLoraParams(layout, 1));

  const scorer = new EngineScorer('s', model, lora);
  const score = async (shared: boolean) => {
    lora.version++; // as after an optimizer step: the scorer's cache starts empty
    for (const r of responses)
      if (shared) await scorer.scoreTokens(prompt, r);
      else await model.logprobs([...prompt, ...r], lora); // a full pass per sample
  };
  const batch: TrainingSequence[] = responses.map((r) => ({
    promptIds: prompt,
    responseIds: r,
    loss: (lp) =>
      maskedCrossEntropy(
        lp,
        r.map(() => 1),
      ),
  }));
  const trainers = {
    none: new LoraTrainer(model, lora, undefined, { sharedPrefix: 'none' }),
    exact: new LoraTrainer(model, lora, undefined, { sharedPrefix: 'exact' }),
  };
  const rows: [string, () => Promise<void>, () => Promise<void>][] = [
    ['score G samples', () => score(false), () => score(true)],
    [
      'train one step on G samples',
      async () => void (await trainers.none.trainStep(batch)),
      async () => void (await trainers.exact.trainStep(batch)),
    ],
  ];
  console.log(
    `demo student, prompt ${promptTokens} + response ${responseTokens} tokens, G = ${group}; median of ${runs}`,
  );
  for (const [name, full, shared] of rows) {
    const a = median(await timeRuns(runs, full));
    const b = median(await timeRuns(runs, shared));
    console.log(
      `${name.padEnd(30)} full ${(a * 1000).toFixed(0)} ms   shared ${(b * 1000).toFixed(0)} ms   ${(a / b).toFixed(2)}×`,
    );
    report.results.push({ name: `${name}, full`, value: a, unit: 's' });
    report.results.push({ name: `${name}, shared prefix`, value: b, unit: 's', speedup: a / b });
  }
}
