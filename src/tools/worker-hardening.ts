/**
 * Limits on the sandbox worker's own JavaScript realm, for the code Python can reach from
 * inside it. Only the sandbox's worker may call these: they change global prototypes.
 */

/** The most the interpreter's heap may grow to during the current run (bytes). */
export interface MemoryCap {
  limitBytes: number;
}

const wasmPageBytes = 65_536;

/**
 * Caps every WebAssembly memory of this worker (Pyodide's heap is the only one). Emscripten
 * grows its heap through Memory.prototype.grow and treats a throw as "no memory": malloc
 * fails and Python raises MemoryError, rather than the heap climbing to wasm32's 4 GB in
 * the host's process (Node) or the tab (browser). The limit starts unbounded (loading
 * Python) and each run sets its own.
 */
export function capMemoryGrowth(): MemoryCap {
  const cap: MemoryCap = { limitBytes: Number.POSITIVE_INFINITY };
  const grow = WebAssembly.Memory.prototype.grow;
  WebAssembly.Memory.prototype.grow = function cappedGrow(this: WebAssembly.Memory, delta: number): number {
    if (this.buffer.byteLength + delta * wasmPageBytes > cap.limitBytes)
      throw new RangeError('the sandbox memory limit was reached');
    return grow.call(this, delta);
  };
  return cap;
}

/**
 * Every JS function object leads to a function constructor through `f.constructor`, and a
 * constructor compiles arbitrary JS in this worker (in Node: imports of node:child_process,
 * node:fs, …). Python tricks can reach JS function objects inside Pyodide, so the
 * constructors are cut off once Python has loaded. The browser's policy forbids eval
 * already; Node has no such policy.
 */
export function lockCodeGeneration(): void {
  const prototypes: unknown[] = [
    Function.prototype,
    Object.getPrototypeOf(async () => undefined),
    Object.getPrototypeOf(function* generator() {
      yield undefined;
    }),
    Object.getPrototypeOf(async function* asyncGenerator() {
      yield undefined;
    }),
  ];
  for (const prototype of prototypes)
    if ((typeof prototype === 'object' || typeof prototype === 'function') && prototype !== null)
      Object.defineProperty(prototype, 'constructor', { value: undefined, writable: false, configurable: false });
}
