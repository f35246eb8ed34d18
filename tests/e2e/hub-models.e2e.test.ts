import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeRandomQwen3Folder } from '../../src/models/testing/random-qwen3';
import { browserAvailable } from '../support/browser';
import { startHubServer } from '../support/hub-server';
import { openPlaygroundPage, shots, type PlaygroundPage } from '../support/playground-page';

/**
 * Hub models in the page, from a local server laid out like the Hub: a random Qwen3 with the
 * real tokenizer and vocabulary (151936 tokens) but tiny other dimensions, so a CPU run takes
 * seconds. The server drops the first download over 3 MB halfway; loading again resumes it.
 */
describe.skipIf(!browserAvailable)('Hub models in the page', () => {
  const root = mkdtempSync(join(tmpdir(), 'sodp-e2e-hub-'));
  const small = { hiddenSize: 16, intermediateSize: 32, numHeads: 2, numKvHeads: 1, headDim: 8 };
  let hub: Awaited<ReturnType<typeof startHubServer>>;
  let opened: PlaygroundPage | undefined;
  let page: Page;

  beforeAll(async () => {
    writeRandomQwen3Folder(join(root, 'student'), { size: '0.6B', layers: 2, dims: small, seed: 1 });
    writeRandomQwen3Folder(join(root, 'teacher'), { size: '0.6B', layers: 2, dims: small, seed: 2 });
    hub = await startHubServer(
      { 'test-org/student': join(root, 'student'), 'test-org/teacher': join(root, 'teacher') },
      { failAfterBytes: 3_000_000 },
    );
    opened = await openPlaygroundPage();
    page = opened.page;
  }, 120_000);

  afterAll(async () => {
    await opened?.close();
    hub.server.close();
    rmSync(root, { recursive: true, force: true });
  });

  const chooseHubModels = async (endpoint: string) => {
    await page.getByRole('radio', { name: /^CPU/ }).check();
    for (const [role, repo] of [
      ['Student', 'test-org/student'],
      ['Teacher', 'test-org/teacher'],
    ]) {
      await page.getByRole('combobox', { name: `${role} model` }).selectOption('hub');
      await page.getByRole('textbox', { name: `${role} Hub id` }).fill(repo);
    }
    await page.getByLabel('Hub address').fill(endpoint);
  };
  const card = (role: string) => page.getByRole('article', { name: role });
  const status = (role: string) => card(role).locator('.model-status');

  it('loads a student and a teacher by Hub id, showing each file; a dropped download resumes with Range', async () => {
    await chooseHubModels(hub.url);
    await page.getByRole('button', { name: 'Load models' }).click();
    // One of the two downloads was cut off; its card says so.
    await expect
      .poll(async () => [await status('Student').textContent(), await status('Teacher').textContent()], {
        timeout: 120_000,
      })
      .toContain('failed');
    await page.getByRole('button', { name: 'Load models' }).click();
    await expect.poll(() => status('Student').textContent(), { timeout: 120_000 }).toBe('ready');
    await expect.poll(() => status('Teacher').textContent(), { timeout: 120_000 }).toBe('ready');
    // Each card keeps the list of the files its load fetched.
    const shown = await page.locator('details ul[aria-label$=" files"] li span:first-child').allTextContents();
    expect(shown).toEqual(
      expect.arrayContaining([
        'config.json',
        'tokenizer.json',
        'model.safetensors.index.json',
        'model-00001-of-00002.safetensors',
      ]),
    );
    expect(hub.requests.some((r) => / bytes=\d+-$/.test(r) && !r.endsWith('bytes=0-'))).toBe(true);
    expect(await card('Student').getByText('test-org/student').count()).toBeGreaterThan(0);
    await page.screenshot({ path: `${shots}/hub-1-loaded.png`, fullPage: true });
  }, 300_000);

  it('lists both models among those kept in this browser', async () => {
    const panel = page.getByRole('region', { name: 'Models in this browser' });
    await panel.getByText('test-org/student').waitFor({ timeout: 30_000 });
    await panel.getByText('test-org/teacher').waitFor();
    expect(await panel.locator('[data-value="storage"]').textContent()).toMatch(/This site stores .* of the/);
  }, 60_000);

  it('runs 2 rollouts and one SOD update with them', async () => {
    await page.getByRole('tab', { name: /Rollouts/ }).click();
    await page.getByLabel('Problems').fill('1');
    await page.getByLabel('Group size').fill('2');
    await page.getByLabel('Max tokens per turn').fill('32');
    await page.getByRole('button', { name: 'Run rollouts' }).click();
    await page.getByRole('button', { name: 'Inspect trajectory 2' }).waitFor({ timeout: 120_000 });
    await page.getByRole('tab', { name: /Training/ }).click();
    await page.getByLabel('Updates', { exact: true }).fill('1');
    await page.getByLabel('Prompts per update').fill('1');
    await page.getByLabel('Group size').fill('2');
    await page.getByLabel('Held-out problems').fill('0');
    await page.getByRole('button', { name: 'Start run' }).click();
    await page.getByRole('heading', { name: /SOD #\d+ · done/ }).waitFor({ timeout: 240_000 });
  }, 400_000);

  it('loads them again from the browser cache with the server gone, then deletes one', async () => {
    hub.server.close();
    hub.server.closeAllConnections();
    await page.reload();
    await page.getByRole('tab', { name: /Models/ }).click();
    await chooseHubModels('http://127.0.0.1:9');
    await page.getByRole('button', { name: 'Load models' }).click();
    await expect.poll(() => status('Student').textContent(), { timeout: 120_000 }).toBe('ready');
    await expect.poll(() => status('Teacher').textContent(), { timeout: 120_000 }).toBe('ready');
    const panel = page.getByRole('region', { name: 'Models in this browser' });
    await panel.getByRole('button', { name: 'Delete test-org/teacher' }).click();
    await expect.poll(() => panel.getByText('test-org/teacher').count()).toBe(0);
    expect(await panel.getByText('test-org/student').count()).toBe(1);
  }, 300_000);

  it('loads a student from a folder on this computer', async () => {
    await page.getByRole('combobox', { name: 'Student model' }).selectOption('folder');
    await page.getByLabel('Student model folder').setInputFiles(join(root, 'student'));
    await card('Student').getByText('student', { exact: true }).waitFor();
    await page.getByRole('button', { name: 'Load models' }).click();
    await expect.poll(() => status('Student').textContent(), { timeout: 120_000 }).toBe('ready');
    expect(await card('Student').locator('[data-value="name"] dd').textContent()).toBe('student');
    expect(opened?.consoleErrors.filter((e) => !/Failed to load resource/.test(e))).toEqual([]);
  }, 300_000);
});
