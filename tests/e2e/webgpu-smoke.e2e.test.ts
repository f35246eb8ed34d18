import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import type { ViteDevServer } from 'vite';
import { browserAvailable, launchChromium } from '../support/browser';
import { startPlayground } from '../support/vite-server';

describe.skipIf(!browserAvailable)('the WebGPU path in headless Chromium', () => {
  let server: ViteDevServer;
  let browser: Browser;
  let url: string;

  beforeAll(async () => {
    const started = await startPlayground();
    server = started.server;
    url = started.url;
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('runs the matmul kernel through the page and matches the reference', async () => {
    const page = await browser.newPage();
    await page.goto(`${url}tests/e2e/pages/kernel-smoke.html`);
    await page.waitForFunction(() => document.getElementById('result')?.textContent !== 'running…', undefined, {
      timeout: 60_000,
    });
    const result: unknown = JSON.parse((await page.locator('#result').textContent()) ?? '{}');
    expect(result).toMatchObject({ ok: true });
    expect(result).toHaveProperty('maxAbs');
    const maxAbs = typeof result === 'object' && result !== null && 'maxAbs' in result ? Number(result.maxAbs) : NaN;
    expect(maxAbs).toBeLessThan(1e-4);
  }, 90_000);
});
