/**
 * WebGPU in Node through the `webgpu` package (Dawn). Node-only: the CLI and the tests
 * import this; the browser build never does.
 *
 * Without a GPU driver, Dawn runs on SwiftShader's Vulkan driver that ships with Debian's
 * chromium package (docs/architecture.md, "WebGPU without a GPU"). It is chosen when VK_ICD_FILENAMES is unset and
 * the machine has no GPU device node (/dev/dri/renderD*, /dev/nvidia0) — Mesa's lavapipe,
 * often installed alongside, is refused by Dawn — or when SODP_WEBGPU_ADAPTER=swiftshader.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const swiftShaderIcd = '/usr/lib/chromium/vk_swiftshader_icd.json';

function hasGpuDevice(): boolean {
  if (existsSync('/dev/nvidia0')) return true;
  return existsSync('/dev/dri') && readdirSync('/dev/dri').some((f) => f.startsWith('renderD'));
}

/**
 * Without a valid XDG_RUNTIME_DIR, the Vulkan stack under Dawn prints "error: XDG_RUNTIME_DIR
 * is invalid or not set in the environment." when the adapter is created: harmless, but it
 * reads as an error. A private, empty directory for this process (removed at exit) silences
 * it; it must be set before the `webgpu` package loads. Other stderr output is untouched.
 */
function ensureRuntimeDir(): void {
  const dir = process.env.XDG_RUNTIME_DIR;
  if (dir !== undefined && dir !== '' && existsSync(dir)) return;
  const own = mkdtempSync(join(tmpdir(), 'sodp-runtime-'));
  process.env.XDG_RUNTIME_DIR = own;
  process.on('exit', () => rmSync(own, { recursive: true, force: true }));
}

let cached: Promise<GPU | undefined> | undefined;

/** The `GPU` object of the `webgpu` package, or undefined when it cannot load here. */
export function nodeGpu(): Promise<GPU | undefined> {
  cached ??= (async () => {
    const forceSwiftShader = process.env.SODP_WEBGPU_ADAPTER === 'swiftshader';
    if (
      process.env.VK_ICD_FILENAMES === undefined &&
      (forceSwiftShader || !hasGpuDevice()) &&
      existsSync(swiftShaderIcd)
    ) {
      process.env.VK_ICD_FILENAMES = swiftShaderIcd;
    }
    ensureRuntimeDir();
    try {
      const { create, globals } = await import('webgpu');
      // GPUBufferUsage, GPUMapMode, GPUError, … as in a browser.
      Object.assign(globalThis, globals);
      return create([]);
    } catch {
      return undefined;
    }
  })();
  return cached;
}
