import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateArithmeticTasks } from '../../src/agent/tasks/arithmetic';
import { gpuAvailable } from '../support/gpu';
import { runSodp } from '../support/run-sodp';
import { writeTinyModelFolder } from '../support/tiny-model-folder';

describe.skipIf(!gpuAvailable)('sodp on the default backend (WebGPU found)', () => {
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
    expect(run.stderr).toMatch(/^backend: webgpu on .+$/m);
    expect(run.stderr.match(/adapter_config\.json/g)).toHaveLength(1);
    expect(run.stderr).not.toMatch(/backend: cpu/);
  }, 60_000);
});
