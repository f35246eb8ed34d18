import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { crc32, unzipFiles, zipFiles, type ZipEntry } from './zip';

const unzip = '/usr/bin/unzip';
const zipinfo = '/usr/bin/zipinfo';
// A UTF-8 locale so Info-ZIP matches and prints the non-ASCII name as written.
const env = { ...process.env, LC_ALL: 'C.UTF-8' };
const dir = mkdtempSync(join(tmpdir(), 'sodp-zip-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const allBytes = Uint8Array.from({ length: 256 }, (_, i) => i);
const files: ZipEntry[] = [
  { path: 'adapter/adapter_config.json', data: new TextEncoder().encode('{"r": 8, "lora_alpha": 16}\n') },
  { path: 'bytes/all-256.bin', data: allBytes },
  { path: 'empty.txt', data: new Uint8Array(0) },
  { path: 'notes/données-π.txt', data: new TextEncoder().encode('ε = 1e-6, δ = 0.2\n') },
];

function writeArchive(name: string, data: Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, data);
  return path;
}

describe('crc32', () => {
  it('gives the check value 0xCBF43926 for "123456789"', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });
  it('is 0 for no bytes', () => {
    expect(crc32(new Uint8Array(0))).toBe(0);
  });
});

describe.skipIf(!existsSync(unzip))('zipFiles, read back by Info-ZIP unzip', () => {
  const archive = writeArchive('export.zip', zipFiles(files));

  it('passes unzip -t', () => {
    const report = execFileSync(unzip, ['-t', archive], { env, encoding: 'utf8' });
    expect(report).toContain('No errors detected');
  });

  it.each(files.map((f) => [f.path, f.data] as const))('returns the exact bytes of %s', (path, data) => {
    const extracted = execFileSync(unzip, ['-p', archive, path], { env });
    expect(new Uint8Array(extracted)).toEqual(data);
  });

  it.skipIf(!existsSync(zipinfo))('writes the date given, and 1980-01-01 by default', () => {
    const dated = writeArchive(
      'dated.zip',
      zipFiles(files.slice(0, 1), { date: new Date(Date.UTC(2024, 4, 17, 13, 45, 30)) }),
    );
    expect(execFileSync(zipinfo, ['-T', dated], { env, encoding: 'utf8' })).toContain('20240517.134530');
    expect(execFileSync(zipinfo, ['-T', archive], { env, encoding: 'utf8' })).toContain('19800101.000000');
  });
});

describe('zipFiles', () => {
  it('gives the same bytes for the same inputs', () => {
    expect(zipFiles(files)).toEqual(zipFiles(files));
  });

  it('writes an empty archive as the end record alone', () => {
    const empty = zipFiles([]);
    expect(empty.length).toBe(22);
    expect(Array.from(empty.subarray(0, 4))).toEqual([0x50, 0x4b, 0x05, 0x06]);
  });

  it('sets general purpose bit 11 (UTF-8 names)', () => {
    const out = zipFiles(files.slice(0, 1));
    expect(new DataView(out.buffer).getUint16(6, true) & 0x0800).toBe(0x0800);
  });

  it.each([
    ['', /empty path/],
    ['/etc/passwd', /"\/etc\/passwd" is absolute/],
    ['C:/x.txt', /"C:\/x.txt" is absolute/],
    ['a/../../x.txt', /"a\/..\/..\/x.txt" contains '..'/],
    ['..', /"\.\." contains '..'/],
    ['a\\b.txt', /contains '\\'/],
    ['a//b.txt', /empty or '.' folder name/],
    ['folder/', /empty or '.' folder name/],
  ])('refuses the path %j', (path, message) => {
    expect(() => zipFiles([{ path, data: new Uint8Array(1) }])).toThrow(message);
  });

  it('refuses a path given twice, naming it', () => {
    const twice = [files[0], { path: files[0].path, data: new Uint8Array(0) }];
    expect(() => zipFiles(twice)).toThrow('zip: path "adapter/adapter_config.json" appears more than once');
  });

  it('refuses a date DOS cannot hold', () => {
    expect(() => zipFiles([], { date: new Date(Date.UTC(1979, 11, 31)) })).toThrow(/outside the DOS range/);
  });
});

describe('unzipFiles', () => {
  it('reads back what zipFiles wrote, and refuses a damaged archive naming it', () => {
    const files = [
      { path: 'run.json', data: new TextEncoder().encode('{"a":1}') },
      { path: 'checkpoint/update-000001.safetensors', data: Uint8Array.from({ length: 300 }, (_, i) => i % 251) },
      { path: 'empty.txt', data: new Uint8Array(0) },
    ];
    const archive = zipFiles(files);
    expect(unzipFiles(archive)).toEqual(files);
    const damaged = archive.slice();
    damaged[40] ^= 0xff;
    expect(() => unzipFiles(damaged, 'run.zip')).toThrow('run.zip: run.json: its CRC does not match');
    expect(() => unzipFiles(new Uint8Array(30), 'x.zip')).toThrow('x.zip: not a ZIP archive');
  });
});
