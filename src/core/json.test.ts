import { describe, expect, it } from 'vitest';
import { describeJson, parseJsonFile } from './json';

describe('parseJsonFile', () => {
  it('parses JSON text, and names the file when it is not JSON', () => {
    expect(parseJsonFile('{"a": [1]}', 'm/config.json')).toEqual({ a: [1] });
    expect(() => parseJsonFile('{"a": ', 'm/config.json')).toThrow(/^m\/config\.json: not valid JSON \(.+\)$/);
  });
});

describe('describeJson', () => {
  it('quotes a value as JSON, cut short, naming what JSON cannot write', () => {
    expect(describeJson({ a: 'b' })).toBe('{"a":"b"}');
    expect(describeJson('x'.repeat(100), 10)).toBe(`"${'x'.repeat(8)}…`);
    expect(describeJson(Infinity)).toBe('Infinity');
    expect(describeJson(NaN)).toBe('NaN');
    expect(describeJson(undefined)).toBe('undefined');
    expect(describeJson(JSON.parse(`${'['.repeat(12_000)}${']'.repeat(12_000)}`))).toBe('an array nested too deep');
  });
});
