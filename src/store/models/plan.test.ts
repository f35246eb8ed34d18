import { describe, expect, it, vi } from 'vitest';
import { memoryCheckpointStore } from '../training/checkpoints';
import { fitMemory } from '../../agent/training/memory-fit';
import { defaultTrainingSettings, planPromptTokens } from '../../agent/training/settings';
import { allLoraTargets } from '../../engine/params';
import { qwen3Config } from '../../engine/qwen3-sizes';
import { planFor } from '../../workers/engine-host';
import type { PlanRequest } from '../../workers/protocols';
import type { StoreServices } from '../app-store';
import { createAppStore } from '../store';
import { fakeModelCache } from '../../../tests/support/fake-model-cache';
import { loadedModel } from '../../../tests/support/loaded-model';

const config = qwen3Config('0.6B', 2);

/** Workers that load at once and plan with the workers' own planFor on a 2-layer Qwen3-0.6B; `requests` records each plan request. */
function planningServices(requests: PlanRequest[]): StoreServices {
  const worker = (role: 'student' | 'teacher') => ({
    call: async (method: string, request: unknown) => {
      if (method === 'load') return loadedModel();
      requests.push(request as PlanRequest);
      return planFor({ config, weights: { format: 'f32' } }, role, request as PlanRequest);
    },
  });
  const client = {
    student: worker('student'),
    teacher: worker('teacher'),
    ready: async () => {},
    tasks: async () => [],
  };
  return {
    client: () => client,
    hasWebGpu: () => false,
    resolveUrl: (p) => p,
    modelCache: fakeModelCache(),
    checkpoints: memoryCheckpointStore(),
  };
}

const bytesOf = (parts: { part: string; bytes: number }[] | undefined, part: string) =>
  parts?.find((p) => p.part === part)?.bytes ?? 0;

describe("the memory plan follows the Training form's settings", () => {
  it('is planned again, after a pause, when the rank or the turn length changes, and proposes settings for a small budget', async () => {
    const requests: PlanRequest[] = [];
    const store = createAppStore(planningServices(requests));
    await store.getState().loadModels();
    await store.getState().replan();
    const first = store.getState().plans.student?.reply;
    expect(first?.settings).toEqual(defaultTrainingSettings);
    const lora8 = bytesOf(first?.plan.parts, 'LoRA');
    const kv256 = bytesOf(first?.plan.parts, 'KV caches');
    expect(lora8).toBeGreaterThan(0);

    // Keystrokes in a row make one request, with the last values.
    const before = requests.length;
    store.getState().setTrainingSettings({ loraRank: 16 });
    store.getState().setTrainingSettings({ loraRank: 32 });
    await vi.waitFor(() => expect(store.getState().plans.student?.reply?.settings.loraRank).toBe(32), 10_000);
    expect(requests.slice(before).map((r) => r.settings.loraRank)).toEqual([32, 32]); // student and teacher
    const rank32 = store.getState().plans.student?.reply?.plan;
    // LoRA's A and B grow with the rank: 4 times rank 8's.
    expect(bytesOf(rank32?.parts, 'LoRA')).toBe(4 * lora8);
    // The teacher has no adapter; its plan follows the turns only.
    expect(bytesOf(store.getState().plans.teacher?.reply?.plan.parts, 'LoRA')).toBe(0);

    store.getState().setTrainingSettings({ maxTokens: 64 });
    await vi.waitFor(() => expect(store.getState().plans.student?.reply?.settings.maxTokens).toBe(64), 10_000);
    const shorter = store.getState().plans.student?.reply;
    expect(shorter?.workload.turnTokens).toBe(64);
    expect(bytesOf(shorter?.plan.parts, 'KV caches')).toBeLessThan(kv256);
    expect(shorter?.fit).toBeUndefined();

    // A budget the plan exceeds (room for turns of 128 tokens, not 256): the proposal is sodp plan
    // --memory's, from the same function.
    store.getState().setTrainingSettings({ maxTokens: 256 });
    const settings = store.getState().trainingSettings;
    const budget = (
      await planFor({ config, weights: { format: 'f32' } }, 'student', { settings: { ...settings, maxTokens: 128 } })
    ).plan.totalBytes;
    store.getState().setMemoryBudget(budget);
    await vi.waitFor(() => expect(store.getState().plans.student?.reply?.fit).toBeDefined(), 20_000);
    const fit = store.getState().plans.student?.reply?.fit;
    expect(fit?.fits).toBe(true);
    expect(fit?.settings.maxTokens).toBe(128);
    expect(fit?.plan.totalBytes).toBeLessThanOrEqual(budget);
    expect(fit?.changes.length).toBeGreaterThan(0);
    expect(fit).toEqual(await fitMemory(config, settings, { targets: allLoraTargets }, planPromptTokens, budget));
    expect(store.getState().plans.teacher?.reply?.fit).toBeUndefined();
  }, 60_000);

  it('plans nothing for a model that is not loaded', async () => {
    const requests: PlanRequest[] = [];
    const store = createAppStore(planningServices(requests));
    await store.getState().replan();
    expect(requests).toEqual([]);
    expect(store.getState().plans).toEqual({ student: undefined, teacher: undefined });
  });
});
