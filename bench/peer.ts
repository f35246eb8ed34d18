/**
 * Side by side with the peer, in one run, in headless Chromium (tests/e2e/pages/model.html): a
 * random Qwen3 of the real 0.6B dimensions (2 layers by default; PEER_LAYERS=28 for all of them)
 * run by
 * - our engine on the browser's WebGPU (its default weights: f16 where the adapter has
 *   shader-f16, f32 otherwise),
 * - transformers.js on onnxruntime-web's WebGPU provider, with the same weights exported by
 *   `sodp export-onnx` (fp32, the graph every adapter runs),
 * - our engine's CPU backend, in the same page.
 * For each: prefill tokens/s (a PEER_PROMPT-token prompt, from its time to the first token),
 * greedy decode tokens/s (PEER_NEW new tokens after it) and teacher-scoring tokens/s (a
 * PEER_SCORE-token trajectory, teacher-forced). Medians of PEER_RUNS runs after a warm-up.
 *
 *   npm run bench -- peer
 *   PEER_PROMPT=64 PEER_NEW=16 PEER_SCORE=128 PEER_RUNTIMES=ours-webgpu,transformers.js-webgpu npm run bench -- peer
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { exportOnnxFolder } from '../src/models/onnx/export-folder';
import { writeRandomQwen3Folder } from '../src/models/testing/random-qwen3';
import { startHubServer } from '../tests/support/hub-server';
import { type ModelPage, openModelPage, type PageModelRequest } from '../tests/support/model-page';
import { median, type BenchReport } from './report';

const layers = Number(process.env.PEER_LAYERS ?? 2);
const promptTokens = Number(process.env.PEER_PROMPT ?? 512);
const newTokens = Number(process.env.PEER_NEW ?? 128);
const scoredTokens = Number(process.env.PEER_SCORE ?? 1024);
const runs = Number(process.env.PEER_RUNS ?? 1);
const chosen = process.env.PEER_RUNTIMES?.split(',');

interface Figures {
  prefill: number;
  decode: number;
  scoring: number;
  device: string;
  greedy: number[];
}

/** Ids that are ordinary tokens of Qwen3's vocabulary, the same for every runtime. */
const ids = (n: number, salt: number) => Array.from({ length: n }, (_, i) => (i * 7919 + salt * 104729 + 13) % 151643);

async function measure(page: ModelPage, request: PageModelRequest): Promise<Figures> {
  const model = await page.open(request);
  await model.generateGreedy(ids(16, 1), 2); // warm-up: pipelines, first allocations
  const prefill: number[] = [];
  const decode: number[] = [];
  let greedy: number[] = [];
  // A new prompt each run: the engine would take a repeated one from its cache.
  for (let r = 0; r < runs; r++) {
    const g = await model.generateGreedy(ids(promptTokens, 2 + 2 * r), newTokens);
    prefill.push(promptTokens / g.firstTokenSeconds);
    decode.push((g.ids.length - 1) / (g.totalSeconds - g.firstTokenSeconds));
    greedy = g.ids;
  }
  const split = Math.min(64, scoredTokens >> 1);
  const scoring: number[] = [];
  for (let r = 0; r < runs; r++) {
    const trajectory = ids(scoredTokens, 3 + 2 * r);
    const t0 = performance.now();
    await model.scoreTokens(trajectory.slice(0, split), trajectory.slice(split));
    scoring.push(scoredTokens / ((performance.now() - t0) / 1000));
  }
  return { prefill: median(prefill), decode: median(decode), scoring: median(scoring), device: model.device, greedy };
}

export async function benchPeer(report: BenchReport): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sodp-peer-'));
  const folder = writeRandomQwen3Folder(join(dir, 'model'), { size: '0.6B', layers, seed: 3 });
  await exportOnnxFolder(folder, join(dir, 'onnx'), { dtype: 'fp32' });
  const hub = await startHubServer({ 'bench/model': folder, 'bench/model-onnx': resolve(dir, 'onnx') });
  const page = await openModelPage();
  const runtimes: Record<string, PageModelRequest> = {
    'ours-webgpu': { endpoint: hub.url, repo: 'bench/model', runtime: { kind: 'engine', backend: 'webgpu' } },
    'transformers.js-webgpu': {
      endpoint: hub.url,
      repo: 'bench/model-onnx',
      runtime: { kind: 'onnx', dtype: 'fp32', devices: ['webgpu'] },
    },
    'ours-cpu': { endpoint: hub.url, repo: 'bench/model', runtime: { kind: 'engine', backend: 'cpu' } },
  };
  console.log(
    `random Qwen3-0.6B dimensions, ${layers} layers, in headless Chromium: prefill ${promptTokens} tokens, ` +
      `greedy decode ${newTokens}, scoring ${scoredTokens}; median of ${runs}`,
  );
  const figures: Record<string, Figures> = {};
  try {
    for (const [name, request] of Object.entries(runtimes)) {
      if (chosen !== undefined && !chosen.includes(name)) continue;
      try {
        const f = await measure(page, request);
        figures[name] = f;
        console.log(
          `${name.padEnd(24)} prefill ${f.prefill.toFixed(1).padStart(7)} tok/s  decode ${f.decode.toFixed(2).padStart(6)} tok/s  ` +
            `scoring ${f.scoring.toFixed(1).padStart(7)} tok/s  on ${f.device}`,
        );
        for (const [figure, value] of [
          ['prefill', f.prefill],
          ['decode', f.decode],
          ['scoring', f.scoring],
        ] as const)
          report.results.push({ name: `${name} ${figure}`, value, unit: 'tokens/s', device: f.device, layers });
      } catch (err) {
        console.log(`${name.padEnd(24)} failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  } finally {
    await page.close();
    hub.server.close();
    hub.server.closeAllConnections();
    rmSync(dir, { recursive: true, force: true });
  }
  const ratio = (figure: 'prefill' | 'decode' | 'scoring', a: string, b: string) => {
    if (figures[a] === undefined || figures[b] === undefined) return;
    const value = figures[a][figure] / figures[b][figure];
    console.log(`${figure} ${a} ÷ ${b}: ${value.toFixed(2)}`);
    report.results.push({ name: `${figure} ${a} / ${b}`, value, unit: 'ratio' });
  };
  ratio('decode', 'ours-webgpu', 'transformers.js-webgpu');
  ratio('decode', 'ours-webgpu', 'ours-cpu');
  ratio('scoring', 'ours-webgpu', 'transformers.js-webgpu');
  ratio('prefill', 'ours-webgpu', 'transformers.js-webgpu');
  ratio('prefill', 'ours-webgpu', 'ours-cpu');
  // The same weights, greedy: where the two WebGPU runtimes' tokens part (float sums differ in order).
  const a = figures['ours-webgpu']?.greedy;
  const b = figures['transformers.js-webgpu']?.greedy;
  if (a !== undefined && b !== undefined) {
    let same = 0;
    while (same < Math.min(a.length, b.length) && a[same] === b[same]) same++;
    console.log(
      `greedy tokens: ours and transformers.js agree on the first ${same} of ${Math.min(a.length, b.length)}`,
    );
  }
}
