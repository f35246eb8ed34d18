// @vitest-environment jsdom
import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { EvaluationCard } from './EvaluationCard';
import { run, settings, summary } from './fixtures';
import { formatSigned } from './format';

afterEach(cleanup);

const row = (name: string): string[] => {
  const tr = document.querySelector(`tr[data-row="${name}"]`);
  if (tr === null) throw new Error(`no row ${name}`);
  return [...tr.querySelectorAll('th, td')].map((c) => c.textContent ?? '');
};

describe('EvaluationCard', () => {
  it('shows before and after with the change in percentage points', () => {
    // 7/20 = 35% → 12/16 = 75%: +40.0 pp (from the accuracies, not from the counts' difference).
    render(
      <EvaluationCard
        run={run('a', 'SOD #1', 'sod', [], {
          evaluation: { before: summary(7, 20, -0.55, 0.8), after: summary(12, 16, 0.4, 1.25) },
        })}
      />,
    );
    expect(row('accuracy')).toEqual(['accuracy', '7 / 20 (35.0%)', '12 / 16 (75.0%)', '+40.0 pp']);
    expect(row('reward')).toEqual(['mean reward', '−0.550', '0.400', '+0.950']);
    expect(row('tools')).toEqual(['mean tool calls', '0.80', '1.25', '+0.45']);
  });

  it('shows a drop with a minus sign', () => {
    render(
      <EvaluationCard
        run={run('a', 'SOD #1', 'sod', [], {
          evaluation: { before: summary(2, 3, 0, 1), after: summary(1, 3, -0.5, 1) },
        })}
      />,
    );
    expect(row('accuracy')[3]).toBe('−33.3 pp');
    expect(row('tools')[3]).toBe('0.00');
  });

  it('says running… while the after evaluation is pending, and not evaluated when absent', () => {
    render(
      <EvaluationCard
        run={run('a', 'SOD #1', 'sod', [], { status: 'running', evaluation: { before: summary(5, 10, 0, 1) } })}
      />,
    );
    expect(row('accuracy')).toEqual(['accuracy', '5 / 10 (50.0%)', 'running…', '—']);
    cleanup();
    render(
      <EvaluationCard
        run={run('a', 'SOD #1', 'sod', [], { status: 'stopped', evaluation: { before: summary(5, 10, 0, 1) } })}
      />,
    );
    expect(row('accuracy')[2]).toBe('not evaluated');
    cleanup();
    render(
      <EvaluationCard
        run={run('a', 'SOD #1', 'sod', [], { status: 'done', settings: { ...settings, evalProblems: 0 } })}
      />,
    );
    expect(screen.getByText(/Not evaluated/)).toBeTruthy();
    expect(document.querySelector('table')).toBeNull();
  });
});

describe('formatSigned', () => {
  it('signs positive and negative changes and never shows −0', () => {
    expect(formatSigned(12.5, 1)).toBe('+12.5');
    expect(formatSigned(-3, 1)).toBe('−3.0');
    expect(formatSigned(-0.01, 1)).toBe('0.0');
    expect(formatSigned(0.01, 1)).toBe('0.0');
  });
});
