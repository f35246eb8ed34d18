import { createReadStream, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserAvailable, launchChromium } from '../support/browser';
import { startHubServer } from '../support/hub-server';
import { writeTinyModelFolder } from '../support/tiny-model-folder';
import { writeTinyOnnxRepo } from '../support/tiny-onnx-model';

const root = fileURLToPath(new URL('../..', import.meta.url));
const types: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.css': 'text/css',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.zip': 'application/zip',
};

/** A plain static host serving `dir` under `prefix` (a sub-path), nothing else: no dev server, no rewriting. */
async function serveStatic(dir: string, prefix: string): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    if (!path.startsWith(prefix)) return void res.writeHead(404).end();
    let file = normalize(join(dir, path.slice(prefix.length)));
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
    if (relative(dir, file).startsWith('..') || !existsSync(file)) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' });
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  return { server, url: `http://127.0.0.1:${address.port}${prefix}` };
}

/** `npm run build` works from any static host under a sub-path: the models, the workers and Pyodide all load. */
describe.skipIf(!browserAvailable)('the built site under a sub-path', () => {
  const outDir = mkdtempSync(join(tmpdir(), 'sodp-dist-'));
  let host: { server: Server; url: string };
  let browser: Browser;

  beforeAll(async () => {
    await build({
      root,
      configFile: join(root, 'vite.config.ts'),
      logLevel: 'error',
      build: { outDir, emptyOutDir: true },
    });
    host = await serveStatic(outDir, '/some/sub/path/');
    browser = await launchChromium();
  }, 240_000);
  afterAll(async () => {
    await browser?.close();
    host?.server.close();
    rmSync(outDir, { recursive: true, force: true });
  });

  it('loads the demo pair and runs a rollout with the Python tool', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(host.url);
    await page.getByRole('radio', { name: /^CPU/ }).check();
    await page.getByRole('button', { name: 'Load demo pair' }).click();
    await expect
      .poll(() => page.locator('.header-model-status').textContent(), { timeout: 120_000 })
      .toMatch(/student: 3 layers on CPU .*teacher: 4 layers on CPU/);
    await page.getByRole('tab', { name: /Rollouts/ }).click();
    await page.getByLabel('Problems').fill('1');
    await page.getByLabel('Group size').fill('1');
    await page.getByRole('button', { name: 'Run rollouts' }).click();
    await page.getByRole('button', { name: 'Inspect trajectory 1' }).waitFor({ timeout: 180_000 });
    // The tool ran: Pyodide came from the built folder.
    expect(await page.getByText('Python', { exact: true }).count()).toBeGreaterThan(0);
    expect(errors).toEqual([]);
  }, 300_000);

  it('loads an ONNX teacher with onnxruntime-web from the built folder', async () => {
    const hub = await startHubServer({
      'test-org/student': writeTinyModelFolder('student', {}, 1),
      'test-org/teacher-onnx': await writeTinyOnnxRepo('teacher', 2),
    });
    const ort: string[] = [];
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('request', (r) => {
      if (/ort-wasm/.test(r.url())) ort.push(new URL(r.url()).pathname);
    });
    try {
      await page.goto(host.url);
      await page.getByRole('radio', { name: /^CPU/ }).check();
      await page.getByRole('combobox', { name: 'Student model' }).selectOption('hub');
      await page.getByRole('textbox', { name: 'Student Hub id' }).fill('test-org/student');
      await page.getByRole('combobox', { name: 'Teacher model' }).selectOption('hub');
      await page.getByRole('textbox', { name: 'Teacher Hub id' }).fill('test-org/teacher-onnx');
      await page.getByRole('combobox', { name: 'Teacher runs on' }).selectOption('onnx');
      await page.getByLabel('Hub address').fill(hub.url);
      await page.getByRole('button', { name: 'Load models' }).click();
      const teacher = page.getByRole('article', { name: 'Teacher' });
      await expect.poll(() => teacher.locator('.model-status').textContent(), { timeout: 120_000 }).toBe('ready');
      expect(await teacher.locator('[data-value="backend"] dd').textContent()).toMatch(/^ONNX on transformers\.js/);
      // onnxruntime's runtime came from the built folder, under the sub-path.
      expect(ort).toContain('/some/sub/path/ort/ort-wasm-simd-threaded.asyncify.wasm');
      expect(errors).toEqual([]);
    } finally {
      await page.close();
      hub.server.close();
    }
  }, 180_000);
});
