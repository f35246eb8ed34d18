import type { StateCreator } from 'zustand';
import { trajectoriesJsonl } from '../../agent/export';
import type { RolloutProgress } from '../../workers/protocols';
import type { AppStore, StoreServices } from '../app-store';
import { errorMessage, isAbort } from '../errors';
import { modelsReady } from '../models/types';
import type { RolloutSettings, RolloutsSlice } from './types';
import { applyProgress, progressBuffer, waitingTrajectories } from './live';

export const defaultRolloutSettings: RolloutSettings = {
  taskSet: 'arithmetic-test.jsonl',
  first: 0,
  problems: 2,
  groupSize: 2,
  temperature: 1,
  topP: 1,
  maxTurns: 4,
  maxTokens: 256,
  seed: 0,
};

export const createRolloutsSlice =
  (services: StoreServices): StateCreator<AppStore, [], [], RolloutsSlice> =>
  (set, get) => {
    let running: AbortController | undefined;
    return {
      rolloutSettings: defaultRolloutSettings,
      rolloutStatus: 'idle',
      live: [],
      alternatives: { status: 'idle' },
      setRolloutSettings: (patch) => set((s) => ({ rolloutSettings: { ...s.rolloutSettings, ...patch } })),
      stopRollouts() {
        if (running === undefined) return;
        running.abort();
        set({ rolloutStatus: 'stopping' });
      },
      async runRollouts() {
        if (!modelsReady(get())) {
          set({ rolloutError: 'Load a student and a teacher first (Models).' });
          return;
        }
        const settings = get().rolloutSettings;
        const controller = new AbortController();
        running = controller;
        set({ rolloutStatus: 'running', rolloutError: undefined, live: [] });
        try {
          const client = services.client();
          await client.ready();
          const all = await client.tasks(settings.taskSet);
          const tasks = all.slice(settings.first, settings.first + settings.problems);
          if (tasks.length === 0)
            throw new Error(
              `${settings.taskSet} has ${all.length} problems; none from number ${settings.first + 1} on`,
            );
          set({ live: waitingTrajectories(tasks, settings.groupSize) });
          const buffer = progressBuffer((batch: RolloutProgress[]) =>
            set((s) => ({ live: applyProgress(s.live, batch) })),
          );
          await client.student.call(
            'rollout',
            {
              tasks,
              groupSize: settings.groupSize,
              sampling: {
                temperature: settings.temperature,
                topP: settings.topP,
                topK: 0,
                seed: settings.seed,
                maxNewTokens: settings.maxTokens,
                stopTokenIds: [],
                stopStrings: [],
              },
              limits: { maxTurns: settings.maxTurns, maxTurnTokens: settings.maxTokens },
              score: true,
            },
            { signal: controller.signal, onProgress: (p) => buffer.push(p) },
          );
          buffer.flushNow();
        } catch (err) {
          if (!isAbort(err)) set({ rolloutError: errorMessage(err) });
          get().noteWorkerFailure(err);
        } finally {
          running = undefined;
          // Slots never started stay 'waiting'; a stop leaves the finished ones.
          set({ rolloutStatus: 'idle' });
        }
      },
      inspect(trajectories, index, sourceName) {
        get().loadText(trajectoriesJsonl(trajectories), sourceName);
        get().select(index);
        get().setView('inspect');
      },
      async loadAlternatives() {
        const state = get();
        const current = state.trajectories[state.selected];
        if (current === undefined) return;
        const { prompt_ids: promptIds, response_ids: responseIds } = current.record;
        if (
          !Array.isArray(promptIds) ||
          !Array.isArray(responseIds) ||
          !promptIds.every(Number.isInteger) ||
          !responseIds.every(Number.isInteger)
        ) {
          set({
            alternatives: {
              status: 'idle',
              error: 'This trajectory has no prompt_ids and response_ids, so the models cannot list alternatives.',
            },
          });
          return;
        }
        set({ alternatives: { status: 'loading' } });
        try {
          const client = services.client();
          await client.ready();
          const found = await client.student.call('alternatives', {
            promptIds: promptIds.map(Number),
            responseIds: responseIds.map(Number),
            k: 5,
          });
          set((s) => ({
            trajectories: s.trajectories.map((t, i) =>
              i === state.selected
                ? {
                    ...t,
                    record: {
                      ...t.record,
                      student_top: found.student,
                      ...(found.teacher ? { teacher_top: found.teacher } : {}),
                    },
                  }
                : t,
            ),
            alternatives: { status: 'idle' },
          }));
        } catch (err) {
          set({ alternatives: { status: 'idle', error: `Could not compute the alternatives: ${errorMessage(err)}` } });
          get().noteWorkerFailure(err);
        }
      },
    };
  };
