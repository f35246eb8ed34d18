import { appendFileSync, cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseLines, runSodp, startSodp } from '../support/run-sodp';
import { withoutWallClock } from '../support/without-wall-clock';

const publicDir = new URL('../../public/', import.meta.url).pathname;

/** A tiny SOD run of the demo pair on the CPU: 3 updates of 2 prompts × 2 samples, evaluated on 1 problem after update 2 and at the end. */
const runArgs = [
  '--student',
  join(publicDir, 'models/tiny-qwen3-student'),
  '--teacher',
  join(publicDir, 'models/tiny-qwen3-teacher'),
  '--tasks',
  join(publicDir, 'tasks/arithmetic-train.jsonl'),
  '--eval-tasks',
  join(publicDir, 'tasks/arithmetic-test.jsonl'),
  '--eval-n',
  '1',
  '--eval-every',
  '2',
  '--updates',
  '3',
  '--prompts',
  '2',
  '--group',
  '2',
  '--max-tokens',
  '32',
  '--max-turns',
  '2',
  '--lr',
  '1e-3',
  '--backend',
  'cpu',
];

/** A JSONL file's objects without the wall-clock fields, which differ from run to run. */
function withoutTimes(path: string): Record<string, unknown>[] {
  return parseLines(readFileSync(path, 'utf8')).map((line) => {
    const kept = withoutWallClock(line);
    return typeof kept === 'object' && kept !== null ? Object.fromEntries(Object.entries(kept)) : {};
  });
}

/** Resolves once `path` exists and its text passes `ok`. */
async function waitFor(path: string, ok: (text: string) => boolean): Promise<void> {
  for (;;) {
    if (existsSync(path) && ok(readFileSync(path, 'utf8'))) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('sodp train --resume (real child processes, CPU, demo pair)', () => {
  let work: string;
  let whole: string;
  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'sodp-resume-'));
    whole = join(work, 'whole');
    const run = await runSodp(['train', ...runArgs, '--out', whole]);
    expect(run.code, run.stderr).toBe(0);
  }, 120_000);

  it('a run killed after update 1 and resumed ends with the same metrics, trajectories, evaluations and adapter', async () => {
    const out = join(work, 'killed');
    const started = startSodp(['train', ...runArgs, '--out', out]);
    await waitFor(join(out, 'checkpoint', 'checkpoint.json'), (text) => /"update": 1,/.test(text));
    started.kill();
    await started.done;
    // As if the kill came after update 2's lines were written but before its checkpoint, mid-line.
    const line = readFileSync(join(whole, 'metrics.jsonl'), 'utf8').split('\n')[1];
    appendFileSync(join(out, 'metrics.jsonl'), `${line}\n${line.slice(0, 40)}`);
    appendFileSync(join(out, 'evaluations.jsonl'), '{"when":"during","after_update":2');

    const resumed = await runSodp(['train', '--resume', out, '--backend', 'cpu']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).not.toContain('update 1/3');
    expect(resumed.stderr).toContain('update 2/3');
    for (const file of ['metrics.jsonl', 'trajectories.jsonl', 'evaluations.jsonl'])
      expect(withoutTimes(join(out, file)), file).toEqual(withoutTimes(join(whole, file)));
    expect(withoutTimes(join(out, 'metrics.jsonl')).map((m) => m.update)).toEqual([1, 2, 3]);
    expect(withoutTimes(join(out, 'evaluations.jsonl')).map((e) => [e.when, e.after_update])).toEqual([
      ['before', 0],
      ['during', 2],
      ['after', 3],
    ]);
    const adapter = (dir: string) => readFileSync(join(dir, 'adapter', 'adapter_model.safetensors'));
    expect(adapter(out).equals(adapter(whole))).toBe(true);
  }, 180_000);

  it('refuses an option that changes the run, and a checkpoint of another student, naming file and field', async () => {
    const lr = await runSodp(['train', '--resume', whole, '--lr', '0.5']);
    expect(lr.code).toBe(2);
    expect(lr.stderr).toContain('--lr 0.5 differs from the run');
    expect(lr.stderr).toContain('inputs.lr');
    // The same value spelled otherwise, or a default spelled out, is the same run.
    const copy = join(work, 'copy');
    cpSync(whole, copy, { recursive: true });
    const same = await runSodp(['train', '--resume', copy, '--lr', '0.001', '--method', 'sod']);
    expect(same.code, same.stderr).toBe(0);

    const json = join(copy, 'checkpoint', 'checkpoint.json');
    const checkpoint = JSON.parse(readFileSync(json, 'utf8'));
    writeFileSync(json, JSON.stringify({ ...checkpoint, student: { ...checkpoint.student, hiddenSize: 256 } }));
    const other = await runSodp(['train', '--resume', copy]);
    expect(other.code).toBe(1);
    expect(other.stderr).toContain(`${json}: student.hiddenSize is 256 but the student loaded has 128`);

    writeFileSync(json, JSON.stringify({ ...checkpoint, settings: { ...checkpoint.settings, loraRank: 'eight' } }));
    const broken = await runSodp(['train', '--resume', copy]);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain(`${json}: settings.loraRank must be a finite number, got "eight"`);

    const none = await runSodp(['train', '--resume', join(work, 'nothing')]);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/checkpoint\.json does not exist/);
  }, 120_000);
});
