import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeTinyModelFolder } from '../support/tiny-model-folder';
import { parseLines, runSodp } from '../support/run-sodp';

const root = mkdtempSync(join(tmpdir(), 'sodp-export-onnx-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('sodp export-onnx', () => {
  it('writes the q4 folder that logprobs --teacher-backend onnx --onnx-dtype q4 then scores with', async () => {
    const model = writeTinyModelFolder('teacher');
    const out = join(root, 'teacher-onnx');
    const run = await runSodp(['export-onnx', '--model', model, '--out', out, '--dtype', 'q4', '--block-size', '64']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`wrote ${out}/onnx/model_q4.onnx and config.json, tokenizer.json`);
    for (const file of ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model_q4.onnx'])
      expect(existsSync(join(out, file)), file).toBe(true);
    expect(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'))['transformers.js_config']).toEqual({
      dtype: 'q4',
    });

    const line = JSON.stringify({ prompt_ids: [1, 2, 3], response_ids: [4, 5, 6, 7] });
    const scored = await runSodp(
      ['logprobs', '--model', out, '--as', 'teacher', '--teacher-backend', 'onnx', '--onnx-dtype', 'q4'],
      `${line}\n`,
    );
    expect(scored.code, scored.stderr).toBe(0);
    expect(scored.stderr).toContain('transformers.js, cpu, q4');
    const [record] = parseLines(scored.stdout);
    const logprobs = record.teacher_logprobs;
    expect(
      Array.isArray(logprobs) && logprobs.length === 4 && logprobs.every((x) => typeof x === 'number' && x < 0),
    ).toBe(true);
  }, 120_000);

  it('refuses bad options and a folder that is not Qwen3, saying why', async () => {
    const model = writeTinyModelFolder('other');
    const noOut = await runSodp(['export-onnx', '--model', model]);
    expect(noOut.code).toBe(2);
    expect(noOut.stderr).toContain('--out DIR is required');
    const block = await runSodp(['export-onnx', '--model', model, '--out', join(root, 'x'), '--block-size', '48']);
    expect(block.code).toBe(2);
    expect(block.stderr).toContain('--block-size must be one of 32, 64, 128');

    const llama = join(root, 'llama');
    cpSync(model, llama, { recursive: true });
    const config = JSON.parse(readFileSync(join(llama, 'config.json'), 'utf8'));
    writeFileSync(
      join(llama, 'config.json'),
      JSON.stringify({ ...config, model_type: 'llama', architectures: ['LlamaForCausalLM'] }),
    );
    const refused = await runSodp(['export-onnx', '--model', llama, '--out', join(root, 'llama-onnx')]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/architecture LlamaForCausalLM is not Qwen3ForCausalLM/);
    expect(existsSync(join(root, 'llama-onnx'))).toBe(false);
  }, 120_000);
});
