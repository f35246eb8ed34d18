import { describe, expect, it } from 'vitest';
import type { LoadedModel, LoadRequest } from '../../workers/protocols';
import type { StoreServices } from '../app-store';
import { createAppStore } from '../store';

const loaded: LoadedModel = {
  name: 'm',
  backend: 'cpu',
  device: 'CPU',
  layers: 1,
  hiddenSize: 8,
  vocabSize: 10,
  parameters: 1,
  weightBytes: 4,
  allocatedBytes: 4,
  plan: { parts: [{ part: 'weights', bytes: 4 }], totalBytes: 4, peakBytes: 4, largestTensorBytes: 4 },
  planWorkload: { promptTokens: 300, turnTokens: 256, responseTokens: 1216, sequencesPerStep: 4 },
  downloadedBytes: 4,
  seconds: 0,
};

/** Services whose workers record each load request and answer at once. */
function recordingServices(requests: LoadRequest[]): StoreServices {
  const call = async (_method: string, request: LoadRequest) => {
    requests.push(request);
    return loaded;
  };
  const client = { student: { call }, teacher: { call }, ready: async () => {}, tasks: async () => [] };
  return { client: () => client, hasWebGpu: () => false, resolveUrl: (p) => p };
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
});
