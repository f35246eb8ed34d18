import { choiceOption, parseOptions, type CliCommand, type CliIO } from '../command';
import { readJsonl, reportBadLine, writeJsonLine } from '../jsonl';
import { stepOptionHelp, stepOptionSpec, stepSettingsFrom } from '../step-options';
import { tokenScoresFromRecord, type TrajectoryRecord } from '../../sod/record';
import { weighSteps, type StepWeighting, type WeightingMethod } from '../../sod/weights';

const help = `Usage: sodp weights [--epsilon E] [--delta D] [--coef C] [--method sod|opd] [--input FILE]

Reads trajectory JSONL (one object per line with student_logprobs, teacher_logprobs and
mask; other fields pass through) and writes each line back with its step weighting added:

  n_steps            K, the number of steps (maximal runs of mask = 1)
  boundaries         [[start, end), …] token range of each step
  n_tokens_per_step  tokens in each step
  d_values           d_k, mean |student_logprob − teacher_logprob| over step k
  w_values           w_k = min(P_k, 1 + δ) for sod; all 1 for opd
  token_weights      w of each token's step, 0 on masked-out tokens
  opd_advantages     c · w · (teacher_logprob − student_logprob) · mask, per token

Options:
  --method M    sod (default) or opd (every step weight 1)
${stepOptionHelp}
  -h, --help    show this help

A bad line is reported on stderr with its line number; every good line is still written,
in order, and the exit status is then 1.`;

/** The fields `sodp weights` adds to a trajectory line. */
export function weightingFields(w: StepWeighting): Record<string, unknown> {
  return {
    n_steps: w.steps.length,
    d_values: w.divergences,
    w_values: w.weights,
    n_tokens_per_step: w.tokensPerStep,
    boundaries: w.steps,
    token_weights: Array.from(w.tokenWeights),
    opd_advantages: Array.from(w.distillAdvantages),
  };
}

export const weightsCommand: CliCommand = {
  name: 'weights',
  summary: 'add SOD step divergences, weights and distillation advantages to trajectory JSONL',
  help,
  async run(argv: string[], io: CliIO): Promise<number> {
    const { values } = parseOptions(argv, { ...stepOptionSpec, method: { type: 'string' } });
    if (values.help) {
      io.stdout.write(help + '\n');
      return 0;
    }
    const settings = stepSettingsFrom(values);
    const method = choiceOption<WeightingMethod>('method', values.method, ['sod', 'opd'], 'sod');
    let failed = false;
    for await (const line of readJsonl(values.input, io.stdin)) {
      if (!line.ok) {
        reportBadLine(io.stderr, line.lineNumber, line.error);
        failed = true;
        continue;
      }
      let out: TrajectoryRecord;
      try {
        out = { ...line.value, ...weightingFields(weighSteps(tokenScoresFromRecord(line.value), settings, method)) };
      } catch (err) {
        reportBadLine(io.stderr, line.lineNumber, err instanceof Error ? err.message : String(err));
        failed = true;
        continue;
      }
      await writeJsonLine(io.stdout, out);
    }
    return failed ? 1 : 0;
  },
};
