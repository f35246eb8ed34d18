import type { LoadedModel } from '../../src/workers/protocols';

/** A loaded model as a worker reports it, for store and view tests; `patch` changes any field. */
export function loadedModel(patch: Partial<LoadedModel> = {}): LoadedModel {
  return {
    name: 'm',
    backend: 'cpu',
    device: 'CPU',
    layers: 1,
    hiddenSize: 8,
    vocabSize: 10,
    parameters: 1,
    weights: { format: 'f32' },
    weightBytes: 4,
    allocatedBytes: 4,
    plan: {
      parts: [{ part: 'weights', bytes: 4 }],
      totalBytes: 4,
      peakBytes: 4,
      largestTensorBytes: 4,
      largestTensor: { label: 'model.norm.weight', part: 'weights' },
      vocabularyMatrixBytes: 4,
    },
    planWorkload: { promptTokens: 300, turnTokens: 256, responseTokens: 1216, sequencesPerStep: 4 },
    vocabulary: { name: 'm', vocabSize: 10, tokens: 10, fingerprint: '00000000' },
    downloadedBytes: 4,
    seconds: 0,
    ...patch,
  };
}
