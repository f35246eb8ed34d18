/**
 * `npm run bench [-- name …]`: runs the named benchmarks (all by default), prints figures
 * and ratios, and writes one JSON report per benchmark under bench/results/.
 * Benchmarks, not tests: these machines are shared and noisy, so compare within one run.
 */
import { benchCpuMatmul } from './cpu-matmul';
import { benchEngine } from './engine';
import { benchMatmul } from './webgpu-matmul';
import { benchSharedPrefix } from './shared-prefix';
import { newReport, writeReport, type BenchReport } from './report';

const benchmarks: Record<string, (report: BenchReport) => Promise<void>> = {
  matmul: benchMatmul,
  engine: benchEngine,
  'cpu-matmul': benchCpuMatmul,
  'shared-prefix': benchSharedPrefix,
};

const requested = process.argv.slice(2);
const unknown = requested.filter((name) => !(name in benchmarks));
if (unknown.length > 0) {
  console.error(`unknown benchmark(s): ${unknown.join(', ')}; available: ${Object.keys(benchmarks).join(', ')}`);
  process.exit(2);
}
for (const name of requested.length > 0 ? requested : Object.keys(benchmarks)) {
  console.log(`\n== ${name} ==`);
  const report = newReport();
  await benchmarks[name](report);
  console.log(`report: ${writeReport(report, name)}`);
}
process.exit(0);
