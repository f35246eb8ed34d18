import { describe, expect, it } from 'vitest';
import { gpuAvailable } from '../support/gpu';
import { runSodp } from '../support/run-sodp';
import { writeTinyModelFolder } from '../support/tiny-model-folder';

const model = writeTinyModelFolder('teacher', {}, 2);
const line = JSON.stringify({ prompt_ids: [1, 2, 3], response_ids: [4, 5, 6, 7, 8] });

async function score(args: string[]): Promise<{ logprobs: number[]; stderr: string }> {
  const run = await runSodp(['logprobs', '--model', model, '--as', 'teacher', ...args], line);
  expect(run.code, run.stderr).toBe(0);
  return { logprobs: (JSON.parse(run.stdout) as { teacher_logprobs: number[] }).teacher_logprobs, stderr: run.stderr };
}

const drift = (a: number[], b: number[]) => Math.max(...a.map((x, i) => Math.abs(x - b[i])));

describe('sodp logprobs --quantize', () => {
  it('scores with int8 and int4 weights: near the f32 scores, and the same on WebGPU as on the CPU', async () => {
    const f32 = await score(['--backend', 'cpu']);
    for (const [quantize, groupSize] of [
      ['int8', undefined],
      ['int4', '8'],
    ] as const) {
      const args = ['--quantize', quantize, ...(groupSize ? ['--group-size', groupSize] : [])];
      const cpu = await score(['--backend', 'cpu', ...args]);
      expect(cpu.stderr).toMatch(
        quantize === 'int8' ? /backend: cpu, weights in int8/ : /weights in int4 in groups of 8/,
      );
      expect(drift(cpu.logprobs, f32.logprobs)).toBeGreaterThan(0);
      expect(drift(cpu.logprobs, f32.logprobs)).toBeLessThan(quantize === 'int8' ? 0.05 : 0.5);
      if (gpuAvailable) {
        const gpu = await score(['--backend', 'webgpu', ...args]);
        expect(drift(gpu.logprobs, cpu.logprobs)).toBeLessThan(2e-4);
      }
    }
  }, 120_000);

  it('says what is wrong with a quantization it cannot do', async () => {
    const bad = async (args: string[]) =>
      (await runSodp(['logprobs', '--model', model, '--as', 'teacher', ...args], line)).stderr;
    expect(await bad(['--quantize', 'int3'])).toMatch(/--quantize must be one of int8, int4; got 'int3'/);
    expect(await bad(['--quantize', 'int8', '--weights', 'f16'])).toMatch(
      /--weights and --quantize exclude each other/,
    );
    expect(await bad(['--quantize', 'int4', '--group-size', '12', '--backend', 'cpu'])).toMatch(
      /int4 needs a group size that is a multiple of 8, not 12/,
    );
    expect(await bad(['--quantize', 'int8', '--adapter', model])).toMatch(
      /--quantize is for scoring without an adapter/,
    );
  }, 60_000);
});
