/**
 * A training checkpoint: everything a run needs to go on after update `update` exactly as it
 * would have gone on uninterrupted. It is two files, so that the same bytes serve the CLI (a
 * folder), the page (IndexedDB) and a run's export (a zip):
 *
 * - `checkpoint.json`: the version, the update, the settings, the student it belongs to, the
 *   optimizer's step count, the prompt order and where in it the next update starts, the
 *   random streams' seeds and the front end's inputs, and the name of the tensor file;
 * - the tensor file (`update-000003.safetensors`): the LoRA parameters and AdamW's m and v, F32.
 *
 * The tensor file is named by its update, so a writer can put it down first and replace
 * `checkpoint.json` last: the JSON is the commit point, and a kill between the two leaves the
 * previous checkpoint whole.
 */
import type { AdamWSettings } from '../../engine/backend';
import type { Qwen3Config } from '../../engine/config';
import { loraLayout, type LoraLayout } from '../../engine/lora';
import { exportPeft, type PeftAdapterFiles } from '../../engine/peft';
import { allLoraTargets, type LoraTarget } from '../../engine/params';
import { SafetensorsFile, writeSafetensors } from '../../engine/safetensors';
import type { OptimizerState } from '../../engine/train';
import { methods } from '../../sod/advantages';
import type { Task } from '../tasks/task';
import { trainingShuffleSeed } from '../update';
import type { TrainingSettings } from './settings';

/** Bumped when a field changes meaning; a reader refuses any other. */
export const checkpointVersion = 1;

export const checkpointJsonName = 'checkpoint.json';

/** The student an adapter belongs to: its name and the dimensions its LoRA layout depends on. */
export interface CheckpointStudent {
  /** The model as the front end named it (a folder, a Hub id, a preset's name). */
  name: string;
  layers: number;
  hiddenSize: number;
  intermediateSize: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  vocabSize: number;
}

export interface TrainingCheckpoint {
  version: typeof checkpointVersion;
  /** Updates finished (1-based): the run goes on with update `update + 1`. */
  update: number;
  settings: TrainingSettings;
  /** The adapter's shape: rank and alpha, the projections adapted and its parameter count. */
  adapter: { rank: number; alpha: number; targets: LoraTarget[]; parameters: number };
  /** Sampling beyond the settings (the CLI's --top-p and --top-k; 1 and 0 on the page). */
  sampling: { topP: number; topK: number };
  optimizer: { settings: AdamWSettings; step: number };
  student: CheckpointStudent;
  prompts: {
    /** The run's prompt order: indices into the training task set (`trainingOrder`'s shuffle). */
    order: number[];
    /** Where in `order` update `update + 1` takes its first prompt. */
    next: number;
    /** The training task set's size and digest: a changed set is refused, not silently reordered. */
    tasks: number;
    digest: string;
  };
  /**
   * The run's random streams. The prompt order is shuffled once, from mulberry32(`shuffle`), and
   * kept above as its result; rollout i of update u samples from a stream of its own,
   * mulberry32(`sampling` + 7919·u + 104729·i) (`rolloutSeed`), so nothing of them carries from
   * one update to the next and the next update's streams follow from this seed and `update`;
   * `adapterInit` seeded the adapter's first A matrices, whose trained values are in the tensors.
   */
  random: { shuffle: number; sampling: number; adapterInit: number };
  /** How the front end named its inputs (the CLI's flags; the page's models and task files), compared on resume. */
  inputs: Record<string, string>;
  /** The trained adapter and the optimizer's moments (`parameters` values each). */
  tensors: { lora: Float32Array; m: Float32Array; v: Float32Array };
}

/** A checkpoint as files: `checkpoint.json` and the tensor file it names. */
export interface CheckpointFiles {
  json: string;
  tensorFile: string;
  tensors: Uint8Array<ArrayBuffer>;
}

export class CheckpointError extends Error {
  override name = 'CheckpointError';
}

/** The dimensions of a student config that a checkpoint records. */
export function checkpointStudent(name: string, c: Qwen3Config): CheckpointStudent {
  return {
    name,
    layers: c.numLayers,
    hiddenSize: c.hiddenSize,
    intermediateSize: c.intermediateSize,
    numHeads: c.numHeads,
    numKvHeads: c.numKvHeads,
    headDim: c.headDim,
    vocabSize: c.vocabSize,
  };
}

/** FNV-1a (32 bits) of a task set's ids, questions and answers, as hex. */
export function tasksDigest(tasks: readonly Task[]): string {
  let h = 0x811c9dc5;
  const text = JSON.stringify(tasks.map((t) => [t.id, t.question, t.answer]));
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

/** The prompt order as indices into `tasks` (the order holds the task objects themselves). */
export function orderIndices(order: readonly Task[], tasks: readonly Task[]): number[] {
  const index = new Map(tasks.map((t, i) => [t, i]));
  return order.map((t) => {
    const i = index.get(t);
    if (i === undefined) throw new Error(`task ${t.id} of the prompt order is not in the training set`);
    return i;
  });
}

/** A checkpoint's prompt order as tasks of `tasks`, after checking that the set is the one it was made from. */
export function checkpointOrder(cp: TrainingCheckpoint, tasks: readonly Task[], where: string): Task[] {
  if (tasks.length !== cp.prompts.tasks || tasksDigest(tasks) !== cp.prompts.digest)
    throw new CheckpointError(
      `${where}: prompts.digest: the training set (${tasks.length} tasks, digest ${tasksDigest(tasks)}) is not the one ` +
        `the run started with (${cp.prompts.tasks} tasks, digest ${cp.prompts.digest}); resume with the same task file`,
    );
  return cp.prompts.order.map((i) => tasks[i]);
}

/** The tensor file of update `update`. */
export function tensorFileName(update: number): string {
  return `update-${String(update).padStart(6, '0')}.safetensors`;
}

/** The two files of a checkpoint. */
export function encodeCheckpoint(cp: TrainingCheckpoint): CheckpointFiles {
  const { tensors, ...rest } = cp;
  const tensorFile = tensorFileName(cp.update);
  const bytes = writeSafetensors(
    Object.fromEntries(
      (['lora', 'm', 'v'] as const).map((name) => [name, { shape: [tensors[name].length], data: tensors[name] }]),
    ),
    { metadata: { format: 'sodp-checkpoint', update: String(cp.update) } },
  );
  // One field per line, but the prompt order (an index per task) on one.
  const json = JSON.stringify({ ...rest, prompts: { ...rest.prompts, order: '@order' }, tensorFile }, null, 2).replace(
    '"@order"',
    JSON.stringify(rest.prompts.order),
  );
  return { json: `${json}\n`, tensorFile, tensors: bytes };
}

/**
 * Reads `checkpoint.json` (its text) and the tensor file it names (`readTensors(name)`), checking
 * every field; an error names `where` (the file, as the person knows it) and the field.
 */
export async function decodeCheckpoint(
  json: string,
  where: string,
  readTensors: (file: string) => Promise<Blob | Uint8Array>,
): Promise<TrainingCheckpoint> {
  const fail = (field: string, problem: string) => new CheckpointError(`${where}: ${field} ${problem}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (err) {
    throw new CheckpointError(`${where}: not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  const root = new Fields(parsed, '', fail);
  const version = root.number('version');
  if (version !== checkpointVersion)
    throw fail('version', `is ${version}; this build reads checkpoints of version ${checkpointVersion}`);
  const update = root.integer('update', 1);

  const s = root.object('settings');
  const method = s.string('method');
  const knownMethod = methods.find((m) => m === method);
  if (knownMethod === undefined)
    throw fail('settings.method', `is ${JSON.stringify(method)}, not one of ${methods.join(', ')}`);
  const settings: TrainingSettings = {
    method: knownMethod,
    updates: s.integer('updates', 1),
    learningRate: s.number('learningRate'),
    loraRank: s.integer('loraRank', 1),
    promptsPerUpdate: s.integer('promptsPerUpdate', 1),
    groupSize: s.integer('groupSize', 1),
    ppoEpochs: s.integer('ppoEpochs', 1),
    ppoMiniBatchSize: s.integer('ppoMiniBatchSize', 1),
    maxTokens: s.integer('maxTokens', 1),
    maxTurns: s.integer('maxTurns', 1),
    temperature: s.number('temperature'),
    epsilon: s.number('epsilon'),
    delta: s.number('delta'),
    coef: s.number('coef'),
    evalProblems: s.integer('evalProblems', 0),
    evalEvery: s.integer('evalEvery', 0),
    seed: s.number('seed'),
  };
  if (update > settings.updates) throw fail('update', `is ${update}, beyond the run's ${settings.updates} updates`);

  const a = root.object('adapter');
  const targets = a.array('targets').map((t, i) => {
    const target = allLoraTargets.find((name) => name === t);
    if (target === undefined) throw fail(`adapter.targets[${i}]`, `is ${JSON.stringify(t)}, not a Qwen3 projection`);
    return target;
  });
  const adapter = {
    rank: a.integer('rank', 1),
    alpha: a.number('alpha'),
    targets,
    parameters: a.integer('parameters', 1),
  };
  if (adapter.rank !== settings.loraRank)
    throw fail('adapter.rank', `is ${adapter.rank} but settings.loraRank is ${settings.loraRank}`);

  const sp = root.object('sampling');
  const o = root.object('optimizer');
  const os = o.object('settings');
  const optimizer = {
    settings: {
      lr: os.number('lr'),
      beta1: os.number('beta1'),
      beta2: os.number('beta2'),
      eps: os.number('eps'),
      weightDecay: os.number('weightDecay'),
      maxGradNorm: os.number('maxGradNorm'),
    },
    step: o.integer('step', 0),
  };
  const st = root.object('student');
  const student: CheckpointStudent = {
    name: st.string('name'),
    layers: st.integer('layers', 1),
    hiddenSize: st.integer('hiddenSize', 1),
    intermediateSize: st.integer('intermediateSize', 1),
    numHeads: st.integer('numHeads', 1),
    numKvHeads: st.integer('numKvHeads', 1),
    headDim: st.integer('headDim', 1),
    vocabSize: st.integer('vocabSize', 1),
  };
  const p = root.object('prompts');
  const taskCount = p.integer('tasks', 1);
  const order = p.array('order').map((v, i) => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= taskCount)
      throw fail(`prompts.order[${i}]`, `is ${JSON.stringify(v)}, not an index of the ${taskCount} tasks`);
    return v;
  });
  if (order.length !== taskCount) throw fail('prompts.order', `holds ${order.length} indices for ${taskCount} tasks`);
  const prompts = { order, next: p.integer('next', 0), tasks: taskCount, digest: p.string('digest') };
  const r = root.object('random');
  const random = { shuffle: r.number('shuffle'), sampling: r.number('sampling'), adapterInit: r.number('adapterInit') };
  const inputs = root.object('inputs').strings();
  const tensorFile = root.string('tensorFile');
  if (tensorFile !== tensorFileName(update))
    throw fail('tensorFile', `is ${JSON.stringify(tensorFile)}, expected ${tensorFileName(update)}`);

  let file: SafetensorsFile;
  try {
    const bytes = await readTensors(tensorFile);
    file = await SafetensorsFile.open(bytes, tensorFile);
  } catch (err) {
    throw new CheckpointError(
      `${where}: its tensor file ${tensorFile} cannot be read (${err instanceof Error ? err.message : String(err)})`,
    );
  }
  const tensor = async (name: 'lora' | 'm' | 'v') => {
    const info = file.tensors.get(name);
    if (info === undefined) throw new CheckpointError(`${where}: ${tensorFile} has no tensor ${name}`);
    if (info.dtype !== 'F32' || info.shape.length !== 1 || info.shape[0] !== adapter.parameters)
      throw new CheckpointError(
        `${where}: ${tensorFile}: tensor ${name} is ${info.dtype} [${info.shape.join(', ')}], expected F32 [${adapter.parameters}] (adapter.parameters)`,
      );
    return file.read(name);
  };
  return {
    version: checkpointVersion,
    update,
    settings,
    adapter,
    sampling: { topP: sp.number('topP'), topK: sp.number('topK') },
    optimizer,
    student,
    prompts,
    random,
    inputs,
    tensors: { lora: await tensor('lora'), m: await tensor('m'), v: await tensor('v') },
  };
}

/** What a checkpoint is resumed with: each given part must be the checkpoint's. */
export interface CheckpointExpectation {
  student?: CheckpointStudent;
  /** The adapter's parameter count for the loaded student and the checkpoint's rank and targets. */
  parameters?: number;
  settings?: TrainingSettings;
  optimizer?: AdamWSettings;
  inputs?: Record<string, string>;
}

/** Refuses, field by field, a recorded part of a checkpoint that differs from what this run has. */
function compareFields(where: string, part: string, recorded: object, ours: object | undefined, what: string): void {
  if (ours === undefined) return;
  const theirs = new Map(Object.entries(recorded));
  for (const [key, value] of Object.entries(ours))
    if (theirs.get(key) !== value)
      throw new CheckpointError(
        `${where}: ${part}.${key} is ${JSON.stringify(theirs.get(key))} but ${what} ${JSON.stringify(value)}: the checkpoint belongs to another run`,
      );
}

/** Refuses a checkpoint's student when it is not the one loaded (another name or other dimensions). */
export function checkSameStudent(recorded: CheckpointStudent, loaded: CheckpointStudent, where: string): void {
  compareFields(where, 'student', recorded, loaded, 'the student loaded has');
}

/** Refuses a checkpoint taken with another student, other settings or other inputs, naming the field. */
export function checkCheckpointMatches(cp: TrainingCheckpoint, expected: CheckpointExpectation, where: string): void {
  if (expected.student !== undefined) checkSameStudent(cp.student, expected.student, where);
  if (expected.parameters !== undefined)
    compareFields(
      where,
      'adapter',
      cp.adapter,
      { parameters: expected.parameters },
      'the loaded student’s adapter has',
    );
  compareFields(where, 'settings', cp.settings, expected.settings, 'this run asks for');
  compareFields(where, 'optimizer.settings', cp.optimizer.settings, expected.optimizer, 'this run’s optimizer has');
  compareFields(where, 'inputs', cp.inputs, expected.inputs, 'this run has');
}

/** What a checkpoint is made of, as a front end holds it after update `update`. */
export interface CheckpointParts {
  update: number;
  settings: TrainingSettings;
  adapter: { rank: number; alpha: number; targets: readonly LoraTarget[] };
  sampling: { topP: number; topK: number };
  optimizer: { settings: AdamWSettings; state: OptimizerState };
  lora: Float32Array;
  student: CheckpointStudent;
  /** The run's prompt order (runTraining's 'checkpoint' event) and its training set. */
  order: readonly Task[];
  tasks: readonly Task[];
  inputs: Record<string, string>;
}

/** A checkpoint of these parts; the random streams' seeds are the settings' as `trainingPlan` uses them. */
export function makeCheckpoint(p: CheckpointParts): TrainingCheckpoint {
  const s = p.settings;
  return {
    version: checkpointVersion,
    update: p.update,
    settings: { ...s },
    adapter: {
      rank: p.adapter.rank,
      alpha: p.adapter.alpha,
      targets: [...p.adapter.targets],
      parameters: p.lora.length,
    },
    sampling: { ...p.sampling },
    optimizer: { settings: { ...p.optimizer.settings }, step: p.optimizer.state.step },
    student: { ...p.student },
    prompts: {
      order: orderIndices(p.order, p.tasks),
      next: (p.update * s.promptsPerUpdate) % p.order.length,
      tasks: p.tasks.length,
      digest: tasksDigest(p.tasks),
    },
    random: { shuffle: trainingShuffleSeed(s.seed), sampling: s.seed, adapterInit: s.seed },
    inputs: { ...p.inputs },
    tensors: { lora: p.lora, m: p.optimizer.state.m, v: p.optimizer.state.v },
  };
}

/**
 * The checkpoint's adapter as a PEFT folder's two files, without the student at hand: the
 * layout depends only on the dimensions the checkpoint records (the rest of the config is
 * filled with values the layout never reads).
 */
export function checkpointPeft(cp: TrainingCheckpoint): PeftAdapterFiles {
  const s = cp.student;
  const config: Qwen3Config = {
    hiddenSize: s.hiddenSize,
    intermediateSize: s.intermediateSize,
    numLayers: s.layers,
    numHeads: s.numHeads,
    numKvHeads: s.numKvHeads,
    headDim: s.headDim,
    vocabSize: s.vocabSize,
    rmsNormEps: 1e-6,
    ropeTheta: 1e6,
    tieWordEmbeddings: true,
    maxPositionEmbeddings: 0,
    torchDtype: 'float32',
  };
  const layout: LoraLayout = loraLayout(config, {
    rank: cp.adapter.rank,
    alpha: cp.adapter.alpha,
    targets: cp.adapter.targets,
  });
  if (layout.size !== cp.adapter.parameters)
    throw new CheckpointError(
      `adapter.parameters is ${cp.adapter.parameters}, but rank ${cp.adapter.rank} on the student recorded needs ${layout.size}`,
    );
  return exportPeft(layout, cp.tensors.lora, s.name);
}

/** The optimizer state of a checkpoint, as the trainer loads it. */
export function checkpointOptimizerState(cp: TrainingCheckpoint): OptimizerState {
  return { step: cp.optimizer.step, m: cp.tensors.m, v: cp.tensors.v };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Typed reads of one JSON object's fields, each failure naming the field's path. */
class Fields {
  private readonly record: Record<string, unknown>;

  constructor(
    value: unknown,
    private readonly path: string,
    private readonly fail: (field: string, problem: string) => Error,
  ) {
    if (!isRecord(value)) throw fail(path === '' ? 'the file' : path, 'is not a JSON object');
    this.record = value;
  }

  private name(key: string): string {
    return this.path === '' ? key : `${this.path}.${key}`;
  }

  private get(key: string): unknown {
    if (!(key in this.record)) throw this.fail(this.name(key), 'is missing');
    return this.record[key];
  }

  number(key: string): number {
    const v = this.get(key);
    if (typeof v !== 'number' || !Number.isFinite(v))
      throw this.fail(this.name(key), `must be a finite number, got ${JSON.stringify(v)}`);
    return v;
  }

  integer(key: string, min: number): number {
    const v = this.number(key);
    if (!Number.isInteger(v) || v < min) throw this.fail(this.name(key), `must be a whole number ≥ ${min}, got ${v}`);
    return v;
  }

  string(key: string): string {
    const v = this.get(key);
    if (typeof v !== 'string') throw this.fail(this.name(key), `must be a string, got ${JSON.stringify(v)}`);
    return v;
  }

  array(key: string): unknown[] {
    const v = this.get(key);
    if (!Array.isArray(v)) throw this.fail(this.name(key), `must be a list, got ${JSON.stringify(v)}`);
    return v;
  }

  object(key: string): Fields {
    return new Fields(this.get(key), this.name(key), this.fail);
  }

  /** Every field, each a string. */
  strings(): Record<string, string> {
    return Object.fromEntries(
      Object.entries(this.record).map(([k, v]) => {
        if (typeof v !== 'string') throw this.fail(this.name(k), `must be a string, got ${JSON.stringify(v)}`);
        return [k, v];
      }),
    );
  }
}
