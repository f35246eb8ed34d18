import { mkdirSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { launchChromium } from './browser';
import { startPlayground } from './vite-server';

/** Where browser tests save screenshots and files (git-ignored). */
export const shots = 'test-results/e2e';

export interface PlaygroundPage {
  page: Page;
  /** Console errors and uncaught page errors, in order. */
  consoleErrors: string[];
  close(): Promise<void>;
}

/** The playground's dev server and a 1280×800 Chromium page on it, collecting console errors. */
export async function openPlaygroundPage(): Promise<PlaygroundPage> {
  mkdirSync(shots, { recursive: true });
  const { server, url } = await startPlayground();
  const browser = await launchChromium();
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
  const consoleErrors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(e.message));
  // The dev server compiles the app on the first request: slow on a loaded 2-core machine.
  await page.goto(url, { timeout: 120_000 });
  return {
    page,
    consoleErrors,
    async close() {
      await browser.close();
      await server.close();
    },
  };
}
