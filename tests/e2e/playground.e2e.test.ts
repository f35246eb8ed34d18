import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { browserAvailable } from '../support/browser';
import { openPlaygroundPage, shots, type PlaygroundPage } from '../support/playground-page';
import { parseLines, runSodp } from '../support/run-sodp';

/** The whole loop a newcomer follows, once on WebGPU (SwiftShader) and once on the CPU backend. */
describe.skipIf(!browserAvailable).each(['webgpu', 'cpu'] as const)(
  'the playground in headless Chromium (%s backend)',
  (backend) => {
    let opened: PlaygroundPage | undefined;
    let page: Page;
    let consoleErrors: string[] = [];
    const shot = (name: string) =>
      page.screenshot({ path: `${shots}/playground-${backend}-${name}.png`, fullPage: true });

    beforeAll(async () => {
      opened = await openPlaygroundPage();
      ({ page, consoleErrors } = opened);
    }, 120_000);

    afterAll(async () => {
      await opened?.close();
    });

    it('loads the demo pair', async () => {
      // Picked either way: on SwiftShader (a software adapter) the page's default is the CPU.
      await page.getByRole('radio', { name: backend === 'cpu' ? /^CPU/ : /^WebGPU/ }).check();
      await page.getByRole('button', { name: 'Load demo pair' }).click();
      const status = page.locator('.header-model-status');
      await expect
        .poll(() => status.textContent(), { timeout: 120_000 })
        .toMatch(/student: 3 layers on .*teacher: 4 layers on /);
      const device = backend === 'cpu' ? /on CPU/ : /on (?!CPU)/;
      expect(await status.textContent()).toMatch(device);
      await shot('1-models');
    }, 180_000);

    it('runs a rollout of 2 problems with live tokens and tool calls', async () => {
      await page.getByRole('tab', { name: /Rollouts/ }).click();
      await page.getByLabel('Group size').fill('2');
      await page.getByRole('button', { name: 'Run rollouts' }).click();
      await page.getByRole('button', { name: 'Inspect trajectory 4' }).waitFor({ timeout: 240_000 });
      expect(await page.getByRole('button', { name: /^Inspect trajectory/ }).count()).toBe(4);
      await shot('2-rollouts');
    }, 300_000);

    it('inspects a trajectory and recomputes its weights when δ moves', async () => {
      // Open the rollout whose SOD weights reach the cap, if one does, so δ visibly matters.
      let opened = false;
      for (let i = 1; i <= 4 && !opened; i++) {
        await page.getByRole('tab', { name: /Rollouts/ }).click();
        await page.getByRole('button', { name: `Inspect trajectory ${i}` }).click();
        await page.getByRole('heading', { name: /\d+ steps?:/ }).waitFor();
        const weights = (await page.locator('table tbody tr td:nth-child(6)').allTextContents()).map(Number);
        opened = weights.some((w) => w > 1);
      }
      const weights = async () => (await page.locator('table tbody tr td:nth-child(6)').allTextContents()).map(Number);
      const before = await weights();
      const delta = page.getByLabel('δ (delta)');
      if (before.some((w) => w > 1)) {
        await delta.fill('0');
        await expect.poll(async () => Math.max(...(await weights()))).toBeLessThanOrEqual(1);
      } else {
        // No step beats its predecessor here: the weights are ratios below 1 and δ only moves the cap; ε moves them all.
        await page.getByLabel('ε (epsilon)').fill('5');
        await expect.poll(async () => (await weights()).join(',')).not.toBe(before.join(','));
      }
      await shot('3-inspector');
      await delta.fill('0.2');
      await page.getByLabel('ε (epsilon)').fill('1e-6');
    }, 120_000);

    it('runs 2 SOD updates from the defaults; every chart gains points, the held-out curve one per evaluation', async () => {
      await page.getByRole('tab', { name: /Training/ }).click();
      // The form's defaults, shortened only (SwiftShader runs WebGPU on the CPU): 2 updates instead of
      // the default's, 2 prompts × 2 samples per update instead of its batch, 2 held-out problems
      // evaluated after every update. Learning rate, PPO epochs and mini-batch, temperature and
      // limits stay as the defaults set them.
      await page.getByLabel('Updates', { exact: true }).fill('2');
      await page.getByLabel('Prompts per update').fill('2');
      await page.getByLabel('Group size').fill('2');
      await page.getByLabel('Evaluate every').fill('1');
      await page.getByLabel('Held-out problems').fill('2');
      await page.getByRole('button', { name: 'Start run' }).click();
      await page.getByRole('heading', { name: /SOD #1 · done/ }).waitFor({ timeout: 480_000 });
      const points = await page
        .locator('figure[data-chart]')
        .evaluateAll((figures) =>
          figures.map((f) => [f.getAttribute('data-chart'), Number(f.getAttribute('data-points'))] as const),
        );
      expect(points.length).toBeGreaterThanOrEqual(10);
      for (const [chart, n] of points) {
        if (chart === 'weightByStep') expect(n, chart ?? '').toBeGreaterThanOrEqual(1);
        else if (chart !== 'heldOut') expect(n, chart ?? '').toBe(2);
      }
      // Held-out evaluations before, after update 1 and after update 2: three dots on the run's line.
      const heldOut = page.getByRole('figure', { name: /^Held-out accuracy/ });
      await expect.poll(() => heldOut.locator('.recharts-line-dot').count()).toBe(3);
      expect(
        await page
          .getByRole('table', { name: /SOD #1: 2 updates/ })
          .locator('tbody tr')
          .count(),
      ).toBe(2);
      await shot('4-training');
    }, 600_000);

    it('exports the run’s trajectories in a file `sodp weights` reads', async () => {
      const [file] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: 'Trajectories (JSONL)' }).click(),
      ]);
      const path = `${shots}/playground-${backend}-trajectories.jsonl`;
      await file.saveAs(path);
      const result = await runSodp(['weights', '--input', path]);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      const lines = parseLines(result.stdout);
      // 2 updates × 2 prompts × 2 samples (the defaults).
      expect(lines).toHaveLength(8);
      for (const line of lines) expect(Array.isArray(line.w_values)).toBe(true);
      expect(consoleErrors).toEqual([]);
    }, 120_000);

    it('keeps the run after a reload (IndexedDB)', async () => {
      await page.waitForTimeout(1000);
      await page.reload();
      await page.getByRole('tab', { name: /Training/ }).click();
      await page.getByRole('heading', { name: /SOD #1 · done/ }).waitFor({ timeout: 30_000 });
      expect(Number(await page.locator('figure[data-chart="loss"]').getAttribute('data-points'))).toBe(2);
      expect(Number(await page.locator('figure[data-chart="heldOut"]').getAttribute('data-points'))).toBe(3);
      expect(consoleErrors).toEqual([]);
    }, 60_000);
  },
);
