import type { AttentionBackwardArgs, AttentionForwardArgs } from '../backend';
import type { Floats } from './floats';
import type { CpuKernels } from './kernels/kernels';

/**
 * out (T, Hq, D) = softmax(q·kᵀ/√D, causal) · v, with q (T, Hq, D) and k, v (≥ P+T, Hkv, D);
 * query head h reads key/value head h / (Hq/Hkv). Saves lse (Hq, T) for the backward.
 *
 * Same result as attentionForwardReference to float rounding, several times faster. Each
 * key/value head is copied once into contiguous float64 scratch (stride D, one array type, so
 * V8's inner loops stay monomorphic), and the query heads that share it run while it is in
 * cache. Query rows go in pairs (t, t+1) so the row kernels (kernels/) load each key once for
 * two rows; row t masks the one key only t+1 sees, and an odd last row pairs with itself. One new
 * token (decoding) with grouped queries has no second row: attentionForwardOneRow pairs heads.
 */
export function attentionForward(args: AttentionForwardArgs<Floats>, kernels: CpuKernels): void {
  if (args.T === 1 && args.Hq > args.Hkv) return attentionForwardOneRow(args);
  const { out, lse, q, k, v, T, P, Hq, Hkv, D } = args;
  const N = P + T;
  const group = Hq / Hkv;
  const scale = 1 / Math.sqrt(D);
  const [kg, vg, x, acc, p] = kernels.scratch([N * D, N * D, 2 * D, 2 * D, 2 * N]);
  // kg, vg (N, D): keys and values of kv head g; x (D, 2): the pair's query rows, interleaved;
  // acc (2, D): Σ p v before dividing by the softmax sums; p (2, N): scores, then exp(score − max).
  const inv = new Float64Array(2);
  for (let g = 0; g < Hkv; g++) {
    gatherHead(kg, k, g, N, Hkv, D);
    gatherHead(vg, v, g, N, Hkv, D);
    for (let h = g * group; h < (g + 1) * group; h++) {
      for (let a = 0; a < T; a += 2) {
        const b = Math.min(a + 1, T - 1); // an odd last row pairs with itself
        const n = P + b + 1; // keys seen by row b
        const ra = (a * Hq + h) * D;
        const rb = (b * Hq + h) * D;
        interleaveRowPair(x, q, ra, rb, D);
        kernels.dots2(p, x, kg, n, N, D);
        for (let r = 0, off = 0; r < 2; r++, off += N) {
          const t = r === 0 ? a : b;
          const seen = off + P + t + 1; // end of row r's visible keys in p
          let max = -Infinity;
          for (let j = off; j < seen; j++) {
            p[j] *= scale;
            if (p[j] > max) max = p[j];
          }
          let sum = 0;
          for (let j = off; j < seen; j++) {
            p[j] = Math.exp(p[j] - max);
            sum += p[j];
          }
          for (let j = seen; j < off + n; j++) p[j] = 0; // the key only row b sees
          lse[h * T + t] = max + Math.log(sum);
          inv[r] = 1 / sum;
        }
        acc.fill(0);
        kernels.addWeightedRows2(acc, p, vg, n, N, D);
        for (let i = 0; i < D; i++) {
          out[ra + i] = acc[i] * inv[0];
          out[rb + i] = acc[D + i] * inv[1];
        }
      }
    }
  }
}

/**
 * attentionForward for one new token (decoding) with grouped queries: the pairs are the query
 * heads that share a key/value head rather than rows, so each key is loaded once for two heads
 * and no row is computed twice (an odd last head of a group pairs with itself).
 */
function attentionForwardOneRow({ out, lse, q, k, v, P, Hq, Hkv, D }: AttentionForwardArgs<Floats>): void {
  const N = P + 1;
  const group = Hq / Hkv;
  const scale = 1 / Math.sqrt(D);
  const stride = Hkv * D; // from one position's key (or value) of a head to the next
  const x = new Float64Array(2 * D); // (2, D) the two heads' query rows
  const acc = new Float64Array(2 * D); // (2, D) Σ p v, before dividing by the softmax sums
  const p = new Float64Array(2 * N); // (2, N) scores, then exp(score − max)
  const inv = new Float64Array(2);
  for (let g = 0; g < Hkv; g++) {
    for (let ha = g * group; ha < (g + 1) * group; ha += 2) {
      const hb = Math.min(ha + 1, (g + 1) * group - 1);
      gatherRowPair(x, q, ha * D, hb * D, D);
      // Scores, reading the keys where the cache holds them, two positions at a time (four
      // independent sums keep the adds from waiting on each other).
      let j = 0;
      for (let r = g * D; j + 1 < N; j += 2, r += 2 * stride) {
        const r1 = r + stride;
        let a0 = 0;
        let a1 = 0;
        let b0 = 0;
        let b1 = 0;
        for (let i = 0; i < D; i++) {
          const xa = x[i];
          const xb = x[D + i];
          const k0 = k[r + i];
          const k1 = k[r1 + i];
          a0 += xa * k0;
          a1 += xa * k1;
          b0 += xb * k0;
          b1 += xb * k1;
        }
        p[j] = a0;
        p[j + 1] = a1;
        p[N + j] = b0;
        p[N + j + 1] = b1;
      }
      for (let r = g * D + j * stride; j < N; j++, r += stride) {
        let a = 0;
        let b = 0;
        for (let i = 0; i < D; i++) {
          a += x[i] * k[r + i];
          b += x[D + i] * k[r + i];
        }
        p[j] = a;
        p[N + j] = b;
      }
      for (let row = 0, off = 0; row < 2; row++, off += N) {
        let max = -Infinity;
        for (let j = off; j < off + N; j++) {
          p[j] *= scale;
          if (p[j] > max) max = p[j];
        }
        let sum = 0;
        for (let j = off; j < off + N; j++) {
          p[j] = Math.exp(p[j] - max);
          sum += p[j];
        }
        lse[row === 0 ? ha : hb] = max + Math.log(sum);
        inv[row] = 1 / sum;
      }
      // Σ p v, four positions at a time, summed in addWeightedRows2's order: the same numbers
      // as the general path's, to the bit.
      acc.fill(0);
      j = 0;
      for (let r0 = g * D; j + 3 < N; j += 4, r0 += 4 * stride) {
        const r1 = r0 + stride;
        const r2 = r1 + stride;
        const r3 = r2 + stride;
        const [a0, a1, a2, a3] = [p[j], p[j + 1], p[j + 2], p[j + 3]];
        const [b0, b1, b2, b3] = [p[N + j], p[N + j + 1], p[N + j + 2], p[N + j + 3]];
        for (let i = 0; i < D; i++) {
          const m0 = v[r0 + i];
          const m1 = v[r1 + i];
          const m2 = v[r2 + i];
          const m3 = v[r3 + i];
          acc[i] += a0 * m0 + a1 * m1 + a2 * m2 + a3 * m3;
          acc[D + i] += b0 * m0 + b1 * m1 + b2 * m2 + b3 * m3;
        }
      }
      for (let r = g * D + j * stride; j < N; j++, r += stride) {
        for (let i = 0; i < D; i++) {
          acc[i] += p[j] * v[r + i];
          acc[D + i] += p[N + j] * v[r + i];
        }
      }
      for (let i = 0; i < D; i++) {
        out[ha * D + i] = acc[i] * inv[0];
        out[hb * D + i] = acc[D + i] * inv[1];
      }
    }
  }
}

/**
 * The gradients of attentionForward: dq (T, Hq, D) and dk, dv (P+T, Hkv, D), overwritten.
 * p = exp(s − lse), δ_t = dO_t·O_t, dS = p (dO·V_j − δ_t), dQ = scale Σ dS K, dK = scale Σ dS Q, dV = Σ p dO.
 *
 * Same result as attentionBackwardReference to float rounding, laid out like attentionForward;
 * dk and dv of kv head g accumulate in float64 scratch and are written out once. An odd last
 * row pairs with itself as a second row whose p and dS are zero, so it adds nothing twice.
 */
export function attentionBackward(
  { dq, dk, dv, dout, q, k, v, out, lse, T, P, Hq, Hkv, D }: AttentionBackwardArgs<Floats>,
  kernels: CpuKernels,
): void {
  const N = P + T;
  const group = Hq / Hkv;
  const scale = 1 / Math.sqrt(D);
  const [kg, vg, dkg, dvg, x, y, xi, yi, dqs, p, ds] = kernels.scratch([
    ...[N * D, N * D, N * D, N * D],
    ...[2 * D, 2 * D, 2 * D, 2 * D, 2 * D],
    ...[2 * N, 2 * N],
  ]);
  // kg, vg (N, D): keys and values of kv head g; dkg, dvg (N, D): their gradients;
  // x, y (2, D): the pair's q and dout rows, xi, yi (D, 2) the same interleaved;
  // dqs (2, D): the pair's dq; p (2, N): scores, then p; ds (2, N): dout·v, then scale · dS.
  for (let g = 0; g < Hkv; g++) {
    gatherHead(kg, k, g, N, Hkv, D);
    gatherHead(vg, v, g, N, Hkv, D);
    dkg.fill(0);
    dvg.fill(0);
    for (let h = g * group; h < (g + 1) * group; h++) {
      for (let a = 0; a < T; a += 2) {
        const b = Math.min(a + 1, T - 1); // an odd last row pairs with itself
        const n = P + b + 1; // keys seen by row b
        const ra = (a * Hq + h) * D;
        const rb = (b * Hq + h) * D;
        gatherRowPair(x, q, ra, rb, D);
        gatherRowPair(y, dout, ra, rb, D);
        interleaveRowPair(xi, q, ra, rb, D);
        interleaveRowPair(yi, dout, ra, rb, D);
        kernels.dots2(p, xi, kg, n, N, D);
        kernels.dots2(ds, yi, vg, n, N, D);
        for (let r = 0, off = 0; r < 2; r++, off += N) {
          const t = r === 0 ? a : b;
          const row = r === 0 ? ra : rb;
          let delta = 0;
          for (let i = 0; i < D; i++) delta += y[r * D + i] * out[row + i];
          const l = lse[h * T + t];
          const seen = r === 1 && b === a ? off : off + P + t + 1; // a repeated row sees nothing
          for (let j = off; j < seen; j++) {
            const pj = Math.exp(p[j] * scale - l);
            p[j] = pj;
            ds[j] = scale * (pj * (ds[j] - delta));
          }
          for (let j = seen; j < off + n; j++) p[j] = ds[j] = 0;
        }
        dqs.fill(0);
        kernels.addWeightedRows2(dqs, ds, kg, n, N, D);
        for (let i = 0; i < D; i++) dq[ra + i] = dqs[i];
        if (b > a) for (let i = 0; i < D; i++) dq[rb + i] = dqs[D + i];
        kernels.addOuter2(dkg, ds, x, n, N, D);
        kernels.addOuter2(dvg, p, y, n, N, D);
      }
    }
    scatterHead(dk, dkg, g, N, Hkv, D);
    scatterHead(dv, dvg, g, N, Hkv, D);
  }
}

/** dst (2, D) ← rows at offsets ra and rb of src: the two query rows a pass handles together. */
function gatherRowPair(dst: Float64Array, src: Floats, ra: number, rb: number, D: number): void {
  for (let i = 0; i < D; i++) {
    dst[i] = src[ra + i];
    dst[D + i] = src[rb + i];
  }
}

/** dst (D, 2) ← the same two rows interleaved, as kernels.dots2 reads them (its SIMD lanes are the two rows). */
function interleaveRowPair(dst: Float64Array, src: Floats, ra: number, rb: number, D: number): void {
  for (let i = 0; i < D; i++) {
    dst[2 * i] = src[ra + i];
    dst[2 * i + 1] = src[rb + i];
  }
}

/** dst (N, D) = head g of src (N, H, D). */
function gatherHead(dst: Float64Array, src: Floats, g: number, N: number, H: number, D: number): void {
  for (let j = 0, from = g * D, to = 0; j < N; j++, from += H * D, to += D) {
    for (let i = 0; i < D; i++) dst[to + i] = src[from + i];
  }
}

/** Head g of dst (N, H, D) = src (N, D). */
function scatterHead(dst: Floats, src: Float64Array, g: number, N: number, H: number, D: number): void {
  for (let j = 0, from = 0, to = g * D; j < N; j++, from += D, to += H * D) {
    for (let i = 0; i < D; i++) dst[to + i] = src[from + i];
  }
}

/**
 * out (T, Hq, D) = softmax(q·kᵀ/√D, causal) · v, with q (T, Hq, D) and k, v (≥ P+T, Hkv, D);
 * query head h reads key/value head h / (Hq/Hkv). Saves lse (Hq, T) for the backward.
 * The naive reference, kept for tests of the fast attentionForward above.
 */
export function attentionForwardReference({ out, lse, q, k, v, T, P, Hq, Hkv, D }: AttentionForwardArgs<Floats>): void {
  const scale = 1 / Math.sqrt(D);
  const group = Hq / Hkv;
  const scores = new Float64Array(P + T);
  for (let h = 0; h < Hq; h++) {
    const g = Math.floor(h / group);
    for (let t = 0; t < T; t++) {
      const qRow = (t * Hq + h) * D;
      const visible = P + t + 1;
      let max = -Infinity;
      for (let j = 0; j < visible; j++) {
        const kRow = (j * Hkv + g) * D;
        let s = 0;
        for (let i = 0; i < D; i++) s += q[qRow + i] * k[kRow + i];
        scores[j] = s * scale;
        if (scores[j] > max) max = scores[j];
      }
      let sum = 0;
      for (let j = 0; j < visible; j++) sum += Math.exp(scores[j] - max);
      const logSum = max + Math.log(sum);
      lse[h * T + t] = logSum;
      for (let i = 0; i < D; i++) out[qRow + i] = 0;
      for (let j = 0; j < visible; j++) {
        const p = Math.exp(scores[j] - logSum);
        const vRow = (j * Hkv + g) * D;
        for (let i = 0; i < D; i++) out[qRow + i] += p * v[vRow + i];
      }
    }
  }
}

/**
 * The gradients of attentionForward: dq (T, Hq, D) and dk, dv (P+T, Hkv, D), overwritten.
 * p = exp(s − lse), δ_t = dO_t·O_t, dS = p (dO·V_j − δ_t), dQ = scale Σ dS K, dK = scale Σ dS Q, dV = Σ p dO.
 * The naive reference, kept for tests of the fast attentionBackward above.
 */
export function attentionBackwardReference({
  dq,
  dk,
  dv,
  dout,
  q,
  k,
  v,
  out,
  lse,
  T,
  P,
  Hq,
  Hkv,
  D,
}: AttentionBackwardArgs<Floats>): void {
  const scale = 1 / Math.sqrt(D);
  const group = Hq / Hkv;
  dq.fill(0, 0, T * Hq * D);
  dk.fill(0, 0, (P + T) * Hkv * D);
  dv.fill(0, 0, (P + T) * Hkv * D);
  for (let h = 0; h < Hq; h++) {
    const g = Math.floor(h / group);
    for (let t = 0; t < T; t++) {
      const row = (t * Hq + h) * D;
      let delta = 0;
      for (let i = 0; i < D; i++) delta += dout[row + i] * out[row + i];
      const l = lse[h * T + t];
      for (let j = 0; j <= P + t; j++) {
        const kRow = (j * Hkv + g) * D;
        let s = 0;
        let dp = 0;
        for (let i = 0; i < D; i++) {
          s += q[row + i] * k[kRow + i];
          dp += dout[row + i] * v[kRow + i];
        }
        const p = Math.exp(s * scale - l);
        const ds = p * (dp - delta);
        for (let i = 0; i < D; i++) {
          dq[row + i] += scale * ds * k[kRow + i];
          dk[kRow + i] += scale * ds * q[row + i];
          dv[kRow + i] += p * dout[row + i];
        }
      }
    }
  }
}
