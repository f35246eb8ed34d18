import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateArithmeticTasks } from '../../src/agent/tasks/arithmetic';
import { defaultBackend, isSoftwareAdapter } from '../../src/engine/default-backend';
import { findAdapterName } from '../../src/engine/webgpu/device';
import { nodeGpu } from '../../src/engine/webgpu/node-gpu';
import { gpuAvailable } from '../support/gpu';
import { runSodp } from '../support/run-sodp';
import { writeTinyModelFolder } from '../support/tiny-model-folder';

describe.skipIf(!gpuAvailable)('sodp on the default backend (WebGPU found)', () => {
  it('says which backend the adapter rule chose and why, and --backend overrides it; no XDG noise', async () => {
    const model = writeTinyModelFolder('teacher', {}, 2);
    const line = JSON.stringify({ prompt_ids: [1, 2, 3], response_ids: [4, 5, 6, 7] });
    const name = await findAdapterName(await nodeGpu());
    const { choice, reason } = defaultBackend(name);
    const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const byDefault = await runSodp(['logprobs', '--model', model, '--as', 'teacher'], line, { XDG_RUNTIME_DIR: '' });
    expect(byDefault.code, byDefault.stderr).toBe(0);
    const device = choice === 'cpu' ? 'cpu' : 'webgpu on .+, weights in .+';
    expect(byDefault.stderr).toMatch(new RegExp(`^backend: ${device} \\(default: ${escape(reason)}\\)$`, 'm'));
    if (name !== undefined && isSoftwareAdapter(name))
      expect(byDefault.stderr).toMatch(
        /^backend: cpu \(default: the WebGPU adapter \(.*swiftshader.*\) is a software one, slower than the CPU backend\)$/im,
      );
    expect(byDefault.stderr).not.toMatch(/XDG_RUNTIME_DIR/);

    const forced = await runSodp(['logprobs', '--model', model, '--as', 'teacher', '--backend', 'webgpu'], line, {
      XDG_RUNTIME_DIR: '',
    });
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stderr).toMatch(
      /^backend: webgpu on .+, weights in (f16|f32|bf16 \(those saved in bf16; others f32\)) \(--backend\)$/m,
    );
    expect(forced.stderr).not.toMatch(/XDG_RUNTIME_DIR/);
  }, 60_000);

  it('reports an error of the work once, without running the command again on the CPU', async () => {
    const work = mkdtempSync(join(tmpdir(), 'sodp-backend-'));
    const model = writeTinyModelFolder('student', {}, 1);
    const tasks = join(work, 'tasks.jsonl');
    writeFileSync(
      tasks,
      generateArithmeticTasks(1, 3)
        .map((t) => JSON.stringify(t) + '\n')
        .join(''),
    );
    // An adapter folder without adapter_config.json: loading it fails inside the WebGPU run.
    const adapter = join(work, 'adapter');
    mkdirSync(adapter);

    const run = await runSodp(['eval', '--model', model, '--adapter', adapter, '--tasks', tasks, '--n', '1']);

    expect(run.code).toBe(1);
    // One backend (the default's, whichever the adapter gives), never a second run on the other.
    expect(run.stderr.match(/^backend: /gm)).toHaveLength(1);
    expect(run.stderr.match(/adapter_config\.json/g)).toHaveLength(1);
  }, 60_000);

  it('stores the weights as --weights says and scores with them: f16 close to f32, not equal; bf16 of an f32 checkpoint, equal', async () => {
    const model = writeTinyModelFolder('teacher', {}, 2);
    const line = JSON.stringify({ prompt_ids: [1, 2, 3], response_ids: [4, 5, 6, 7] });
    const score = async (weights: string) => {
      const run = await runSodp(
        ['logprobs', '--model', model, '--as', 'teacher', '--backend', 'webgpu', '--weights', weights],
        line,
      );
      expect(run.code, run.stderr).toBe(0);
      const said = weights === 'bf16' ? 'bf16 \\(those saved in bf16; others f32\\)' : weights;
      expect(run.stderr).toMatch(new RegExp(`^backend: webgpu on .+, weights in ${said} \\(--backend\\)$`, 'm'));
      return (JSON.parse(run.stdout) as { teacher_logprobs: number[] }).teacher_logprobs;
    };
    const f32 = await score('f32');
    const f16 = await score('f16');
    const drift = Math.max(...f32.map((x, i) => Math.abs(x - f16[i])));
    expect(drift).toBeGreaterThan(0);
    expect(drift).toBeLessThan(1e-2);
    // bf16 rounds nothing: this checkpoint's values are not bf16, so its matrices stay f32.
    expect(await score('bf16')).toEqual(f32);
    const bad = await runSodp(['logprobs', '--model', model, '--as', 'teacher', '--weights', 'int3'], line);
    expect(bad.stderr).toMatch(/--weights must be one of f16, bf16, f32; got 'int3'/);
  }, 60_000);
});
