import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { defaultStepSettings, weighSteps } from '../../src/sod/weights';
import { browserAvailable } from '../support/browser';
import { openPlaygroundPage, shots, type PlaygroundPage } from '../support/playground-page';

/** The bundled sample (a real rollout of the demo student) and its step weighting by src/sod. */
const sample = JSON.parse(readFileSync(new URL('../../public/samples/drift-recovery.jsonl', import.meta.url), 'utf8'));
const sampleScores = {
  mask: sample.mask,
  studentLogprobs: sample.student_logprobs,
  teacherLogprobs: sample.teacher_logprobs,
};
const sampleWeights = weighSteps(sampleScores).weights;

describe.skipIf(!browserAvailable)('the inspector page in headless Chromium', () => {
  let opened: PlaygroundPage | undefined;
  let page: Page;
  let consoleErrors: string[] = [];

  beforeAll(async () => {
    opened = await openPlaygroundPage();
    ({ page, consoleErrors } = opened);
  }, 120_000);

  afterAll(async () => {
    await opened?.close();
  });

  it('loads the sample and shows its steps, divergences and weights', async () => {
    // No model is needed to inspect a file.
    await page.getByRole('tab', { name: /Inspector/ }).click();
    await page.getByRole('button', { name: 'Load sample' }).click();
    const k = sampleWeights.length;
    await page.getByRole('heading', { name: new RegExp(`${k} steps`) }).waitFor();
    const table = page.getByRole('table');
    await expect(table.locator('tbody tr').count()).resolves.toBe(k);
    // The weights src/sod gives the sample: a step after the tool error suppressed, a later one back up.
    const w = (await table.locator('tbody tr td:nth-child(6)').allTextContents()).map(Number);
    for (let i = 0; i < k; i++) expect(w[i]).toBeCloseTo(sampleWeights[i], 3);
    const dip = w.findIndex((x) => x < 1);
    expect(dip).toBeGreaterThan(0);
    expect(Math.max(...w.slice(dip + 1))).toBeGreaterThan(w[dip]);
    expect(await page.locator('.recharts-surface').count()).toBeGreaterThan(0);
    await page.screenshot({ path: `${shots}/inspector-sample.png`, fullPage: true });
  });

  it('recomputes the weights when δ changes and explains a bad value', async () => {
    const delta = page.getByLabel('δ (delta)');
    await delta.fill('0.5');
    const wider = weighSteps(sampleScores, { ...defaultStepSettings, delta: 0.5 }).weights;
    const last = wider.length;
    await expect
      .poll(async () => Number(await page.locator(`tbody tr:nth-child(${last}) td:nth-child(6)`).textContent()))
      .toBeCloseTo(wider[last - 1], 3);
    await delta.fill('-1');
    await page.getByRole('alert').filter({ hasText: 'delta must be ≥ 0, got -1' }).waitFor();
    await page.screenshot({ path: `${shots}/inspector-bad-delta.png`, fullPage: true });
    await delta.fill('0.2');
  });

  it('reads pasted lines and names the bad ones', async () => {
    const good = JSON.stringify({
      task_id: 'pasted-1',
      mask: [1, 1, 0, 1],
      student_logprobs: [-1, -1, -3, -1],
      teacher_logprobs: [-1.2, -1.2, -9, -2],
    });
    await page.getByLabel(/Or paste JSONL/).fill(`${good}\nnot json\n`);
    await page.getByRole('button', { name: 'Inspect pasted lines' }).click();
    await page.getByText('Line 2: not valid JSON', { exact: false }).waitFor();
    await page.getByRole('heading', { name: /2 steps/ }).waitFor();
    expect(consoleErrors).toEqual([]);
  });
});
