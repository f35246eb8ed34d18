import { afterAll, describe, expect, it } from 'vitest';
import { createNodeSandbox } from '../../tools/node-sandbox';
import { answersMatch } from '../answer';
import { competitionProblems } from './competition';

describe('the competition problems', () => {
  const sandbox = createNodeSandbox({ timeoutMs: 20_000 });
  afterAll(() => sandbox.dispose());

  it('has at least 30 problems, each answer confirmed by running its check code', async () => {
    expect(competitionProblems.length).toBeGreaterThanOrEqual(30);
    for (const [i, p] of competitionProblems.entries()) {
      const run = await sandbox.run(p.check, `check-${i}`);
      expect(run.error, p.question).toBeNull();
      expect(
        answersMatch(run.output.trim(), p.answer),
        `${p.question}: code says ${run.output.trim()}, answer ${p.answer}`,
      ).toBe(true);
    }
  }, 120_000);
});
