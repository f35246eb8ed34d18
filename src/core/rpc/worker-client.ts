import { RpcClient, WorkerCrashedError, type Caller, type CallOptions, type Endpoint, type Protocol } from './rpc';

/** The fields of an ErrorEvent a crash report uses. */
export interface WorkerErrorEvent {
  message?: string;
  filename?: string;
  lineno?: number;
}

/** What a browser Worker (or a compatible object) provides. */
export interface WorkerLike extends Endpoint {
  addEventListener(type: 'message' | 'messageerror', listener: (event: MessageEvent) => void): void;
  addEventListener(type: 'error', listener: (event: WorkerErrorEvent) => void): void;
  terminate(): void;
}

/**
 * A typed client for one worker that survives its crashes: when the worker throws an
 * uncaught error or is terminated (a tool time-out), every call in flight fails with a
 * WorkerCrashedError naming the worker, and the next call starts a fresh worker.
 */
export class ManagedWorker<P extends Protocol> implements Caller<P> {
  private current: { worker: WorkerLike; client: RpcClient<P> } | undefined;
  /** How many workers were started (1 + restarts). */
  starts = 0;

  constructor(
    /** A short name for messages: 'python sandbox', 'student engine'. */
    readonly name: string,
    private readonly spawn: () => WorkerLike,
  ) {}

  call<M extends Extract<keyof P, string>>(
    method: M,
    request: P[M]['request'],
    options?: CallOptions<P[M]['progress']>,
  ): Promise<P[M]['response']> {
    return this.ensure().client.call(method, request, options);
  }

  /** Whether a worker is running now (false before the first call and after a crash, until the next call). */
  get running(): boolean {
    return this.current !== undefined;
  }

  /** Ends the worker now (e.g. a time-out); calls in flight fail, the next call starts a new one. */
  restart(reason: string): void {
    const current = this.current;
    if (current === undefined) return;
    this.current = undefined;
    current.worker.terminate();
    current.client.failAll(new WorkerCrashedError(`the ${this.name} worker was stopped: ${reason}`));
  }

  dispose(): void {
    this.restart('it was closed');
  }

  private ensure(): { worker: WorkerLike; client: RpcClient<P> } {
    if (this.current !== undefined) return this.current;
    const worker = this.spawn();
    const client = new RpcClient<P>(worker);
    const current = { worker, client };
    worker.addEventListener('error', (event) => {
      if (this.current !== current) return;
      this.current = undefined;
      worker.terminate();
      const where = event.filename ? ` (${event.filename}:${event.lineno})` : '';
      client.failAll(
        new WorkerCrashedError(`the ${this.name} worker crashed: ${event.message || 'unknown error'}${where}`),
      );
    });
    worker.addEventListener('messageerror', () => {
      client.failAll(new WorkerCrashedError(`a message from the ${this.name} worker could not be read`));
    });
    this.current = current;
    this.starts++;
    return current;
  }
}
