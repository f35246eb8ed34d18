// The committed demo pair (public/models, made by npm run make:demo-models): ordinary
// Hugging Face folders that load offline in the engine and, for the teacher, in
// @huggingface/transformers on onnxruntime, with the same numbers on both.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { env, Tensor } from '@huggingface/transformers';
import { ChatFormat } from '../src/agent/chat';
import { loadTokenizer } from '../src/agent/load-tokenizer';
import { evaluateGreedy } from '../src/agent/evaluate';
import { defaultSampling } from '../src/core/policy';
import { runRollout } from '../src/agent/rollout';
import { ScriptedPolicy } from '../src/agent/scripted-policy';
import { parseTasks } from '../src/agent/tasks/task';
import type { Trajectory } from '../src/agent/trajectory';
import { CpuBackend } from '../src/engine/cpu/backend';
import type { Floats } from '../src/engine/cpu/floats';
import { Decoder, EnginePolicy, EngineScorer } from '../src/engine/inference';
import { loadQwen3 } from '../src/engine/load';
import type { Qwen3Model } from '../src/engine/model';
import { folderFiles } from '../src/engine/node-files';
import { teacherTurns } from '../src/models/demo/teacher-solutions';
import { TransformersScorer } from '../src/models/transformers-scorer';
import { createNodeSandbox } from '../src/tools/node-sandbox';
import type { PythonSandbox } from '../src/tools/sandbox';

const models = fileURLToPath(new URL('../public/models/', import.meta.url));
const teacherDir = join(models, 'tiny-qwen3-teacher');
const studentDir = join(models, 'tiny-qwen3-student');
const testTasks = parseTasks(
  readFileSync(fileURLToPath(new URL('../public/tasks/arithmetic-test.jsonl', import.meta.url)), 'utf8'),
);

describe('the demo pair', () => {
  let sandbox: PythonSandbox;
  let chat: ChatFormat;
  let teacher: Qwen3Model<Floats>;
  let recorded: Trajectory;
  beforeAll(async () => {
    sandbox = createNodeSandbox();
    chat = new ChatFormat(await loadTokenizer(teacherDir));
    teacher = await loadQwen3(new CpuBackend(), folderFiles(teacherDir));
    // A recorded trajectory: the teacher's kind of solution to a held-out problem, through the real tool.
    recorded = await runRollout({
      task: testTasks[0],
      group: 'g',
      policy: new ScriptedPolicy(chat.tokenizer, teacherTurns(testTasks[0])),
      recordLogprobs: false,
      chat,
      sandbox,
      sampling: defaultSampling,
      session: 'recorded',
    });
  }, 120_000);
  afterAll(() => sandbox?.dispose());

  it('keeps each model folder under 10 MB', () => {
    for (const dir of [teacherDir, studentDir]) {
      const bytes = [
        'config.json',
        'generation_config.json',
        'tokenizer.json',
        'tokenizer_config.json',
        'model.safetensors',
      ].reduce((n, f) => n + statSync(join(dir, f)).size, 0);
      expect(bytes).toBeLessThan(10 * 2 ** 20);
    }
  });

  it("teacher: onnxruntime log-probs of a recorded trajectory equal the engine's within 1e-4", async () => {
    env.allowRemoteModels = false;
    env.localModelPath = models;
    const onnx = await TransformersScorer.load('tiny-qwen3-teacher', { devices: ['cpu'], chunkTokens: 64 });
    const viaOnnx = await onnx.scoreTokens(recorded.prompt_ids, recorded.response_ids);
    const viaEngine = await new EngineScorer('teacher', teacher).scoreTokens(
      recorded.prompt_ids,
      recorded.response_ids,
    );
    expect(viaOnnx).toHaveLength(recorded.response_ids.length);
    let maxDiff = 0;
    for (let t = 0; t < viaOnnx.length; t++) maxDiff = Math.max(maxDiff, Math.abs(viaOnnx[t] - viaEngine[t]));
    expect(maxDiff).toBeLessThan(1e-4);
    await onnx.dispose();
  }, 120_000);

  it("teacher: the next-token logits of onnxruntime equal the engine's within 1e-4, and greedy generate gives the same continuation", async () => {
    const { AutoModelForCausalLM } = await import('@huggingface/transformers');
    env.allowRemoteModels = false;
    env.localModelPath = models;
    const model = await AutoModelForCausalLM.from_pretrained('tiny-qwen3-teacher', { dtype: 'fp32', device: 'cpu' });
    const prompt = recorded.prompt_ids;
    const inputIds = new Tensor('int64', BigInt64Array.from(prompt.map(BigInt)), [1, prompt.length]);
    const attentionMask = new Tensor('int64', new BigInt64Array(prompt.length).fill(1n), [1, prompt.length]);
    const out = await model({ input_ids: inputIds, attention_mask: attentionMask });
    const logits = out.logits.data;
    if (!(logits instanceof Float32Array)) throw new Error('expected float32 logits');
    const V = teacher.config.vocabSize;
    const decoder = new Decoder(teacher);
    const engineLogits = await decoder.feed(decoder.newCache(prompt.length), prompt);
    const last = logits.subarray(logits.length - V);
    let maxDiff = 0;
    for (let v = 0; v < V; v++) maxDiff = Math.max(maxDiff, Math.abs(last[v] - engineLogits[v]));
    expect(maxDiff).toBeLessThan(1e-4);

    const n = 24;
    const generated = await model.generate({
      input_ids: inputIds,
      attention_mask: attentionMask,
      max_new_tokens: n,
      do_sample: false,
      eos_token_id: -1,
    });
    const viaTransformers = Array.from(generated instanceof Tensor ? generated.data : [], (x) => Number(x)).slice(
      prompt.length,
    );
    const viaEngine: number[] = [];
    for await (const token of new EnginePolicy('teacher', teacher).generate({
      inputIds: prompt,
      sampling: { ...defaultSampling, temperature: 0, maxNewTokens: n },
    }))
      viaEngine.push(token.id);
    expect(viaTransformers).toEqual(viaEngine);
  }, 120_000);

  it('the teacher solves held-out problems with the tool; the student solves fewer', async () => {
    const tasks = testTasks.slice(0, 10);
    const limits = { maxTurns: 4, maxTurnTokens: 200, maxTotalTokens: 600 };
    const student = await loadQwen3(new CpuBackend(), folderFiles(studentDir));
    const solved = async (model: Qwen3Model<Floats>) =>
      (await evaluateGreedy({ policy: new EnginePolicy('m', model), chat, sandbox, tasks, limits })).filter(
        (t) => t.correct,
      ).length;
    const byTeacher = await solved(teacher);
    const byStudent = await solved(student);
    expect(byTeacher).toBeGreaterThanOrEqual(8);
    expect(byStudent).toBeLessThan(byTeacher);
  }, 240_000);
});
