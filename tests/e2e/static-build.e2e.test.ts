import { createReadStream, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { build, preview } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contentSecurityPolicy, isolationHeaders, parseHeadersFile } from '../../page-security';
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

/**
 * A plain static host serving `dir` under `prefix` (a sub-path), nothing else: no dev server, no rewriting.
 * Like Netlify or Cloudflare Pages, it sends the headers the build's `_headers` file gives every path.
 */
async function serveStatic(dir: string, prefix: string): Promise<{ server: Server; url: string }> {
  const headers = parseHeadersFile(readFileSync(join(dir, '_headers'), 'utf8'));
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    if (!path.startsWith(prefix)) return void res.writeHead(404).end();
    let file = normalize(join(dir, path.slice(prefix.length)));
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
    if (relative(dir, file).startsWith('..') || !existsSync(file)) return void res.writeHead(404).end();
    res.writeHead(200, { ...headers, 'content-type': types[extname(file)] ?? 'application/octet-stream' });
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  return { server, url: `http://127.0.0.1:${address.port}${prefix}` };
}

/**
 * `npm run build` works from any static host under a sub-path: the models, the workers and Pyodide all
 * load, under the page's Content-Security-Policy and cross-origin isolation.
 */
describe.skipIf(!browserAvailable)('the built site under a sub-path', () => {
  const outDir = mkdtempSync(join(tmpdir(), 'sodp-dist-'));
  // The tests' Hub server listens on 127.0.0.1 at a port of its own: built as for a mirror there.
  const connectSrc = 'http://127.0.0.1:*';
  let host: { server: Server; url: string };
  let browser: Browser;

  beforeAll(async () => {
    const before = process.env.VITE_CONNECT_SRC;
    process.env.VITE_CONNECT_SRC = connectSrc;
    try {
      await build({
        root,
        configFile: join(root, 'vite.config.ts'),
        logLevel: 'error',
        build: { outDir, emptyOutDir: true },
      });
    } finally {
      if (before === undefined) delete process.env.VITE_CONNECT_SRC;
      else process.env.VITE_CONNECT_SRC = before;
    }
    host = await serveStatic(outDir, '/some/sub/path/');
    browser = await launchChromium();
  }, 240_000);
  afterAll(async () => {
    await browser?.close();
    host?.server.close();
    rmSync(outDir, { recursive: true, force: true });
  });

  it('writes its policy into index.html and _headers; vite preview sends those headers', async () => {
    const policy = contentSecurityPolicy({ connectSrc });
    const html = readFileSync(join(outDir, 'index.html'), 'utf8');
    // The meta element cannot carry frame-ancestors; it comes before any script.
    const meta = `<meta http-equiv="Content-Security-Policy" content="${contentSecurityPolicy({ connectSrc, meta: true })}" />`;
    expect(html).toContain(meta);
    expect(html.indexOf(meta)).toBeLessThan(html.indexOf('<script'));
    expect(policy).toContain("frame-ancestors 'none'");
    const expected = { 'Content-Security-Policy': policy, ...isolationHeaders };
    expect(parseHeadersFile(readFileSync(join(outDir, '_headers'), 'utf8'))).toEqual(expected);
    const server = await preview({
      root,
      configFile: join(root, 'vite.config.ts'),
      logLevel: 'error',
      build: { outDir },
      preview: { host: '127.0.0.1', port: 0 },
    });
    try {
      const address = server.httpServer.address();
      if (address === null || typeof address === 'string') throw new Error('no address');
      for (const path of ['', 'assets/', 'ort/ort-wasm-simd-threaded.asyncify.mjs']) {
        const response = await fetch(`http://127.0.0.1:${address.port}/${path}`);
        for (const [name, value] of Object.entries(expected)) expect(response.headers.get(name)).toBe(value);
      }
    } finally {
      await server.close();
    }
  });

  it('loads the demo pair and runs a rollout with the Python tool; no request leaves the site; inline script is refused', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    // The context's requests include those of the page's workers (engines, Pyodide, onnxruntime).
    const requests: string[] = [];
    page.context().on('request', (r) => requests.push(r.url()));
    await page.addInitScript(() => {
      const found: string[] = [];
      Object.assign(window, { __violations: found });
      document.addEventListener('securitypolicyviolation', (e) =>
        found.push(`${e.effectiveDirective} ${e.blockedURI}`),
      );
    });
    const violations = () => page.evaluate(() => (window as { __violations?: string[] }).__violations);
    const response = await page.goto(host.url);
    expect(response?.headers()['content-security-policy']).toBe(contentSecurityPolicy({ connectSrc }));
    expect(response?.headers()['cross-origin-opener-policy']).toBe('same-origin');
    expect(response?.headers()['cross-origin-embedder-policy']).toBe('require-corp');
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);

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
    await page.getByRole('tab', { name: /Inspector/ }).click();
    await page.getByRole('button', { name: 'Load sample' }).click();
    await page.getByRole('heading', { name: /\d+ steps/ }).waitFor();
    expect(await page.locator('.recharts-surface').count()).toBeGreaterThan(0);
    await page.getByRole('tab', { name: /Training/ }).click();
    await page.getByRole('button', { name: 'Start run' }).waitFor();

    const origin = new URL(host.url).origin;
    expect(requests.length).toBeGreaterThan(0);
    expect(requests.filter((url) => new URL(url).origin !== origin)).toEqual([]);

    // Nothing the app did was refused; a script injected into the page is, and is reported.
    expect(await violations()).toEqual([]);
    await page.evaluate(() => {
      const script = document.createElement('script');
      script.textContent = 'window.__inline = 1';
      document.body.append(script);
    });
    // Once per policy: the header's and the meta element's.
    await expect.poll(violations).toEqual(['script-src-elem inline', 'script-src-elem inline']);
    expect(await page.evaluate(() => (window as { __inline?: number }).__inline)).toBeUndefined();
    expect(errors).toEqual([]);
    await page.close();
  }, 300_000);

  it('refuses a Hub address its policy does not name, and says so on the model card', async () => {
    const page = await browser.newPage();
    try {
      await page.goto(host.url);
      await page.getByRole('radio', { name: /^CPU/ }).check();
      await page.getByRole('combobox', { name: 'Student model' }).selectOption('hub');
      await page.getByRole('textbox', { name: 'Student Hub id' }).fill('test-org/student');
      // Nothing listens there; the policy stops the request before it is made.
      await page.getByLabel('Hub address').fill('http://localhost:9');
      await page.getByRole('button', { name: 'Load models' }).click();
      const student = page.getByRole('article', { name: 'Student' });
      await expect.poll(() => student.locator('.model-status').textContent(), { timeout: 60_000 }).toBe('failed');
      expect(await student.textContent()).toContain(
        "the page's Content-Security-Policy does not allow connecting to http://localhost:9",
      );
    } finally {
      await page.close();
    }
  }, 120_000);

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
