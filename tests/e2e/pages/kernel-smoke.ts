// Runs the engine's matmul kernel through the browser's own WebGPU and reports the error
// against a float64 reference in #result (read by tests/e2e/webgpu-smoke.e2e.test.ts).
import { GpuContext } from '../../../src/engine/webgpu/context';
import { openEngineDevice } from '../../../src/engine/webgpu/device';
import { encodeMatmul } from '../../../src/engine/webgpu/ops/matmul';

const [M, N, K] = [33, 65, 17];
const a = Float32Array.from({ length: M * K }, (_, i) => Math.sin(i));
const b = Float32Array.from({ length: N * K }, (_, i) => Math.cos(i));

async function run(): Promise<Record<string, unknown>> {
  const ctx = new GpuContext(await openEngineDevice(navigator.gpu));
  const out = ctx.zeros(M * N, 'out');
  const encoder = ctx.device.createCommandEncoder();
  encodeMatmul(ctx, encoder, { out, a: ctx.upload(a, 'a'), b: ctx.upload(b, 'b'), M, N, K, transB: true });
  await ctx.submit(encoder);
  const got = await ctx.read(out, M * N);
  let maxAbs = 0;
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let sum = 0;
      for (let k = 0; k < K; k++) sum += a[m * K + k] * b[n * K + k];
      maxAbs = Math.max(maxAbs, Math.abs(sum - got[m * N + n]));
    }
  }
  return { ok: true, adapter: ctx.engine.adapterName, maxAbs };
}

const result = document.getElementById('result');
run()
  .then((r) => {
    if (result) result.textContent = JSON.stringify(r);
  })
  .catch((err: unknown) => {
    if (result)
      result.textContent = JSON.stringify({
        ok: false,
        error: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
      });
  });
