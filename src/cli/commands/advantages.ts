import { choiceOption, parseOptions, type CliCommand, type CliIO } from '../command';
import { readJsonl, reportBadLine, writeJsonLine } from '../jsonl';
import { stepOptionHelp, stepOptionSpec, stepSettingsFrom } from '../step-options';
import { methods, tokenAdvantages, usesReward, usesTeacher, type Method } from '../../sod/advantages';
import { weighTrajectory, type BatchTrajectory } from '../../sod/batch';
import { grpoAdvantages } from '../../sod/grpo';
import { groupField, numberArrayField, numberField, type TrajectoryRecord } from '../../sod/record';
import { checkMask } from '../../sod/validate';
import type { StepSettings, StepWeighting } from '../../sod/weights';

const help = `Usage: sodp advantages [--method sod|opd|grpo|distill] [--epsilon E] [--delta D] [--coef C] [--input FILE]

Reads trajectory JSONL with mask, student_logprobs and teacher_logprobs (not needed for
grpo), reward and group (not needed for distill), and writes each line back with:

  grpo_advantage  (r − mean)/(std + 1e-6) over the lines of the same group (not for distill)
  advantages      per token: grpo_advantage · mask + the distillation term of the method

Methods:
  sod      outcome advantage + step-weighted distillation term (default)
  opd      outcome advantage + distillation term with every step weight 1
  grpo     outcome advantage only
  distill  step-weighted distillation term only (no reward)

Options:
  --method M    the method (default sod)
${stepOptionHelp}
  -h, --help    show this help

The whole input is read first, because group statistics span lines. A bad line is reported
on stderr with its line number and left out of its group; every good line is still
written, in order, and the exit status is then 1.`;

interface GoodLine {
  record: TrajectoryRecord;
  item: BatchTrajectory;
  weighting: StepWeighting | undefined;
}

/** Reads what `method` needs from one record; throws an error naming the field. */
function readLine(record: TrajectoryRecord, method: Method, settings: StepSettings): GoodLine {
  const item: BatchTrajectory = { mask: numberArrayField(record, 'mask') };
  if (usesTeacher(method)) {
    item.studentLogprobs = numberArrayField(record, 'student_logprobs');
    item.teacherLogprobs = numberArrayField(record, 'teacher_logprobs');
  }
  if (usesReward(method)) {
    item.reward = numberField(record, 'reward');
    item.group = groupField(record);
  }
  // Every per-token field of the line is checked here, before the line joins a group.
  checkMask('mask', item.mask);
  return { record, item, weighting: weighTrajectory(item, method, settings) };
}

export const advantagesCommand: CliCommand = {
  name: 'advantages',
  summary: 'add GRPO group advantages and per-token advantages (sod, opd, grpo, distill) to trajectory JSONL',
  help,
  async run(argv: string[], io: CliIO): Promise<number> {
    const { values } = parseOptions(argv, { ...stepOptionSpec, method: { type: 'string' } });
    if (values.help) {
      io.stdout.write(help + '\n');
      return 0;
    }
    const settings = stepSettingsFrom(values);
    const method = choiceOption<Method>('method', values.method, methods, 'sod');
    let failed = false;
    const good: GoodLine[] = [];
    for await (const line of readJsonl(values.input, io.stdin)) {
      try {
        if (!line.ok) throw new Error(line.error);
        good.push(readLine(line.value, method, settings));
      } catch (err) {
        reportBadLine(io.stderr, line.lineNumber, err instanceof Error ? err.message : String(err));
        failed = true;
      }
    }
    const grpo = usesReward(method)
      ? grpoAdvantages(
          good.map((g) => g.item.reward ?? 0),
          good.map((g) => g.item.group ?? ''),
        )
      : undefined;
    for (const [i, g] of good.entries()) {
      const advantages = tokenAdvantages(method, {
        mask: g.item.mask,
        grpoAdvantage: grpo?.[i],
        distillAdvantages: g.weighting?.distillAdvantages,
      });
      const added = grpo === undefined ? {} : { grpo_advantage: grpo[i] };
      await writeJsonLine(io.stdout, { ...g.record, ...added, advantages: Array.from(advantages) });
    }
    return failed ? 1 : 0;
  },
};
