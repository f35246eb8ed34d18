import { describe, expect, it } from 'vitest';
import { formatBytes, formatDuration, formatParameters } from './format';
import { validateNumber } from './validate';

describe('formatBytes', () => {
  it('uses decimal units with about three digits', () => {
    expect([0, 950, 1000, 2_400_000, 99_949_999, 152_300_000, 3.2e9].map(formatBytes)).toEqual([
      '0 B',
      '950 B',
      '1.0 kB',
      '2.4 MB',
      '99.9 MB',
      '152 MB',
      '3.2 GB',
    ]);
  });
});

describe('formatDuration', () => {
  it('shows tenths under 10 s, then whole seconds, minutes and hours', () => {
    expect([0.43, 9.96, 12.6, 120, 125, 3725].map(formatDuration)).toEqual([
      '0.4 s',
      '10 s',
      '13 s',
      '2 min',
      '2 min 5 s',
      '1 h 2 min',
    ]);
  });
});

describe('formatParameters', () => {
  it('counts in millions, or billions from 1e9', () => {
    expect([630_000, 12_345_678, 596_049_920, 1.7e9].map(formatParameters)).toEqual([
      '0.63 M',
      '12.3 M',
      '596 M',
      '1.70 B',
    ]);
  });
});

describe('validateNumber', () => {
  const rule = { min: 1, max: 16, integer: true };
  it('accepts a number in range and says what is wrong otherwise', () => {
    expect(validateNumber(' 4 ', rule)).toEqual({ ok: true, value: 4 });
    expect(validateNumber('', rule)).toEqual({ ok: false, message: 'Enter a number.' });
    expect(validateNumber('abc', rule)).toEqual({ ok: false, message: '“abc” is not a number.' });
    expect(validateNumber('2.5', rule)).toEqual({ ok: false, message: 'Must be a whole number.' });
    expect(validateNumber('0', rule)).toEqual({ ok: false, message: 'Must be between 1 and 16.' });
    expect(validateNumber('17', rule)).toEqual({ ok: false, message: 'Must be between 1 and 16.' });
    expect(validateNumber('1e9', { min: 0 })).toEqual({ ok: true, value: 1e9 });
    expect(validateNumber('-1', { min: 0 })).toEqual({ ok: false, message: 'Must be at least 0.' });
  });
});
