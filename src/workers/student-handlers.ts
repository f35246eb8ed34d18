/**
 * The student worker: the student model on its backend, its LoRA adapter and optimizer, and
 * the agent loop (rollouts, updates, evaluation). The teacher and the Python sandbox are
 * reached over ports the main thread connects.
 */
import { ChatFormat, tokenizerFromJson } from '../agent/chat';
import { defaultThinking, thinkingOptions } from '../agent/thinking';
import { evaluateGreedy, summarize } from '../agent/evaluate';
import type { Policy, LogprobScorer, PolicyTrainer } from '../core/policy';
import type { Trajectory } from '../agent/trajectory';
import { checkpointStudent, checkSameStudent } from '../agent/training/checkpoint';
import { runUpdate, sampleGroups, scoreTrajectory } from '../agent/update';
import { topAlternatives } from '../engine/alternatives';
import type { Backend } from '../engine/backend';
import { Decoder, EnginePolicy } from '../engine/inference';
import { initLoraParams, loraLayout, type LoraLayout } from '../engine/lora';
import { createLoraState, releaseLoraState } from '../engine/lora-state';
import type { LoraState, Qwen3Model } from '../engine/model';
import { allLoraTargets } from '../engine/params';
import { exportPeft } from '../engine/peft';
import { defaultAdamW, LoraTrainer } from '../engine/train';
import type { EngineDevice } from '../engine/webgpu/device';
import { usesTeacher } from '../sod/advantages';
import type { ToolSandbox } from '../tools/sandbox';
import { openAndLoad, planFor, type PlanBasis, type WorkerEnvironment } from './engine-host';
import type {
  AdapterRestore,
  AdapterSettings,
  LoadedModel,
  PlaygroundTrajectory,
  ScorerProtocol,
  StudentProtocol,
  StudentTrainingState,
  TokenAlternatives,
  ToolProtocol,
} from './protocols';
import { portClient, RemoteSandbox, RemoteScorer } from './remote';
import type { Handlers } from '../core/rpc/rpc';

export const defaultAdapter: AdapterSettings = { rank: 8, alpha: 16, learningRate: 1e-3, seed: 0 };

/** The loaded student, with the backend type hidden behind plain methods. */
interface Student {
  loaded: LoadedModel;
  chat: ChatFormat;
  policy: Policy & LogprobScorer & { release(): void };
  trainer: PolicyTrainer;
  newAdapter(settings: AdapterSettings): number;
  restoreAdapter(request: AdapterRestore): number;
  trainingState(): Promise<StudentTrainingState>;
  alternatives(promptIds: number[], responseIds: number[], k: number, signal: AbortSignal): Promise<TokenAlternatives>;
  exportAdapter(): Promise<{ config: string; weights: Uint8Array }>;
  /** Bytes the engine holds on its backend now. */
  engineBytes(): number;
}

function studentOn<T>(backend: Backend<T>, model: Qwen3Model<T>, loaded: LoadedModel, chat: ChatFormat): Student {
  let lora: LoraState<T> | undefined;
  let trainer: LoraTrainer<T> | undefined;
  let decoder: Decoder<T> | undefined;
  const identity = checkpointStudent(loaded.name, model.config);
  /** A new adapter of settings `s` holding `params` (a fresh one's when undefined), with a new optimizer. */
  const adapterOf = (s: AdapterSettings, params?: (layout: LoraLayout) => Float32Array): LoraTrainer<T> => {
    // What belonged to the old adapter goes first: a new run must not keep the last one's buffers.
    student.policy.release();
    decoder?.release();
    if (lora !== undefined) releaseLoraState(backend, lora);
    trainer?.dispose();
    const layout = loraLayout(model.config, { rank: s.rank, alpha: s.alpha, targets: allLoraTargets });
    lora = createLoraState(backend, layout, params?.(layout) ?? initLoraParams(layout, s.seed));
    student.policy = new EnginePolicy(loaded.name, model, lora);
    trainer = new LoraTrainer(model, lora, { ...defaultAdamW, lr: s.learningRate });
    student.trainer = trainer;
    decoder = new Decoder(model, lora);
    return trainer;
  };
  const student: Student = {
    loaded,
    chat,
    engineBytes: () => backend.liveBytes,
    policy: new EnginePolicy(loaded.name, model),
    trainer: { trainStep: () => Promise.reject(new Error('no adapter')) },
    newAdapter(s) {
      return adapterOf(s).lora.layout.size;
    },
    restoreAdapter(r) {
      // Checked before anything is replaced: a refused checkpoint leaves the adapter as it was.
      const layout = loraLayout(model.config, {
        rank: r.adapter.rank,
        alpha: r.adapter.alpha,
        targets: allLoraTargets,
      });
      checkSameStudent(r.student, identity, r.where);
      if (r.lora.length !== layout.size)
        throw new Error(
          `${r.where}: the adapter holds ${r.lora.length} values, but rank ${r.adapter.rank} on ${loaded.name} needs ${layout.size}`,
        );
      const restored = adapterOf(r.adapter, () => r.lora);
      restored.loadState(r.optimizer);
      return layout.size;
    },
    async trainingState() {
      if (lora === undefined || trainer === undefined) throw new Error('the student has no adapter yet');
      const { config } = lora.layout;
      return {
        student: identity,
        adapter: { rank: config.rank, alpha: config.alpha, targets: [...config.targets] },
        optimizer: { settings: { ...trainer.settings }, state: await trainer.readState() },
        lora: Float32Array.from(await backend.read(lora.params, lora.layout.size)),
      };
    },
    alternatives(promptIds, responseIds, k, signal) {
      decoder ??= new Decoder(model, lora);
      return topAlternatives(decoder, promptIds, responseIds, k, signal);
    },
    async exportAdapter() {
      if (lora === undefined) throw new Error('the student has no adapter yet: run an update first');
      const files = exportPeft(
        lora.layout,
        Float32Array.from(await backend.read(lora.params, lora.layout.size)),
        loaded.name,
      );
      return {
        config: JSON.stringify(files['adapter_config.json'], null, 2),
        weights: files['adapter_model.safetensors'],
      };
    },
  };
  return student;
}

/** Each response token's text, so views need no tokenizer. */
function withTokens(chat: ChatFormat, t: Trajectory): PlaygroundTrajectory {
  return { ...t, tokens: t.response_ids.map((id) => chat.decode([id])) };
}

function textAlternatives(chat: ChatFormat, alternatives: TokenAlternatives): [string, number][][] {
  return alternatives.map((position) =>
    position.map(([id, logprob]): [string, number] => [chat.decode([id]), logprob]),
  );
}

export function studentHandlers(env: WorkerEnvironment): Handlers<StudentProtocol> {
  let student: Student | undefined;
  let planBasis: PlanBasis | undefined;
  let device: EngineDevice | undefined;
  let teacher: RemoteScorer | undefined;
  let sandbox: ToolSandbox | undefined;

  const need = (): Student => {
    if (student === undefined) throw new Error('load a student model first');
    // A lost device fails every call with its message, rather than computing on nothing.
    device?.check();
    return student;
  };
  const needSandbox = (): ToolSandbox => {
    if (sandbox === undefined) throw new Error('the Python sandbox is not connected');
    return sandbox;
  };

  return {
    async load(request, { progress, signal }) {
      const format = request.weights?.format;
      if (format === 'int8' || format === 'int4')
        throw new Error(
          `the student trains on its weights and cannot load them as ${format}: quantize only the teacher`,
        );
      student = undefined;
      planBasis = undefined;
      device?.destroy();
      device = undefined;
      const lora = { rank: defaultAdapter.rank, alpha: defaultAdapter.alpha, targets: allLoraTargets };
      const opened = await openAndLoad(request, lora, env, progress, signal, {
        use: async (backend, model, loaded, parsed) => {
          const tokenizer = tokenizerFromJson(parsed.json, parsed.config);
          return studentOn(
            backend,
            model,
            loaded,
            new ChatFormat(tokenizer, thinkingOptions(request.thinking ?? defaultThinking)),
          );
        },
      });
      // The device stays open while the model is loaded.
      device = opened.device;
      student = opened.result;
      planBasis = opened.planBasis;
      student.newAdapter(defaultAdapter);
      return student.loaded;
    },

    async plan(request) {
      need();
      if (planBasis === undefined) throw new Error('load a student model first');
      return planFor(planBasis, 'student', request);
    },

    async connectTeacher({ port }) {
      teacher = new RemoteScorer('teacher', portClient<ScorerProtocol>(port));
      return null;
    },

    async connectSandbox({ port }) {
      sandbox = new RemoteSandbox(portClient<ToolProtocol>(port));
      return null;
    },

    async newAdapter(settings) {
      return { parameters: need().newAdapter(settings) };
    },

    async restoreAdapter(request) {
      return { parameters: need().restoreAdapter(request) };
    },

    async trainingState() {
      return need().trainingState();
    },

    async rollout(request, { progress, signal }) {
      const s = need();
      const out: PlaygroundTrajectory[] = [];
      progress({ kind: 'phase', phase: 'rollout' });
      await sampleGroups({
        ...request,
        policy: s.policy,
        chat: s.chat,
        sandbox: needSandbox(),
        signal,
        group: (task) => `rollout:${task.id}`,
        seed: (index) => request.sampling.seed + 7919 * index,
        session: (index) => `rollout-${index}`,
        onEvent: (index, total, event) => progress({ kind: 'event', index, total, event }),
        onTrajectory: async (t, index) => {
          if (request.score && t.response_ids.length > 0 && t.stop_reason !== 'cancelled') {
            progress({ kind: 'phase', phase: 'score' });
            await scoreTrajectory(t, s.policy, teacher, signal);
            progress({ kind: 'phase', phase: 'rollout' });
          }
          const shown = withTokens(s.chat, t);
          out.push(shown);
          progress({ kind: 'trajectory', index, trajectory: shown });
        },
      });
      return out;
    },

    async update({ update, tasks, settings }, { progress, signal }) {
      const s = need();
      if (usesTeacher(settings.method) && teacher === undefined)
        throw new Error(`method ${settings.method} needs a teacher: load one first`);
      // Decoded once, as each trajectory finishes; the scores runUpdate adds later are merged in at the end.
      const shown: PlaygroundTrajectory[] = [];
      const { trajectories, metrics } = await runUpdate(
        update,
        tasks,
        { student: s.policy, trainer: s.trainer, teacher },
        s.chat,
        needSandbox(),
        settings,
        {
          signal,
          onEvent: (e) => {
            if (e.kind === 'rollout') progress({ kind: 'event', index: e.index, total: e.total, event: e.event });
            else if (e.kind === 'phase') progress({ kind: 'phase', phase: e.phase });
            else {
              shown.push(withTokens(s.chat, e.trajectory));
              progress({ kind: 'trajectory', index: shown.length - 1, trajectory: shown[shown.length - 1] });
            }
          },
        },
      );
      return { trajectories: trajectories.map((t, i) => ({ ...t, tokens: shown[i].tokens })), metrics };
    },

    async evaluate({ tasks, limits }, { progress, signal }) {
      const s = need();
      let correct = 0;
      const trajectories = await evaluateGreedy({
        policy: s.policy,
        chat: s.chat,
        sandbox: needSandbox(),
        tasks,
        limits,
        signal,
        onResult: (t, i) => {
          if (t.correct) correct++;
          progress({ done: i + 1, total: tasks.length, correct });
        },
      });
      return summarize(trajectories);
    },

    async alternatives({ promptIds, responseIds, k }, { signal }) {
      const s = need();
      const own = await s.alternatives(promptIds, responseIds, k, signal);
      const theirs = teacher === undefined ? undefined : await teacher.alternatives(promptIds, responseIds, k, signal);
      return {
        student: textAlternatives(s.chat, own),
        ...(theirs !== undefined ? { teacher: textAlternatives(s.chat, theirs) } : {}),
      };
    },

    async exportAdapter() {
      return need().exportAdapter();
    },

    async memory() {
      return { engineBytes: student?.engineBytes() };
    },
  };
}
