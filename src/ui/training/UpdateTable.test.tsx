// @vitest-environment jsdom
import { cleanup, render, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { metrics, run, twoRuns } from './fixtures';
import { UpdateTable } from './UpdateTable';

afterEach(cleanup);

const cells = (row: HTMLElement): string[] => [...row.querySelectorAll('th, td')].map((c) => c.textContent ?? '');

describe('UpdateTable', () => {
  it('has a caption, units in the headers and one row per update', () => {
    const [sod] = twoRuns();
    render(<UpdateTable run={sod} />);
    const table = screen.getByRole('table', { name: /SOD #1: 3 updates/ });
    const headers = within(table)
      .getAllByRole('columnheader')
      .map((h) => h.textContent);
    expect(headers).toEqual([
      'update',
      'loss',
      'reward',
      'accuracy (%)',
      'mean d_k (nats/token)',
      'mean w_k',
      'KL (nats)',
      'clip (%)',
      'tokens/s',
      'time (s)',
    ]);
    const rows = within(table).getAllByRole('row').slice(1);
    expect(rows).toHaveLength(3);
    // update 3: loss 0.01234, reward −0.2, accuracy 0.375, d_k 0.5, w_k 1.1, KL 3.1e-6, clip 0.125, 87.25 tokens/s, 15.75 s.
    expect(cells(rows[2])).toEqual([
      '3',
      '0.0123',
      '−0.200',
      '37.5',
      '0.500',
      '1.100',
      '3.1e-6',
      '12.5',
      '87.3',
      '15.8',
    ]);
    expect(cells(rows[0])).toEqual(['1', '0.1000', '−0.400', '25.0', '0.900', '1.050', '0.0010', '5.0', '250', '7.0']);
    expect(rows[2].lastElementChild?.getAttribute('title')).toBe('rollout 10.50 s, score 2.25 s, train 3.00 s');
  });

  it('shows a dash for d_k and w_k of a grpo run and says when there are no updates', () => {
    const [, grpo] = twoRuns();
    render(<UpdateTable run={grpo} />);
    const rows = screen.getAllByRole('row').slice(1);
    expect(rows).toHaveLength(2);
    expect(cells(rows[1]).slice(0, 6)).toEqual(['2', '−0.5000', '−0.300', '25.0', '—', '—']);
    cleanup();
    render(<UpdateTable run={run('z', 'SOD #9', 'sod', [])} />);
    expect(screen.getByText('No updates yet.')).toBeTruthy();
    expect(screen.getByRole('table', { name: /SOD #9: 0 updates/ })).toBeTruthy();
  });

  it('says which optimizer steps of an update were skipped, and why on hover', () => {
    const skipped = ['step 1: the gradient norm is NaN'];
    const rows = [
      metrics(1, { loss: 0.25, optimizerSteps: 4, skipped }),
      metrics(2, { loss: Number.NaN, optimizerSteps: 1, skipped: ['step 1: the loss is NaN'] }),
    ];
    render(<UpdateTable run={run('s', 'SOD #3', 'sod', rows)} />);
    const [first, second] = screen.getAllByRole('row').slice(1);
    expect(cells(first)[1]).toBe('0.2500 (1 of 4 steps skipped)');
    expect(first.querySelector('[title]')?.getAttribute('title')).toBe(skipped[0]);
    expect(cells(second)[1]).toBe('— (1 of 1 steps skipped)');
  });
});
