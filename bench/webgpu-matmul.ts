/**
 * Matmul throughput on the WebGPU adapter present (SwiftShader on CPU-only machines),
 * against the adapter's measured f32 peak and against the plain CPU loop, for the shapes
 * of the tiny demo models and of Qwen3-0.6B, per shape class and kernel (GFLOP/s, % of peak).
 * 'default' is what the engine runs: its kernel for the adapter and shape, over the weights
 * as it stores them by default. Qwen3's checkpoints are bf16, so at its shapes the weight
 * operand is bf16 values, stored as the adapter's default (bf16 without shader-f16, f16 with
 * it); 'default f32' is the same kernel over f32 weights. Prints a table and writes bench/results/.
 *
 *   npm run bench -- matmul
 */
import { roundToBf16 } from '../src/engine/half-floats';
import { WebGpuBackend } from '../src/engine/webgpu/backend';
import { GpuContext } from '../src/engine/webgpu/context';
import { openEngineDevice } from '../src/engine/webgpu/device';
import { nodeGpu } from '../src/engine/webgpu/node-gpu';
import { encodeMatmul, type MatmulKernel, matvecMaxRows } from '../src/engine/webgpu/ops/matmul';
import {
  loadProbeLoads,
  loadProbeRows,
  loadProbeWgsl,
  peakFlopsPerThread,
  peakWgsl,
} from '../src/engine/webgpu/ops/peak.wgsl';
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

/** One column of the table: a kernel encodeMatmul can be told to use, or its own choice ('default'). */
interface Column {
  label: string;
  kernel?: MatmulKernel;
  shareA?: boolean;
  /** The weight operand as the engine stores it by default, rather than f32. */
  stored?: boolean;
}

/**
 * Rounds of timings, each round timing every kernel of every shape once and the peak probe
 * once, so that a slow spell of this shared machine slows all of them alike; medians over
 * the rounds. The tiled kernel (GPUs' choice, ~10× slower here) runs fewer rounds.
 */
const rounds = Number(process.env.MATMUL_ROUNDS ?? 7);
const tiledRounds = 3;

export async function benchMatmul(report: BenchReport): Promise<void> {
  const ctx = new GpuContext(await openEngineDevice(await nodeGpu()));
  report.adapter = ctx.engine.adapterName;
  // Stores the weight operand as the engine stores a model's matrices by default (uploadRows).
  const weights = new WebGpuBackend(ctx.engine);
  const time = async (run: () => Promise<void>) => {
    const start = performance.now();
    await run();
    return (performance.now() - start) / 1000;
  };

  // Measured peak: 64 workgroups × 256 threads of the FMA probe.
  const threads = 64 * 256;
  const sink = ctx.zeros(threads, 'peak sink');
  const peakPipeline = ctx.programs.get('peak', 'f32', peakWgsl);
  const runPeak = async () => {
    const encoder = ctx.device.createCommandEncoder();
    ctx.dispatch(encoder, peakPipeline, [sink], [64]);
    await ctx.submit(encoder);
    await ctx.read(sink, 1);
  };
  await runPeak();
  const peakSeconds: number[] = [];
  // The load probe: the same threads, each summing vec4s of its own row.
  const probeRows = ctx.upload(
    Float32Array.from({ length: loadProbeRows * loadProbeLoads * 4 }, (_, i) => (i % 7) - 3),
    'load probe rows',
  );
  const loadSink = ctx.zeros(threads * 4, 'load probe sink');
  const loadPipeline = ctx.programs.get('peak', 'load', loadProbeWgsl);
  const runLoads = async () => {
    const encoder = ctx.device.createCommandEncoder();
    ctx.dispatch(encoder, loadPipeline, [probeRows, loadSink], [64]);
    await ctx.submit(encoder);
    await ctx.read(loadSink, 1);
  };
  await runLoads();
  const loadSeconds: number[] = [];

  const cases = shapes.map(({ name, M, N, K, transA = false, transB = false }) => {
    const x = Float32Array.from({ length: M * K }, (_, i) => Math.sin(i));
    // Qwen3's b is a weight saved in bf16, except in dW = dYᵀ·X (activations).
    const savedInBf16 = name.startsWith('Qwen3') && !transA;
    const w = Float32Array.from({ length: N * K }, (_, i) => Math.cos(i));
    if (savedInBf16) w.set(roundToBf16(w));
    const a = ctx.upload(x, 'x');
    const b = ctx.upload(w, 'w');
    const stored = savedInBf16 ? weights.uploadRows(w, transB ? N : K, 'w') : b;
    const out = ctx.zeros(M * N, 'y');
    // Each kernel that applies; 'default' is what encodeMatmul picks for this adapter and shape,
    // and 'block unshared' the block kernel with every thread loading all of A's rows.
    const columns: Column[] = [
      { label: 'tiled', kernel: 'tiled' },
      ...(transB ? [{ label: 'rowdot', kernel: 'rowdot' as const }] : []),
      { label: 'block', kernel: 'block' },
      // GPUs' kernel for decode; over the weights as stored, as decode reads them.
      ...(transB && M <= matvecMaxRows ? [{ label: 'matvec', kernel: 'matvec' as const, stored: true }] : []),
      ...(ctx.engine.subgroupSize !== undefined && M > 1
        ? [{ label: 'block unshared', kernel: 'block' as const, shareA: false }]
        : []),
      ...(stored !== b ? [{ label: 'default f32' }] : []),
      { label: 'default', stored: true },
    ];
    const runs = columns.map((column) => async () => {
      const encoder = ctx.device.createCommandEncoder();
      const { kernel, shareA } = column;
      encodeMatmul(ctx, encoder, { out, a, b: column.stored ? stored : b, M, N, K, transA, transB, kernel, shareA });
      await ctx.submit(encoder);
      await ctx.read(out, 1);
    });
    return { name, M, N, K, transA, transB, x, w, columns, runs, seconds: columns.map((): number[] => []) };
  });
  // Warm-up: every pipeline compiled before any timing.
  for (const c of cases) for (const run of c.runs) await run();
  for (let round = 0; round < rounds; round++) {
    peakSeconds.push(await time(runPeak));
    loadSeconds.push(await time(runLoads));
    for (const c of cases)
      for (const [i, run] of c.runs.entries())
        if (c.columns[i].kernel !== 'tiled' || round < tiledRounds) c.seconds[i].push(await time(run));
  }

  const peakGflops = (threads * peakFlopsPerThread) / median(peakSeconds) / 1e9;
  report.results.push({ name: 'webgpu f32 peak (FMA probe)', value: peakGflops, unit: 'GFLOP/s' });
  console.log(
    `adapter: ${report.adapter}\nmeasured f32 peak: ${peakGflops.toFixed(2)} GFLOP/s (medians of ${rounds} interleaved rounds)`,
  );
  // A matrix-vector product reads each f32 weight once, 4 to a vec4 load: that bounds decode.
  const loadRate = (threads * loadProbeLoads) / median(loadSeconds);
  report.results.push({ name: 'webgpu vec4 loads (load probe)', value: loadRate / 1e9, unit: 'G loads/s' });
  console.log(
    `vec4 loads at distinct addresses: ${(loadRate / 1e9).toFixed(3)} G/s, each the time of ` +
      `${(peakGflops / 2 / (loadRate / 1e9)).toFixed(0)} multiply-adds; a matrix-vector product of f32 weights ` +
      `reads at most ${((4 * loadRate) / 1e9).toFixed(2)} G weights/s`,
  );
  const pct = (x: number) => `${((100 * x) / peakGflops).toFixed(1)}%`.padStart(6);
  for (const c of cases) {
    const { name, M, N, K, transA, transB } = c;
    const flops = 2 * M * N * K;
    const cells: string[] = [];
    for (const [i, column] of c.columns.entries()) {
      const rate = flops / median(c.seconds[i]) / 1e9;
      report.results.push({
        name: `matmul ${name} webgpu ${column.label}`,
        value: rate,
        unit: 'GFLOP/s',
        shape: { M, N, K, transA, transB },
      });
      cells.push(`${column.label} ${rate.toFixed(2).padStart(5)} (${pct(rate)})`);
    }
    if (transB && M > 1) {
      const cpuSeconds = await timeRuns(1, async () => {
        cpuMatmul(c.x, c.w, M, N, K);
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
