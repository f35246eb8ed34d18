import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importPeft } from '../engine/peft';
import { parseQwen3Config } from '../engine/config';
import { folderFiles } from '../engine/node-files';
import { createNodeSandbox } from '../tools/node-sandbox';
import { readFileSync } from 'node:fs';
import { parseTasks } from '../agent/tasks/task';
import { defaultTrainingSettings, trainingPlan } from '../agent/training/settings';
import { connectWorkers } from './connect';
import type { WorkerEnvironment } from './engine-host';
import type { StudentProtocol, TeacherProtocol } from './protocols';
import { localClient, type Caller } from '../core/rpc/rpc';
import { studentHandlers } from './student-handlers';
import { teacherHandlers } from './teacher-handlers';

const defaultUpdate = trainingPlan(defaultTrainingSettings, []).update;

const models = new URL('../../public/models/', import.meta.url).pathname;
const tasks = parseTasks(readFileSync(new URL('../../public/tasks/arithmetic-test.jsonl', import.meta.url), 'utf8'));
const env: WorkerEnvironment = { gpu: () => undefined, modelFiles: (source) => folderFiles(source.url) };
const sampling = { temperature: 1, topP: 1, topK: 0, seed: 3, maxNewTokens: 200, stopTokenIds: [], stopStrings: [] };
const limits = { maxTurns: 3, maxTurnTokens: 200 };

/** The student and teacher workers' handlers in this thread, wired exactly as the playground wires its workers. */
describe('the playground workers (CPU, in-thread)', () => {
  const sandbox = createNodeSandbox();
  const student: Caller<StudentProtocol> = localClient(studentHandlers(env));
  const teacher: Caller<TeacherProtocol> = localClient(teacherHandlers(env));
  let disconnect: () => void = () => {};

  beforeAll(async () => {
    disconnect = await connectWorkers(student, teacher, sandbox);
  }, 120_000);
  afterAll(() => {
    disconnect();
    sandbox.dispose();
  });

  it('loads the demo pair on the CPU, with progress, falling back from WebGPU with a reason', async () => {
    const phases = new Set<string>();
    const s = await student.call(
      'load',
      { source: { url: `${models}tiny-qwen3-student`, name: 'tiny-qwen3-student' }, backend: 'webgpu' },
      { onProgress: (p) => phases.add(p.phase) },
    );
    const t = await teacher.call('load', {
      source: { url: `${models}tiny-qwen3-teacher`, name: 'tiny-qwen3-teacher' },
      backend: 'cpu',
    });
    expect(s).toMatchObject({ backend: 'cpu', device: 'CPU', layers: 3, hiddenSize: 128 });
    expect(s.fallback).toMatch(/no WebGPU/);
    expect(t).toMatchObject({ backend: 'cpu', layers: 4 });
    expect(t.fallback).toBeUndefined();
    expect(s.weightBytes).toBe(4 * s.parameters);
    // The plan made before loading agrees with what the engine then holds.
    const planned = (m: typeof s) => m.plan?.parts.find((p) => p.part === 'weights')?.bytes ?? 0;
    expect(Math.abs(s.allocatedBytes - planned(s)) / planned(s)).toBeLessThan(0.1);
    expect(planned(t)).toBe(t.weightBytes);
    expect(s.plan?.parts.map((p) => p.part)).toContain('LoRA');
    expect(t.plan?.parts.map((p) => p.part)).not.toContain('LoRA');
    expect(phases.has('upload')).toBe(true);
  }, 60_000);

  it('rolls out with live tokens, then scores every token with both models', async () => {
    const streamed: string[] = [];
    const trajectories = await student.call(
      'rollout',
      { tasks: tasks.slice(0, 1), groupSize: 2, sampling, limits, score: true },
      { onProgress: (p) => p.kind === 'event' && p.event.kind === 'token' && streamed.push(p.event.text) },
    );
    expect(trajectories).toHaveLength(2);
    for (const t of trajectories) {
      expect(t.tokens).toHaveLength(t.response_ids.length);
      expect(t.teacher_logprobs).toHaveLength(t.response_ids.length);
      expect(t.student_logprobs).toHaveLength(t.response_ids.length);
    }
    const generated = trajectories.reduce((n, t) => n + t.mask.reduce((a, m) => a + m, 0), 0);
    expect(streamed.length).toBe(generated);
  }, 120_000);

  it('lists both models’ top alternatives at every position, as text', async () => {
    const prompt = [1, 2, 3];
    const response = [4, 5];
    const { student: own, teacher: theirs } = await student.call('alternatives', {
      promptIds: prompt,
      responseIds: response,
      k: 3,
    });
    expect(own).toHaveLength(2);
    expect(theirs).toHaveLength(2);
    expect(own[0]).toHaveLength(3);
    expect(typeof own[0][0][0]).toBe('string');
    expect(own[0][0][1]).toBeGreaterThanOrEqual(own[0][1][1]);
  }, 60_000);

  it('runs an SOD update that changes the adapter, evaluates, and exports a PEFT adapter', async () => {
    await student.call('newAdapter', { rank: 4, alpha: 8, learningRate: 1e-2, seed: 1 });
    const before = await student.call('exportAdapter', null);
    const { trajectories, metrics } = await student.call('update', {
      update: 1,
      tasks: tasks.slice(1, 2),
      settings: { ...defaultUpdate, groupSize: 2, sampling, limits },
    });
    expect(trajectories).toHaveLength(2);
    expect(metrics.method).toBe('sod');
    expect(metrics.steps?.steps).toBeGreaterThan(0);
    expect(Number.isFinite(metrics.loss)).toBe(true);
    const after = await student.call('exportAdapter', null);
    const config = parseQwen3Config(JSON.parse(readFileSync(`${models}tiny-qwen3-student/config.json`, 'utf8')));
    const a = await importPeft(JSON.parse(before.config), before.weights, config);
    const b = await importPeft(JSON.parse(after.config), after.weights, config);
    expect(a.layout.config.rank).toBe(4);
    expect(b.params.some((x, i) => x !== a.params[i])).toBe(true);
    const progress: number[] = [];
    const summary = await student.call(
      'evaluate',
      { tasks: tasks.slice(0, 2), limits },
      { onProgress: (p) => progress.push(p.done) },
    );
    expect(summary.n).toBe(2);
    expect(progress).toEqual([1, 2]);
  }, 180_000);

  it("says what each engine holds, and a new run's adapter does not add to it", async () => {
    const held = async () => [
      (await student.call('memory', null)).engineBytes,
      (await teacher.call('memory', null)).engineBytes,
    ];
    const [studentBytes, teacherBytes] = await held();
    expect(studentBytes).toBeGreaterThan(0);
    expect(teacherBytes).toBeGreaterThan(0);
    // A new run's adapter releases what the last one's policy held before holding its own.
    const settings = { rank: 4, alpha: 8, learningRate: 1e-2, seed: 1 };
    const run = async () => {
      await student.call('newAdapter', settings);
      await student.call('update', {
        update: 1,
        tasks: tasks.slice(1, 2),
        settings: { ...defaultUpdate, groupSize: 2, sampling, limits },
      });
      return (await held())[0];
    };
    const first = await run();
    expect(await run()).toBe(first);
  }, 180_000);
});
