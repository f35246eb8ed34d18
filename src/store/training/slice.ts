import type { StateCreator } from 'zustand';
import { promptsForUpdate, trainingOrder } from '../../agent/update';
import { zipFiles } from '../../models/zip';
import { defaultPpoSettings } from '../../sod/loss';
import type { PlaygroundTrajectory, RolloutProgress } from '../../workers/protocols';
import { errorMessage, isAbort, modelsReady } from '../models/slice';
import { applyProgress, progressBuffer, waitingTrajectories } from '../rollouts/live';
import type { AppStore, StoreServices } from '../store';
import type { RunStatus, TrainingRun, TrainingSettings } from './types';

export interface TrainingState {
  trainingSettings: TrainingSettings;
  runs: TrainingRun[];
  /** Every scored trajectory of each run, by run id (for export and the inspector). */
  runTrajectories: Record<string, PlaygroundTrajectory[]>;
  /** What the active run is doing now, in words ("update 2 of 5: rollouts 3/8"). */
  trainingActivity?: string;
  trainingError?: string;
}

export interface TrainingActions {
  setTrainingSettings(patch: Partial<TrainingSettings>): void;
  /** Starts a run from the loaded student with a fresh adapter; the runs before it stay on the charts. */
  startRun(): Promise<void>;
  /** Takes effect after the update in progress. */
  pauseRun(): void;
  resumeRun(): void;
  /** Cancels the update in progress; finished updates and the adapter stay. */
  stopRun(): void;
  removeRun(id: string): void;
  /** The student's current adapter (the latest run's) as a zipped PEFT folder. */
  adapterZip(): Promise<Uint8Array<ArrayBuffer>>;
}

export type TrainingSlice = TrainingState & TrainingActions;

export const defaultTrainingSettings: TrainingSettings = {
  method: 'sod',
  updates: 5,
  learningRate: 1e-3,
  loraRank: 8,
  promptsPerUpdate: 2,
  groupSize: 2,
  maxTokens: 256,
  maxTurns: 4,
  temperature: 1,
  epsilon: 1e-6,
  delta: 0.2,
  coef: 1,
  evalProblems: 4,
  seed: 0,
};

export const createTrainingSlice =
  (services: StoreServices): StateCreator<AppStore, [], [], TrainingSlice> =>
  (set, get) => {
    let controller: AbortController | undefined;
    let paused: { promise: Promise<void>; resume: () => void } | undefined;
    const patchRun = (id: string, patch: Partial<TrainingRun> | ((run: TrainingRun) => Partial<TrainingRun>)) =>
      set((s) => ({
        runs: s.runs.map((r) => (r.id === id ? { ...r, ...(typeof patch === 'function' ? patch(r) : patch) } : r)),
      }));
    const setStatus = (id: string, status: RunStatus) => patchRun(id, { status });

    return {
      trainingSettings: defaultTrainingSettings,
      runs: [],
      runTrajectories: {},
      setTrainingSettings: (patch) => set((s) => ({ trainingSettings: { ...s.trainingSettings, ...patch } })),
      pauseRun() {
        const run = get().runs.find((r) => r.status === 'running');
        if (run === undefined || paused !== undefined) return;
        let resume = () => {};
        const promise = new Promise<void>((r) => (resume = r));
        paused = { promise, resume };
        setStatus(run.id, 'paused');
      },
      resumeRun() {
        const run = get().runs.find((r) => r.status === 'paused');
        paused?.resume();
        paused = undefined;
        if (run !== undefined) setStatus(run.id, 'running');
      },
      stopRun() {
        controller?.abort();
        paused?.resume();
        paused = undefined;
      },
      removeRun(id) {
        if (get().runs.find((r) => r.id === id)?.status === 'running') return;
        set((s) => {
          const { [id]: _removed, ...rest } = s.runTrajectories;
          return { runs: s.runs.filter((r) => r.id !== id), runTrajectories: rest };
        });
      },
      async adapterZip() {
        const client = services.client();
        await client.ready();
        const { config, weights } = await client.student.call('exportAdapter', null);
        return zipFiles([
          { path: 'adapter/adapter_config.json', data: new TextEncoder().encode(config) },
          { path: 'adapter/adapter_model.safetensors', data: weights },
        ]);
      },
      async startRun() {
        if (controller !== undefined) return;
        if (!modelsReady(get())) {
          set({ trainingError: 'Load a student and a teacher first (Models).' });
          return;
        }
        const settings = get().trainingSettings;
        const number = get().runs.length + 1;
        const id = `run-${Date.now()}-${number}`;
        set((s) => ({
          trainingError: undefined,
          runs: [
            ...s.runs,
            {
              id,
              label: `${settings.method.toUpperCase()} #${number}`,
              settings,
              status: 'running',
              metrics: [],
              evaluation: {},
            },
          ],
          runTrajectories: { ...s.runTrajectories, [id]: [] },
        }));
        const run = new AbortController();
        controller = run;
        const client = services.client();
        const limits = { maxTurns: settings.maxTurns, maxTurnTokens: settings.maxTokens };
        const activity = (text: string | undefined) => set({ trainingActivity: text });
        try {
          await client.ready();
          const [train, heldOut] = await Promise.all([
            client.tasks('arithmetic-train.jsonl'),
            client.tasks('arithmetic-test.jsonl'),
          ]);
          const order = trainingOrder(train, settings.seed);
          const evalTasks = heldOut.slice(0, settings.evalProblems);
          const evaluate = async (when: 'before' | 'after') => {
            if (evalTasks.length === 0) return;
            activity(`evaluating ${when} training: 0 of ${evalTasks.length} held-out problems`);
            const summary = await client.student.call(
              'evaluate',
              { tasks: evalTasks, limits },
              {
                signal: run.signal,
                onProgress: (p) =>
                  activity(
                    `evaluating ${when} training: ${p.done} of ${p.total} held-out problems, ${p.correct} right`,
                  ),
              },
            );
            patchRun(id, (r) => ({ evaluation: { ...r.evaluation, [when]: summary } }));
          };
          await client.student.call('newAdapter', {
            rank: settings.loraRank,
            alpha: 2 * settings.loraRank,
            learningRate: settings.learningRate,
            seed: settings.seed,
          });
          await evaluate('before');
          for (let u = 1; u <= settings.updates; u++) {
            if (paused !== undefined) {
              activity(`paused after update ${u - 1} of ${settings.updates}`);
              await paused.promise;
            }
            run.signal.throwIfAborted();
            const batch = promptsForUpdate(order, u, settings.promptsPerUpdate);
            set({ live: waitingTrajectories(batch, settings.groupSize) });
            const total = batch.length * settings.groupSize;
            let phase = 'rollouts';
            let finished = 0;
            const buffer = progressBuffer((messages: RolloutProgress[]) => {
              for (const m of messages) {
                if (m.kind === 'phase')
                  phase =
                    m.phase === 'rollout'
                      ? 'rollouts'
                      : m.phase === 'score'
                        ? 'teacher and student scoring'
                        : 'training step';
                if (m.kind === 'trajectory') finished++;
              }
              set((s) => ({ live: applyProgress(s.live, messages) }));
              activity(`update ${u} of ${settings.updates}: ${phase} (${finished}/${total} trajectories)`);
            });
            activity(`update ${u} of ${settings.updates}: rollouts (0/${total} trajectories)`);
            const { trajectories, metrics } = await client.student.call(
              'update',
              {
                update: u,
                tasks: batch,
                settings: {
                  method: settings.method,
                  groupSize: settings.groupSize,
                  sampling: {
                    temperature: settings.temperature,
                    topP: 1,
                    topK: 0,
                    seed: settings.seed,
                    maxNewTokens: settings.maxTokens,
                    stopTokenIds: [],
                    stopStrings: [],
                  },
                  limits,
                  step: { epsilon: settings.epsilon, delta: settings.delta, coef: settings.coef },
                  ppo: defaultPpoSettings,
                },
              },
              { signal: run.signal, onProgress: (p) => buffer.push(p) },
            );
            buffer.flushNow();
            if (!Number.isFinite(metrics.loss))
              throw new Error(
                `update ${u} gave a non-finite loss (${metrics.loss}); lower the learning rate and start a new run`,
              );
            patchRun(id, (r) => ({ metrics: [...r.metrics, metrics] }));
            set((s) => ({
              runTrajectories: {
                ...s.runTrajectories,
                [id]: [...(s.runTrajectories[id] ?? []), ...trajectories.map((t) => ({ ...t, update: u }))],
              },
            }));
          }
          await evaluate('after');
          setStatus(id, 'done');
        } catch (err) {
          if (isAbort(err) || run.signal.aborted) setStatus(id, 'stopped');
          else {
            patchRun(id, { status: 'failed', error: errorMessage(err) });
            set({ trainingError: errorMessage(err) });
            get().noteWorkerFailure(err);
          }
        } finally {
          controller = undefined;
          paused = undefined;
          activity(undefined);
        }
      },
    };
  };
