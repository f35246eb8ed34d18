/**
 * What the user made survives a reload (docs/architecture.md, "Saving and restoring"): run settings, every run's
 * metrics and trajectories, and the inspector's file and controls are saved to IndexedDB
 * a moment after they change (so after each complete update) and restored on start.
 * Models, live rollouts and the adapter's weights live in the workers and are not saved.
 */
import type { StoreApi } from 'zustand';
import { defaultTrainingSettings, type TrainingSettings } from '../agent/training/settings';
import type { AppStore } from './app-store';
import type { TrainingRun } from './training/types';

/** Where saved state goes: IndexedDB in the page, a Map in tests. */
export interface KeyValueStore {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string): Promise<void>;
}

const key = 'sodp-playground-state';
const version = 1;

/** The parts of the store that are saved, by name. */
const savedKeys = [
  'trainingSettings',
  'rolloutSettings',
  'runs',
  'runTrajectories',
  'explain',
  'sourceText',
  'sourceName',
  'settings',
  'selected',
] as const;
type SavedKey = (typeof savedKeys)[number];
type Saved = Pick<AppStore, SavedKey>;

/**
 * What an earlier build of this same version may have saved: runs without a held-out curve and
 * settings without the fields added since (PPO epochs and mini-batch, evaluate every).
 */
type SavedRun = Omit<TrainingRun, 'curve' | 'settings'> & {
  curve?: TrainingRun['curve'];
  settings: Partial<TrainingSettings>;
};
type SavedState = Omit<Partial<Saved>, 'runs' | 'trainingSettings'> & {
  runs?: SavedRun[];
  trainingSettings?: Partial<TrainingSettings>;
};

/** A saved run as the UI needs it now; an active run comes back stopped. */
function restoreRun(r: SavedRun): TrainingRun {
  // A run saved before the PPO fields existed took one optimizer step over its whole batch and
  // evaluated only before and after; say so rather than show it with today's defaults.
  const settings: TrainingSettings = {
    ...defaultTrainingSettings,
    ppoEpochs: 1,
    ppoMiniBatchSize: r.settings.promptsPerUpdate ?? defaultTrainingSettings.promptsPerUpdate,
    evalEvery: 0,
    ...r.settings,
  };
  const restored: TrainingRun = { ...r, settings, curve: r.curve ?? [] };
  return r.status === 'running' || r.status === 'paused'
    ? { ...restored, status: 'stopped', error: 'the page was closed during this run' }
    : restored;
}

function pickSaved(s: AppStore): Saved {
  return {
    trainingSettings: s.trainingSettings,
    rolloutSettings: s.rolloutSettings,
    runs: s.runs,
    runTrajectories: s.runTrajectories,
    explain: s.explain,
    sourceText: s.sourceText,
    sourceName: s.sourceName,
    settings: s.settings,
    selected: s.selected,
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Restores saved state into `store`; a run that was active when the page closed comes back stopped. */
export function restoreInto(store: StoreApi<AppStore>, text: string): void {
  const parsed: unknown = JSON.parse(text);
  if (!isRecord(parsed) || parsed.version !== version || !isRecord(parsed.state))
    throw new Error(`saved state has an unknown format (version ${isRecord(parsed) ? String(parsed.version) : '?'})`);
  if (
    !Array.isArray(parsed.state.runs) ||
    !isRecord(parsed.state.runTrajectories) ||
    !isRecord(parsed.state.trainingSettings)
  )
    throw new Error('saved state lacks its runs or settings');
  // Written by pickSaved of this same version (checked above), so its fields are taken as they are,
  // except those added since, which may be missing (SavedState) and get their defaults.
  const state = parsed.state as SavedState;
  store.setState({
    ...state,
    trainingSettings: { ...defaultTrainingSettings, ...state.trainingSettings },
    runs: (state.runs ?? []).map(restoreRun),
  });
  const { sourceText, sourceName } = store.getState();
  if (sourceText !== '' && sourceName !== null) {
    const selected = store.getState().selected;
    store.getState().loadText(sourceText, sourceName);
    store.getState().select(selected);
  }
}

/**
 * Restores the saved state, then saves whenever a saved part changes (at most every `delayMs`).
 * A state that cannot be restored is reported and kept under a backup key, never thrown away.
 */
export async function persistStore(
  store: StoreApi<AppStore>,
  kv: KeyValueStore,
  options: { delayMs?: number; onError?: (message: string) => void } = {},
): Promise<() => void> {
  const report = options.onError ?? (() => {});
  const text = await kv.get(key).catch((err: unknown) => {
    report(`saved runs could not be read: ${err instanceof Error ? err.message : String(err)}`);
    return undefined;
  });
  if (text !== undefined) {
    try {
      restoreInto(store, text);
    } catch (err) {
      report(
        `saved runs could not be restored (${err instanceof Error ? err.message : String(err)}); they were kept as ${key}-backup`,
      );
      await kv.set(`${key}-backup`, text).catch(() => undefined);
    }
  }
  let last = pickSaved(store.getState());
  let timer: ReturnType<typeof setTimeout> | undefined;
  const save = () => {
    timer = undefined;
    kv.set(key, JSON.stringify({ version, state: last })).catch((err: unknown) =>
      report(`runs could not be saved: ${err instanceof Error ? err.message : String(err)}`),
    );
  };
  const unsubscribe = store.subscribe((s) => {
    const now = pickSaved(s);
    // Live tokens change the store many times a second; only saved parts trigger a write.
    if (savedKeys.every((k) => now[k] === last[k])) return;
    last = now;
    timer ??= setTimeout(save, options.delayMs ?? 500);
  });
  return () => {
    unsubscribe();
    if (timer !== undefined) {
      clearTimeout(timer);
      save();
    }
  };
}

/** A KeyValueStore on one IndexedDB object store. */
export function indexedDbStore(dbName = 'sod-playground'): KeyValueStore {
  const open = () =>
    new Promise<IDBDatabase>((resolve, reject) => {
      const request = indexedDB.open(dbName, 1);
      request.onupgradeneeded = () => request.result.createObjectStore('kv');
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error ?? new Error(`IndexedDB ${dbName} could not be opened`));
    });
  let db: Promise<IDBDatabase> | undefined;
  const run = async <T>(mode: IDBTransactionMode, act: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> => {
    const store = (await (db ??= open())).transaction('kv', mode).objectStore('kv');
    return new Promise<T>((resolve, reject) => {
      const request = act(store);
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error ?? new Error('IndexedDB request failed'));
    });
  };
  return {
    async get(k) {
      const value: unknown = await run('readonly', (s) => s.get(k));
      return typeof value === 'string' ? value : undefined;
    },
    async set(k, value) {
      await run('readwrite', (s) => s.put(value, k));
    },
  };
}
