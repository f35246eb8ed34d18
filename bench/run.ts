/**
 * `npm run bench [-- name …]`: runs the named benchmarks (all by default), prints figures
 * and ratios, and writes one JSON report per benchmark under bench/results/.
 * Benchmarks, not tests: these machines are shared and noisy, so compare within one run.
 */
import { newReport, writeReport, type BenchReport } from './report';

type Benchmark = (report: BenchReport) => Promise<void>;

/**
 * Each benchmark's module is loaded only when it runs: the GPU-machine kit
 * (scripts/device-kit.sh) bundles this file without the browser and ONNX packages that only
 * peer and teacher-paths need.
 */
const benchmarks: Record<string, () => Promise<Benchmark>> = {
  matmul: async () => (await import('./webgpu-matmul')).benchMatmul,
  engine: async () => (await import('./engine')).benchEngine,
  'cpu-matmul': async () => (await import('./cpu-matmul')).benchCpuMatmul,
  'shared-prefix': async () => (await import('./shared-prefix')).benchSharedPrefix,
  'real-size': async () => (await import('./real-size')).benchRealSize,
  'teacher-paths': async () => (await import('./teacher-paths')).benchTeacherPaths,
  peer: async () => (await import('./peer')).benchPeer,
  'sod-update': async () => (await import('./sod-update')).benchSodUpdate,
  'lora-step': async () => (await import('./lora-step')).benchLoraStep,
  attention: async () => (await import('./attention')).benchAttention,
  goals: async () => (await import('./goals')).benchGoals,
};

const requested = process.argv.slice(2);
const unknown = requested.filter((name) => !(name in benchmarks));
if (unknown.length > 0) {
  console.error(`unknown benchmark(s): ${unknown.join(', ')}; available: ${Object.keys(benchmarks).join(', ')}`);
  process.exit(2);
}
// Real-size models and whole updates take minutes to tens of minutes on a CPU or SwiftShader: only when asked for by name.
const onRequest = new Set(['real-size', 'teacher-paths', 'peer', 'sod-update', 'lora-step', 'attention', 'goals']);
const chosen = requested.length > 0 ? requested : Object.keys(benchmarks).filter((name) => !onRequest.has(name));
for (const name of chosen) {
  console.log(`\n== ${name} ==`);
  const report = newReport();
  await (await benchmarks[name]())(report);
  console.log(`report: ${writeReport(report, name)}`);
}
process.exit(0);
