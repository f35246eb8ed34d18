import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeRandomQwen3Folder } from '../../src/models/testing/random-qwen3';
import { startHubServer } from '../support/hub-server';
import { parseLines, runSodp } from '../support/run-sodp';

const root = mkdtempSync(join(tmpdir(), 'sodp-cli-hub-'));
const small = { hiddenSize: 16, intermediateSize: 32, numHeads: 2, numKvHeads: 1, headDim: 8 };
let hub: Awaited<ReturnType<typeof startHubServer>>;

beforeAll(async () => {
  const repo = writeRandomQwen3Folder(join(root, 'repo'), { size: '0.6B', layers: 1, dims: small });
  hub = await startHubServer({ 'test-org/qwen3-small': repo });
}, 60_000);
afterAll(() => {
  hub.server.close();
  rmSync(root, { recursive: true, force: true });
});

describe('sodp with a Hub id', () => {
  it('logprobs fetches the model from HF_ENDPOINT into HF_HOME, then scores offline from the cache', async () => {
    const line = JSON.stringify({ prompt_ids: [9707, 11, 1879], response_ids: [0, 13, 151645] });
    const env = { HF_ENDPOINT: hub.url, HF_HOME: join(root, 'hf-home') };
    const args = ['logprobs', '--model', 'test-org/qwen3-small', '--as', 'teacher', '--backend', 'cpu'];
    const online = await runSodp(args, line, env);
    expect(online.code, online.stderr).toBe(0);
    const [scored] = parseLines(online.stdout);
    expect(scored.teacher_logprobs).toHaveLength(3);
    expect(online.stderr).toContain(join(root, 'hf-home', 'hub', 'models--test-org--qwen3-small', 'snapshots'));

    hub.server.closeAllConnections();
    const offline = await runSodp(args, line, { ...env, HF_ENDPOINT: 'http://127.0.0.1:9', HF_HUB_OFFLINE: '1' });
    expect(offline.code, offline.stderr).toBe(0);
    expect(parseLines(offline.stdout)[0].teacher_logprobs).toEqual(scored.teacher_logprobs);

    const notCached = await runSodp(['logprobs', '--model', 'test-org/other', '--as', 'teacher'], line, {
      ...env,
      HF_HUB_OFFLINE: '1',
    });
    expect(notCached.code).not.toBe(0);
    expect(notCached.stderr).toMatch(/test-org\/other@main is not in the cache .*HF_HUB_OFFLINE/);
  }, 120_000);
});
