/**
 * Matmul throughput on the WebGPU adapter present (SwiftShader on CPU-only machines),
 * against the adapter's measured f32 peak and against the plain CPU loop, for the shapes
 * of the tiny demo models and of Qwen3-0.6B, per shape class and kernel (GFLOP/s, % of peak).
 * Prints a table and writes bench/results/.
 *
 *   npm run bench -- matmul
 */
import { GpuContext } from '../src/engine/webgpu/context';
import { openEngineDevice } from '../src/engine/webgpu/device';
import { nodeGpu } from '../src/engine/webgpu/node-gpu';
import { encodeMatmul, type MatmulKernel } from '../src/engine/webgpu/ops/matmul';
import { peakFlopsPerThread, peakWgsl } from '../src/engine/webgpu/ops/peak.wgsl';
import { median, timeRuns, type BenchReport } from './report';

/**
 * Shapes by class: prefill/training forward y = x·Wᵀ (transB, M tokens, N outputs, K inputs),
 * decode (the same with M = 1), and the backward products of a projection: dX = dY·W ('nn')
 * and dW = dYᵀ·X ('tn').
 */
const shapes: { name: string; M: number; N: number; K: number; transA?: boolean; transB?: boolean }[] = [
  { name: 'tiny teacher q_proj (256 tok)', M: 256, N: 256, K: 256, transB: true },
  { name: 'tiny teacher mlp up (256 tok)', M: 256, N: 768, K: 256, transB: true },
  { name: 'Qwen3-0.6B q_proj (256 tok)', M: 256, N: 2048, K: 1024, transB: true },
  { name: 'Qwen3-0.6B mlp up (256 tok)', M: 256, N: 3072, K: 1024, transB: true },
  { name: 'Qwen3-0.6B q_proj decode (1 tok)', M: 1, N: 2048, K: 1024, transB: true },
  { name: 'Qwen3-0.6B mlp up decode (1 tok)', M: 1, N: 3072, K: 1024, transB: true },
  { name: 'Qwen3-0.6B q_proj dX (nn)', M: 256, N: 1024, K: 2048 },
  { name: 'Qwen3-0.6B q_proj dW (tn)', M: 2048, N: 1024, K: 256, transA: true },
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

  const pct = (x: number) => `${((100 * x) / peakGflops).toFixed(1)}%`.padStart(6);
  for (const { name, M, N, K, transA = false, transB = false } of shapes) {
    const x = Float32Array.from({ length: M * K }, (_, i) => Math.sin(i));
    const w = Float32Array.from({ length: N * K }, (_, i) => Math.cos(i));
    const a = ctx.upload(x, 'x');
    const b = ctx.upload(w, 'w');
    const out = ctx.zeros(M * N, 'y');
    const flops = 2 * M * N * K;
    const gpuRate = async (kernel: MatmulKernel | undefined) => {
      const seconds = await timeRuns(3, async () => {
        const encoder = ctx.device.createCommandEncoder();
        encodeMatmul(ctx, encoder, { out, a, b, M, N, K, transA, transB, ...(kernel ? { kernel } : {}) });
        await ctx.submit(encoder);
        await ctx.read(out, 1);
      });
      return flops / median(seconds) / 1e9;
    };
    // Each kernel that applies; 'default' is what encodeMatmul picks for this adapter and shape.
    const kernels: (MatmulKernel | 'default')[] = ['tiled', ...(transB ? ['rowdot' as const] : []), 'block', 'default'];
    const cells: string[] = [];
    for (const kernel of kernels) {
      const rate = await gpuRate(kernel === 'default' ? undefined : kernel);
      report.results.push({
        name: `matmul ${name} webgpu ${kernel}`,
        value: rate,
        unit: 'GFLOP/s',
        shape: { M, N, K, transA, transB },
      });
      cells.push(`${kernel} ${rate.toFixed(2).padStart(5)} (${pct(rate)})`);
    }
    if (transB && M > 1) {
      const cpuSeconds = await timeRuns(1, async () => {
        cpuMatmul(x, w, M, N, K);
      });
      const cpu = flops / median(cpuSeconds) / 1e9;
      report.results.push({ name: `matmul ${name} cpu loop`, value: cpu, unit: 'GFLOP/s', shape: { M, N, K } });
      cells.push(`cpu loop ${cpu.toFixed(2)}`);
    }
    console.log(`${name.padEnd(34)} ${cells.join('  ')}`);
  }
  ctx.destroy();
  ctx.engine.destroy();
}
