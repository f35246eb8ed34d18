/**
 * Where the page keeps its runs' checkpoints: IndexedDB (a database of its own, apart from
 * the saved UI state), a Map in tests. A run's checkpoint is one record, replaced after every
 * update, holding the checkpoint's two files and the run as it stood then (settings, metrics,
 * evaluations); the trajectories are kept by update, apart, each written once. A save writes
 * the record and the new updates' trajectories in one transaction, so a reload, a crash or a
 * full disk leaves the previous checkpoint whole.
 */
import type { CheckpointFiles } from '../../agent/training/checkpoint';
import { formatBytes } from '../../core/format-bytes';
import { browserStorageEstimate, freeStorageBytes, isQuotaError } from '../../models/storage-full';
import type { PlaygroundTrajectory } from '../../workers/protocols';
import type { TrainingRun } from './types';

/** What a checkpoint keeps of the run (its trajectories are stored by update, apart). */
export type CheckpointedRun = Pick<TrainingRun, 'id' | 'label' | 'settings' | 'metrics' | 'evaluation' | 'curve'>;

export interface StoredCheckpoint {
  runId: string;
  /** Updates the checkpoint covers. */
  update: number;
  files: CheckpointFiles;
  run: CheckpointedRun;
}

export interface CheckpointStore {
  /**
   * Replaces run `checkpoint.runId`'s checkpoint and adds the trajectories of the updates it
   * covers that are not stored yet (by update), all or nothing.
   */
  save(checkpoint: StoredCheckpoint, trajectories: ReadonlyMap<number, PlaygroundTrajectory[]>): Promise<void>;
  load(runId: string): Promise<StoredCheckpoint | undefined>;
  /** The trajectories of update `update` of a run, as saved. */
  trajectories(runId: string, update: number): Promise<PlaygroundTrajectory[] | undefined>;
  /** Every stored run's id and the update its checkpoint covers. */
  list(): Promise<{ runId: string; update: number }[]>;
  /** Forgets a run's checkpoint and trajectories. */
  remove(runId: string): Promise<void>;
}

/** The bytes a save adds, roughly: what to tell a person whose storage is full. */
export function checkpointBytes(
  checkpoint: StoredCheckpoint,
  trajectories: ReadonlyMap<number, PlaygroundTrajectory[]>,
): number {
  let text = checkpoint.files.json.length + JSON.stringify(checkpoint.run).length;
  for (const list of trajectories.values()) text += JSON.stringify(list).length;
  return checkpoint.files.tensors.byteLength + 2 * text;
}

/**
 * The browser's storage ran out while a run's checkpoint was saved. The checkpoint before it
 * is kept, the run goes on, and this says what to delete to make room.
 */
export class CheckpointStorageFullError extends Error {
  override name = 'CheckpointStorageFullError';

  constructor(
    readonly details: {
      run: string;
      update: number;
      neededBytes: number;
      freeBytes: number | undefined;
      /** The update the checkpoint still kept covers (0: none). */
      kept: number;
    },
  ) {
    const d = details;
    const free =
      d.freeBytes === undefined ? '' : `; the browser reports ${formatBytes(d.freeBytes)} free for this site`;
    const kept =
      d.kept > 0
        ? `Its checkpoint after update ${d.kept} is kept, so it can still be resumed from there.`
        : 'It has no checkpoint yet.'; // the run's metrics stay on the page all the same
    super(
      `This browser's storage is full: the checkpoint of ${d.run} after update ${d.update} (about ${formatBytes(d.neededBytes)}) was not saved${free}. ` +
        `The run goes on and its charts keep every update. ${kept} ` +
        'To make room, remove runs you no longer need (Remove run), delete cached models under "Models in this browser", or let the site keep its storage (persistent storage).',
    );
  }
}

/** A save's error as the person should read it: a full disk says what to delete. */
export async function checkpointSaveError(
  err: unknown,
  details: { run: string; update: number; neededBytes: number; kept: number },
): Promise<Error> {
  if (!isQuotaError(err)) return err instanceof Error ? err : new Error(String(err));
  const estimate = browserStorageEstimate();
  const freeBytes = estimate === undefined ? undefined : await freeStorageBytes(estimate);
  return new CheckpointStorageFullError({ ...details, freeBytes });
}

/** Checkpoints in memory (tests): a quota (`setQuota`) makes a save that would pass it fail as a full browser's does. */
export function memoryCheckpointStore(): CheckpointStore & {
  usedBytes(): number;
  setQuota(bytes: number | undefined): void;
} {
  let quotaBytes: number | undefined;
  const heads = new Map<string, StoredCheckpoint>();
  const updates = new Map<string, PlaygroundTrajectory[]>();
  const sizes = new Map<string, number>();
  const used = () => [...sizes.values()].reduce((a, b) => a + b, 0);
  return {
    usedBytes: used,
    setQuota(bytes) {
      quotaBytes = bytes;
    },
    async save(checkpoint, trajectories) {
      const key = `${checkpoint.runId}/head`;
      const headBytes = checkpointBytes(checkpoint, new Map());
      const added = checkpointBytes(checkpoint, trajectories) - (sizes.get(key) ?? 0);
      if (quotaBytes !== undefined && used() + added > quotaBytes)
        throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      // Copies, as IndexedDB's structured clone makes them.
      heads.set(checkpoint.runId, structuredClone(checkpoint));
      sizes.set(key, headBytes);
      for (const [u, list] of trajectories) {
        updates.set(`${checkpoint.runId}/${u}`, structuredClone(list));
        sizes.set(`${checkpoint.runId}/${u}`, JSON.stringify(list).length * 2);
      }
    },
    async load(runId) {
      const head = heads.get(runId);
      return head === undefined ? undefined : structuredClone(head);
    },
    async trajectories(runId, update) {
      const list = updates.get(`${runId}/${update}`);
      return list === undefined ? undefined : structuredClone(list);
    },
    async list() {
      return [...heads.values()].map((h) => ({ runId: h.runId, update: h.update }));
    },
    async remove(runId) {
      heads.delete(runId);
      for (const key of [...updates.keys(), ...sizes.keys()])
        if (key.startsWith(`${runId}/`)) {
          updates.delete(key);
          sizes.delete(key);
        }
    },
  };
}

/** Checkpoints in IndexedDB: store `heads` by run id, store `trajectories` by `runId/update`. */
export function indexedDbCheckpointStore(dbName = 'sod-playground-checkpoints'): CheckpointStore {
  let db: Promise<IDBDatabase> | undefined;
  const open = () =>
    (db ??= new Promise<IDBDatabase>((resolve, reject) => {
      const request = indexedDB.open(dbName, 1);
      request.onupgradeneeded = () => {
        request.result.createObjectStore('heads');
        request.result.createObjectStore('trajectories');
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error ?? new Error(`IndexedDB ${dbName} could not be opened`));
    }));
  /** Runs `act` in one transaction and settles when it commits (or aborts: a full disk aborts it). */
  const transact = async <T>(
    mode: IDBTransactionMode,
    act: (heads: IDBObjectStore, trajectories: IDBObjectStore) => IDBRequest<T> | undefined,
  ): Promise<T | undefined> => {
    const tx = (await open()).transaction(['heads', 'trajectories'], mode);
    const request = act(tx.objectStore('heads'), tx.objectStore('trajectories'));
    return new Promise<T | undefined>((resolve, reject) => {
      tx.oncomplete = () => resolve(request?.result);
      tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
      tx.onerror = () => reject(tx.error ?? new Error('IndexedDB transaction failed'));
    });
  };
  const range = (runId: string) => IDBKeyRange.bound(`${runId}/`, `${runId}/\uffff`);
  return {
    async save(checkpoint, trajectories) {
      await transact('readwrite', (heads, stored) => {
        for (const [u, list] of trajectories) stored.put(list, `${checkpoint.runId}/${u}`);
        return heads.put(checkpoint, checkpoint.runId);
      });
    },
    async load(runId) {
      const value: unknown = await transact('readonly', (heads) => heads.get(runId));
      return isStoredCheckpoint(value) ? value : undefined;
    },
    async trajectories(runId, update) {
      const value: unknown = await transact('readonly', (_heads, stored) => stored.get(`${runId}/${update}`));
      return isTrajectoryList(value) ? value : undefined;
    },
    async list() {
      const values: unknown = await transact('readonly', (heads) => heads.getAll());
      return (Array.isArray(values) ? values : [])
        .filter(isStoredCheckpoint)
        .map((h) => ({ runId: h.runId, update: h.update }));
    },
    async remove(runId) {
      await transact('readwrite', (heads, stored) => {
        stored.delete(range(runId));
        return heads.delete(runId);
      });
    },
  };
}

/** Written by save from PlaygroundTrajectory lists, which the structured clone keeps as they were. */
function isTrajectoryList(value: unknown): value is PlaygroundTrajectory[] {
  return (
    Array.isArray(value) &&
    value.every(
      (t: unknown) =>
        typeof t === 'object' && t !== null && 'response_ids' in t && Array.isArray(t.response_ids) && 'tokens' in t,
    )
  );
}

function isStoredCheckpoint(value: unknown): value is StoredCheckpoint {
  return (
    typeof value === 'object' &&
    value !== null &&
    'runId' in value &&
    typeof value.runId === 'string' &&
    'update' in value &&
    typeof value.update === 'number' &&
    'files' in value &&
    'run' in value
  );
}
