import { useId, useState } from 'react';
import { parseByteSize } from '../../core/format-bytes';
import { onnxDtypes } from '../../models/onnx-files';
import { modelPresets } from '../../models/presets';
import { describeWeights } from '../../engine/weight-format';
import { TeacherPrecision } from './TeacherPrecision';
import {
  folderPresetId,
  hubPresetId,
  teacherQuantizations,
  type ModelRole,
  type ModelSlot,
  type TeacherRuntimeChoice,
  type WeightChoice,
} from '../../store/models/types';
import { useAppStore } from '../../store/store';
import type { BackendChoice } from '../../engine/open-backend';
import type { FileProgress, LoadedModel } from '../../workers/protocols';
import { formatBytes, formatCount, formatDuration, formatParameters } from '../common/format';
import { ProgressBar } from '../common/ProgressBar';
import { Explain } from '../explain/Explain';
import { CachedModels, cachedModelsId } from './CachedModels';
import { FolderPicker } from './FolderPicker';
import { hasPlan, MemoryPlan } from './MemoryPlan';
import { loadProgressText } from './loadProgress';
import './models.css';

const roles = ['student', 'teacher'] as const;
const roleNames: Record<ModelRole, string> = { student: 'Student', teacher: 'Teacher' };
const demoPresets: Record<ModelRole, string> = { student: 'demo-student', teacher: 'demo-teacher' };
const backendNames: Record<BackendChoice, string> = { webgpu: 'WebGPU', cpu: 'CPU' };
const statusNames: Record<ModelSlot['status'], string> = {
  empty: 'not loaded',
  loading: 'loading…',
  ready: 'ready',
  failed: 'failed',
};

const weightChoices: readonly WeightChoice[] = ['auto', 'f16', 'bf16', 'f32'];

/** The teacher-precision row of a storage: bf16 changes no value of a bf16 checkpoint, so it reads as f32. */
function halfOrExact(format: string): string {
  return format === 'f16' || format === 'auto' ? 'f16' : format === 'bf16' ? 'f32' : format;
}
const teacherRuntimes: readonly TeacherRuntimeChoice[] = ['engine', 'onnx'];

export const noWebGpuMessage = 'This browser has no WebGPU; the CPU backend works everywhere (slower).';

/** The Models step: pick a student and a teacher (or the demo pair), a backend, and load them. */
export function ModelsView() {
  const backend = useAppStore((s) => s.backend);
  const hasWebGpu = useAppStore((s) => s.hasWebGpu);
  const backendReason = useAppStore((s) => (s.backendChosen ? undefined : s.backendReason));
  const student = useAppStore((s) => s.student);
  const teacher = useAppStore((s) => s.teacher);
  const setBackend = useAppStore((s) => s.setBackend);
  const weights = useAppStore((s) => s.weights);
  const setWeights = useAppStore((s) => s.setWeights);
  const teacherQuantization = useAppStore((s) => s.teacherQuantization);
  const setTeacherQuantization = useAppStore((s) => s.setTeacherQuantization);
  const thinking = useAppStore((s) => s.thinking);
  const setThinking = useAppStore((s) => s.setThinking);
  const setPreset = useAppStore((s) => s.setPreset);
  const setHubId = useAppStore((s) => s.setHubId);
  const setFolder = useAppStore((s) => s.setFolder);
  const hubEndpoint = useAppStore((s) => s.hubEndpoint);
  const setHubEndpoint = useAppStore((s) => s.setHubEndpoint);
  const loadModels = useAppStore((s) => s.loadModels);
  const cancelLoad = useAppStore((s) => s.cancelLoad);
  const setView = useAppStore((s) => s.setView);
  const teacherRuntime = useAppStore((s) => s.teacherRuntime);
  const setTeacherRuntime = useAppStore((s) => s.setTeacherRuntime);
  const onnxDtype = useAppStore((s) => s.onnxDtype);
  const setOnnxDtype = useAppStore((s) => s.setOnnxDtype);
  const slots: Record<ModelRole, ModelSlot> = { student, teacher };
  // The row of docs/teacher-precision.md for the teacher as chosen (as loaded, once it is).
  const teacherPathKey =
    teacherRuntime === 'onnx'
      ? `onnx-${onnxDtype}`
      : teacherQuantization !== 'none'
        ? teacherQuantization
        : backend === 'cpu'
          ? 'f32'
          : halfOrExact(teacher.loaded?.weights.format ?? weights);
  const loading = student.status === 'loading' || teacher.status === 'loading';
  // The engine's adapter (an ONNX teacher's device is onnxruntime's, not the engine's).
  const adapter = [student.loaded, teacher.loaded].find((m) => m?.backend === 'webgpu' && m.onnx === undefined)?.device;
  const ids = { heading: useId(), student: useId(), teacher: useId(), noGpu: useId(), endpoint: useId() };
  const usesHub = roles.some(
    (role) =>
      slots[role].presetId === hubPresetId ||
      modelPresets.find((p) => p.id === slots[role].presetId)?.hubId !== undefined,
  );

  const loadDemo = () => {
    for (const role of roles) if (slots[role].presetId !== demoPresets[role]) setPreset(role, demoPresets[role]);
    void loadModels();
  };

  return (
    <section className="models-view" aria-labelledby={ids.heading}>
      <h2 id={ids.heading}>Models</h2>
      <Explain topic="models" />

      <div className="panel models-quickstart">
        <div>
          <h3>Load the demo pair</h3>
          <p>
            A tiny Qwen3 student and teacher trained for this app on arithmetic with a Python tool; they ship with the
            page, so they load offline and take only a few MB.
          </p>
        </div>
        <button type="button" className="models-big-button" onClick={loadDemo} disabled={loading}>
          Load demo pair
        </button>
      </div>

      <form
        className="panel models-form"
        aria-label="Choose models"
        onSubmit={(e) => {
          e.preventDefault();
          void loadModels();
        }}
      >
        <div className="models-selects">
          {roles.map((role) => {
            const preset = modelPresets.find((p) => p.id === slots[role].presetId);
            return (
              <div key={role} className="models-select">
                <label className="field-label" htmlFor={ids[role]}>
                  {roleNames[role]} model
                </label>
                <select
                  id={ids[role]}
                  value={slots[role].presetId}
                  disabled={loading}
                  onChange={(e) => setPreset(role, e.target.value)}
                >
                  {modelPresets
                    .filter((p) => p.role === role)
                    .map((p) => (
                      <option key={p.id} value={p.id}>
                        {p.label}
                      </option>
                    ))}
                  <option value={hubPresetId}>A model from the Hub…</option>
                  <option value={folderPresetId}>A folder on this computer…</option>
                </select>
                {preset !== undefined && <span className="hint">{preset.description}</span>}
                {slots[role].presetId === hubPresetId && (
                  <input
                    type="text"
                    aria-label={`${roleNames[role]} Hub id`}
                    placeholder="Qwen/Qwen3-0.6B or owner/name@revision"
                    value={slots[role].hubId ?? ''}
                    disabled={loading}
                    spellCheck={false}
                    onChange={(e) => setHubId(role, e.target.value)}
                  />
                )}
                {slots[role].presetId === folderPresetId && (
                  <FolderPicker
                    label={`${roleNames[role]} model folder`}
                    picked={slots[role].folder}
                    disabled={loading}
                    onPick={(folder) => setFolder(role, folder)}
                  />
                )}
                {role === 'teacher' && (
                  <div className="models-runtime">
                    <label>
                      <span>Teacher runs on</span>
                      <select
                        value={teacherRuntime}
                        disabled={loading}
                        onChange={(e) =>
                          setTeacherRuntime(teacherRuntimes.find((r) => r === e.target.value) ?? 'engine')
                        }
                      >
                        <option value="engine">the engine (safetensors weights)</option>
                        <option value="onnx">ONNX (transformers.js)</option>
                      </select>
                    </label>
                    {teacherRuntime === 'onnx' && (
                      <label>
                        <span>ONNX dtype</span>
                        <select
                          value={onnxDtype}
                          disabled={loading}
                          onChange={(e) => setOnnxDtype(onnxDtypes.find((d) => d === e.target.value) ?? 'fp32')}
                        >
                          {onnxDtypes.map((d) => (
                            <option key={d} value={d}>
                              {d}
                            </option>
                          ))}
                        </select>
                      </label>
                    )}
                    {teacherRuntime === 'engine' && (
                      <label>
                        <span>Teacher quantization</span>
                        <select
                          value={teacherQuantization}
                          disabled={loading}
                          onChange={(e) =>
                            setTeacherQuantization(
                              teacherQuantizations.find((q) => q.id === e.target.value)?.id ?? 'none',
                            )
                          }
                        >
                          {teacherQuantizations.map((q) => (
                            <option key={q.id} value={q.id}>
                              {q.label}
                            </option>
                          ))}
                        </select>
                      </label>
                    )}
                    {teacherRuntime === 'engine' && (
                      <span className="hint">
                        The teacher only scores, so its weights may be quantized as they load (on either backend): int8
                        takes a quarter of f32's memory, int4 an eighth. The student trains and stays unquantized.
                      </span>
                    )}
                    <TeacherPrecision pathKey={teacherPathKey} />
                    {teacherRuntime === 'onnx' && (
                      <span className="hint">
                        An ONNX export from the Hub (onnx/model*.onnx) run by onnxruntime: on WebGPU with the WebGPU
                        backend (on wasm where that fails), on wasm with the CPU; kept in this browser like the engine's
                        models.
                      </span>
                    )}
                  </div>
                )}
              </div>
            );
          })}
        </div>

        {usesHub && (
          <div className="models-select">
            <label className="field-label" htmlFor={ids.endpoint}>
              Hub address
            </label>
            <input
              id={ids.endpoint}
              type="url"
              value={hubEndpoint}
              disabled={loading}
              spellCheck={false}
              onChange={(e) => setHubEndpoint(e.target.value)}
            />
            <span className="hint">
              https://huggingface.co, or a mirror laid out like it that the site's security policy allows (set when it
              is built). Files are kept in this browser and load offline the next time.
            </span>
          </div>
        )}

        <fieldset className="models-backend" disabled={loading}>
          <legend className="field-label">Backend</legend>
          <label className="models-radio">
            <input
              type="radio"
              name="backend"
              value="webgpu"
              checked={backend === 'webgpu'}
              disabled={!hasWebGpu}
              aria-describedby={hasWebGpu ? undefined : ids.noGpu}
              onChange={() => setBackend('webgpu')}
            />
            <span>{adapter === undefined ? 'WebGPU' : `WebGPU — ${adapter}`}</span>
          </label>
          {!hasWebGpu && (
            <p id={ids.noGpu} className="hint models-no-gpu">
              {noWebGpuMessage}
            </p>
          )}
          <label className="models-radio">
            <input
              type="radio"
              name="backend"
              value="cpu"
              checked={backend === 'cpu'}
              onChange={() => setBackend('cpu')}
            />
            <span>CPU</span>
          </label>
          {backendReason !== undefined && (
            <p className="hint models-backend-reason">
              Default: {backend === 'webgpu' ? 'WebGPU' : 'CPU'}, because {backendReason}.
            </p>
          )}
          <label className="models-weights">
            <span>Weights on the GPU</span>
            <select
              value={weights}
              disabled={backend !== 'webgpu'}
              onChange={(e) => setWeights(weightChoices.find((c) => c === e.target.value) ?? 'auto')}
            >
              <option value="auto">automatic: f16 where the adapter has shader-f16, else bf16</option>
              <option value="f16">f16 (half the memory)</option>
              <option value="bf16">bf16 where exact (half the memory of a bf16 checkpoint)</option>
              <option value="f32">f32</option>
            </select>
            <span className="hint">
              f16 halves the weights' memory, rounding them; bf16 halves it without changing a value, for checkpoints
              saved in bf16 (as Qwen3's are; others stay f32). Every product is still summed in f32. The CPU backend
              keeps f32.
            </span>
          </label>
        </fieldset>

        <label className="models-thinking">
          <input
            type="checkbox"
            checked={thinking}
            disabled={loading}
            onChange={(e) => setThinking(e.target.checked)}
          />
          <span>Thinking mode</span>
          <span className="hint">
            Qwen3's <code>enable_thinking</code>: on, as in SOD's training recipe; off, the chat template writes an
            empty &lt;think&gt;&lt;/think&gt; before each answer. Takes effect when the models load.
          </span>
        </label>

        <div className="row">
          <button type="submit" disabled={loading}>
            Load models
          </button>
          {loading && (
            <button type="button" className="ghost" onClick={cancelLoad}>
              Cancel
            </button>
          )}
        </div>
      </form>

      <MemoryBudget />
      <div className="models-cards">
        {roles.map((role) => (
          <ModelCard key={role} role={role} slot={slots[role]} />
        ))}
      </div>
      {student.status === 'ready' && teacher.status === 'ready' && (
        <div className="row">
          <button type="button" onClick={() => setView('rollouts')}>
            Next: watch the student solve problems →
          </button>
        </div>
      )}
      <CachedModels />
    </section>
  );
}

/** One model's state: progress while it loads, its numbers once ready, the error if it failed. */
export function ModelCard({ role, slot }: { role: ModelRole; slot: ModelSlot }) {
  const headingId = useId();
  const planned = useAppStore((s) => s.plans[role]);
  const budget = useAppStore((s) => s.memoryBudget);
  const setTrainingSettings = useAppStore((s) => s.setTrainingSettings);
  const name = roleNames[role];
  const preset = modelPresets.find((p) => p.id === slot.presetId);
  return (
    <article className="panel model-card" aria-labelledby={headingId} data-role={role}>
      <header className="model-card-header">
        <h3 id={headingId}>{name}</h3>
        <span className={`model-status model-status-${slot.status}`}>{statusNames[slot.status]}</span>
      </header>
      <p className="muted">
        {slot.presetId === hubPresetId
          ? (slot.hubId ?? '')
          : slot.presetId === folderPresetId
            ? (slot.folder?.name ?? 'a folder')
            : (preset?.label ?? slot.presetId)}
      </p>
      {slot.status === 'empty' && <p className="muted">Not loaded yet.</p>}
      {slot.status === 'loading' && <LoadingBar role={role} slot={slot} />}
      {slot.status === 'ready' && slot.loaded !== undefined && <LoadedFacts model={slot.loaded} />}
      {slot.status === 'ready' && slot.files !== undefined && (
        // What the load fetched stays listed once it is done.
        <details className="models-files-done">
          <summary>Files ({slot.files.length})</summary>
          <FileList role={role} files={slot.files} />
        </details>
      )}
      {slot.status === 'ready' && slot.loaded !== undefined && hasPlan(slot.loaded) && (
        <MemoryPlan model={slot.loaded} planned={planned} budget={budget} onUseSettings={setTrainingSettings} />
      )}
      {slot.loaded?.fallback !== undefined && (
        <p className="models-notice" role="note">
          {slot.loaded.fallback}
        </p>
      )}
      {slot.status === 'failed' && (
        <p className="error" role="alert">
          {slot.error ?? `The ${role} could not be loaded.`}
        </p>
      )}
      {slot.status === 'failed' && slot.storageFull && (
        <p className="models-notice" role="note">
          <a href={`#${cachedModelsId}`}>Free space in "Models in this browser"</a>: each cached model has a Delete
          button, and "Keep downloads" asks the browser for persistent storage.
        </p>
      )}
    </article>
  );
}

function LoadingBar({ role, slot }: { role: ModelRole; slot: ModelSlot }) {
  const p = slot.progress;
  const label = `${roleNames[role]} loading`;
  if (p === undefined) return <ProgressBar label={label} text="starting…" />;
  const known = p.total > 0;
  return (
    <>
      <ProgressBar
        label={label}
        value={known ? p.done : undefined}
        max={known ? p.total : undefined}
        text={loadProgressText(p)}
      />
      {(p.phase === 'download' || p.phase === 'read') && p.files !== undefined && (
        <FileList role={role} files={p.files} />
      )}
    </>
  );
}

/** Each file of a load with its bytes, or its share while it downloads. */
function FileList({ role, files }: { role: ModelRole; files: readonly FileProgress[] }) {
  return (
    <ul className="models-files" aria-label={`${roleNames[role]} files`}>
      {files.map((f) => (
        <li key={f.path} data-done={f.done}>
          <span>{f.path}</span>
          <span>
            {f.done
              ? formatBytes(f.loaded)
              : f.total === undefined
                ? formatBytes(f.loaded)
                : `${Math.floor((100 * f.loaded) / Math.max(f.total, 1))}% of ${formatBytes(f.total)}`}
          </span>
        </li>
      ))}
    </ul>
  );
}

function LoadedFacts({ model }: { model: LoadedModel }) {
  const facts: [key: string, label: string, value: string][] = [
    ['name', 'Model', model.name],
    [
      'backend',
      'Backend',
      model.onnx !== undefined
        ? `ONNX on transformers.js · ${model.onnx.device} · ${model.onnx.dtype}`
        : model.device === backendNames[model.backend]
          ? model.device
          : `${backendNames[model.backend]} · ${model.device}`,
    ],
    [
      'shape',
      'Shape',
      `${model.layers} layers · hidden size ${formatCount(model.hiddenSize)} · vocabulary ${formatCount(model.vocabSize)} tokens`,
    ],
    ['parameters', 'Parameters', formatParameters(model.parameters)],
    model.onnx !== undefined
      ? ['memory', 'ONNX files', `${formatBytes(model.weightBytes)} in ${model.onnx.dtype}`]
      : [
          'memory',
          'Memory used',
          `${formatBytes(model.allocatedBytes)} (weights ${formatBytes(model.weightBytes)} in ${describeWeights(model.weights)})`,
        ],
    ['downloaded', 'Downloaded', formatBytes(model.downloadedBytes)],
    ['seconds', 'Load time', formatDuration(model.seconds)],
  ];
  return (
    <dl className="model-facts">
      {facts.map(([key, label, value]) => (
        <div key={key} data-value={key}>
          <dt>{label}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}

/** The memory the device has, as the person says it ("8 GB"): each plan then says whether it fits, and a student's the largest settings that do. */
function MemoryBudget() {
  const budget = useAppStore((s) => s.memoryBudget);
  const setBudget = useAppStore((s) => s.setMemoryBudget);
  const [text, setText] = useState(() => (budget === undefined ? '' : `${budget} B`));
  const id = useId();
  const valid = text.trim() === '' || parseByteSize(text) !== undefined;
  return (
    <div className="models-select models-budget">
      <label className="field-label" htmlFor={id}>
        GPU memory
      </label>
      <input
        id={id}
        type="text"
        placeholder="e.g. 8 GB"
        value={text}
        spellCheck={false}
        aria-invalid={!valid}
        onChange={(e) => {
          setText(e.target.value);
          setBudget(e.target.value.trim() === '' ? undefined : parseByteSize(e.target.value));
        }}
      />
      <span className="hint">
        {valid
          ? 'The memory each model may take: its plan says whether it fits, and proposes the largest training settings that do.'
          : `"${text}" is not a size: write e.g. 8 GB or 512 MB.`}
      </span>
    </div>
  );
}
