import { describe, expect, it } from 'vitest';
import { memoryCheckpointStore } from '../training/checkpoints';
import type { LoadProgress, LoadRequest } from '../../workers/protocols';
import type { StoreServices } from '../app-store';
import { createAppStore } from '../store';
import { fakeModelCache } from '../../../tests/support/fake-model-cache';
import { loadedModel } from '../../../tests/support/loaded-model';

const loaded = loadedModel();

/** Services whose workers record each load request and answer at once. */
function recordingServices(requests: LoadRequest[], modelCache = fakeModelCache()): StoreServices {
  const call = async (_method: string, request: LoadRequest) => {
    requests.push(request);
    return loaded;
  };
  const client = { student: { call }, teacher: { call }, ready: async () => {}, tasks: async () => [] };
  return {
    client: () => client,
    hasWebGpu: () => false,
    resolveUrl: (p) => p,
    modelCache,
    checkpoints: memoryCheckpointStore(),
  };
}

describe('loading models', () => {
  it('sends the thinking mode with the load requests: on by default, then as set', async () => {
    const requests: LoadRequest[] = [];
    const store = createAppStore(recordingServices(requests));
    await store.getState().loadModels();
    expect(requests.map((r) => r.thinking)).toEqual([true, true]);
    store.getState().setThinking(false);
    await store.getState().loadModels();
    expect(requests.slice(2).map((r) => r.thinking)).toEqual([false, false]);
  });

  it('leaves the weight format to the worker unless one is chosen', async () => {
    const requests: LoadRequest[] = [];
    const store = createAppStore(recordingServices(requests));
    await store.getState().loadModels();
    expect(requests.map((r) => r.weights)).toEqual([undefined, undefined]);
    store.getState().setWeights('f16');
    await store.getState().loadModels();
    expect(requests.slice(2).map((r) => r.weights)).toEqual([{ format: 'f16' }, { format: 'f16' }]);
    // A quantized teacher: only the teacher's request says so.
    store.getState().setTeacherQuantization('int4-128');
    await store.getState().loadModels();
    expect(requests.slice(4).map((r) => r.weights)).toEqual([{ format: 'f16' }, { format: 'int4', groupSize: 128 }]);
  });

  it('loads a Hub id through the page cache from the chosen address, and refuses a malformed one', async () => {
    const requests: LoadRequest[] = [];
    const store = createAppStore(recordingServices(requests));
    store.getState().setPreset('student', 'hub');
    store.getState().setHubId('student', ' Qwen/Qwen3-0.6B@v2 ');
    store.getState().setHubEndpoint('http://mirror.local/');
    await store.getState().loadModels();
    expect(requests[0].source).toEqual({
      url: '',
      name: 'Qwen/Qwen3-0.6B@v2',
      hub: { repo: 'Qwen/Qwen3-0.6B', revision: 'v2', endpoint: 'http://mirror.local' },
    });
    store.getState().setHubId('student', 'just-a-name');
    await store.getState().loadModels();
    expect(store.getState().student.status).toBe('failed');
    expect(store.getState().student.error).toMatch(/"just-a-name" is not a Hub model id: write owner\/name/);
  });
});

describe('a loaded model’s files', () => {
  it('are kept from the last progress that listed them; a new load starts without them', async () => {
    const files = [{ path: 'config.json', loaded: 700, total: 700, done: true }];
    let listFiles = true;
    const call = async (
      _method: string,
      _request: LoadRequest,
      options?: { onProgress?: (p: LoadProgress) => void },
    ) => {
      if (listFiles) options?.onProgress?.({ phase: 'download', done: 700, total: 700, elapsedMs: 5, files });
      options?.onProgress?.({ phase: 'upload', done: 1, total: 1, elapsedMs: 9 });
      return loaded;
    };
    const services = recordingServices([]);
    const client = { student: { call }, teacher: { call }, ready: async () => {}, tasks: async () => [] };
    const store = createAppStore({ ...services, client: () => client });
    await store.getState().loadModels();
    expect(store.getState().student).toMatchObject({ status: 'ready', files });
    listFiles = false;
    await store.getState().loadModels();
    expect(store.getState().student.status).toBe('ready');
    expect(store.getState().student.files).toBeUndefined();
  });
});

describe('the default backend', () => {
  const withAdapter = (name: string | undefined): StoreServices => ({
    ...recordingServices([]),
    hasWebGpu: () => true,
    findAdapterName: async () => name,
  });

  it('follows the adapter: the CPU over a software adapter, WebGPU on a GPU, with the reason', async () => {
    const soft = createAppStore(withAdapter('google swiftshader SwiftShader driver'));
    expect(soft.getState().backend).toBe('webgpu'); // until the adapter is known
    await expect.poll(() => soft.getState().backend).toBe('cpu');
    expect(soft.getState().backendReason).toMatch(/software one, slower than the CPU backend/);

    const gpu = createAppStore(withAdapter('nvidia NVIDIA H200'));
    await expect.poll(() => gpu.getState().backendReason).toMatch(/a GPU adapter was found/);
    expect(gpu.getState().backend).toBe('webgpu');
  });

  it('keeps the backend the person picked', async () => {
    let answer: (name: string) => void = () => {};
    const store = createAppStore({
      ...withAdapter(undefined),
      findAdapterName: () => new Promise<string>((resolve) => (answer = resolve)),
    });
    store.getState().setBackend('webgpu');
    answer('google swiftshader');
    await Promise.resolve();
    await Promise.resolve();
    expect(store.getState().backend).toBe('webgpu');
    expect(store.getState().backendChosen).toBe(true);
  });
});

describe('an ONNX teacher', () => {
  it('takes its runtime from the preset, and sends it with the dtype to the teacher only', async () => {
    const requests: LoadRequest[] = [];
    const store = createAppStore(recordingServices(requests));
    expect(store.getState().teacherRuntime).toBe('engine');
    store.getState().setPreset('teacher', 'teacher-onnx:onnx-community/Qwen3-0.6B-ONNX');
    expect(store.getState().teacherRuntime).toBe('onnx');
    store.getState().setOnnxDtype('q4f16');
    await store.getState().loadModels();
    const [student, teacher] = requests;
    expect(student.runtime).toBeUndefined();
    expect(teacher.runtime).toEqual({ kind: 'onnx', dtype: 'q4f16' });
    expect(teacher.source.hub?.repo).toBe('onnx-community/Qwen3-0.6B-ONNX');
    // An engine preset runs on the engine again; a Hub id keeps the runtime chosen.
    store.getState().setPreset('teacher', 'demo-teacher');
    expect(store.getState().teacherRuntime).toBe('engine');
    store.getState().setPreset('teacher', 'hub');
    store.getState().setTeacherRuntime('onnx');
    store.getState().setHubId('teacher', 'test-org/tiny-ONNX');
    await store.getState().loadModels();
    expect(requests[3].runtime).toEqual({ kind: 'onnx', dtype: 'q4f16' });
  });

  it('asks the teacher for no plan: onnxruntime manages its memory', async () => {
    const requests: LoadRequest[] = [];
    const services = recordingServices(requests);
    const onnxLoaded = {
      ...loaded,
      plan: undefined,
      planWorkload: undefined,
      onnx: { dtype: 'fp32', device: 'wasm' },
    } as const;
    const planned: string[] = [];
    const call = async (method: string, request: LoadRequest) => {
      planned.push(method);
      requests.push(request);
      return method === 'load' && request.runtime?.kind === 'onnx' ? onnxLoaded : loaded;
    };
    const client = { student: { call }, teacher: { call }, ready: async () => {}, tasks: async () => [] };
    const store = createAppStore({ ...services, client: () => client });
    store.getState().setPreset('teacher', 'hub');
    store.getState().setTeacherRuntime('onnx');
    store.getState().setHubId('teacher', 'test-org/tiny-ONNX');
    await store.getState().loadModels();
    expect(store.getState().teacher.loaded?.onnx?.device).toBe('wasm');
    await store.getState().replan();
    expect(planned.filter((m) => m === 'plan')).toHaveLength(1);
    expect(store.getState().plans.teacher).toBeUndefined();
  });
});

describe('a pair whose tokenizers differ', () => {
  it('is refused after loading, with the reason on the teacher', async () => {
    const services = recordingServices([]);
    const client = services.client();
    const other = loadedModel({ vocabulary: { name: 't', vocabSize: 10, tokens: 12, fingerprint: 'ffffffff' } });
    client.teacher.call = async () => other;
    const store = createAppStore({ ...services, client: () => client });
    await store.getState().loadModels();
    expect(store.getState().student.status).toBe('ready');
    expect(store.getState().teacher.status).toBe('failed');
    expect(store.getState().teacher.error).toMatch(
      /This pair cannot be used: the student \(m\) and the teacher \(t\) do not share a vocabulary: their tokenizers have 10 and 12 tokens/,
    );
  });
});

describe('Hub presets', () => {
  it('load the checkpoint the preset names from the Hub', async () => {
    const requests: LoadRequest[] = [];
    const store = createAppStore(recordingServices(requests));
    store.getState().setPreset('teacher', 'teacher:youngzhong/SOD-GRPO_teacher-4B');
    await store.getState().loadModels();
    expect(requests[1].source.hub).toEqual({
      repo: 'youngzhong/SOD-GRPO_teacher-4B',
      revision: 'main',
      endpoint: 'https://huggingface.co',
    });
  });
});

describe('a folder on disk', () => {
  it('is sent with its files, and refused without its config and tokenizer', async () => {
    const requests: LoadRequest[] = [];
    const store = createAppStore(recordingServices(requests));
    const file = (path: string) => ({ path, file: new File(['{}'], path) });
    store.getState().setPreset('student', 'folder');
    store.getState().setFolder('student', { name: 'mine', files: [file('config.json'), file('model.safetensors')] });
    await store.getState().loadModels();
    expect(store.getState().student.error).toMatch(/the folder mine has no tokenizer.json, tokenizer_config.json/);
    const files = [file('config.json'), file('tokenizer.json'), file('tokenizer_config.json')];
    store.getState().setFolder('student', { name: 'mine', files });
    await store.getState().loadModels();
    expect(requests.at(-2)?.source).toEqual({ url: '', name: 'mine', folder: files });
  });
});

describe('the model cache', () => {
  it('lists the cached models and the storage after a load, deletes one, and reports a refused persist', async () => {
    const cache = fakeModelCache([{ repo: 'a/b', revisions: ['main'], bytes: 1000, partial: false }], false);
    const store = createAppStore(recordingServices([], cache));
    await store.getState().loadModels();
    expect(store.getState().cachedModels?.map((m) => m.repo)).toEqual(['a/b']);
    expect(store.getState().storage?.usage).toBe(1000);
    await store.getState().deleteCachedModel('a/b');
    expect(store.getState().cachedModels).toEqual([]);
    await store.getState().deleteCachedModel('a/b');
    expect(store.getState().cacheError).toMatch(/a\/b could not be deleted: a\/b is not cached/);
    await store.getState().persistStorage();
    expect(store.getState().cacheError).toMatch(/did not grant persistent storage/);
  });
});

describe('a full disk while the teacher is cached', () => {
  it('fails the teacher with the message and a pointer flag, keeps the student loaded and runs and settings as they were', async () => {
    const cache = fakeModelCache([{ repo: 'big/teacher', revisions: ['main'], bytes: 900, partial: true }]);
    const services = recordingServices([], cache);
    const client = services.client();
    // Errors cross from a worker by name and message (src/core/rpc).
    const full = new Error("This browser's storage is full: caching big/teacher@main stopped at model.safetensors");
    full.name = 'StorageFullError';
    client.teacher.call = async () => {
      throw full;
    };
    const store = createAppStore({ ...services, client: () => client });
    store.getState().setTrainingSettings({ loraRank: 4, maxTokens: 64 });
    const settings = store.getState().trainingSettings;
    const runs = store.getState().runs;
    await store.getState().loadModels();
    const { student, teacher } = store.getState();
    expect(student.status).toBe('ready');
    expect(student.loaded).toEqual(loaded);
    expect(teacher.status).toBe('failed');
    expect(teacher.storageFull).toBe(true);
    expect(teacher.error).toBe(`Could not load the teacher: ${full.message}`);
    expect(store.getState().trainingSettings).toBe(settings);
    expect(store.getState().runs).toBe(runs);
    // The panel the message points to is listed again, with the partial download in it.
    expect(store.getState().cachedModels).toEqual([
      { repo: 'big/teacher', revisions: ['main'], bytes: 900, partial: true },
    ]);

    // Any other failure is no storage matter; a new load clears the flag.
    client.teacher.call = async () => {
      throw new Error('HTTP 500');
    };
    await store.getState().loadModels();
    expect(store.getState().teacher.storageFull).toBe(false);
  });
});
