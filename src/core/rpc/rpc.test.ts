import { afterEach, describe, expect, it } from 'vitest';
import { localClient, RemoteError, RpcClient, serve, type Endpoint, type Handlers } from './rpc';

type TestProtocol = {
  add: { request: { a: number; b: number }; response: number; progress: never };
  count: { request: { to: number }; response: string; progress: number };
  fail: { request: { why: string }; response: never; progress: never };
  wait: { request: { ms: number }; response: 'done' | 'cancelled'; progress: never };
  bytes: { request: Float32Array; response: Float32Array; progress: never };
};

class CustomFailure extends Error {
  override name = 'CustomFailure';
}

const handlers: Handlers<TestProtocol> = {
  async add({ a, b }) {
    return a + b;
  },
  async count({ to }, { progress }) {
    for (let i = 1; i <= to; i++) progress(i);
    return `counted to ${to}`;
  },
  async fail({ why }) {
    throw new CustomFailure(why);
  },
  async wait({ ms }, { signal }) {
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve('done'), ms);
      signal.addEventListener('abort', () => {
        clearTimeout(timer);
        resolve('cancelled');
      });
    });
  },
  async bytes(data, { transferResponse }) {
    const doubled = data.map((x) => 2 * x);
    transferResponse([doubled.buffer]);
    return doubled;
  },
};

const channels: MessageChannel[] = [];
function connected(): RpcClient<TestProtocol> {
  const channel = new MessageChannel();
  channels.push(channel);
  const [server, client]: Endpoint[] = [channel.port1, channel.port2];
  serve<TestProtocol>(server, handlers);
  channel.port1.start();
  channel.port2.start();
  return new RpcClient<TestProtocol>(client);
}

afterEach(() => {
  for (const c of channels.splice(0)) {
    c.port1.close();
    c.port2.close();
  }
});

describe('RpcClient over a MessageChannel', () => {
  it('returns typed responses, including concurrent calls', async () => {
    const client = connected();
    const [x, y] = await Promise.all([client.call('add', { a: 1, b: 2 }), client.call('add', { a: 10, b: 20 })]);
    expect([x, y]).toEqual([3, 30]);
    expect(client.inFlight).toBe(0);
  });
  it('streams progress before the return', async () => {
    const client = connected();
    const seen: number[] = [];
    const out = await client.call('count', { to: 3 }, { onProgress: (n) => seen.push(n) });
    expect(seen).toEqual([1, 2, 3]);
    expect(out).toBe('counted to 3');
  });
  it('carries errors across as {name, message, stack}', async () => {
    const client = connected();
    const error = await client.call('fail', { why: 'the tool timed out' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RemoteError);
    expect(error).toMatchObject({ name: 'CustomFailure', message: 'the tool timed out' });
    expect(error instanceof Error ? error.stack : '').toContain('CustomFailure');
  });
  it('cancels a running call through its AbortSignal', async () => {
    const client = connected();
    const controller = new AbortController();
    const pending = client.call('wait', { ms: 5_000 }, { signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    await expect(pending).resolves.toBe('cancelled');
  });
  it('transfers typed arrays', async () => {
    const client = connected();
    const input = new Float32Array([1, 2, 3]);
    const out = await client.call('bytes', input, { transfer: [input.buffer] });
    expect(Array.from(out)).toEqual([2, 4, 6]);
    expect(input.byteLength).toBe(0);
  });
  it('rejects every call in flight when the worker is gone', async () => {
    const client = connected();
    const pending = client.call('wait', { ms: 5_000 });
    client.failAll(new Error('worker crashed'));
    await expect(pending).rejects.toThrow('worker crashed');
  });
});

describe('localClient', () => {
  it('runs the same handlers in-thread through the same interface', async () => {
    const client = localClient(handlers);
    expect(await client.call('add', { a: 2, b: 3 })).toBe(5);
    const seen: number[] = [];
    await client.call('count', { to: 2 }, { onProgress: (n) => seen.push(n) });
    expect(seen).toEqual([1, 2]);
    await expect(client.call('fail', { why: 'x' })).rejects.toThrow(CustomFailure);
  });
});
