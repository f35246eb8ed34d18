import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const chromiumPath = process.env.SODP_CHROMIUM ?? '/usr/bin/chromium';

/**
 * Whether browser tests can run. Off a CI machine a missing Chromium skips them (with a
 * note); on CI (CI=true) they always run, so a missing install step fails loudly.
 */
export const browserAvailable = existsSync(chromiumPath) || process.env.CI === 'true';

/** Flags for headless Chromium on these machines: WebGPU on SwiftShader, no network chatter. */
export const chromiumArgs = [
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--enable-features=Vulkan',
  '--use-vulkan=swiftshader',
  '--use-webgpu-adapter=swiftshader',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
  '--disable-quic',
];

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: chromiumArgs,
  });
}
