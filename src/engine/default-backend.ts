/**
 * Which backend runs a model when the person has not chosen: one rule for `sodp` and the page.
 * A software WebGPU adapter (SwiftShader, llvmpipe, lavapipe) runs on the CPU too, and the
 * engine's own CPU backend is faster than it for the small models (npm run bench -- matmul:
 * SwiftShader reaches a fraction of the CPU's peak); a real GPU is WebGPU's reason to be.
 * Platform-neutral: it reads only the adapter's name.
 */

/** Whether an adapter's name is that of a software adapter running on the CPU. */
export function isSoftwareAdapter(adapterName: string): boolean {
  return /swiftshader|llvmpipe|lavapipe/i.test(adapterName);
}

export interface DefaultBackend {
  choice: 'webgpu' | 'cpu';
  /** Why, as the person reads it (the CLI's `backend:` line, the page's hint by the radio). */
  reason: string;
}

/** The default backend for the adapter found (undefined: no WebGPU adapter here). */
export function defaultBackend(adapterName: string | undefined): DefaultBackend {
  if (adapterName === undefined) return { choice: 'cpu', reason: 'no WebGPU adapter was found' };
  if (isSoftwareAdapter(adapterName))
    return {
      choice: 'cpu',
      reason: `the WebGPU adapter (${adapterName}) is a software one, slower than the CPU backend`,
    };
  return { choice: 'webgpu', reason: `a GPU adapter was found (${adapterName})` };
}
