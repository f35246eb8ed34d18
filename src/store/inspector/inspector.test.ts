import { describe, expect, it } from 'vitest';
import { createAppStore } from '../store';
import { parseSettings } from './selectors';

describe('inspector slice', () => {
  it('loads good lines, lists bad ones by line number and keeps the source text', () => {
    const store = createAppStore();
    const text = '{"task_id": "a", "mask": [1]}\n\n[1]\n{"task_id": "b", "mask": [0]}\n{oops';
    store.getState().loadText(text, 'pasted text');
    const s = store.getState();
    expect(s.trajectories.map((t) => [t.lineNumber, t.record.task_id])).toEqual([
      [1, 'a'],
      [4, 'b'],
    ]);
    expect(s.lineErrors.map((e) => e.lineNumber)).toEqual([3, 5]);
    expect(s.lineErrors[0].message).toBe('line must be a JSON object');
    expect(s.lineErrors[1].message).toMatch(/^not valid JSON/);
    expect(s.sourceText).toBe(text);
  });
  it('keeps the selection inside the loaded trajectories', () => {
    const store = createAppStore();
    store.getState().loadText('{"mask": [1]}\n{"mask": [1]}', 'x');
    store.getState().select(5);
    expect(store.getState().selected).toBe(1);
    store.getState().select(-2);
    expect(store.getState().selected).toBe(0);
  });
});

describe('parseSettings', () => {
  it('turns valid text into settings', () => {
    expect(parseSettings({ epsilon: '1e-6', delta: '0.2', coef: '1' })).toEqual({
      ok: true,
      value: { epsilon: 1e-6, delta: 0.2, coef: 1 },
    });
  });
  it('names the field that is not a number or breaks a rule of src/sod', () => {
    expect(parseSettings({ epsilon: '', delta: '0.2', coef: '1' })).toMatchObject({ ok: false, field: 'epsilon' });
    expect(parseSettings({ epsilon: '1e-6', delta: '-0.1', coef: '1' })).toEqual({
      ok: false,
      field: 'delta',
      message: 'delta must be ≥ 0, got -0.1',
    });
    expect(parseSettings({ epsilon: '0', delta: '0.2', coef: '1' })).toMatchObject({
      ok: false,
      field: 'epsilon',
      message: 'epsilon must be > 0, got 0',
    });
  });
});
