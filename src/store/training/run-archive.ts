/**
 * A whole page run in one ZIP, laid out like the folder `sodp train --out` writes, so the
 * files read the same way:
 *
 *   run.json                 the run as the page keeps it: label, settings, status, evaluations, curve
 *   metrics.jsonl            one line per update
 *   trajectories.jsonl       every scored trajectory, with its update (readable by `sodp weights`)
 *   adapter/                 the adapter at the checkpoint, a PEFT folder
 *   checkpoint/              checkpoint.json and its tensor file, to resume the run after importing it
 *
 * Reading it back gives the same run, trajectories and checkpoint bytes.
 */
import { checkpointJsonName, checkpointPeft, decodeCheckpoint } from '../../agent/training/checkpoint';
import { defaultTrainingSettings, type TrainingSettings } from '../../agent/training/settings';
import type { UpdateMetrics } from '../../agent/update';
import { unzipFiles, zipFiles, type ZipEntry } from '../../models/zip';
import type { PlaygroundTrajectory } from '../../workers/protocols';
import type { CheckpointedRun, StoredCheckpoint } from './checkpoints';
import type { TrainingRun } from './types';

export interface RunArchive {
  run: TrainingRun;
  trajectories: PlaygroundTrajectory[];
  checkpoint?: StoredCheckpoint;
}

const format = 'sodp-playground-run';
const version = 1;

/** The run's record in run.json: everything but its metrics, which are metrics.jsonl. */
type RunRecord = Omit<TrainingRun, 'metrics'>;

const jsonl = (values: readonly unknown[]) =>
  new TextEncoder().encode(values.map((v) => `${JSON.stringify(v)}\n`).join(''));

/** The ZIP of a run: its record, metrics, trajectories (each with its update) and, when it has one, its checkpoint and adapter. */
export async function writeRunArchive(archive: RunArchive): Promise<Uint8Array<ArrayBuffer>> {
  const { metrics, ...record } = archive.run;
  const encoder = new TextEncoder();
  const files: ZipEntry[] = [
    { path: 'run.json', data: encoder.encode(`${JSON.stringify({ format, version, run: record }, null, 2)}\n`) },
    { path: 'metrics.jsonl', data: jsonl(metrics) },
    { path: 'trajectories.jsonl', data: jsonl(archive.trajectories) },
  ];
  const stored = archive.checkpoint;
  if (stored !== undefined) {
    const { json, tensorFile, tensors } = stored.files;
    const checkpoint = await decodeCheckpoint(json, `the checkpoint of ${archive.run.label}`, async () => tensors);
    const peft = checkpointPeft(checkpoint);
    files.push(
      {
        path: 'adapter/adapter_config.json',
        data: encoder.encode(JSON.stringify(peft['adapter_config.json'], null, 2)),
      },
      { path: 'adapter/adapter_model.safetensors', data: peft['adapter_model.safetensors'] },
      { path: `checkpoint/${checkpointJsonName}`, data: encoder.encode(json) },
      { path: `checkpoint/${tensorFile}`, data: tensors },
      // The page's own record of the checkpoint (which run state it covers).
      {
        path: 'checkpoint/run.json',
        data: encoder.encode(JSON.stringify({ update: stored.update, run: stored.run }, null, 2)),
      },
    );
  }
  return zipFiles(files);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The JSON objects of a JSONL file of the archive. */
function lines(text: string, where: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l, i) => {
      let value: unknown;
      try {
        value = JSON.parse(l);
      } catch (err) {
        throw new Error(`${where} line ${i + 1}: not valid JSON (${err instanceof Error ? err.message : String(err)})`);
      }
      if (!isRecord(value)) throw new Error(`${where} line ${i + 1}: expected a JSON object`);
      return value;
    });
}

function isMetrics(value: Record<string, unknown>): value is Record<string, unknown> & UpdateMetrics {
  return typeof value.update === 'number' && typeof value.loss === 'number' && typeof value.trajectories === 'number';
}

function isTrajectory(value: Record<string, unknown>): value is Record<string, unknown> & PlaygroundTrajectory {
  return Array.isArray(value.response_ids) && Array.isArray(value.mask) && Array.isArray(value.tokens);
}

function isRunRecord(value: unknown): value is RunRecord {
  return (
    isRecord(value) &&
    typeof value.id === 'string' &&
    typeof value.label === 'string' &&
    typeof value.status === 'string' &&
    isRecord(value.settings) &&
    isRecord(value.evaluation) &&
    Array.isArray(value.curve)
  );
}

function isCheckpointedRun(value: unknown): value is CheckpointedRun {
  return (
    isRecord(value) &&
    typeof value.label === 'string' &&
    isRecord(value.settings) &&
    isRecord(value.evaluation) &&
    Array.isArray(value.curve) &&
    Array.isArray(value.metrics) &&
    value.metrics.every((m: unknown) => isRecord(m) && isMetrics(m))
  );
}

/** Reads a run's ZIP back; `name` (the file) is named in every error. */
export async function readRunArchive(bytes: Uint8Array, name: string): Promise<RunArchive> {
  const files = new Map(unzipFiles(bytes, name).map((f) => [f.path, f.data]));
  const decoder = new TextDecoder();
  const text = (path: string) => {
    const data = files.get(path);
    if (data === undefined) throw new Error(`${name}: ${path} is missing: not a run exported by the playground`);
    return decoder.decode(data);
  };
  const head: unknown = JSON.parse(text('run.json'));
  if (!isRecord(head) || head.format !== format)
    throw new Error(
      `${name}: run.json is not a playground run (format ${isRecord(head) ? JSON.stringify(head.format) : '?'})`,
    );
  if (head.version !== version)
    throw new Error(
      `${name}: run.json has version ${JSON.stringify(head.version)}; this build reads version ${version}`,
    );
  if (!isRunRecord(head.run))
    throw new Error(`${name}: run.json: run lacks its id, label, status, settings or evaluations`);
  const metrics = lines(text('metrics.jsonl'), `${name}: metrics.jsonl`).map((m, i) => {
    if (!isMetrics(m)) throw new Error(`${name}: metrics.jsonl line ${i + 1}: not an update's metrics`);
    return m;
  });
  const trajectories = lines(text('trajectories.jsonl'), `${name}: trajectories.jsonl`).map((t, i) => {
    if (!isTrajectory(t)) throw new Error(`${name}: trajectories.jsonl line ${i + 1}: not a trajectory`);
    return t;
  });
  const settings: TrainingSettings = { ...defaultTrainingSettings, ...head.run.settings };
  const run: TrainingRun = { ...head.run, settings, metrics };

  let checkpoint: StoredCheckpoint | undefined;
  const json = files.get(`checkpoint/${checkpointJsonName}`);
  if (json !== undefined) {
    const where = `${name}: checkpoint/${checkpointJsonName}`;
    const jsonText = decoder.decode(json);
    let tensorFile = '';
    // Every field checked, and the tensor file read, before anything is kept.
    await decodeCheckpoint(jsonText, where, async (file) => {
      tensorFile = file;
      const data = files.get(`checkpoint/${file}`);
      if (data === undefined) throw new Error(`checkpoint/${file} is missing`);
      return data;
    });
    const tensors = files.get(`checkpoint/${tensorFile}`) ?? new Uint8Array(0);
    const page: unknown = JSON.parse(text('checkpoint/run.json'));
    if (!isRecord(page) || typeof page.update !== 'number' || !isCheckpointedRun(page.run))
      throw new Error(`${name}: checkpoint/run.json lacks the update or the run it covers`);
    checkpoint = {
      runId: run.id,
      update: page.update,
      files: { json: jsonText, tensorFile, tensors: Uint8Array.from(tensors) },
      run: { ...page.run, id: run.id, settings: { ...defaultTrainingSettings, ...page.run.settings } },
    };
  }
  return { run, trajectories, ...(checkpoint !== undefined ? { checkpoint } : {}) };
}
