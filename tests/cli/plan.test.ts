import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { qwen3ConfigJson } from '../../src/engine/config';
import { qwen3Config } from '../../src/engine/qwen3-sizes';
import { runSodp } from '../support/run-sodp';

const dir = mkdtempSync(join(tmpdir(), 'sodp-plan-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('sodp plan', () => {
  it('prints the memory of Qwen3-1.7B by part from its config alone, with its largest tensors', async () => {
    writeFileSync(join(dir, 'config.json'), JSON.stringify(qwen3ConfigJson(qwen3Config('1.7B'))));
    const student = await runSodp(['plan', '--model', dir, '--rank', '8']);
    expect(student.code, student.stderr).toBe(0);
    for (const part of ['weights', 'KV caches', 'activations and scratch', 'shared prompt', 'LoRA', 'AdamW state'])
      expect(student.stdout).toContain(part);
    // 1.72 B parameters in f32 (the tied embedding once).
    expect(student.stdout).toMatch(/weights \(f32\)\s+6\.9 GB/);
    // 151936 × 2048 in f32; then an MLP projection, 6144 × 2048.
    expect(student.stdout).toContain('largest tensor: 50.3 MB; the embedding and LM head: 1.2 GB (split by rows');
    const teacher = await runSodp(['plan', '--model', dir, '--as', 'teacher']);
    expect(teacher.stdout).not.toContain('LoRA');
    // f16 halves the matrices (the norms stay f32): 3.4 GB, and the embedding 622 MB.
    const half = await runSodp(['plan', '--model', dir, '--as', 'teacher', '--weights', 'f16']);
    expect(half.stdout).toMatch(/weights \(f16\)\s+3\.4 GB/);
    expect(half.stdout).toContain('the embedding and LM head: 622 MB');
  }, 60_000);

  it('with --memory, says which part is too big and the largest settings that fit, or why none do', async () => {
    // Qwen3-0.6B's dimensions in 4 layers: 874 MB of weights, 1.5 GB planned with the defaults
    // (the vocabulary chunk WebGPU keeps, 64 MiB, included).
    const small = join(dir, 'small');
    mkdirSync(small);
    writeFileSync(join(small, 'config.json'), JSON.stringify(qwen3ConfigJson(qwen3Config('0.6B', 4))));
    const fit = await runSodp(['plan', '--model', small, '--memory', '1.3GB']);
    expect(fit.stdout).toMatch(/does not fit in 1\.3 GB: weights take the most \(874 MB\)/);
    expect(fit.stdout).toMatch(/fits with turns of 128 tokens: 1\.3 GB/);
    expect(fit.code).toBe(0);
    const none = await runSodp(['plan', '--model', small, '--memory', '800MB']);
    expect(none.stdout).toMatch(/the weights alone are larger than the budget/);
    expect(none.code).toBe(1);
    const bad = await runSodp(['plan', '--model', dir, '--memory', 'lots']);
    expect(bad.stderr).toMatch(/--memory: "lots" is not a size/);
  }, 120_000);
});
