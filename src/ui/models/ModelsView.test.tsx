// @vitest-environment jsdom
import { act, cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ModelSlot } from '../../store/models/types';
import { useAppStore } from '../../store/store';
import { expectedPrecision } from '../../models/teacher-precision';
import { loadProgressText } from './loadProgress';
import { formatBytes } from '../common/format';
import { qwen3Config } from '../../engine/qwen3-sizes';
import { planFor } from '../../workers/engine-host';
import { ModelsView, noWebGpuMessage } from './ModelsView';
import { loadedModel } from '../../../tests/support/loaded-model';

const initial = useAppStore.getState();
beforeEach(() => useAppStore.setState(initial, true));
afterEach(cleanup);

const loaded = loadedModel({
  name: 'Demo student',
  layers: 3,
  hiddenSize: 64,
  vocabSize: 151_936,
  parameters: 630_000,
  weightBytes: 2_400_000,
  allocatedBytes: 2_450_000,
  plan: {
    parts: [
      { part: 'activations and scratch', bytes: 37_500_000 },
      { part: 'weights', bytes: 2_400_000 },
      { part: 'LoRA', bytes: 390_000 },
    ],
    totalBytes: 40_290_000,
    peakBytes: 40_290_000,
    largestTensorBytes: 1_300_000,
    largestTensor: { label: 'k cache 0', part: 'KV caches' },
    vocabularyMatrixBytes: 600_000,
  },
  downloadedBytes: 2_520_000,
  seconds: 1.4,
});

const slot = (patch: Partial<ModelSlot>): ModelSlot => ({ presetId: 'demo-student', status: 'empty', ...patch });

function card(name: 'Student' | 'Teacher'): HTMLElement {
  return screen.getByRole('article', { name });
}

function fact(el: HTMLElement, key: string): string {
  return el.querySelector(`[data-value="${key}"] dd`)?.textContent ?? '';
}

describe('ModelsView', () => {
  it('shows download progress with bytes, a time estimate and the progressbar values', () => {
    // 1.2 MB in 3 s is 400 kB/s, so the remaining 1.3 MB take 3.25 s.
    useAppStore.setState({
      student: slot({
        status: 'loading',
        progress: { phase: 'download', done: 1_200_000, total: 2_500_000, elapsedMs: 3000 },
      }),
    });
    render(<ModelsView />);
    const bar = within(card('Student')).getByRole('progressbar', { name: 'Student loading' });
    expect(bar.getAttribute('aria-valuenow')).toBe('1200000');
    expect(bar.getAttribute('aria-valuemax')).toBe('2500000');
    expect(within(card('Student')).getByText('1.2 MB of 2.5 MB · about 3 s left')).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Cancel' })).toBeTruthy();
    expect(screen.getByRole<HTMLButtonElement>('button', { name: 'Load models' }).disabled).toBe(true);
    expect(within(card('Teacher')).queryByRole('progressbar')).toBeNull();
  });

  it('shows the tensor upload phase and calls cancelLoad', () => {
    const cancelLoad = vi.fn();
    useAppStore.setState({
      cancelLoad,
      teacher: slot({
        presetId: 'demo-teacher',
        status: 'loading',
        progress: { phase: 'upload', done: 12, total: 40, elapsedMs: 5000 },
      }),
    });
    render(<ModelsView />);
    const bar = within(card('Teacher')).getByRole('progressbar');
    expect([bar.getAttribute('aria-valuenow'), bar.getAttribute('aria-valuemax')]).toEqual(['12', '40']);
    expect(within(card('Teacher')).getByText('uploading tensors 12/40')).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(cancelLoad).toHaveBeenCalledOnce();
  });

  it("shows a ready model's numbers with their units, and the fallback notice", () => {
    useAppStore.setState({
      student: slot({ status: 'ready', loaded: { ...loaded, fallback: 'WebGPU failed to start; using the CPU.' } }),
    });
    render(<ModelsView />);
    const el = card('Student');
    expect(fact(el, 'name')).toBe('Demo student');
    expect(fact(el, 'backend')).toBe('CPU');
    expect(fact(el, 'shape')).toBe('3 layers · hidden size 64 · vocabulary 151,936 tokens');
    expect(fact(el, 'parameters')).toBe('0.63 M');
    expect(fact(el, 'memory')).toBe('2.5 MB (weights 2.4 MB in f32)');
    const plan = within(el).getByRole('region', { name: 'Memory plan' });
    expect(within(plan).getByRole('heading').textContent).toBe('Memory plan: 40.3 MB');
    expect(within(plan).getByRole('img').getAttribute('aria-label')).toBe(
      'activations and scratch 37.5 MB, weights 2.4 MB, LoRA 390 kB',
    );
    expect(plan.querySelector('[data-value="allocated"]')?.textContent).toContain('2.5 MB now');
    expect(plan.querySelector('[data-value="allocated"]')?.textContent).toContain('(+2%)');
    expect(fact(el, 'downloaded')).toBe('2.5 MB');
    expect(fact(el, 'seconds')).toBe('1.4 s');
    expect(within(el).getByRole('note').textContent).toBe('WebGPU failed to start; using the CPU.');
    expect(within(el).queryByRole('progressbar')).toBeNull();
  });

  it("says when the plan's largest tensor is above the device's limits", () => {
    const limits = { maxBufferSize: 1_000_000, maxStorageBufferBindingSize: 1_000_000 };
    useAppStore.setState({ student: slot({ status: 'ready', loaded: { ...loaded, backend: 'webgpu', limits } }) });
    render(<ModelsView />);
    const line = card('Student').querySelector('[data-value="limits"]');
    expect(line?.textContent).toBe(
      'Too big for this device: the largest tensor, k cache 0 (KV caches), takes 1.3 MB, and this device allows 1.0 MB a buffer and 1.0 MB a binding. It shrinks with shorter or fewer turns. (The embedding and LM head, 600 kB, are split by rows when they must be.)',
    );
    expect(line?.className).toBe('error');
  });

  it("shows the plan for the Training form's settings, takes a GPU memory budget, and offers the proposal that fits", async () => {
    const config = qwen3Config('0.6B', 2);
    const settings = { ...useAppStore.getState().trainingSettings, loraRank: 16, maxTokens: 256 };
    const smaller = await planFor({ config, weights: { format: 'f32' } }, 'student', {
      settings: { ...settings, maxTokens: 128 },
    });
    const budget = smaller.plan.totalBytes;
    const reply = await planFor({ config, weights: { format: 'f32' } }, 'student', { settings, budgetBytes: budget });
    useAppStore.setState({
      student: slot({ status: 'ready', loaded }),
      plans: { student: { status: 'ready', reply } },
      memoryBudget: budget,
    });
    render(<ModelsView />);
    const plan = within(card('Student')).getByRole('region', { name: 'Memory plan' });
    expect(plan.querySelector('[data-value="planned-for"]')?.textContent).toMatch(
      /^For the Training form's settings: LoRA rank 16, 4 turns of 256 tokens, 4 samples per prompt, 4 prompts per update in mini-batches of 1: prompts of 300 tokens, trajectories of 1216 more, 4 sequences per optimizer step\.$/,
    );
    expect(within(plan).getByRole('heading').textContent).toBe(`Memory plan: ${formatBytes(reply.plan.totalBytes)}`);
    const proposal = plan.querySelector('[data-value="proposal"]');
    expect(proposal?.textContent).toContain(`Fits with turns of 128 tokens: ${formatBytes(budget)}.`);
    fireEvent.click(within(plan).getByRole('button', { name: 'Use these settings' }));
    expect(useAppStore.getState().trainingSettings).toMatchObject({ loraRank: 16, maxTokens: 128 });

    const input = screen.getByRole('textbox', { name: 'GPU memory' });
    fireEvent.change(input, { target: { value: '8 GB' } });
    expect(useAppStore.getState().memoryBudget).toBe(8e9);
    fireEvent.change(input, { target: { value: 'lots' } });
    expect(useAppStore.getState().memoryBudget).toBeUndefined();
    expect(screen.getByText('"lots" is not a size: write e.g. 8 GB or 512 MB.')).toBeTruthy();
  }, 30_000);

  it('has a thinking-mode box, ticked by default, that sets the store', () => {
    render(<ModelsView />);
    const box = screen.getByRole<HTMLInputElement>('checkbox', { name: /Thinking mode/ });
    expect(box.checked).toBe(true);
    fireEvent.click(box);
    expect(useAppStore.getState().thinking).toBe(false);
  });

  it('chooses how WebGPU stores the weights, and sends it with the load; not for the CPU', () => {
    useAppStore.setState({ hasWebGpu: true, backend: 'webgpu' });
    render(<ModelsView />);
    const select = screen.getByRole<HTMLSelectElement>('combobox', { name: /Weights on the GPU/ });
    expect(select.value).toBe('auto');
    fireEvent.change(select, { target: { value: 'f16' } });
    expect(useAppStore.getState().weights).toBe('f16');
    act(() => useAppStore.setState({ backend: 'cpu' }));
    expect(select.disabled).toBe(true);
    const teacher = screen.getByRole<HTMLSelectElement>('combobox', { name: /Teacher quantization/ });
    expect(teacher.value).toBe('none');
    fireEvent.change(teacher, { target: { value: 'int4-32' } });
    expect(useAppStore.getState().teacherQuantization).toBe('int4-32');
    // The measured precision of that path, from docs/teacher-precision.md's table.
    const [demo] = expectedPrecision('int4-32');
    const note = document.querySelector('[data-value="teacher-precision"]')?.textContent ?? '';
    expect(note).toContain('engine int4, groups of 32');
    expect(note).toContain(`mean |Δτ| ${demo.row.meanAbsTau.toExponential(1)}`);
    expect(note).toContain(`mean |Δw_k| ${demo.row.meanAbsW.toExponential(1)}`);
  });

  it('takes a Hub id and an address, and lists each file of a download with its progress', () => {
    render(<ModelsView />);
    fireEvent.change(screen.getByRole('combobox', { name: 'Student model' }), { target: { value: 'hub' } });
    fireEvent.change(screen.getByRole('textbox', { name: 'Student Hub id' }), { target: { value: 'Qwen/Qwen3-0.6B' } });
    fireEvent.change(screen.getByLabelText('Hub address'), { target: { value: 'http://mirror.local' } });
    const state = useAppStore.getState();
    expect(state.student).toMatchObject({ presetId: 'hub', hubId: 'Qwen/Qwen3-0.6B' });
    expect(state.hubEndpoint).toBe('http://mirror.local');
    act(() =>
      useAppStore.setState({
        student: slot({
          presetId: 'hub',
          hubId: 'Qwen/Qwen3-0.6B',
          status: 'loading',
          progress: {
            phase: 'download',
            done: 300_000_000,
            total: 1_200_000_000,
            elapsedMs: 9000,
            bytesPerSecond: 50_000_000,
            secondsLeft: 18,
            files: [
              { path: 'config.json', loaded: 700, total: 700, done: true },
              { path: 'model.safetensors', loaded: 300_000_000, total: 1_199_999_300, done: false },
            ],
          },
        }),
      }),
    );
    const files = within(card('Student')).getByRole('list', { name: 'Student files' });
    expect(
      within(files)
        .getAllByRole('listitem')
        .map((li) => li.textContent),
    ).toEqual(['config.json700 B', 'model.safetensors25% of 1.2 GB']);
    expect(within(card('Student')).getByText(/50\.0 MB\/s · about 18 s left/)).toBeDefined();
  });

  it('keeps the list of files a load fetched once the model is ready', () => {
    render(<ModelsView />);
    act(() =>
      useAppStore.setState({
        student: slot({
          status: 'ready',
          loaded,
          progress: { phase: 'upload', done: 40, total: 40, elapsedMs: 9000 },
          files: [
            { path: 'config.json', loaded: 700, total: 700, done: true },
            { path: 'model.safetensors', loaded: 2_520_000, total: 2_520_000, done: true },
          ],
        }),
      }),
    );
    const kept = within(card('Student')).getByText('Files (2)').closest('details');
    if (kept === null) throw new Error('the kept file list is not in a <details>');
    const files = within(kept).getByRole('list', { name: 'Student files', hidden: true });
    expect(
      within(files)
        .getAllByRole('listitem', { hidden: true })
        .map((li) => li.textContent),
    ).toEqual(['config.json700 B', `model.safetensors${formatBytes(2_520_000)}`]);
  });

  it('lists the models kept in this browser, deletes one, and asks to keep the storage', async () => {
    const refreshCache = vi.fn(async () => {});
    const remove = vi.fn(async () => {});
    const persist = vi.fn(async () => {});
    useAppStore.setState({ refreshCache, deleteCachedModel: remove, persistStorage: persist, cachedModels: [] });
    render(<ModelsView />);
    expect(refreshCache).toHaveBeenCalledOnce();
    const panel = screen.getByRole('region', { name: 'Models in this browser' });
    expect(panel.textContent).toContain('None yet');
    act(() =>
      useAppStore.setState({
        cachedModels: [{ repo: 'Qwen/Qwen3-0.6B', revisions: ['main'], bytes: 1_503_000_000, partial: true }],
        storage: { usage: 1_503_000_000, quota: 60_000_000_000, persisted: false },
      }),
    );
    const item = await within(panel).findByText('Qwen/Qwen3-0.6B');
    expect(item.parentElement?.textContent).toContain('1.5 GB');
    expect(item.parentElement?.textContent).toContain('download unfinished');
    expect(panel.querySelector('[data-value="storage"]')?.textContent).toContain('1.5 GB of the 60.0 GB');
    fireEvent.click(within(panel).getByRole('button', { name: 'Delete Qwen/Qwen3-0.6B' }));
    expect(remove).toHaveBeenCalledWith('Qwen/Qwen3-0.6B');
    fireEvent.click(within(panel).getByRole('button', { name: 'Keep downloads' }));
    expect(persist).toHaveBeenCalledOnce();
  });

  it('disables WebGPU with a plain message when the browser has none', () => {
    useAppStore.setState({ hasWebGpu: false, backend: 'cpu' });
    render(<ModelsView />);
    const webgpu = screen.getByRole<HTMLInputElement>('radio', { name: 'WebGPU' });
    expect(webgpu.disabled).toBe(true);
    const message = screen.getByText(noWebGpuMessage);
    expect(webgpu.getAttribute('aria-describedby')).toBe(message.id);
    expect(screen.getByRole<HTMLInputElement>('radio', { name: 'CPU' }).checked).toBe(true);
    expect(screen.getByRole('group', { name: 'Backend' })).toBeTruthy();
  });

  it("offers WebGPU with the adapter's name once a model is loaded on it", () => {
    const setBackend = vi.fn();
    useAppStore.setState({
      hasWebGpu: true,
      backend: 'cpu',
      setBackend,
      student: slot({
        status: 'ready',
        loaded: { ...loaded, backend: 'webgpu', device: 'SwiftShader Device (Subzero)' },
      }),
    });
    render(<ModelsView />);
    expect(screen.queryByText(noWebGpuMessage)).toBeNull();
    const webgpu = screen.getByRole<HTMLInputElement>('radio', { name: 'WebGPU — SwiftShader Device (Subzero)' });
    expect(webgpu.disabled).toBe(false);
    expect(fact(card('Student'), 'backend')).toBe('WebGPU · SwiftShader Device (Subzero)');
    fireEvent.click(webgpu);
    expect(setBackend).toHaveBeenCalledWith('webgpu');
  });

  it('shows a failed load as an alert in its card', () => {
    useAppStore.setState({
      teacher: slot({ presetId: 'demo-teacher', status: 'failed', error: 'Could not load the teacher: HTTP 404' }),
    });
    render(<ModelsView />);
    expect(within(card('Teacher')).getByRole('alert').textContent).toBe('Could not load the teacher: HTTP 404');
    expect(within(card('Student')).queryByRole('alert')).toBeNull();
  });

  it('points a load that failed on a full disk to the cached-models panel; other failures get no pointer', () => {
    useAppStore.setState({
      student: slot({ status: 'failed', error: 'Could not load the student: HTTP 404' }),
      teacher: slot({
        presetId: 'demo-teacher',
        status: 'failed',
        error: "Could not load the teacher: This browser's storage is full: caching a/b@main stopped at x.safetensors",
        storageFull: true,
      }),
      cachedModels: [],
    });
    render(<ModelsView />);
    const link = within(card('Teacher')).getByRole('link', { name: 'Free space in "Models in this browser"' });
    const panel = screen.getByRole('region', { name: 'Models in this browser' });
    expect(link.getAttribute('href')).toBe(`#${panel.id}`);
    expect(within(card('Student')).queryByRole('link')).toBeNull();
  });

  it('"Load demo pair" restores the demo presets and loads; the selects list presets by role', () => {
    const loadModels = vi.fn(async () => {});
    const setPreset = vi.fn();
    useAppStore.setState({ loadModels, setPreset, teacher: slot({ presetId: 'some-hub-teacher' }) });
    render(<ModelsView />);
    fireEvent.click(screen.getByRole('button', { name: 'Load demo pair' }));
    expect(setPreset.mock.calls).toEqual([['teacher', 'demo-teacher']]);
    expect(loadModels).toHaveBeenCalledOnce();
    const students = within(screen.getByRole('combobox', { name: 'Student model' })).getAllByRole('option');
    expect(students.map((o) => o.getAttribute('value'))).toEqual([
      'demo-student',
      'student:Qwen/Qwen3-0.6B',
      'student:youngzhong/SOD-0.6B',
      'student:youngzhong/SOD-1.7B',
      'student:Qwen/Qwen3-1.7B',
      'hub',
      'folder',
    ]);
    fireEvent.click(screen.getByRole('button', { name: 'Load models' }));
    expect(loadModels).toHaveBeenCalledTimes(2);
  });
});

describe('loadProgressText', () => {
  it('says what it knows: no total, no rate yet, almost done', () => {
    expect(loadProgressText({ phase: 'download', done: 1_234_567, total: 0, elapsedMs: 100 })).toBe(
      '1.2 MB downloaded',
    );
    expect(loadProgressText({ phase: 'download', done: 0, total: 2_500_000, elapsedMs: 0 })).toBe(
      '0 B of 2.5 MB · estimating time left',
    );
    expect(loadProgressText({ phase: 'download', done: 2_499_000, total: 2_500_000, elapsedMs: 1000 })).toBe(
      '2.5 MB of 2.5 MB · almost done',
    );
    // 100 kB in 1 s: 1.2 MB left take 12 s; 12 MB left take 2 min.
    expect(loadProgressText({ phase: 'download', done: 100_000, total: 1_300_000, elapsedMs: 1000 })).toBe(
      '100 kB of 1.3 MB · about 12 s left',
    );
    expect(loadProgressText({ phase: 'download', done: 100_000, total: 12_100_000, elapsedMs: 1000 })).toBe(
      '100 kB of 12.1 MB · about 2 min left',
    );
  });
});

describe('an ONNX teacher in the Models view', () => {
  it('offers the dtypes once the teacher runs on ONNX, and an ONNX preset chooses that runtime', () => {
    render(<ModelsView />);
    expect(screen.queryByRole('combobox', { name: 'ONNX dtype' })).toBeNull();
    fireEvent.change(screen.getByRole('combobox', { name: 'Teacher model' }), {
      target: { value: 'teacher-onnx:onnx-community/Qwen3-1.7B-ONNX' },
    });
    expect(screen.getByRole('combobox', { name: 'Teacher runs on' })).toHaveProperty('value', 'onnx');
    const dtype = screen.getByRole('combobox', { name: 'ONNX dtype' });
    expect(
      within(dtype)
        .getAllByRole('option')
        .map((o) => o.textContent),
    ).toEqual(['fp32', 'fp16', 'q4', 'q4f16']);
    fireEvent.change(dtype, { target: { value: 'q4' } });
    expect(useAppStore.getState().onnxDtype).toBe('q4');
  });

  it('shows the device and dtype of a loaded ONNX teacher, the fallback, the reading and the session', () => {
    const onnxTeacher = loadedModel({
      plan: undefined,
      planWorkload: undefined,
      weightBytes: 3_000_000,
      onnx: { dtype: 'fp32', device: 'wasm' },
      fallback: 'webgpu failed (no adapter): the ONNX teacher runs on wasm instead',
    });
    useAppStore.setState({
      teacher: slot({ presetId: 'hub', hubId: 'o/m-ONNX', status: 'ready', loaded: onnxTeacher }),
    });
    render(<ModelsView />);
    const teacher = card('Teacher');
    expect(fact(teacher, 'backend')).toBe('ONNX on transformers.js · wasm · fp32');
    expect(fact(teacher, 'memory')).toBe(`${formatBytes(3_000_000)} in fp32`);
    expect(within(teacher).getByRole('note').textContent).toMatch(/webgpu failed \(no adapter\)/);
    expect(loadProgressText({ phase: 'session', done: 0, total: 0, elapsedMs: 1, device: 'webgpu' })).toBe(
      'creating the onnxruntime session on webgpu',
    );
    expect(loadProgressText({ phase: 'read', done: 1_000_000, total: 2_000_000, elapsedMs: 1 })).toBe(
      `reading the stored files into onnxruntime: ${formatBytes(1_000_000)} of ${formatBytes(2_000_000)}`,
    );
  });
});
