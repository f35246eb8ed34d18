import { describe, expect, it } from 'vitest';
import { defaultAdamW } from '../../engine/train';
import { allLoraTargets } from '../../engine/params';
import type { Task } from '../tasks/task';
import { trainingOrder } from '../update';
import {
  checkCheckpointMatches,
  checkpointOrder,
  decodeCheckpoint,
  encodeCheckpoint,
  makeCheckpoint,
  type TrainingCheckpoint,
} from './checkpoint';
import { defaultTrainingSettings } from './settings';

const tasks: Task[] = Array.from({ length: 7 }, (_, i) => ({
  id: `t${i}`,
  question: `q${i}`,
  answer: String(i),
  source: 'test',
}));
const student = {
  name: 'tiny',
  layers: 2,
  hiddenSize: 8,
  intermediateSize: 16,
  numHeads: 2,
  numKvHeads: 1,
  headDim: 4,
  vocabSize: 30,
};
const values = (n: number, k: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * k) / 3);

function checkpoint(): TrainingCheckpoint {
  const settings = { ...defaultTrainingSettings, updates: 5, promptsPerUpdate: 3, seed: 11 };
  return makeCheckpoint({
    update: 3,
    settings,
    adapter: { rank: settings.loraRank, alpha: 16, targets: allLoraTargets },
    sampling: { topP: 1, topK: 0 },
    optimizer: { settings: defaultAdamW, state: { step: 3, m: values(40, 2), v: values(40, 3) } },
    lora: values(40, 1),
    student,
    order: trainingOrder(tasks, settings.seed),
    tasks,
    inputs: { student: '/models/tiny', lr: '3e-4' },
  });
}

async function roundTrip(cp: TrainingCheckpoint, edit: (json: Record<string, unknown>) => void = () => {}) {
  const files = encodeCheckpoint(cp);
  const json = JSON.parse(files.json);
  edit(json);
  return decodeCheckpoint(JSON.stringify(json), 'run/checkpoint/checkpoint.json', async (name) => {
    if (name !== files.tensorFile) throw new Error(`no file ${name}`);
    return files.tensors;
  });
}

describe('training checkpoints', () => {
  it('come back from their two files exactly, tensors bit for bit', async () => {
    const cp = checkpoint();
    const files = encodeCheckpoint(cp);
    expect(files.tensorFile).toBe('update-000003.safetensors');
    expect(JSON.parse(files.json)).toMatchObject({ version: 1, update: 3, tensorFile: files.tensorFile });
    const back = await roundTrip(cp);
    expect(back).toEqual(cp);
    expect(Buffer.from(back.tensors.m.buffer).equals(Buffer.from(cp.tensors.m.buffer))).toBe(true);
    expect(back.prompts.next).toBe((3 * 3) % tasks.length);
    expect(checkpointOrder(back, tasks, 'x')).toEqual(trainingOrder(tasks, 11));
  });

  it('refuse a bad field, another version and a missing tensor file, naming the file and field', async () => {
    const where = 'run/checkpoint/checkpoint.json';
    await expect(roundTrip(checkpoint(), (j) => (j.version = 2))).rejects.toThrow(
      `${where}: version is 2; this build reads checkpoints of version 1`,
    );
    await expect(
      roundTrip(checkpoint(), (j) => {
        const settings = j.settings as Record<string, unknown>;
        delete settings.groupSize;
      }),
    ).rejects.toThrow(`${where}: settings.groupSize is missing`);
    await expect(
      roundTrip(checkpoint(), (j) => ((j.prompts as Record<string, unknown>).order = [0, 1, 99])),
    ).rejects.toThrow(`${where}: prompts.order[2] is 99, not an index of the 7 tasks`);
    await expect(
      roundTrip(checkpoint(), (j) => ((j.adapter as Record<string, unknown>).parameters = 41)),
    ).rejects.toThrow('tensor lora is F32 [40], expected F32 [41] (adapter.parameters)');
    await expect(
      roundTrip(checkpoint(), (j) => ((j.update = 2), (j.tensorFile = 'update-000002.safetensors'))),
    ).rejects.toThrow(
      `${where}: its tensor file update-000002.safetensors cannot be read (no file update-000002.safetensors)`,
    );
  });

  it('refuse another student, other settings and another task set', () => {
    const cp = checkpoint();
    expect(() => checkCheckpointMatches(cp, { student: { ...student, hiddenSize: 16 } }, 'f')).toThrow(
      'f: student.hiddenSize is 8 but the student loaded has 16: the checkpoint belongs to another run',
    );
    expect(() => checkCheckpointMatches(cp, { settings: { ...cp.settings, loraRank: 4 } }, 'f')).toThrow(
      'f: settings.loraRank is 8 but this run asks for 4',
    );
    expect(() => checkCheckpointMatches(cp, { parameters: 80 }, 'f')).toThrow('adapter.parameters is 40');
    expect(() => checkCheckpointMatches(cp, { student, settings: cp.settings, parameters: 40 }, 'f')).not.toThrow();
    const changed = tasks.map((t, i) => (i === 2 ? { ...t, answer: '9' } : t));
    expect(() => checkpointOrder(cp, changed, 'f')).toThrow(/prompts\.digest: the training set .* is not the one/);
  });
});
