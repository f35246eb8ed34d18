import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { qwen3ConfigJson } from '../../src/engine/config';
import { qwen3Config } from '../../src/engine/qwen3-sizes';
import { runSodp } from '../support/run-sodp';

const dir = mkdtempSync(join(tmpdir(), 'sodp-plan-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('sodp plan', () => {
  it('prints the memory of Qwen3-1.7B by part from its config alone, and warns about WebGPU’s default limits', async () => {
    writeFileSync(join(dir, 'config.json'), JSON.stringify(qwen3ConfigJson(qwen3Config('1.7B'))));
    const student = await runSodp(['plan', '--model', dir, '--rank', '8']);
    expect(student.code, student.stderr).toBe(0);
    for (const part of ['weights', 'KV caches', 'activations and scratch', 'shared prompt', 'LoRA', 'AdamW state'])
      expect(student.stdout).toContain(part);
    // 1.72 B parameters in f32 (the tied embedding once).
    expect(student.stdout).toMatch(/weights\s+6\.9 GB/);
    expect(student.stdout).toContain("above WebGPU's default limits");
    const teacher = await runSodp(['plan', '--model', dir, '--as', 'teacher']);
    expect(teacher.stdout).not.toContain('LoRA');
  }, 60_000);
});
