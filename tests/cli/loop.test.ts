import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseLines, runSodp } from '../support/run-sodp';
import { writeTinyModelFolder } from '../support/tiny-model-folder';

describe('the sodp loop commands (real child processes, real sandbox)', () => {
  let work: string;
  let student: string;
  let teacher: string;
  let tasksFile: string;
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'sodp-loop-'));
    student = writeTinyModelFolder('student', {}, 1);
    teacher = writeTinyModelFolder('teacher', { numLayers: 3 }, 2);
    tasksFile = join(work, 'tasks.jsonl');
  });

  it('sodp tasks prints seeded task JSONL', async () => {
    const run = await runSodp(['tasks', '--kind', 'arithmetic', '--n', '3', '--seed', '5']);
    expect(run.code).toBe(0);
    const tasks = parseLines(run.stdout);
    expect(tasks).toHaveLength(3);
    expect(tasks[0]).toMatchObject({
      id: expect.any(String),
      question: expect.any(String),
      answer: expect.stringMatching(/^\d+$/),
    });
    writeFileSync(tasksFile, run.stdout);
    expect((await runSodp(['tasks', '--kind', 'arithmetic', '--n', '3', '--seed', '5'])).stdout).toBe(run.stdout);
  });

  it('sodp rollout --script replays turns with the real sandbox into trajectories sodp weights reads', async () => {
    const tasks = parseLines(readFileSync(tasksFile, 'utf8'));
    const script = join(work, 'script.jsonl');
    const call = (code: string) =>
      `<tool_call>\n{"name": "code_interpreter", "arguments": {"code": ${JSON.stringify(code)}}}\n</tool_call>`;
    writeFileSync(
      script,
      JSON.stringify({
        task_id: tasks[0].id,
        turns: [`<think>\nCompute it.\n</think>\n\n${call('print(6 * 7)')}`, 'It is \\boxed{42}.'],
      }) + '\n',
    );
    const out = join(work, 'scripted.jsonl');
    const run = await runSodp([
      'rollout',
      '--tokenizer',
      student,
      '--script',
      script,
      '--tasks',
      tasksFile,
      '--out',
      out,
    ]);
    expect(run.stderr).toContain('answer 42');
    expect(run.code).toBe(0);
    const [t] = parseLines(readFileSync(out, 'utf8'));
    expect(t).toMatchObject({
      task_id: tasks[0].id,
      turns: 4,
      stop_reason: 'answer',
      answer: '42',
      tool_calls: [{ code: 'print(6 * 7)', output: '42\n', error: null }],
    });
    expect(t.student_logprobs).toBeUndefined();
    // Log-probs are filled in later by a model backend; then sodp weights reads the line.
    const scored = await runSodp(['logprobs', '--model', student, '--as', 'student'], readFileSync(out, 'utf8'));
    expect(scored.code, scored.stderr).toBe(0);
  }, 120_000);

  it('sodp rollout --model, sodp logprobs --as teacher, then sodp weights', async () => {
    const out = join(work, 'model.jsonl');
    const run = await runSodp([
      'rollout',
      '--model',
      student,
      '--tasks',
      tasksFile,
      '--n',
      '2',
      '--group',
      '2',
      '--max-turns',
      '2',
      '--max-tokens',
      '12',
      '--backend',
      'cpu',
      '--out',
      out,
    ]);
    expect(run.code).toBe(0);
    const lines = parseLines(readFileSync(out, 'utf8'));
    expect(lines).toHaveLength(4);
    for (const l of lines) {
      expect(
        Array.isArray(l.student_logprobs) &&
          Array.isArray(l.response_ids) &&
          l.student_logprobs.length === l.response_ids.length,
      ).toBe(true);
    }
    const withTeacher = await runSodp([
      'logprobs',
      '--model',
      teacher,
      '--as',
      'teacher',
      '--input',
      out,
      '--backend',
      'cpu',
    ]);
    expect(withTeacher.code).toBe(0);
    const weighted = await runSodp(['weights'], withTeacher.stdout);
    expect(weighted.stderr).toBe('');
    expect(weighted.code).toBe(0);
    for (const l of parseLines(weighted.stdout)) expect(Array.isArray(l.w_values)).toBe(true);
  }, 120_000);

  it('sodp train runs SOD updates end to end and sodp eval reads the adapter it wrote', async () => {
    const out = join(work, 'run');
    const run = await runSodp([
      'train',
      '--student',
      student,
      '--teacher',
      teacher,
      '--tasks',
      tasksFile,
      '--method',
      'sod',
      '--updates',
      '2',
      '--prompts',
      '1',
      '--group',
      '2',
      '--max-turns',
      '2',
      '--max-tokens',
      '10',
      '--rank',
      '4',
      '--lr',
      '1e-2',
      '--backend',
      'cpu',
      '--out',
      out,
    ]);
    expect(run.stderr).toContain('update 2/2');
    expect(run.code).toBe(0);
    const metrics = parseLines(readFileSync(join(out, 'metrics.jsonl'), 'utf8'));
    expect(metrics).toHaveLength(2);
    expect(metrics[0]).toMatchObject({ update: 1, method: 'sod', trajectories: 2 });
    expect(Number.isFinite(metrics[1].loss)).toBe(true);
    const trajectories = readFileSync(join(out, 'trajectories.jsonl'), 'utf8');
    expect((await runSodp(['weights'], trajectories)).code).toBe(0);
    expect(existsSync(join(out, 'adapter', 'adapter_model.safetensors'))).toBe(true);
    const evaluated = await runSodp([
      'eval',
      '--model',
      student,
      '--adapter',
      join(out, 'adapter'),
      '--tasks',
      tasksFile,
      '--n',
      '1',
      '--max-turns',
      '1',
      '--max-tokens',
      '8',
      '--backend',
      'cpu',
    ]);
    expect(evaluated.code).toBe(0);
    const summary = JSON.parse(evaluated.stdout);
    expect(summary).toMatchObject({ n: 1, accuracy: expect.any(Number) });
    // One problem, counted under exactly one outcome.
    expect(Object.values(summary.outcomes).reduce((a: number, b) => a + Number(b), 0)).toBe(1);
  }, 180_000);

  it('explains missing options', async () => {
    const run = await runSodp(['train', '--student', student, '--tasks', tasksFile, '--out', join(work, 'x')]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('method sod needs --teacher DIR');
  });
});
