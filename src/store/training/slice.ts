import type { StateCreator } from 'zustand';
import {
  checkCheckpointMatches,
  checkpointOrder,
  decodeCheckpoint,
  encodeCheckpoint,
  makeCheckpoint,
} from '../../agent/training/checkpoint';
import {
  RunControl,
  runTraining,
  type TrainingEvent,
  type TrainingServices,
  type TrainingStart,
} from '../../agent/training/run';
import {
  defaultTrainingSettings,
  rolloutLimits,
  trainingPlan,
  type TrainingSettings,
} from '../../agent/training/settings';
import { zipFiles } from '../../models/zip';
import type { PlaygroundClient } from '../../workers/playground-workers';
import type { Task } from '../../agent/tasks/task';
import type { PlaygroundTrajectory, RolloutProgress, StudentProtocol } from '../../workers/protocols';
import { errorMessage, isAbort } from '../errors';
import { modelsReady } from '../models/types';
import { applyProgress, progressBuffer, waitingTrajectories } from '../rollouts/live';
import type { AppStore, StoreServices } from '../app-store';
import { checkpointBytes, checkpointSaveError, type CheckpointedRun } from './checkpoints';
import { readRunArchive, writeRunArchive } from './run-archive';
import type { HeldOutPoint, RunStatus, TrainingRun, TrainingSlice } from './types';

type WorkerUpdate = StudentProtocol['update']['response'];

const phaseNames = { rollout: 'rollouts', score: 'teacher and student scoring', train: 'training step' } as const;

/** The task files of the page's runs. */
const trainFile = 'arithmetic-train.jsonl';
const heldOutFile = 'arithmetic-test.jsonl';

/** A run's trajectories by update: each update's are the next `metrics.trajectories` of the list. */
function trajectoriesByUpdate(
  run: TrainingRun,
  all: readonly PlaygroundTrajectory[],
  from: number,
  to: number,
): Map<number, PlaygroundTrajectory[]> {
  const byUpdate = new Map<number, PlaygroundTrajectory[]>();
  let at = 0;
  for (const m of run.metrics) {
    if (m.update > from && m.update <= to) byUpdate.set(m.update, all.slice(at, at + m.trajectories));
    at += m.trajectories;
  }
  return byUpdate;
}

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
          await get().refreshEngineMemory();
          return result;
        },
      };
    };

    /** The update each run's stored trajectories reach (saved with its checkpoints). */
    const storedThrough = new Map<string, number>();

    /** What identifies a page run's inputs: a resume must find the same models, backend and task files. */
    const runInputs = (): Record<string, string> => {
      const { student, teacher, thinking } = get();
      return {
        student: student.loaded?.name ?? '',
        teacher: teacher.loaded?.name ?? '',
        backend: student.loaded?.backend ?? '',
        weights: student.loaded?.weights.format ?? '',
        teacherBackend: teacher.loaded?.backend ?? '',
        teacherWeights: teacher.loaded?.weights.format ?? '',
        teacherRuntime: teacher.loaded?.onnx === undefined ? 'engine' : `onnx ${teacher.loaded.onnx.dtype}`,
        thinking: String(thinking),
        tasks: trainFile,
        heldOut: heldOutFile,
      };
    };

    /**
     * Saves run `id`'s checkpoint after update `update`, with the trajectories not stored yet. A
     * failed save (a full disk) keeps the previous checkpoint and the run goes on; the run says why.
     */
    const saveCheckpoint = async (
      id: string,
      settings: TrainingSettings,
      update: number,
      order: readonly Task[],
      train: readonly Task[],
    ) => {
      const client = services.client();
      const state = await client.student.call('trainingState', null);
      const checkpoint = makeCheckpoint({
        update,
        settings,
        adapter: state.adapter,
        sampling: { topP: 1, topK: 0 },
        optimizer: state.optimizer,
        lora: state.lora,
        student: state.student,
        order,
        tasks: train,
        inputs: runInputs(),
      });
      const run = get().runs.find((r) => r.id === id);
      if (run === undefined) return;
      const stored: CheckpointedRun = {
        id: run.id,
        label: run.label,
        settings: run.settings,
        metrics: run.metrics,
        evaluation: run.evaluation,
        curve: run.curve,
      };
      const from = storedThrough.get(id) ?? 0;
      const trajectories = trajectoriesByUpdate(run, get().runTrajectories[id] ?? [], from, update);
      const head = { runId: id, update, files: encodeCheckpoint(checkpoint), run: stored };
      try {
        await services.checkpoints.save(head, trajectories);
        storedThrough.set(id, update);
        patchRun(id, { checkpoint: update, checkpointError: undefined });
      } catch (err) {
        const reported = await checkpointSaveError(err, {
          run: run.label,
          update,
          neededBytes: checkpointBytes(head, trajectories),
          kept: run.checkpoint ?? 0,
        });
        patchRun(id, { checkpointError: reported.message });
      }
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

    /**
     * Runs run `id` (already in the list, status 'running') to its end: `prepare` readies the
     * student's adapter and says where the run starts (undefined: at the beginning).
     */
    const drive = async (
      id: string,
      settings: TrainingSettings,
      prepare: (client: ReturnType<StoreServices['client']>, train: Task[]) => Promise<TrainingStart | undefined>,
    ) => {
      const run = new RunControl();
      control = run;
      const client = services.client();
      try {
        await client.ready();
        const [train, heldOut] = await Promise.all([client.tasks(trainFile), client.tasks(heldOutFile)]);
        const start = await prepare(client, train);
        await runTraining(
          trainingPlan(settings, heldOut),
          train,
          studentWorker(client, settings),
          run,
          (event) =>
            event.kind === 'checkpoint'
              ? saveCheckpoint(id, settings, event.update, event.order, train)
              : showEvent(id, settings, event),
          start,
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
        storedThrough.delete(id);
        void services.checkpoints.remove(id).catch(() => undefined);
        set((s) => {
          const { [id]: _removed, ...rest } = s.runTrajectories;
          return { runs: s.runs.filter((r) => r.id !== id), runTrajectories: rest };
        });
      },
      async runArchive(id) {
        const run = get().runs.find((r) => r.id === id);
        if (run === undefined) throw new Error(`no run ${id}`);
        const checkpoint = await services.checkpoints.load(id);
        return writeRunArchive({
          run,
          trajectories: get().runTrajectories[id] ?? [],
          ...(checkpoint !== undefined ? { checkpoint } : {}),
        });
      },
      async importRun(bytes, fileName) {
        try {
          const archive = await readRunArchive(bytes, fileName);
          // The same run imported twice, or into the page it came from, stays two runs.
          const taken = get().runs.some((r) => r.id === archive.run.id);
          const id = taken ? `${archive.run.id}-imported-${Date.now()}` : archive.run.id;
          const active = archive.run.status === 'running' || archive.run.status === 'paused';
          const { checkpoint: _recorded, ...rest } = archive.run;
          const run: TrainingRun = {
            ...rest,
            id,
            ...(archive.checkpoint !== undefined ? { checkpoint: archive.checkpoint.update } : {}),
            ...(active ? { status: 'stopped', error: 'the run was exported while it ran' } : {}),
          };
          if (archive.checkpoint !== undefined) {
            const stored = { ...archive.checkpoint, runId: id, run: { ...archive.checkpoint.run, id } };
            const byUpdate = trajectoriesByUpdate(
              { ...run, metrics: stored.run.metrics },
              archive.trajectories,
              0,
              stored.update,
            );
            await services.checkpoints.save(stored, byUpdate);
            storedThrough.set(id, stored.update);
          }
          set((s) => ({
            trainingError: undefined,
            runs: [...s.runs, run],
            runTrajectories: { ...s.runTrajectories, [id]: archive.trajectories },
          }));
        } catch (err) {
          set({ trainingError: `${fileName} could not be imported: ${errorMessage(err)}` });
        }
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
        await drive(id, settings, async (client) => {
          await client.student.call('newAdapter', {
            rank: settings.loraRank,
            alpha: 2 * settings.loraRank,
            learningRate: settings.learningRate,
            seed: settings.seed,
          });
          return undefined;
        });
      },
      async refreshCheckpoints() {
        const stored = await services.checkpoints.list().catch(() => []);
        const found = new Map(stored.map((c) => [c.runId, c.update]));
        const missing = stored.filter((c) => !get().runs.some((r) => r.id === c.runId));
        // A run whose saved page state was lost but whose checkpoint was kept comes back from it.
        const recovered: TrainingRun[] = [];
        for (const { runId } of missing) {
          const head = await services.checkpoints.load(runId).catch(() => undefined);
          if (head !== undefined)
            recovered.push({ ...head.run, status: 'stopped', error: 'the page was closed during this run' });
        }
        set((s) => ({
          runs: [...s.runs, ...recovered].map((r) =>
            found.get(r.id) === r.checkpoint ? r : { ...r, checkpoint: found.get(r.id) },
          ),
          runTrajectories: Object.fromEntries([
            ...Object.entries(s.runTrajectories),
            ...recovered.map((r): [string, PlaygroundTrajectory[]] => [r.id, []]),
          ]),
        }));
      },
      async resumeFromCheckpoint(id) {
        if (control !== undefined) return;
        if (!modelsReady(get())) {
          set({ trainingError: 'Load the student and the teacher the run was started with first (Models).' });
          return;
        }
        const run = get().runs.find((r) => r.id === id);
        if (run === undefined) return;
        const where = `the checkpoint of ${run.label}`;
        let head: Awaited<ReturnType<typeof services.checkpoints.load>>;
        try {
          head = await services.checkpoints.load(id);
          if (head === undefined) throw new Error(`${run.label} has no saved checkpoint to resume from`);
        } catch (err) {
          set({ trainingError: errorMessage(err) });
          return;
        }
        const { files, update } = head;
        const saved = head.run;
        // The run as it stood at its checkpoint; whatever came after it is done again.
        set((s) => ({
          trainingError: undefined,
          runs: s.runs.map((r) =>
            r.id === id
              ? {
                  ...r,
                  ...saved,
                  status: 'running',
                  error: undefined,
                  checkpoint: update,
                  checkpointError: undefined,
                }
              : r,
          ),
        }));
        await drive(id, saved.settings, async (client, train) => {
          const checkpoint = await decodeCheckpoint(files.json, where, async () => files.tensors);
          checkCheckpointMatches(checkpoint, { settings: saved.settings, inputs: runInputs() }, where);
          const order = checkpointOrder(checkpoint, train, where);
          const trajectories: PlaygroundTrajectory[] = [];
          for (let u = 1; u <= update; u++) {
            const list = await services.checkpoints.trajectories(id, u);
            if (list === undefined) throw new Error(`${where}: the trajectories of update ${u} are missing`);
            trajectories.push(...list);
          }
          set((s) => ({ runTrajectories: { ...s.runTrajectories, [id]: trajectories } }));
          storedThrough.set(id, update);
          await client.student.call('restoreAdapter', {
            adapter: {
              rank: checkpoint.adapter.rank,
              alpha: checkpoint.adapter.alpha,
              learningRate: checkpoint.optimizer.settings.lr,
              seed: checkpoint.random.adapterInit,
            },
            student: checkpoint.student,
            lora: checkpoint.tensors.lora,
            optimizer: { step: checkpoint.optimizer.step, m: checkpoint.tensors.m, v: checkpoint.tensors.v },
            where,
          });
          return { afterUpdate: update, order };
        });
      },
    };
  };
