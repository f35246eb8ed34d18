import type { StateCreator } from 'zustand';
import { RunControl, runTraining, type TrainingEvent, type TrainingServices } from '../../agent/training/run';
import {
  defaultTrainingSettings,
  rolloutLimits,
  trainingPlan,
  type TrainingSettings,
} from '../../agent/training/settings';
import { zipFiles } from '../../models/zip';
import type { PlaygroundClient } from '../../workers/playground-workers';
import type { RolloutProgress, StudentProtocol } from '../../workers/protocols';
import { errorMessage, isAbort } from '../errors';
import { modelsReady } from '../models/types';
import { applyProgress, progressBuffer, waitingTrajectories } from '../rollouts/live';
import type { AppStore, StoreServices } from '../app-store';
import type { HeldOutPoint, RunStatus, TrainingRun, TrainingSlice } from './types';

type WorkerUpdate = StudentProtocol['update']['response'];

const phaseNames = { rollout: 'rollouts', score: 'teacher and student scoring', train: 'training step' } as const;

export const createTrainingSlice =
  (services: StoreServices): StateCreator<AppStore, [], [], TrainingSlice> =>
  (set, get) => {
    let control: RunControl | undefined;
    const patchRun = (id: string, patch: Partial<TrainingRun> | ((run: TrainingRun) => Partial<TrainingRun>)) =>
      set((s) => ({
        runs: s.runs.map((r) => (r.id === id ? { ...r, ...(typeof patch === 'function' ? patch(r) : patch) } : r)),
      }));
    const setStatus = (id: string, status: RunStatus) => patchRun(id, { status });
    const activity = (text: string | undefined) => set({ trainingActivity: text });

    /** The driver's updates and evaluations, run by the student worker; its progress drives the live view. */
    const studentWorker = (client: PlaygroundClient, settings: TrainingSettings): TrainingServices<WorkerUpdate> => {
      const limits = rolloutLimits(settings);
      return {
        evaluate: (tasks, signal, onProgress) =>
          client.student.call('evaluate', { tasks: [...tasks], limits }, { signal, onProgress }),
        async update(u, tasks, updateSettings, signal) {
          const total = tasks.length * updateSettings.groupSize;
          let phase = 'rollouts';
          let finished = 0;
          const buffer = progressBuffer((messages: RolloutProgress[]) => {
            for (const m of messages) {
              if (m.kind === 'phase') phase = phaseNames[m.phase];
              if (m.kind === 'trajectory') finished++;
            }
            set((s) => ({ live: applyProgress(s.live, messages) }));
            activity(`update ${u} of ${settings.updates}: ${phase} (${finished}/${total} trajectories)`);
          });
          const result = await client.student.call(
            'update',
            { update: u, tasks: [...tasks], settings: updateSettings },
            { signal, onProgress: (p) => buffer.push(p) },
          );
          buffer.flushNow();
          return result;
        },
      };
    };

    /** What the UI keeps of each event of run `id`. */
    const showEvent = (id: string, settings: TrainingSettings, event: TrainingEvent<WorkerUpdate>) => {
      if (event.kind === 'activity') activity(event.text);
      else if (event.kind === 'update-start') set({ live: waitingTrajectories(event.tasks, settings.groupSize) });
      else if (event.kind === 'update') {
        const { metrics, trajectories } = event.result;
        const numbered = trajectories.map((t) => ({ ...t, update: event.update }));
        patchRun(id, (r) => ({ metrics: [...r.metrics, metrics] }));
        set((s) => ({
          runTrajectories: { ...s.runTrajectories, [id]: [...(s.runTrajectories[id] ?? []), ...numbered] },
        }));
      } else if (event.kind === 'evaluation') {
        const { accuracy, correct, n } = event.summary;
        const point: HeldOutPoint = { update: event.afterUpdate, accuracy, correct, n };
        // Every evaluation is a point of the curve; the before/after card keeps only the two ends.
        patchRun(id, (r) => ({
          curve: [...r.curve, point],
          evaluation: event.when === 'during' ? r.evaluation : { ...r.evaluation, [event.when]: event.summary },
        }));
      }
    };

    return {
      trainingSettings: defaultTrainingSettings,
      runs: [],
      runTrajectories: {},
      setTrainingSettings: (patch) => set((s) => ({ trainingSettings: { ...s.trainingSettings, ...patch } })),
      pauseRun() {
        const run = get().runs.find((r) => r.status === 'running');
        if (run === undefined || control === undefined || control.paused) return;
        control.pause();
        setStatus(run.id, 'paused');
      },
      resumeRun() {
        const run = get().runs.find((r) => r.status === 'paused');
        control?.resume();
        if (run !== undefined) setStatus(run.id, 'running');
      },
      stopRun() {
        control?.stop();
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
        if (control !== undefined) return;
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
              curve: [],
            },
          ],
          runTrajectories: { ...s.runTrajectories, [id]: [] },
        }));
        const run = new RunControl();
        control = run;
        const client = services.client();
        try {
          await client.ready();
          const [train, heldOut] = await Promise.all([
            client.tasks('arithmetic-train.jsonl'),
            client.tasks('arithmetic-test.jsonl'),
          ]);
          await client.student.call('newAdapter', {
            rank: settings.loraRank,
            alpha: 2 * settings.loraRank,
            learningRate: settings.learningRate,
            seed: settings.seed,
          });
          await runTraining(trainingPlan(settings, heldOut), train, studentWorker(client, settings), run, (event) =>
            showEvent(id, settings, event),
          );
          setStatus(id, 'done');
        } catch (err) {
          if (isAbort(err) || run.signal.aborted) setStatus(id, 'stopped');
          else {
            patchRun(id, { status: 'failed', error: errorMessage(err) });
            set({ trainingError: errorMessage(err) });
            get().noteWorkerFailure(err);
          }
        } finally {
          control = undefined;
          activity(undefined);
        }
      },
    };
  };
