/**
 * `npm run bench [-- name …]`: runs the named benchmarks (all by default), prints figures
 * and ratios, and writes one JSON report per benchmark under bench/results/.
 * Benchmarks, not tests: these machines are shared and noisy, so compare within one run.
 */
import { benchCpuMatmul } from './cpu-matmul';
import { benchEngine } from './engine';
import { benchMatmul } from './webgpu-matmul';
import { benchSharedPrefix } from './shared-prefix';
import { benchRealSize } from './real-size';
import { benchTeacherPaths } from './teacher-paths';
import { benchPeer } from './peer';
import { benchSodUpdate } from './sod-update';
import { benchLoraStep } from './lora-step';
import { benchAttention } from './attention';
import { benchGoals } from './goals';
import { newReport, writeReport, type BenchReport } from './report';

const benchmarks: Record<string, (report: BenchReport) => Promise<void>> = {
  matmul: benchMatmul,
  engine: benchEngine,
  'cpu-matmul': benchCpuMatmul,
  'shared-prefix': benchSharedPrefix,
  'real-size': benchRealSize,
  'teacher-paths': benchTeacherPaths,
  peer: benchPeer,
  'sod-update': benchSodUpdate,
  'lora-step': benchLoraStep,
  attention: benchAttention,
  goals: benchGoals,
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
  await benchmarks[name](report);
  console.log(`report: ${writeReport(report, name)}`);
}
process.exit(0);
