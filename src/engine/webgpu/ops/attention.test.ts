import { describe, expect, it } from 'vitest';
import { gpuAvailable, maxError, randomArray, testGpu } from '../../../../tests/support/gpu';
import type { AttentionDims } from '../../backend';
import { CpuBackend } from '../../cpu/backend';
import { nodeGpu } from '../node-gpu';
import { encodeAttentionBackward, encodeAttentionForward } from './attention';
import { attentionBackwardKeyValueWgsl, attentionBackwardQueryWgsl, attentionForwardWgsl } from './attention.wgsl';

// f32 with online softmax against the float64 CPU backend: 1e-5 absolute on outputs; gradients 2e-4 relative.
describe.skipIf(!gpuAvailable)('fused causal GQA attention', () => {
  const cases: AttentionDims[] = [
    { T: 1, P: 0, Hq: 1, Hkv: 1, D: 4 },
    { T: 5, P: 0, Hq: 4, Hkv: 2, D: 8 },
    { T: 19, P: 0, Hq: 2, Hkv: 1, D: 6 },
    { T: 3, P: 4, Hq: 4, Hkv: 4, D: 8 },
    { T: 70, P: 0, Hq: 2, Hkv: 2, D: 4 },
    // Several workgroups of queries and of keys after a prefix, D off the vec4s, blocks of 4 keys cut by the diagonal.
    { T: 70, P: 9, Hq: 4, Hkv: 2, D: 6 },
  ];
  for (const dims of cases) {
    it(`forward and backward, ${JSON.stringify(dims)}`, async () => {
      const ctx = await testGpu();
      const { T, P, Hq, Hkv, D } = dims;
      const L = P + T;
      const q = randomArray(T * Hq * D, T * 11 + D);
      const k = randomArray(L * Hkv * D, L * 13 + D);
      const v = randomArray(L * Hkv * D, L * 17 + D);
      const dy = randomArray(T * Hq * D, T * 19 + D);
      const buffers = { q: ctx.upload(q, 'q'), k: ctx.upload(k, 'k'), v: ctx.upload(v, 'v') };
      const out = ctx.zeros(T * Hq * D, 'out');
      const lse = ctx.zeros(Hq * T, 'lse');
      const dq = ctx.zeros(T * Hq * D, 'dq');
      const dk = ctx.zeros(L * Hkv * D, 'dk');
      const dv = ctx.zeros(L * Hkv * D, 'dv');
      const encoder = ctx.device.createCommandEncoder();
      encodeAttentionForward(ctx, encoder, { ...dims, ...buffers, out, lse });
      encodeAttentionBackward(ctx, encoder, {
        ...dims,
        ...buffers,
        out,
        lse,
        dq,
        dk,
        dv,
        dout: ctx.upload(dy, 'dout'),
      });
      await ctx.submit(encoder);

      const cpu = new CpuBackend(Float64Array);
      const inputs = { q: cpu.upload(q, 'q'), k: cpu.upload(k, 'k'), v: cpu.upload(v, 'v') };
      const expected = {
        out: cpu.zeros(T * Hq * D, 'out'),
        lse: cpu.zeros(Hq * T, 'lse'),
        dq: cpu.zeros(T * Hq * D, 'dq'),
        dk: cpu.zeros(L * Hkv * D, 'dk'),
        dv: cpu.zeros(L * Hkv * D, 'dv'),
      };
      cpu.attentionForward({ ...dims, ...inputs, out: expected.out, lse: expected.lse });
      cpu.attentionBackward({ ...dims, ...inputs, ...expected, dout: cpu.upload(dy, 'dout') });

      expect(maxError(await ctx.read(out, T * Hq * D), expected.out).abs).toBeLessThan(1e-5);
      expect(maxError(await ctx.read(dq, T * Hq * D), expected.dq).rel).toBeLessThan(2e-4);
      expect(maxError(await ctx.read(dk, L * Hkv * D), expected.dk).rel).toBeLessThan(2e-4);
      expect(maxError(await ctx.read(dv, L * Hkv * D), expected.dv).rel).toBeLessThan(2e-4);
    });
  }

  it("fits the 16 KiB of workgroup memory every WebGPU device has, at Qwen3's head_dim of 128", async () => {
    const adapter = await (await nodeGpu())?.requestAdapter();
    if (adapter === undefined || adapter === null) throw new Error('no WebGPU adapter');
    const device = await adapter.requestDevice(); // the default limits: 16,384 bytes of workgroup storage
    expect(device.limits.maxComputeWorkgroupStorageSize).toBe(16384);
    for (const wgsl of [
      attentionForwardWgsl(128),
      attentionBackwardQueryWgsl(128),
      attentionBackwardKeyValueWgsl(128),
    ]) {
      device.pushErrorScope('validation');
      device.createComputePipeline({
        layout: 'auto',
        compute: { module: device.createShaderModule({ code: wgsl }), entryPoint: 'main' },
      });
      expect((await device.popErrorScope())?.message).toBeUndefined();
    }
    device.destroy();
  });

  it('refuses query heads that do not group evenly over key/value heads', async () => {
    const ctx = await testGpu();
    const b = ctx.zeros(4, 'b');
    expect(() =>
      encodeAttentionForward(ctx, ctx.device.createCommandEncoder(), {
        T: 1,
        P: 0,
        Hq: 3,
        Hkv: 2,
        D: 2,
        q: b,
        k: b,
        v: b,
        out: b,
        lse: b,
      }),
    ).toThrow('3 query heads are not a multiple of 2');
  });
});
