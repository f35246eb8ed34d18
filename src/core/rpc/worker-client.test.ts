import { describe, expect, it } from 'vitest';
import { serve, WorkerCrashedError, type Handlers, type RpcMessage } from './rpc';
import { ManagedWorker, type WorkerErrorEvent, type WorkerLike } from './worker-client';

type EchoProtocol = {
  echo: { request: string; response: string; progress: never };
  hang: { request: null; response: null; progress: never };
};

const handlers: Handlers<EchoProtocol> = {
  async echo(text) {
    return `echo: ${text}`;
  },
  hang: () => new Promise(() => {}),
};

/** A stand-in for a Web Worker: handlers served over a MessageChannel, and an `error` event we can fire. */
class FakeWorker implements WorkerLike {
  private readonly channel = new MessageChannel();
  private readonly errorListeners: ((event: WorkerErrorEvent) => void)[] = [];
  terminated = false;

  constructor() {
    serve<EchoProtocol>(this.channel.port1, handlers);
    this.channel.port1.start();
    this.channel.port2.start();
  }
  postMessage(message: RpcMessage): void {
    this.channel.port2.postMessage(message);
  }
  addEventListener(type: 'message' | 'messageerror', listener: (event: MessageEvent) => void): void;
  addEventListener(type: 'error', listener: (event: WorkerErrorEvent) => void): void;
  addEventListener(
    type: string,
    listener: ((event: MessageEvent) => void) | ((event: WorkerErrorEvent) => void),
  ): void {
    if (type === 'error') this.errorListeners.push(listener as (event: WorkerErrorEvent) => void);
    else if (type === 'message')
      this.channel.port2.addEventListener('message', listener as (event: MessageEvent) => void);
  }
  removeEventListener(type: 'message', listener: (event: MessageEvent) => void): void {
    this.channel.port2.removeEventListener(type, listener);
  }
  crash(message: string): void {
    for (const listener of this.errorListeners) listener({ message, filename: 'sandbox.worker.js', lineno: 7 });
  }
  terminate(): void {
    this.terminated = true;
    this.channel.port1.close();
    this.channel.port2.close();
  }
}

describe('ManagedWorker', () => {
  it('fails calls in flight with a named error when the worker crashes, then starts a new one', async () => {
    const workers: FakeWorker[] = [];
    const managed = new ManagedWorker<EchoProtocol>('python sandbox', () => {
      const w = new FakeWorker();
      workers.push(w);
      return w;
    });
    expect(managed.running).toBe(false);
    expect(await managed.call('echo', 'hi')).toBe('echo: hi');
    expect(managed.running).toBe(true);
    const pending = managed.call('hang', null);
    workers[0].crash('out of memory');
    const error = await pending.catch((e: unknown) => e);
    expect(managed.running).toBe(false);
    expect(error).toBeInstanceOf(WorkerCrashedError);
    expect(String(error)).toContain('the python sandbox worker crashed: out of memory (sandbox.worker.js:7)');
    expect(workers[0].terminated).toBe(true);
    expect(await managed.call('echo', 'again')).toBe('echo: again');
    expect(managed.starts).toBe(2);
  });

  it('restarts on request (a time-out) and rejects what was running', async () => {
    const managed = new ManagedWorker<EchoProtocol>('python sandbox', () => new FakeWorker());
    const pending = managed.call('hang', null);
    managed.restart('the code ran past 10 s');
    await expect(pending).rejects.toThrow('the python sandbox worker was stopped: the code ran past 10 s');
    expect(await managed.call('echo', 'x')).toBe('echo: x');
  });
});
