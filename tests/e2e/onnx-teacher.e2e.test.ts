import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localClient } from '../../src/core/rpc/rpc';
import { folderFiles } from '../../src/engine/node-files';
import { expectedPrecision } from '../../src/models/teacher-precision';
import { teacherHandlers } from '../../src/workers/teacher-handlers';
import { browserAvailable } from '../support/browser';
import { startHubServer } from '../support/hub-server';
import { openPlaygroundPage, shots, type PlaygroundPage } from '../support/playground-page';
import { writeTinyModelFolder } from '../support/tiny-model-folder';
import { writeTinyOnnxRepo } from '../support/tiny-onnx-model';

/**
 * A student on the engine and an ONNX teacher on transformers.js in headless Chromium, both from
 * a local server laid out like the Hub: the teacher's repository holds its weights twice, as
 * model.safetensors and as their fp32 ONNX export (graph and external data file), so the page's ONNX scores can be checked
 * against the engine's scores of the same weights (computed here in Node, on the CPU).
 */
describe.skipIf(!browserAvailable)('an ONNX teacher in the page', () => {
  let hub: Awaited<ReturnType<typeof startHubServer>>;
  let opened: PlaygroundPage | undefined;
  let page: Page;
  let teacherDir: string;
  const started = performance.now();

  beforeAll(async () => {
    const studentDir = writeTinyModelFolder('student', {}, 1);
    // Its weights in an external data file, as the Hub's large exports keep them.
    teacherDir = await writeTinyOnnxRepo('teacher', 2, {}, { externalData: true });
    hub = await startHubServer({ 'test-org/student': studentDir, 'test-org/teacher-onnx': teacherDir });
    opened = await openPlaygroundPage();
    page = opened.page;
  }, 120_000);

  afterAll(async () => {
    await opened?.close();
    hub.server.close();
    hub.server.closeAllConnections();
    console.info(`onnx-teacher e2e: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  });

  const card = (role: string) => page.getByRole('article', { name: role });
  const chooseModels = async (endpoint: string, dtype: string) => {
    await page.getByRole('radio', { name: /^CPU/ }).check();
    await page.getByRole('combobox', { name: 'Student model' }).selectOption('hub');
    await page.getByRole('textbox', { name: 'Student Hub id' }).fill('test-org/student');
    await page.getByRole('combobox', { name: 'Teacher model' }).selectOption('hub');
    await page.getByRole('textbox', { name: 'Teacher Hub id' }).fill('test-org/teacher-onnx');
    await page.getByRole('combobox', { name: 'Teacher runs on' }).selectOption('onnx');
    await page.getByRole('combobox', { name: 'ONNX dtype' }).selectOption(dtype);
    await page.getByLabel('Hub address').fill(endpoint);
  };
  const status = (role: string) => card(role).locator('.model-status');

  it('loads the engine student and the ONNX teacher (fp32); the teacher card says its device', async () => {
    await chooseModels(hub.url, 'fp32');
    await page.getByRole('button', { name: 'Load models' }).click();
    await expect.poll(() => status('Student').textContent(), { timeout: 120_000 }).toBe('ready');
    await expect.poll(() => status('Teacher').textContent(), { timeout: 120_000 }).toMatch(/ready|failed/);
    const error = await card('Teacher').getByRole('alert').allTextContents();
    expect(error).toEqual([]);
    const backend = (await card('Teacher').locator('[data-value="backend"] dd').textContent()) ?? '';
    // The CPU backend chosen: onnxruntime's wasm, its WebGPU provider not even tried.
    expect(backend).toBe('ONNX on transformers.js · wasm · fp32');
    const note = await card('Teacher').getByRole('note').allTextContents();
    expect(note).toEqual([]);
    console.info(`ONNX teacher device: ${backend}${note.length > 0 ? ` — ${note.join(' ')}` : ''}`);
    // Its files went through the page's downloader into the cache (never a CDN: the server saw them all).
    expect(hub.requests).toContain('GET /test-org/teacher-onnx/resolve/main/onnx/model.onnx');
    expect(hub.requests).toContain('GET /test-org/teacher-onnx/resolve/main/onnx/model.onnx_data');
    const panel = page.getByRole('region', { name: 'Models in this browser' });
    await panel.getByText('test-org/teacher-onnx').waitFor({ timeout: 30_000 });
    await page.screenshot({ path: `${shots}/onnx-teacher-1-loaded.png`, fullPage: true });
  }, 300_000);

  it('runs 2 rollouts and shows the ONNX teacher’s alternatives in the inspector', async () => {
    await page.getByRole('tab', { name: /Rollouts/ }).click();
    await page.getByLabel('Problems').fill('1');
    await page.getByLabel('Group size').fill('2');
    await page.getByLabel('Max tokens per turn').fill('32');
    await page.getByRole('button', { name: 'Run rollouts' }).click();
    await page.getByRole('button', { name: 'Inspect trajectory 2' }).waitFor({ timeout: 120_000 });
    await page.getByRole('button', { name: 'Inspect trajectory 1' }).click();
    await page.getByRole('button', { name: 'Show both models’ top alternatives' }).click();
    // The bar goes once the alternatives are in the record (it reads "Computing alternatives…" meanwhile).
    await expect
      .poll(() => page.getByRole('button', { name: /top alternatives|Computing alternatives/ }).count(), {
        timeout: 120_000,
      })
      .toBe(0);
    // The first token the student wrote (mask 1) has a card with both models' lists.
    const teacherList = page.getByRole('list', { name: 'Teacher’s top alternatives' });
    const tokens = page.locator('.tokens [data-t]');
    const count = await tokens.count();
    for (let t = 0; t < Math.min(count, 40) && (await teacherList.count()) === 0; t++) {
      await tokens.nth(t).focus();
      await page.waitForTimeout(100);
    }
    await teacherList.waitFor({ timeout: 10_000 });
    expect(await teacherList.getByRole('listitem').count()).toBe(5);
    expect(await page.getByRole('list', { name: 'Student’s top alternatives' }).getByRole('listitem').count()).toBe(5);
    await page.screenshot({ path: `${shots}/onnx-teacher-2-alternatives.png`, fullPage: true });
  }, 180_000);
  it('runs one SOD update; the ONNX teacher’s scores agree with the engine’s', async () => {
    await page.getByRole('tab', { name: /Training/ }).click();
    await page.getByLabel('Updates', { exact: true }).fill('1');
    await page.getByLabel('Prompts per update').fill('1');
    await page.getByLabel('Group size').fill('2');
    await page.getByLabel('Held-out problems').fill('0');
    await page.getByRole('button', { name: 'Start run' }).click();
    await page.getByRole('heading', { name: /SOD #\d+ · done/ }).waitFor({ timeout: 240_000 });

    const [file] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Trajectories (JSONL)' }).click(),
    ]);
    const path = `${shots}/onnx-teacher-trajectories.jsonl`;
    await file.saveAs(path);
    const lines: { prompt_ids: number[]; response_ids: number[]; teacher_logprobs: number[] }[] = readFileSync(
      path,
      'utf8',
    )
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines).toHaveLength(2);
    const engine = localClient(
      teacherHandlers({ gpu: () => undefined, modelFiles: (source) => folderFiles(source.url) }),
    );
    await engine.call('load', { source: { url: `${teacherDir}/`, name: 'engine teacher' }, backend: 'cpu' });
    let worst = 0;
    for (const line of lines) {
      const want = await engine.call('score', { promptIds: line.prompt_ids, responseIds: line.response_ids });
      expect(line.teacher_logprobs).toHaveLength(want.length);
      for (let t = 0; t < want.length; t++) worst = Math.max(worst, Math.abs(line.teacher_logprobs[t] - want[t]));
    }
    console.info(`ONNX teacher vs engine teacher: largest |Δ log p| ${worst.toExponential(2)}`);
    // The tolerance docs/teacher-precision.md sets for fp32 ONNX: twice the largest |Δτ| it measured.
    const fp32 = Math.max(...expectedPrecision('onnx-fp32').map(({ row }) => row.maxAbsTau));
    expect(worst).toBeLessThan(2 * fp32);
    expect(opened?.consoleErrors.filter((e) => !/Failed to load resource/.test(e))).toEqual([]);
  }, 400_000);

  it('names the ONNX files the repository has when it lacks the dtype chosen', async () => {
    await page.getByRole('tab', { name: /Models/ }).click();
    await page.getByRole('combobox', { name: 'ONNX dtype' }).selectOption('q4');
    await page.getByRole('button', { name: 'Load models' }).click();
    await expect.poll(() => status('Teacher').textContent(), { timeout: 60_000 }).toBe('failed');
    expect(await card('Teacher').getByRole('alert').textContent()).toMatch(
      /has no onnx\/model_q4\.onnx \(the q4 graph\): its ONNX files are onnx\/model\.onnx/,
    );
  }, 120_000);

  it('loads the ONNX teacher again from the browser cache with the server gone', async () => {
    hub.server.close();
    hub.server.closeAllConnections();
    await page.reload();
    await page.getByRole('tab', { name: /Models/ }).click();
    await chooseModels('http://127.0.0.1:9', 'fp32');
    await page.getByRole('button', { name: 'Load models' }).click();
    await expect.poll(() => status('Teacher').textContent(), { timeout: 120_000 }).toBe('ready');
    expect(await card('Teacher').locator('[data-value="backend"] dd').textContent()).toMatch(
      /^ONNX on transformers\.js/,
    );
  }, 180_000);
});
