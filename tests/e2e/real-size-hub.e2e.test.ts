import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatBytes } from '../../src/core/format-bytes';
import type { RandomQwen3Options } from '../../src/models/testing/random-qwen3';
import { browserAvailable } from '../support/browser';
import { cachedRandomQwen3Folder } from '../support/cached-random-qwen3';
import { type HubServer, startHubServer } from '../support/hub-server';
import { openPlaygroundPage, type PlaygroundPage, shots } from '../support/playground-page';

/**
 * Hub models at Qwen3-0.6B's real dimensions in the page (hidden 1024, 16/8 heads, head_dim 128,
 * intermediate 3072, vocabulary 151936, tied, bf16, two shards, the real tokenizer), only 2
 * layers: about 374 MB a model. The server holds the student's first shard after a few MB, the
 * page is reloaded in the middle of that download, and loading again must continue the shard
 * with a Range request from what the page stored before the reload.
 *
 * The page runs them on the CPU backend: on SwiftShader's WebGPU the same steps take far longer
 * (SODP_E2E_BACKEND=webgpu runs this test on WebGPU, to compare).
 */
describe.skipIf(!browserAvailable)('Hub models at Qwen3-0.6B dimensions in the page', () => {
  const models: Record<string, RandomQwen3Options> = {
    'test-org/qwen3-0.6b-2l-student': { size: '0.6B', layers: 2, seed: 1 },
    'test-org/qwen3-0.6b-2l-teacher': { size: '0.6B', layers: 2, seed: 2 },
  };
  const [student, teacher] = Object.keys(models);
  const shard = 'model-00001-of-00002.safetensors';
  /** Bytes of the student's first shard the server sends before holding the download. */
  const pauseBytes = 24_000_000;
  const backendName = process.env.SODP_E2E_BACKEND === 'webgpu' ? 'WebGPU' : 'CPU';
  const folders: Record<string, string> = {};
  const steps: string[] = [];
  const seen: string[] = [];
  let hub: HubServer;
  let opened: PlaygroundPage | undefined;
  let page: Page;

  /** Runs a step and notes how long it took (reported at the end, never asserted). */
  const timed = async <T>(name: string, step: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    const result = await step();
    steps.push(`${name}: ${((performance.now() - started) / 1000).toFixed(1)} s`);
    return result;
  };

  beforeAll(async () => {
    await timed('generate the checkpoints (or reuse them)', async () => {
      for (const [repo, options] of Object.entries(models)) folders[repo] = cachedRandomQwen3Folder(options);
    });
    hub = await startHubServer(folders, { pauseAfter: { repo: student, path: shard, bytes: pauseBytes } });
    opened = await timed('open the page', () => openPlaygroundPage());
    page = opened.page;
    // Every request of the page and its workers, to check that none leaves this machine.
    page.context().on('request', (r) => {
      if (/^(https?|wss?):/.test(r.url())) seen.push(r.url());
    });
  }, 240_000);

  afterAll(async () => {
    await opened?.close();
    hub?.server.close();
    hub?.server.closeAllConnections();
    console.log(`real-size Hub e2e on the ${backendName} backend:\n  ${steps.join('\n  ')}`);
  });

  const chooseHubModels = async () => {
    await page.getByRole('radio', { name: new RegExp(`^${backendName}`) }).check();
    for (const [role, repo] of [
      ['Student', student],
      ['Teacher', teacher],
    ]) {
      await page.getByRole('combobox', { name: `${role} model` }).selectOption('hub');
      await page.getByRole('textbox', { name: `${role} Hub id` }).fill(repo);
    }
    await page.getByLabel('Hub address').fill(hub.url);
  };
  const card = (role: string) => page.getByRole('article', { name: role });
  const status = (role: string) => card(role).locator('.model-status');
  /** The bytes of `repo`'s `path` the page has stored unfinished in its cache (OPFS), 0 when none. */
  const storedIncomplete = (repo: string, path: string): Promise<number> =>
    page.evaluate(
      async ([folder, file]) => {
        try {
          let dir = await navigator.storage.getDirectory();
          for (const name of ['hub', folder, 'main']) dir = await dir.getDirectoryHandle(name);
          return (await (await dir.getFileHandle(`${file}.incomplete`)).getFile()).size;
        } catch {
          return 0;
        }
      },
      [`models--${repo.replace('/', '--')}`, path],
    );
  const shardRequests = () => hub.requests.filter((r) => r.startsWith(`GET /${student}/resolve/main/${shard}`));

  it('shows each file while downloading; reloaded mid-download, the page resumes the shard with Range', async () => {
    await timed('download until the pause, then reload', async () => {
      await chooseHubModels();
      await page.getByRole('button', { name: 'Load models' }).click();
      // Progress per file: the student's shard, partly there, while the server holds it.
      const files = page.getByRole('list', { name: 'Student files' });
      await files.getByText(shard).waitFor({ timeout: 120_000 });
      await hub.paused;
      await expect.poll(() => storedIncomplete(student, shard), { timeout: 60_000 }).toBe(pauseBytes);
      const row = files.getByRole('listitem').filter({ hasText: shard });
      await expect.poll(() => row.textContent()).toMatch(new RegExp(`${shard}\\d+% of ${formatBytes(sizeOf(shard))}`));
      const config = files.getByRole('listitem').filter({ has: page.getByText('config.json', { exact: true }) });
      expect(await config.getAttribute('data-done')).toBe('true');
      await page.screenshot({ path: `${shots}/real-size-1-downloading.png`, fullPage: true });
      await page.reload();
    });
    // The reload cut the held download: what was stored stays, still unfinished.
    expect(await storedIncomplete(student, shard)).toBe(pauseBytes);
    expect(shardRequests()).toEqual([`GET /${student}/resolve/main/${shard}`]);

    await timed('load after the reload (download the rest, upload)', async () => {
      await page.getByRole('tab', { name: /Models/ }).click();
      await chooseHubModels();
      await page.getByRole('button', { name: 'Load models' }).click();
      await expect.poll(() => status('Student').textContent(), { timeout: 300_000 }).toBe('ready');
      await expect.poll(() => status('Teacher').textContent(), { timeout: 300_000 }).toBe('ready');
    });
    // Continued from the byte the reload left it at, not fetched again from 0.
    expect(shardRequests()).toEqual([
      `GET /${student}/resolve/main/${shard}`,
      `GET /${student}/resolve/main/${shard} bytes=${pauseBytes}-`,
    ]);
    expect(hub.requests.filter((r) => r.endsWith(' bytes=0-'))).toEqual([]);
    for (const role of ['Student', 'Teacher']) {
      expect(await card(role).locator('[data-value="shape"] dd').textContent()).toBe(
        '2 layers · hidden size 1,024 · vocabulary 151,936 tokens',
      );
    }
    await page.screenshot({ path: `${shots}/real-size-2-loaded.png`, fullPage: true });
  }, 600_000);

  it('lists both models among those kept in this browser, each at its full size', async () => {
    const panel = page.getByRole('region', { name: 'Models in this browser' });
    for (const repo of [student, teacher]) {
      const row = panel.locator(`li[data-repo="${repo}"]`);
      await row.waitFor({ timeout: 30_000 });
      await expect.poll(() => row.textContent()).toContain(formatBytes(folderBytes(folders[repo])));
      expect(await row.textContent()).not.toContain('download unfinished');
    }
  }, 60_000);

  it('runs 2 rollouts and one SOD update with them', async () => {
    await timed('2 rollouts', async () => {
      await page.getByRole('tab', { name: /Rollouts/ }).click();
      await page.getByLabel('Problems').fill('1');
      await page.getByLabel('Group size').fill('2');
      await page.getByLabel('Max tokens per turn').fill('16');
      await page.getByLabel('Max turns').fill('1');
      await page.getByRole('button', { name: 'Run rollouts' }).click();
      await page.getByRole('button', { name: 'Inspect trajectory 2' }).waitFor({ timeout: 300_000 });
    });
    await timed('one SOD update (2 rollouts, scoring, a LoRA step)', async () => {
      await page.getByRole('tab', { name: /Training/ }).click();
      await page.getByLabel('Updates', { exact: true }).fill('1');
      await page.getByLabel('Prompts per update').fill('1');
      await page.getByLabel('Group size').fill('2');
      await page.getByLabel('Held-out problems').fill('0');
      await page.getByLabel('Max tokens per turn').fill('16');
      await page.getByLabel('Max turns').fill('1');
      await page.getByRole('button', { name: 'Start run' }).click();
      await page.getByRole('heading', { name: /SOD #\d+ · done/ }).waitFor({ timeout: 400_000 });
    });
    expect(opened?.consoleErrors.filter((e) => !/Failed to load resource/.test(e))).toEqual([]);
  }, 800_000);

  it('reached nothing but this machine', () => {
    expect(seen.some((url) => url.startsWith(`${hub.url}/${student}/resolve/`))).toBe(true);
    expect(seen.filter((url) => !['127.0.0.1', 'localhost'].includes(new URL(url).hostname))).toEqual([]);
  });

  const sizeOf = (path: string) => statSync(join(folders[student], path)).size;
});

/** The bytes of every file in `dir`: what the page stores of a model fetched whole. */
function folderBytes(dir: string): number {
  return readdirSync(dir).reduce((n, f) => n + statSync(join(dir, f)).size, 0);
}
