/**
 * WebGPU in Node through the `webgpu` package (Dawn). Node-only: the CLI and the tests
 * import this; the browser build never does.
 *
 * Without a GPU driver, Dawn runs on SwiftShader's Vulkan driver that ships with Debian's
 * chromium package (docs/architecture.md, "WebGPU without a GPU"). It is chosen when VK_ICD_FILENAMES is unset and
 * the machine has no GPU device node (/dev/dri/renderD*, /dev/nvidia0) — Mesa's lavapipe,
 * often installed alongside, is refused by Dawn — or when SODP_WEBGPU_ADAPTER=swiftshader.
 */
import { existsSync, readdirSync } from 'node:fs';

export const swiftShaderIcd = '/usr/lib/chromium/vk_swiftshader_icd.json';

function hasGpuDevice(): boolean {
  if (existsSync('/dev/nvidia0')) return true;
  return existsSync('/dev/dri') && readdirSync('/dev/dri').some((f) => f.startsWith('renderD'));
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
