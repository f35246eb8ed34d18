import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/engine/cpu/backend';
import { EngineScorer } from '../../src/engine/inference';
import { loadQwen3 } from '../../src/engine/load';
import { folderFiles } from '../../src/engine/node-files';
import type { ExportDtype } from '../../src/models/onnx/dtypes';
import { expectedPrecision } from '../../src/models/teacher-precision';
import type { RandomQwen3Options } from '../../src/models/testing/random-qwen3';
import { browserAvailable } from '../support/browser';
import { cachedRandomQwen3Folder, cachedRandomQwen3Onnx } from '../support/cached-random-qwen3';
import { type HubServer, startHubServer } from '../support/hub-server';
import { type ModelPage, openModelPage } from '../support/model-page';

/**
 * The page's ONNX teacher at Qwen3-0.6B's real dimensions (2 layers, the 151936-token LM head):
 * `sodp export-onnx`'s fp32, fp16 and q4 exports of one random checkpoint, served by a
 * Hub-layout server, downloaded by the page and scored by transformers.js on onnxruntime-web in
 * headless Chromium, WebGPU first (SwiftShader here) and wasm after it, as the teacher worker
 * tries them. Each must agree with the f32 engine on the same checkpoint (here in Node, on the
 * CPU) within twice the largest |Δτ| docs/teacher-precision.md measured for its dtype.
 */
describe.skipIf(!browserAvailable)('the ONNX teacher in the page at Qwen3-0.6B dimensions', () => {
  const checkpoint: RandomQwen3Options = { size: '0.6B', layers: 2, seed: 2 };
  const dtypes: ExportDtype[] = ['fp32', 'fp16', 'q4'];
  // One chunk of the teacher's KV-cached scoring: SwiftShader runs onnxruntime's fp32 WebGPU kernels at about 1.5 tokens/s here.
  const prompt = [151644, 872, 198, 3838, 374, 220, 17, 10];
  const response = Array.from({ length: 16 }, (_, i) => (i * 104729 + 7) % 151643);
  let hub: HubServer;
  let page: ModelPage;
  let engine: Float64Array;

  beforeAll(async () => {
    const repos: Record<string, string> = {};
    for (const dtype of dtypes)
      repos[`test-org/qwen3-0.6b-2l-${dtype}`] = await cachedRandomQwen3Onnx(checkpoint, dtype);
    hub = await startHubServer(repos);
    const model = await loadQwen3(new CpuBackend(), folderFiles(cachedRandomQwen3Folder(checkpoint)));
    engine = await new EngineScorer('engine f32', model).scoreTokens(prompt, response);
    page = await openModelPage();
  }, 300_000);

  afterAll(async () => {
    await page?.close();
    hub?.server.close();
    hub?.server.closeAllConnections();
  });

  // fp16 graphs need `shader-f16`, which SwiftShader lacks: that one runs on wasm, and says why.
  it.each(dtypes)(
    '%s: agrees with the f32 engine within the table’s tolerance',
    async (dtype) => {
      const teacher = await page.open({
        endpoint: hub.url,
        repo: `test-org/qwen3-0.6b-2l-${dtype}`,
        runtime: { kind: 'onnx', dtype, devices: ['webgpu', 'wasm'] },
      });
      const logprobs = await teacher.scoreTokens(prompt, response);
      let worst = 0;
      for (let t = 0; t < response.length; t++) worst = Math.max(worst, Math.abs(logprobs[t] - engine[t]));
      const tolerance = 2 * Math.max(...expectedPrecision(`onnx-${dtype}`).map(({ row }) => row.maxAbsTau));
      console.info(
        `ONNX ${dtype} on ${teacher.device}: largest |Δτ| ${worst.toExponential(2)} (tolerance ${tolerance.toExponential(2)})`,
      );
      expect(logprobs).toHaveLength(response.length);
      expect(worst).toBeLessThan(tolerance);
      if (dtype === 'fp16') expect(teacher.device).toMatch(/^webgpu$|^wasm \(webgpu failed \(.*fp16.*\)/);
      else expect(teacher.device).toBe('webgpu');
    },
    300_000,
  );
});
