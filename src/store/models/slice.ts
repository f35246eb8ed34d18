import type { StateCreator } from 'zustand';
import { defaultThinking } from '../../agent/chat';
import { presetById } from '../../models/presets';
import type { LoadProgress } from '../../workers/protocols';
import type { AppStore, StoreServices } from '../app-store';
import { errorMessage, isAbort } from '../errors';
import type { ModelRole, ModelSlot, ModelsSlice } from './types';

export const createModelsSlice =
  (services: StoreServices): StateCreator<AppStore, [], [], ModelsSlice> =>
  (set, get) => {
    let loading: AbortController | undefined;
    const setSlot = (role: ModelRole, patch: Partial<ModelSlot>) => set((s) => ({ [role]: { ...s[role], ...patch } }));
    return {
      backend: services.hasWebGpu() ? 'webgpu' : 'cpu',
      hasWebGpu: services.hasWebGpu(),
      thinking: defaultThinking,
      student: { presetId: 'demo-student', status: 'empty' },
      teacher: { presetId: 'demo-teacher', status: 'empty' },
      setBackend: (backend) => set({ backend }),
      setThinking: (thinking) => set({ thinking }),
      setPreset: (role, presetId) =>
        setSlot(role, { presetId, status: 'empty', loaded: undefined, error: undefined, progress: undefined }),
      cancelLoad: () => loading?.abort(),
      noteWorkerFailure(err) {
        if (!(err instanceof Error) || err.name !== 'WorkerCrashedError') return;
        for (const role of ['student', 'teacher'] as const) {
          if (err.message.includes(`${role} engine`))
            setSlot(role, {
              status: 'failed',
              loaded: undefined,
              progress: undefined,
              error: `${err.message}. Its model is gone: load the models again.`,
            });
        }
      },
      async loadModels() {
        loading?.abort();
        const controller = new AbortController();
        loading = controller;
        const client = services.client();
        const { backend, thinking } = get();
        const loadOne = async (role: ModelRole) => {
          const preset = presetById(get()[role].presetId);
          setSlot(role, { status: 'loading', error: undefined, loaded: undefined, progress: undefined });
          try {
            const request = {
              source: { url: services.resolveUrl(preset.path), name: preset.label },
              backend,
              thinking,
            };
            const options = {
              signal: controller.signal,
              onProgress: (progress: LoadProgress) => setSlot(role, { progress }),
            };
            const loaded =
              role === 'student'
                ? await client.student.call('load', request, options)
                : await client.teacher.call('load', request, options);
            setSlot(role, { status: 'ready', loaded });
          } catch (err) {
            setSlot(role, {
              status: 'failed',
              error: isAbort(err) ? 'loading was cancelled' : `Could not load the ${role}: ${errorMessage(err)}`,
            });
          }
        };
        try {
          await client.ready();
        } catch (err) {
          for (const role of ['student', 'teacher'] as const)
            setSlot(role, { status: 'failed', error: `The workers could not start: ${errorMessage(err)}` });
          return;
        }
        await Promise.all([loadOne('student'), loadOne('teacher')]);
        if (loading === controller) loading = undefined;
      },
    };
  };
