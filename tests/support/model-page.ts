import type { WeightFormat } from '../../src/engine/backend';
import type { OnnxDevice, OnnxDtype } from '../../src/models/onnx-files';
import { launchChromium } from './browser';
import { startPlayground } from './vite-server';

/** What runs the model in the page: our engine on a backend, or the ONNX teacher on devices tried in order. */
export type PageRuntime =
  | { kind: 'engine'; backend: 'webgpu' | 'cpu'; weights?: WeightFormat }
  | { kind: 'onnx'; dtype: OnnxDtype; devices: OnnxDevice[] };

export interface PageModelRequest {
  /** The Hub-layout server and the repository holding the model (safetensors, or an ONNX export). */
  endpoint: string;
  repo: string;
  runtime: PageRuntime;
}

/** One greedy generation, timed in the page. */
export interface GreedyRun {
  ids: number[];
  /** From the call to the first new token: the prompt's prefill and one sampling step. */
  firstTokenSeconds: number;
  totalSeconds: number;
}

export interface PageModel {
  /** The adapter or ONNX device that runs it (with the weights, or the reason for a fallback). */
  device: string;
  /** Download into the page's memory, then reading and session creation or upload. */
  loadSeconds: number;
  scoreTokens(prompt: readonly number[], response: readonly number[]): Promise<Float64Array>;
  generateGreedy(prompt: readonly number[], newTokens: number): Promise<GreedyRun>;
}

export interface ModelPage {
  /** Loads a model in the page (closing the one before). */
  open(request: PageModelRequest): Promise<PageModel>;
  close(): Promise<void>;
}

/** tests/e2e/pages/model.html in headless Chromium (WebGPU on SwiftShader where there is no GPU). */
export async function openModelPage(): Promise<ModelPage> {
  const { server, url } = await startPlayground();
  const browser = await launchChromium();
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${url}tests/e2e/pages/model.html`, { timeout: 120_000 });
  await page.waitForFunction(() => typeof window.openModel === 'function', undefined, { timeout: 120_000 });
  /** A call into the page, with the page's uncaught errors added to a failure. */
  const inPage = async <T>(run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (err) {
      throw new Error([err instanceof Error ? err.message : String(err), ...errors].join('\n'));
    }
  };
  return {
    async open(request) {
      const opened = await inPage(() => page.evaluate((r) => window.openModel(r), request));
      return {
        ...opened,
        scoreTokens: async (prompt, response) =>
          Float64Array.from(
            await inPage(() => page.evaluate(([p, r]) => window.scoreTokens(p, r), [[...prompt], [...response]])),
          ),
        generateGreedy: (prompt, newTokens) => {
          const args: [number[], number] = [[...prompt], newTokens];
          return inPage(() => page.evaluate(([p, n]) => window.generateGreedy(p, n), args));
        },
      };
    },
    async close() {
      await browser.close();
      await server.close();
    },
  };
}
