/**
 * The one message layer between threads. A protocol maps each method name to its request,
 * response and (optional) progress types, so a call's types are fixed by its name:
 *
 *   type SandboxProtocol = { run: { request: { code: string }; response: { stdout: string }; progress: never } };
 *   const client = new RpcClient<SandboxProtocol>(endpoint);
 *   const out = await client.call('run', { code: 'print(1)' });   // out: { stdout: string }
 *
 * Replies are `return`, `throw` (errors cross as {name, message, stack}) or `progress`;
 * a call can be cancelled with an AbortSignal, which aborts the handler's signal.
 * `localClient` runs the same handlers in-thread, so tests and the CLI need no worker.
 */

export interface MethodSpec {
  request: unknown;
  response: unknown;
  progress: unknown;
}

export type Protocol = { [method: string]: MethodSpec };

type MethodOf<P extends Protocol> = Extract<keyof P, string>;

/** An error as it crosses a thread boundary. */
export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
}

export type RpcMessage =
  | { rpc: 'call'; id: number; method: string; request: unknown }
  | { rpc: 'cancel'; id: number }
  | { rpc: 'return'; id: number; response: unknown }
  | { rpc: 'throw'; id: number; error: SerializedError }
  | { rpc: 'progress'; id: number; progress: unknown };

/** What both a Worker and the global scope inside a worker (or a MessagePort) provide. */
export interface Endpoint {
  postMessage(message: RpcMessage, transfer?: Transferable[]): void;
  addEventListener(type: 'message', listener: (event: MessageEvent) => void): void;
  removeEventListener(type: 'message', listener: (event: MessageEvent) => void): void;
}

/** An error raised on the other side of the boundary, with its original name and stack. */
export class RemoteError extends Error {
  constructor(error: SerializedError) {
    super(error.message);
    this.name = error.name;
    if (error.stack !== undefined) this.stack = error.stack;
  }
}

/** The worker died (crash, out of memory, terminated) while calls were in flight. */
export class WorkerCrashedError extends Error {
  override name = 'WorkerCrashedError';
}

export function serializeError(err: unknown): SerializedError {
  if (err instanceof Error) return { name: err.name, message: err.message, stack: err.stack };
  return { name: 'Error', message: String(err) };
}

function isRpcMessage(data: unknown): data is RpcMessage {
  if (typeof data !== 'object' || data === null || !('rpc' in data) || !('id' in data)) return false;
  return typeof data.id === 'number' && ['call', 'cancel', 'return', 'throw', 'progress'].includes(String(data.rpc));
}

/** What a handler gets besides its request. */
export interface HandlerContext<Progress> {
  /** Aborted when the caller cancels. */
  signal: AbortSignal;
  /** Sends a progress message to the caller. */
  progress(value: Progress, transfer?: Transferable[]): void;
  /** ArrayBuffers of the response to transfer instead of copy. */
  transferResponse(transfer: Transferable[]): void;
}

export type Handlers<P extends Protocol> = {
  [M in MethodOf<P>]: (
    request: P[M]['request'],
    context: HandlerContext<P[M]['progress']>,
  ) => Promise<P[M]['response']>;
};

export interface CallOptions<Progress> {
  signal?: AbortSignal;
  onProgress?: (value: Progress) => void;
  /** ArrayBuffers of the request to transfer instead of copy. */
  transfer?: Transferable[];
}

/** A typed caller: the same shape whether the handlers live in a worker or in this thread. */
export interface Caller<P extends Protocol> {
  call<M extends MethodOf<P>>(
    method: M,
    request: P[M]['request'],
    options?: CallOptions<P[M]['progress']>,
  ): Promise<P[M]['response']>;
}

/** Serves `handlers` on an endpoint (inside a worker: `serve(self, handlers)`). Returns a function that stops serving. */
export function serve<P extends Protocol>(endpoint: Endpoint, handlers: Handlers<P>): () => void {
  const running = new Map<number, AbortController>();
  const has = (method: string): method is MethodOf<P> => Object.prototype.hasOwnProperty.call(handlers, method);

  async function handle(id: number, method: string, request: unknown): Promise<void> {
    const controller = new AbortController();
    running.set(id, controller);
    let transfer: Transferable[] = [];
    try {
      if (!has(method)) throw new Error(`no handler for method '${method}'`);
      const context: HandlerContext<unknown> = {
        signal: controller.signal,
        progress: (progress, t) => endpoint.postMessage({ rpc: 'progress', id, progress }, t ?? []),
        transferResponse: (t) => (transfer = t),
      };
      const handler: (request: unknown, context: HandlerContext<unknown>) => Promise<unknown> = handlers[method];
      const response = await handler(request, context);
      endpoint.postMessage({ rpc: 'return', id, response }, transfer);
    } catch (err) {
      endpoint.postMessage({ rpc: 'throw', id, error: serializeError(err) });
    } finally {
      running.delete(id);
    }
  }

  const listener = (event: MessageEvent) => {
    const data: unknown = event.data;
    if (!isRpcMessage(data)) return;
    if (data.rpc === 'call') void handle(data.id, data.method, data.request);
    else if (data.rpc === 'cancel') running.get(data.id)?.abort();
  };
  endpoint.addEventListener('message', listener);
  return () => endpoint.removeEventListener('message', listener);
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  onProgress?: (value: unknown) => void;
}

/** Calls handlers served on the other side of an endpoint. */
export class RpcClient<P extends Protocol> implements Caller<P> {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly listener = (event: MessageEvent) => this.receive(event.data);

  constructor(private readonly endpoint: Endpoint) {
    endpoint.addEventListener('message', this.listener);
  }

  call<M extends MethodOf<P>>(
    method: M,
    request: P[M]['request'],
    options: CallOptions<P[M]['progress']> = {},
  ): Promise<P[M]['response']> {
    const id = this.nextId++;
    return new Promise<P[M]['response']>((resolve, reject) => {
      if (options.signal?.aborted) {
        reject(abortError());
        return;
      }
      const onAbort = () => this.endpoint.postMessage({ rpc: 'cancel', id });
      options.signal?.addEventListener('abort', onAbort, { once: true });
      const done = () => options.signal?.removeEventListener('abort', onAbort);
      // The response's type is fixed by `method`: the handler for `method` produced it.
      const settle: (value: P[M]['response']) => void = (value) => {
        done();
        resolve(value);
      };
      this.pending.set(id, {
        resolve: settle as (value: unknown) => void,
        reject: (error) => {
          done();
          reject(error);
        },
        onProgress: options.onProgress as ((value: unknown) => void) | undefined,
      });
      this.endpoint.postMessage({ rpc: 'call', id, method, request }, options.transfer ?? []);
    });
  }

  /** Rejects every call in flight, e.g. when the worker crashed. */
  failAll(error: Error): void {
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
  }

  get inFlight(): number {
    return this.pending.size;
  }

  dispose(): void {
    this.endpoint.removeEventListener('message', this.listener);
    this.failAll(new Error('the RPC client was disposed'));
  }

  private receive(data: unknown): void {
    if (!isRpcMessage(data)) return;
    const pending = this.pending.get(data.id);
    if (pending === undefined) return;
    if (data.rpc === 'progress') pending.onProgress?.(data.progress);
    else if (data.rpc === 'return') {
      this.pending.delete(data.id);
      pending.resolve(data.response);
    } else if (data.rpc === 'throw') {
      this.pending.delete(data.id);
      pending.reject(new RemoteError(data.error));
    }
  }
}

function abortError(): Error {
  const error = new Error('the call was cancelled');
  error.name = 'AbortError';
  return error;
}

/** The same handlers called in this thread, through the same typed interface. */
export function localClient<P extends Protocol>(handlers: Handlers<P>): Caller<P> {
  return {
    async call(method, request, options = {}) {
      if (options.signal?.aborted) throw abortError();
      const controller = new AbortController();
      options.signal?.addEventListener('abort', () => controller.abort(), { once: true });
      return handlers[method](request, {
        signal: controller.signal,
        progress: (value) => options.onProgress?.(value),
        transferResponse: () => {},
      });
    },
  };
}
