import type { StateCreator } from 'zustand';
import { defaultThinking } from '../../agent/thinking';
import { defaultHubEndpoint, modelMetadataFiles, parseHubModelId } from '../../models/hub';
import { modelPresets, presetById } from '../../models/presets';
import { vocabularyMismatch } from '../../models/vocabulary';
import type { LoadProgress, ModelSource } from '../../workers/protocols';
import type { AppStore, StoreServices } from '../app-store';
import { errorMessage, isAbort, isStorageFull } from '../errors';
import type { WeightStorage } from '../../engine/backend';
import { defaultBackend } from '../../engine/default-backend';
import {
  folderPresetId,
  hubPresetId,
  teacherQuantizations,
  type ModelRole,
  type ModelSlot,
  type ModelsSlice,
  type PlanState,
} from './types';

/** How long the settings must rest before the plans are made again. */
export const replanDelayMs = 300;

export const createModelsSlice =
  (services: StoreServices): StateCreator<AppStore, [], [], ModelsSlice> =>
  (set, get) => {
    let loading: AbortController | undefined;
    let replanTimer: ReturnType<typeof setTimeout> | undefined;
    // Replies to an older request (older settings) are dropped.
    let planGeneration = 0;
    const setSlot = (role: ModelRole, patch: Partial<ModelSlot>) => set((s) => ({ [role]: { ...s[role], ...patch } }));
    const setPlan = (role: ModelRole, plan: PlanState | undefined) =>
      set((s) => ({ plans: { ...s.plans, [role]: plan } }));
    // The adapter is known only once requested: until then WebGPU where the page has it.
    if (services.findAdapterName !== undefined)
      void services.findAdapterName().then(
        (name) => get().adapterFound(name),
        () => get().adapterFound(undefined),
      );
    return {
      backend: services.hasWebGpu() ? 'webgpu' : 'cpu',
      hasWebGpu: services.hasWebGpu(),
      backendChosen: false,
      adapterFound(adapterName) {
        if (get().backendChosen) return;
        const { choice, reason } = defaultBackend(adapterName);
        set({ backend: choice, backendReason: reason });
      },
      weights: 'auto',
      teacherQuantization: 'none',
      teacherRuntime: 'engine',
      onnxDtype: 'fp32',
      thinking: defaultThinking,
      // A site built for a mirror (VITE_HF_ENDPOINT, which its Content-Security-Policy allows) starts there.
      hubEndpoint: String(import.meta.env.VITE_HF_ENDPOINT || defaultHubEndpoint),
      student: { presetId: 'demo-student', status: 'empty' },
      teacher: { presetId: 'demo-teacher', status: 'empty' },
      setBackend: (backend) => set({ backend, backendChosen: true }),
      setWeights: (weights) => set({ weights }),
      setTeacherQuantization: (teacherQuantization) => set({ teacherQuantization }),
      setTeacherRuntime: (teacherRuntime) => {
        set({ teacherRuntime });
        setSlot('teacher', { status: 'empty', loaded: undefined, error: undefined });
      },
      setOnnxDtype: (onnxDtype) => {
        set({ onnxDtype });
        setSlot('teacher', { status: 'empty', loaded: undefined, error: undefined });
      },
      setThinking: (thinking) => set({ thinking }),
      setHubId: (role, hubId) =>
        setSlot(role, { hubId, status: 'empty', loaded: undefined, error: undefined, storageFull: undefined }),
      setFolder: (role, folder) =>
        setSlot(role, { folder, status: 'empty', loaded: undefined, error: undefined, storageFull: undefined }),
      setHubEndpoint: (hubEndpoint) => set({ hubEndpoint }),
      plans: {},
      setMemoryBudget: (memoryBudget) => set({ memoryBudget }),
      scheduleReplan() {
        clearTimeout(replanTimer);
        replanTimer = setTimeout(() => void get().replan(), replanDelayMs);
      },
      async replan() {
        clearTimeout(replanTimer);
        const generation = ++planGeneration;
        const { trainingSettings: settings, memoryBudget } = get();
        const request = { settings, ...(memoryBudget !== undefined ? { budgetBytes: memoryBudget } : {}) };
        const planOne = async (role: ModelRole) => {
          // An ONNX teacher has no plan: onnxruntime manages its memory.
          if (get()[role].status !== 'ready' || get()[role].loaded?.onnx !== undefined) return setPlan(role, undefined);
          setPlan(role, { ...get().plans[role], status: 'planning', error: undefined });
          try {
            const client = services.client();
            const reply =
              role === 'student'
                ? await client.student.call('plan', request)
                : await client.teacher.call('plan', request);
            if (generation === planGeneration) setPlan(role, { status: 'ready', reply });
          } catch (err) {
            if (generation === planGeneration)
              setPlan(role, { status: 'failed', error: `No plan for these settings: ${errorMessage(err)}` });
          }
        };
        await Promise.all([planOne('student'), planOne('teacher')]);
      },
      async refreshCache() {
        try {
          const [cachedModels, storage] = await Promise.all([
            services.modelCache.list(),
            services.modelCache.storage(),
          ]);
          set({ cachedModels, storage, cacheError: undefined });
        } catch (err) {
          set({ cacheError: `The model cache could not be read: ${errorMessage(err)}` });
        }
      },
      async deleteCachedModel(repo) {
        try {
          await services.modelCache.remove(repo);
        } catch (err) {
          set({ cacheError: `${repo} could not be deleted: ${errorMessage(err)}` });
          return;
        }
        await get().refreshCache();
      },
      async persistStorage() {
        const persisted = await services.modelCache.persist();
        await get().refreshCache();
        if (!persisted)
          set({
            cacheError: 'The browser did not grant persistent storage: it may clear the cache when space runs low.',
          });
      },
      setPreset: (role, presetId) => {
        const preset = modelPresets.find((p) => p.id === presetId);
        // A preset says what runs it; a Hub id or a folder keeps the runtime chosen.
        if (role === 'teacher' && preset !== undefined)
          set({ teacherRuntime: preset.runtime === 'onnx' ? 'onnx' : 'engine' });
        setSlot(role, {
          presetId,
          status: 'empty',
          loaded: undefined,
          error: undefined,
          progress: undefined,
          storageFull: undefined,
        });
      },
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
        const { backend, thinking, teacherRuntime, onnxDtype } = get();
        const weightsOf = (role: ModelRole): WeightStorage | undefined => {
          const quantized = teacherQuantizations.find((q) => q.id === get().teacherQuantization);
          if (role === 'teacher' && quantized !== undefined && 'storage' in quantized) return quantized.storage;
          const { weights } = get();
          return weights === 'auto' ? undefined : { format: weights };
        };
        const loadOne = async (role: ModelRole) => {
          setSlot(role, {
            status: 'loading',
            error: undefined,
            loaded: undefined,
            progress: undefined,
            files: undefined,
            storageFull: undefined,
          });
          setPlan(role, undefined);
          try {
            const request = {
              source: sourceOf(get()[role], get().hubEndpoint, services.resolveUrl),
              backend,
              thinking,
              ...(weightsOf(role) !== undefined ? { weights: weightsOf(role) } : {}),
              ...(role === 'teacher' && teacherRuntime === 'onnx'
                ? { runtime: { kind: 'onnx' as const, dtype: onnxDtype } }
                : {}),
            };
            const options = {
              signal: controller.signal,
              onProgress: (progress: LoadProgress) =>
                setSlot(role, { progress, ...(progress.files !== undefined ? { files: progress.files } : {}) }),
            };
            const loaded =
              role === 'student'
                ? await client.student.call('load', request, options)
                : await client.teacher.call('load', request, options);
            setSlot(role, {
              status: 'ready',
              loaded,
              engineBytes: loaded.onnx === undefined ? loaded.allocatedBytes : undefined,
            });
          } catch (err) {
            // Only this slot fails: the other role's load goes on, and runs and settings are not touched.
            setSlot(role, {
              status: 'failed',
              error: isAbort(err) ? 'loading was cancelled' : `Could not load the ${role}: ${errorMessage(err)}`,
              storageFull: isStorageFull(err),
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
        const { student, teacher } = get();
        const mismatch =
          student.loaded && teacher.loaded && vocabularyMismatch(student.loaded.vocabulary, teacher.loaded.vocabulary);
        if (mismatch) setSlot('teacher', { status: 'failed', error: `This pair cannot be used: ${mismatch}` });
        // The load planned the default settings; the page shows the Training form's.
        get().scheduleReplan();
        await get().refreshCache();
      },
      async refreshEngineMemory() {
        const client = services.client();
        const ask = async (role: ModelRole) => {
          if (get()[role].status !== 'ready') return;
          try {
            const { engineBytes } =
              role === 'student'
                ? await client.student.call('memory', null)
                : await client.teacher.call('memory', null);
            setSlot(role, { engineBytes });
          } catch {
            // A worker that just failed says so through the call that failed; the figure stays as it was.
          }
        };
        await Promise.all([ask('student'), ask('teacher')]);
      },
    };
  };

/** Where a slot's model comes from: a preset the app serves, or a Hub id through the page's cache. */
function sourceOf(slot: ModelSlot, endpoint: string, resolveUrl: (path: string) => string): ModelSource {
  if (slot.presetId === folderPresetId) {
    if (slot.folder === undefined) throw new Error('choose a model folder first');
    const has = new Set(slot.folder.files.map((f) => f.path));
    const missing = modelMetadataFiles.filter((f) => !has.has(f));
    if (missing.length > 0)
      throw new Error(`the folder ${slot.folder.name} has no ${missing.join(', ')}: pick a Hugging Face model folder`);
    return { url: '', name: slot.folder.name, folder: slot.folder.files };
  }
  const preset = slot.presetId === hubPresetId ? undefined : presetById(slot.presetId);
  if (preset?.path !== undefined) return { url: resolveUrl(preset.path), name: preset.label };
  const text = (preset?.hubId ?? slot.hubId)?.trim() ?? '';
  const id = parseHubModelId(text);
  if (id === undefined)
    throw new Error(`"${text}" is not a Hub model id: write owner/name, or owner/name@revision (e.g. Qwen/Qwen3-0.6B)`);
  return { url: '', name: text, hub: { ...id, endpoint: endpoint.trim().replace(/\/+$/, '') } };
}
