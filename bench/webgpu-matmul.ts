/**
 * Matmul throughput on the WebGPU adapter present (SwiftShader on CPU-only machines),
 * against the adapter's measured f32 peak and against the plain CPU loop, for the shapes
 * of the tiny demo models and of Qwen3-0.6B. Prints a table and writes bench/results/.
 *
 *   npm run bench -- matmul
 */
import { GpuContext } from '../src/engine/webgpu/context';
import { openEngineDevice } from '../src/engine/webgpu/device';
import { nodeGpu } from '../src/engine/webgpu/node-gpu';
import { encodeMatmul } from '../src/engine/webgpu/ops/matmul';
import { peakFlopsPerThread, peakWgsl } from '../src/engine/webgpu/ops/peak.wgsl';
import { median, timeRuns, type BenchReport } from './report';

/** y = x·Wᵀ shapes (M tokens, N outputs, K inputs). */
const shapes: { name: string; M: number; N: number; K: number }[] = [
  { name: 'tiny teacher q_proj (256 tok)', M: 256, N: 256, K: 256 },
  { name: 'tiny teacher mlp up (256 tok)', M: 256, N: 768, K: 256 },
  { name: 'Qwen3-0.6B q_proj (256 tok)', M: 256, N: 2048, K: 1024 },
  { name: 'Qwen3-0.6B mlp up (256 tok)', M: 256, N: 3072, K: 1024 },
];

function cpuMatmul(x: Float32Array, w: Float32Array, M: number, N: number, K: number): Float32Array {
  const y = new Float32Array(M * N);
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let sum = 0;
      for (let k = 0; k < K; k++) sum += x[m * K + k] * w[n * K + k];
      y[m * N + n] = sum;
    }
  }
  return y;
}

export async function benchMatmul(report: BenchReport): Promise<void> {
  const ctx = new GpuContext(await openEngineDevice(await nodeGpu()));
  report.adapter = ctx.engine.adapterName;

  // Measured peak: 64 workgroups × 256 threads of the FMA probe.
  const threads = 64 * 256;
  const sink = ctx.zeros(threads, 'peak sink');
  const peakPipeline = ctx.programs.get('peak', 'f32', peakWgsl);
  const peakSeconds = await timeRuns(5, async () => {
    const encoder = ctx.device.createCommandEncoder();
    ctx.dispatch(encoder, peakPipeline, [sink], [64]);
    await ctx.submit(encoder);
    await ctx.read(sink, 1);
  });
  const peakGflops = (threads * peakFlopsPerThread) / median(peakSeconds) / 1e9;
  report.results.push({ name: 'webgpu f32 peak (FMA probe)', value: peakGflops, unit: 'GFLOP/s' });
  console.log(`adapter: ${report.adapter}\nmeasured f32 peak: ${peakGflops.toFixed(2)} GFLOP/s`);

  for (const { name, M, N, K } of shapes) {
    const x = Float32Array.from({ length: M * K }, (_, i) => Math.sin(i));
    const w = Float32Array.from({ length: N * K }, (_, i) => Math.cos(i));
    const a = ctx.upload(x, 'x');
    const b = ctx.upload(w, 'w');
    const out = ctx.zeros(M * N, 'y');
    const flops = 2 * M * N * K;
    const gpuRate = async (kernel: 'tiled' | 'rowdot') => {
      const seconds = await timeRuns(5, async () => {
        const encoder = ctx.device.createCommandEncoder();
        encodeMatmul(ctx, encoder, { out, a, b, M, N, K, transB: true, kernel });
        await ctx.submit(encoder);
        await ctx.read(out, 1);
      });
      return flops / median(seconds) / 1e9;
    };
    const tiled = await gpuRate('tiled');
    const rowDot = await gpuRate('rowdot');
    const cpuSeconds = await timeRuns(3, async () => {
      cpuMatmul(x, w, M, N, K);
    });
    const cpu = flops / median(cpuSeconds) / 1e9;
    const best = Math.max(tiled, rowDot);
    report.results.push({ name: `matmul ${name} webgpu tiled`, value: tiled, unit: 'GFLOP/s', shape: { M, N, K } });
    report.results.push({ name: `matmul ${name} webgpu rowdot`, value: rowDot, unit: 'GFLOP/s', shape: { M, N, K } });
    report.results.push({ name: `matmul ${name} cpu loop`, value: cpu, unit: 'GFLOP/s', shape: { M, N, K } });
    const pct = (x: number) => `${((100 * x) / peakGflops).toFixed(1)}%`;
    console.log(
      `${name.padEnd(30)} tiled ${tiled.toFixed(2).padStart(6)} (${pct(tiled)})  rowdot ${rowDot.toFixed(2).padStart(6)} (${pct(rowDot)})  cpu loop ${cpu.toFixed(2).padStart(5)} GFLOP/s  best webgpu/cpu ${(best / cpu).toFixed(2)}×`,
    );
  }
  ctx.destroy();
  ctx.engine.destroy();
}
