/**
 * `npm run soak`: many consecutive SOD updates of the demo pair in headless Chromium, watching
 * memory. After each update it samples the JS heap of the page and of each worker (after a
 * garbage collection, over the DevTools protocol) and the bytes each engine holds on its
 * backend (the header's figures: GPU buffers on WebGPU, the default). It fails when a series
 * grows past its bound after update 10, or when removing the run does not give the page's
 * memory back. Not part of `npm test`: 100 updates take 10 (CPU) to 25 (SwiftShader) minutes here.
 *
 *   npm run soak -- [--updates 100] [--backend webgpu|cpu] [--prompts 2] [--group 2] [--out test-results/soak]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { CDPSession, Page } from 'playwright-core';
import { launchChromium } from '../tests/support/browser';
import { startPlayground } from '../tests/support/vite-server';
import { judgeSoak, type SoakBound, type SoakSample } from './lib/soak-series';

const MiB = 2 ** 20;
const { values: args } = parseArgs({
  options: {
    updates: { type: 'string', default: '100' },
    backend: { type: 'string', default: 'webgpu' },
    prompts: { type: 'string', default: '2' },
    group: { type: 'string', default: '2' },
    out: { type: 'string', default: 'test-results/soak' },
  },
});
const updates = Number(args.updates);
if (!Number.isInteger(updates) || updates < 20) throw new Error(`--updates ${args.updates}: give a whole number ≥ 20`);
if (args.backend !== 'cpu' && args.backend !== 'webgpu') throw new Error(`--backend ${args.backend}: cpu or webgpu`);
const trajectoriesPerUpdate = Number(args.prompts) * Number(args.group);

/**
 * The bounds. The page keeps every update's trajectories (with their tokens, scores and weights)
 * and metrics for its charts and the inspector until the run is removed: that growth is the
 * run's, measured at about 41 KiB per trajectory of the demo pair, allowed up to 48 KiB.
 */
const bounds: Record<string, SoakBound> = {
  'page heap': { relative: 0.1, fixedBytes: 8 * MiB, perUpdateBytes: 48 * 1024 * trajectoriesPerUpdate },
  'student heap': { relative: 0.1, fixedBytes: MiB },
  'teacher heap': { relative: 0.1, fixedBytes: MiB },
  'sandbox heap': { relative: 0.1, fixedBytes: 8 * MiB },
  'student engine': { relative: 0.1, fixedBytes: 6 * MiB },
  'teacher engine': { relative: 0.1, fixedBytes: 6 * MiB },
};
/** After "Remove run" the page's heap must come back to within this of its level before the run. */
const removedRunSlack = 8 * MiB;

/** The page and its workers over the DevTools protocol: a garbage collection, then the heap's used bytes. */
class HeapProbe {
  private readonly workers = new Map<string, string>(); // name → session id
  private readonly pending = new Map<number, (result: unknown) => void>();
  private nextId = 0;

  private constructor(private readonly cdp: CDPSession) {
    cdp.on('Target.attachedToTarget', (e) => {
      // A worker started again (the sandbox after a hung run) replaces the one of its name.
      if (e.targetInfo.type === 'worker') this.workers.set(e.targetInfo.title, e.sessionId);
    });
    cdp.on('Target.detachedFromTarget', (e) => {
      for (const [name, id] of this.workers) if (id === e.sessionId) this.workers.delete(name);
    });
    cdp.on('Target.receivedMessageFromTarget', (e) => {
      const message = JSON.parse(e.message) as { id?: number; result?: unknown };
      if (message.id !== undefined) this.pending.get(message.id)?.(message.result);
    });
  }

  static async attach(page: Page): Promise<HeapProbe> {
    const cdp = await page.context().newCDPSession(page);
    const probe = new HeapProbe(cdp);
    // Not flattened: Playwright keeps its own flattened sessions to the same workers.
    await cdp.send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: false, flatten: false });
    return probe;
  }

  private inWorker(sessionId: string, method: string): Promise<unknown> {
    const id = ++this.nextId;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${method} in a worker did not answer`)), 60_000);
      this.pending.set(id, (result) => {
        clearTimeout(timer);
        this.pending.delete(id);
        resolve(result);
      });
      this.cdp.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id, method }) }).catch(reject);
    });
  }

  /** Used heap bytes of the page and of each worker, by name ('page', 'student engine', …). */
  async heaps(): Promise<Record<string, number>> {
    await this.cdp.send('HeapProfiler.collectGarbage');
    const out: Record<string, number> = { page: (await this.cdp.send('Runtime.getHeapUsage')).usedSize };
    for (const [name, session] of this.workers) {
      await this.inWorker(session, 'HeapProfiler.collectGarbage');
      out[name] = ((await this.inWorker(session, 'Runtime.getHeapUsage')) as { usedSize: number }).usedSize;
    }
    return out;
  }
}

/** The header's figure for each engine: what it holds on its backend after the last update. */
async function engineBytes(page: Page): Promise<Record<string, number>> {
  return page.evaluate(() => {
    const out: Record<string, number> = {};
    for (const el of document.querySelectorAll<HTMLElement>('.header-model-status [data-engine-bytes]'))
      out[`${el.dataset.role} engine`] = Number(el.dataset.engineBytes);
    return out;
  });
}

async function sample(page: Page, probe: HeapProbe, update: number): Promise<SoakSample> {
  const heaps = await probe.heaps();
  return {
    update,
    bytes: {
      'page heap': heaps.page,
      'student heap': heaps['student engine'],
      'teacher heap': heaps['teacher engine'],
      'sandbox heap': heaps['python sandbox'],
      ...(await engineBytes(page)),
    },
  };
}

const finishedUpdates = (page: Page) =>
  page.evaluate(() => document.querySelectorAll('table.training-table tbody th[scope="row"]').length);

const mib = (bytes: number | undefined) => (bytes === undefined ? '—' : (bytes / MiB).toFixed(1));

/** A line chart of each series in MiB against the update, one SVG. */
function plot(samples: readonly SoakSample[], series: readonly string[]): string {
  const [w, h, left, bottom] = [720, 360, 60, 40];
  const top = Math.max(...samples.flatMap((s) => series.map((k) => s.bytes[k] ?? 0))) / MiB;
  const x = (u: number) => left + ((w - left - 150) * (u - 1)) / Math.max(1, samples.length - 1);
  const y = (b: number) => h - bottom - ((h - bottom - 10) * b) / MiB / top;
  const colors = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b'];
  const lines = series.map((k, i) => {
    const points = samples
      .filter((s) => s.bytes[k] !== undefined)
      .map((s) => `${x(s.update).toFixed(1)},${y(s.bytes[k]).toFixed(1)}`);
    return (
      `<polyline fill="none" stroke="${colors[i % colors.length]}" stroke-width="1.5" points="${points.join(' ')}"/>` +
      `<text x="${w - 140}" y="${20 + 16 * i}" fill="${colors[i % colors.length]}" font-size="12">${k}</text>`
    );
  });
  const axes =
    `<line x1="${left}" y1="${h - bottom}" x2="${w - 150}" y2="${h - bottom}" stroke="#888"/>` +
    `<line x1="${left}" y1="10" x2="${left}" y2="${h - bottom}" stroke="#888"/>` +
    `<text x="${left}" y="${h - 10}" font-size="12">update 1</text>` +
    `<text x="${w - 200}" y="${h - 10}" font-size="12">update ${samples.length}</text>` +
    `<text x="4" y="16" font-size="12">${top.toFixed(0)} MiB</text><text x="4" y="${h - bottom}" font-size="12">0</text>`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" font-family="sans-serif">${axes}${lines.join('')}</svg>\n`;
}

async function main(): Promise<void> {
  mkdirSync(args.out, { recursive: true });
  const { server, url } = await startPlayground();
  const browser = await launchChromium();
  const started = performance.now();
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(url, { timeout: 120_000 });
    const probe = await HeapProbe.attach(page);

    await page.getByRole('radio', { name: args.backend === 'cpu' ? /^CPU/ : /^WebGPU/ }).check();
    await page.getByRole('button', { name: 'Load demo pair' }).click();
    await page
      .locator('.header-model-status [data-role="teacher"]')
      .waitFor({ timeout: 180_000 })
      .catch(async () => {
        throw new Error(`the demo pair did not load: ${await page.locator('.header-model-status').textContent()}`);
      });

    await page.getByRole('tab', { name: /Training/ }).click();
    await page.getByLabel('Updates', { exact: true }).fill(String(updates));
    await page.getByLabel('Prompts per update').fill(String(args.prompts));
    await page.getByLabel('Group size').fill(String(args.group));
    await page.getByLabel('Held-out problems').fill('0');
    const before = await sample(page, probe, 0);
    await page.getByRole('button', { name: 'Start run' }).click();

    const samples: SoakSample[] = [];
    console.log('update  page  student  teacher  sandbox  student-engine  teacher-engine  (MiB)');
    while (samples.length < updates) {
      const failed = await page.getByRole('heading', { name: /· failed/ }).count();
      if (failed > 0)
        throw new Error(`the run failed: ${await page.getByRole('heading', { name: /· failed/ }).textContent()}`);
      const done = await finishedUpdates(page);
      if (done > samples.length) {
        const s = await sample(page, probe, done);
        samples.push(s);
        // Kept as they come: a run stopped midway still leaves its curves.
        writeFileSync(
          join(args.out, 'samples.json'),
          `${JSON.stringify({ backend: args.backend, before, samples })}\n`,
        );
        const b = s.bytes;
        if (done === 1 || done % 10 === 0)
          console.log(
            [
              done,
              b['page heap'],
              b['student heap'],
              b['teacher heap'],
              b['sandbox heap'],
              b['student engine'],
              b['teacher engine'],
            ]
              .map((v, i) => (i === 0 ? String(v).padStart(6) : mib(v).padStart(8)))
              .join(''),
          );
      } else await new Promise((r) => setTimeout(r, 250));
    }
    await page.getByRole('heading', { name: /· done/ }).waitFor({ timeout: 120_000 });

    // The run's trajectories and metrics are the page's to keep until the person removes the run.
    await page.getByRole('button', { name: 'Remove run' }).click();
    await page.getByRole('heading', { name: /· done/ }).waitFor({ state: 'detached' });
    const removed = await sample(page, probe, updates + 1);

    const verdicts = judgeSoak(samples, bounds);
    const seconds = (performance.now() - started) / 1000;
    const removedGrowth = removed.bytes['page heap'] - before.bytes['page heap'];
    console.log(
      `\n${updates} updates of ${trajectoriesPerUpdate} trajectories on ${args.backend} in ${seconds.toFixed(0)} s`,
    );
    console.log(
      'series          start  upd 10    end  KiB/update  growth  allowed  verdict (MiB; growth: the trend after update 10)',
    );
    for (const v of verdicts) {
      const [first, end] = [samples[0].bytes[v.series], samples.at(-1)?.bytes[v.series]];
      console.log(
        `${v.series.padEnd(15)}${mib(first).padStart(6)}${mib(v.warmBytes).padStart(8)}${mib(end).padStart(7)}` +
          `${(v.bytesPerUpdate / 1024).toFixed(1).padStart(12)}${mib(v.growthBytes).padStart(8)}${mib(v.allowedBytes).padStart(9)}  ${v.ok ? 'ok' : 'GREW'}`,
      );
    }
    const removedOk = removedGrowth <= removedRunSlack;
    console.log(
      `page heap before the run ${mib(before.bytes['page heap'])}, after removing it ${mib(removed.bytes['page heap'])} ` +
        `(+${mib(removedGrowth)}, allowed ${mib(removedRunSlack)}): ${removedOk ? 'ok' : 'KEPT'}`,
    );
    const series = Object.keys(bounds);
    writeFileSync(
      join(args.out, 'soak.json'),
      `${JSON.stringify({ updates, backend: args.backend, trajectoriesPerUpdate, seconds, bounds, before, samples, removed, verdicts }, null, 1)}\n`,
    );
    writeFileSync(join(args.out, 'soak.svg'), plot(samples, series));
    console.log(`wrote ${join(args.out, 'soak.json')} and soak.svg`);
    if (errors.length > 0) throw new Error(`the page threw: ${errors.join('; ')}`);
    if (!removedOk || verdicts.some((v) => !v.ok)) process.exitCode = 1;
  } finally {
    await browser.close();
    await server.close();
  }
}

await main();
