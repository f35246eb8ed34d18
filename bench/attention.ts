/**
 * One layer's causal attention at Qwen3-0.6B's shapes (16 query heads, 8 key/value heads,
 * head_dim 128) over a training sequence, forward and backward, on the CPU backend and on
 * WebGPU side by side: seconds per call, median of the runs after a warm-up.
 *
 *   npm run bench -- attention        (ATTENTION_TOKENS=1024 for a longer sequence)
 */
import type { Backend } from '../src/engine/backend';
import { CpuBackend } from '../src/engine/cpu/backend';
import { seededRandom } from '../src/engine/params';
import { WebGpuBackend } from '../src/engine/webgpu/backend';
import { openEngineDevice } from '../src/engine/webgpu/device';
import { nodeGpu } from '../src/engine/webgpu/node-gpu';
import { median, timeRuns, type BenchReport } from './report';

const T = Number(process.env.ATTENTION_TOKENS ?? 512);
const dims = { T, P: 0, Hq: 16, Hkv: 8, D: 128 };
const runs = 3;

async function secondsPerCall<X>(b: Backend<X>): Promise<{ forward: number; backward: number }> {
  const { Hq, Hkv, D } = dims;
  const random = (n: number, seed: number) => {
    const r = seededRandom(seed);
    return b.upload(
      Float32Array.from({ length: n }, () => r() - 0.5),
      `random ${seed}`,
    );
  };
  const [q, k, v, dout] = [
    random(T * Hq * D, 1),
    random(T * Hkv * D, 2),
    random(T * Hkv * D, 3),
    random(T * Hq * D, 4),
  ];
  const out = b.zeros(T * Hq * D, 'out');
  const lse = b.zeros(Hq * T, 'lse');
  const [dq, dk, dv] = [b.zeros(T * Hq * D, 'dq'), b.zeros(T * Hkv * D, 'dk'), b.zeros(T * Hkv * D, 'dv')];
  const forward = await timeRuns(runs, async () => {
    b.attentionForward({ ...dims, out, lse, q, k, v });
    await b.read(lse, 1);
  });
  const backward = await timeRuns(runs, async () => {
    b.attentionBackward({ ...dims, dq, dk, dv, dout, q, k, v, out, lse });
    await b.read(dq, 1);
  });
  return { forward: median(forward), backward: median(backward) };
}

export async function benchAttention(report: BenchReport): Promise<void> {
  const device = await openEngineDevice(await nodeGpu()).catch(() => undefined);
  report.adapter = device?.adapterName ?? 'none (CPU only)';
  console.log(`attention of one layer, ${T} tokens, Qwen3-0.6B heads; median of ${runs} after a warm-up`);
  const cpu = await secondsPerCall(new CpuBackend());
  const line = (name: string, s: { forward: number; backward: number }, extra = '') =>
    console.log(
      `${name.padEnd(7)} forward ${s.forward.toFixed(3).padStart(7)} s  backward ${s.backward.toFixed(3).padStart(7)} s${extra}`,
    );
  line('cpu', cpu);
  report.results.push({ name: 'attention forward cpu', value: cpu.forward, unit: 's', T });
  report.results.push({ name: 'attention backward cpu', value: cpu.backward, unit: 's', T });
  if (device === undefined) return;
  const gpu = await secondsPerCall(new WebGpuBackend(device));
  line(
    'webgpu',
    gpu,
    `   ÷ cpu ${(gpu.forward / cpu.forward).toFixed(1)} and ${(gpu.backward / cpu.backward).toFixed(1)}  (${report.adapter})`,
  );
  report.results.push({
    name: 'attention forward webgpu',
    value: gpu.forward,
    unit: 's',
    T,
    ratioToCpu: gpu.forward / cpu.forward,
  });
  report.results.push({
    name: 'attention backward webgpu',
    value: gpu.backward,
    unit: 's',
    T,
    ratioToCpu: gpu.backward / cpu.backward,
  });
  device.destroy();
}
