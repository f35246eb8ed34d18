import { weightWgsl, type WeightKind } from './weight-read.wgsl';

/**
 * Tiled matmul: C[M×N] = α · op(A) · op(B) (+ C when accumulating).
 * With `lora`, a second product is fused into the same tiles: C += U · Lᵀ, where U = s·x·Aᵀ
 * (M, R) is the LoRA down-projection (already scaled) and L (N, R) the up-projection B,
 * so a LoRA projection y = x·Wᵀ + s·(x·Aᵀ)·Bᵀ is one small matmul and this one.
 * A is [M, K] row-major, or [K, M] when transA; B is [N, K] (a Linear weight, y = x·Wᵀ)
 * when transB, or [K, N]. Each 16×16 workgroup computes a 64×64 tile of C, each thread a
 * 4×4 block, staging 16-wide slices of K in workgroup memory (2 × 4 KiB).
 * The transposes are compile-time constants; sizes are uniforms. B may be stored as f16 or
 * quantized (`bKind`, ./weight-read.wgsl), widened to f32 as it is read (the model's frozen
 * weights); quantized, its scales are bound after the output and dims.G is their group size.
 */
export const matmulTile = { rows: 64, cols: 64, depth: 16 } as const;

/** The uniforms of both kernels; G is the quantized b's values per scale (0 otherwise). */
const matmulDims = /* wgsl */ `struct Dims { M: u32, N: u32, K: u32, alpha: f32, accumulate: u32, R: u32, G: u32 }
@group(0) @binding(0) var<uniform> dims: Dims;`;

/** The fused LoRA term's operands, u (M, R) and L (N, R), bound after a quantized b's scales; none without `lora`. */
export function loraBindings(lora: boolean, bKind: WeightKind, element: 'f32' | 'vec4f'): string {
  if (!lora) return '';
  const first = bKind === 'int8' || bKind === 'int4' ? 5 : 4;
  return `@group(0) @binding(${first}) var<storage, read> loraU: array<${element}>;   // (M, R)
@group(0) @binding(${first + 1}) var<storage, read> loraB: array<${element}>;   // (N, R)`;
}

/**
 * The bindings of the forward layout's vec4 kernels (rowdot, matvec): dims, x (M, K) as vec4
 * rows, the weight (N, K) read as vec4s, y (M, N), and the LoRA term's operands.
 */
export function forwardBindings(lora: boolean, bKind: WeightKind, loraElement: 'f32' | 'vec4f'): string {
  return `${matmulDims}
@group(0) @binding(1) var<storage, read> a: array<vec4f>;          // (M, K)
${weightWgsl('b', bKind, 2, 4, 'dims.G', true)}
@group(0) @binding(3) var<storage, read_write> c: array<f32>;      // (M, N)
${loraBindings(lora, bKind, loraElement)}`;
}

export function matmulWgsl(transA: boolean, transB: boolean, lora = false, bKind: WeightKind = 'f32'): string {
  const aIndex = transA ? 'k * dims.M + m' : 'm * dims.K + k';
  const bIndex = transB ? 'n * dims.K + k' : 'k * dims.N + n';
  return /* wgsl */ `
${matmulDims}
@group(0) @binding(1) var<storage, read> a: array<f32>;
${weightWgsl('b', bKind, 2, 4, 'dims.G', false)}
@group(0) @binding(3) var<storage, read_write> c: array<f32>;
${loraBindings(lora, bKind, 'f32')}

var<workgroup> tileA: array<f32, 1024>; // [k][m], 16 × 64
var<workgroup> tileB: array<f32, 1024>; // [k][n], 16 × 64

fn loadA(m: u32, k: u32) -> f32 {
  if (m >= dims.M || k >= dims.K) { return 0.0; }
  return a[${aIndex}];
}

fn loadB(n: u32, k: u32) -> f32 {
  if (n >= dims.N || k >= dims.K) { return 0.0; }
  return read_b(${bIndex});
}

fn multiplyTiles(acc: ptr<function, array<f32, 16>>, lid: vec3u) {
  for (var k = 0u; k < 16u; k++) {
    let av = vec4f(tileA[k * 64u + lid.y * 4u], tileA[k * 64u + lid.y * 4u + 1u], tileA[k * 64u + lid.y * 4u + 2u], tileA[k * 64u + lid.y * 4u + 3u]);
    let bv = vec4f(tileB[k * 64u + lid.x * 4u], tileB[k * 64u + lid.x * 4u + 1u], tileB[k * 64u + lid.x * 4u + 2u], tileB[k * 64u + lid.x * 4u + 3u]);
    for (var i = 0u; i < 4u; i++) {
      (*acc)[i * 4u] += av[i] * bv.x;
      (*acc)[i * 4u + 1u] += av[i] * bv.y;
      (*acc)[i * 4u + 2u] += av[i] * bv.z;
      (*acc)[i * 4u + 3u] += av[i] * bv.w;
    }
  }
}

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let row0 = wg.y * 64u;
  let col0 = wg.x * 64u;
  let thread = lid.y * 16u + lid.x;
  var acc: array<f32, 16>;
  for (var k0 = 0u; k0 < dims.K; k0 += 16u) {
    for (var i = 0u; i < 4u; i++) {
      let slot = thread + i * 256u;
      let r = slot / 16u;
      let k = slot % 16u;
      tileA[k * 64u + r] = loadA(row0 + r, k0 + k);
      tileB[k * 64u + r] = loadB(col0 + r, k0 + k);
    }
    workgroupBarrier();
    multiplyTiles(&acc, lid);
    workgroupBarrier();
  }
  for (var i = 0u; i < 4u; i++) { for (var j = 0u; j < 4u; j++) { acc[i * 4u + j] *= dims.alpha; } }
${
  lora
    ? `  for (var r0 = 0u; r0 < dims.R; r0 += 16u) {
    for (var i = 0u; i < 4u; i++) {
      let slot = thread + i * 256u;
      let row = slot / 16u;
      let r = r0 + slot % 16u;
      var u = 0.0;
      var l = 0.0;
      if (row0 + row < dims.M && r < dims.R) { u = loraU[(row0 + row) * dims.R + r]; }
      if (col0 + row < dims.N && r < dims.R) { l = loraB[(col0 + row) * dims.R + r]; }
      tileA[(slot % 16u) * 64u + row] = u;
      tileB[(slot % 16u) * 64u + row] = l;
    }
    workgroupBarrier();
    multiplyTiles(&acc, lid);
    workgroupBarrier();
  }
`
    : ''
}  for (var i = 0u; i < 4u; i++) {
    let m = row0 + lid.y * 4u + i;
    if (m >= dims.M) { continue; }
    for (var j = 0u; j < 4u; j++) {
      let n = col0 + lid.x * 4u + j;
      if (n >= dims.N) { continue; }
      var value = acc[i * 4u + j];
      if (dims.accumulate != 0u) { value += c[m * dims.N + n]; }
      c[m * dims.N + n] = value;
    }
  }
}
`;
}

/**
 * The same product for the forward layout only (y = x·Wᵀ, K a multiple of 4), without
 * workgroup memory: each thread computes a 4×4 block from vec4 loads along K. On CPU
 * adapters (SwiftShader) workgroup barriers are costly and "global" memory is cached
 * anyway, so this runs about 4× faster there than the tiled kernel (npm run bench -- matmul).
 * With `lora` it adds u·Lᵀ the same way (R a multiple of 4); B may be f16 or quantized.
 */
export function matmulRowDotWgsl(lora: boolean, bKind: WeightKind = 'f32'): string {
  const rowDot = (aName: string, bRead: (i: string) => string, width: string) => /* wgsl */ `
  {
    let W4 = ${width} / 4u;
    let ra = array<u32, 4>(min(m0, dims.M - 1u) * W4, min(m0 + 1u, dims.M - 1u) * W4, min(m0 + 2u, dims.M - 1u) * W4, min(m0 + 3u, dims.M - 1u) * W4);
    let rb = array<u32, 4>(min(n0, dims.N - 1u) * W4, min(n0 + 1u, dims.N - 1u) * W4, min(n0 + 2u, dims.N - 1u) * W4, min(n0 + 3u, dims.N - 1u) * W4);
    for (var k = 0u; k < W4; k++) {
      let b0 = ${bRead('rb[0] + k')}; let b1 = ${bRead('rb[1] + k')}; let b2 = ${bRead('rb[2] + k')}; let b3 = ${bRead('rb[3] + k')};
      let a0 = ${aName}[ra[0] + k]; let a1 = ${aName}[ra[1] + k]; let a2 = ${aName}[ra[2] + k]; let a3 = ${aName}[ra[3] + k];
      c0 += scale * vec4f(dot(a0, b0), dot(a0, b1), dot(a0, b2), dot(a0, b3));
      c1 += scale * vec4f(dot(a1, b0), dot(a1, b1), dot(a1, b2), dot(a1, b3));
      c2 += scale * vec4f(dot(a2, b0), dot(a2, b1), dot(a2, b2), dot(a2, b3));
      c3 += scale * vec4f(dot(a3, b0), dot(a3, b1), dot(a3, b2), dot(a3, b3));
    }
  }`;
  return /* wgsl */ `
${forwardBindings(lora, bKind, 'vec4f')}

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let m0 = gid.y * 4u;
  let n0 = gid.x * 4u;
  if (m0 >= dims.M || n0 >= dims.N) { return; }
  var c0 = vec4f(0.0);
  var c1 = vec4f(0.0);
  var c2 = vec4f(0.0);
  var c3 = vec4f(0.0);
  var scale = dims.alpha;
  ${rowDot('a', (i) => `read4_b(${i})`, 'dims.K')}
  scale = 1.0;
  ${lora ? rowDot('loraU', (i) => `loraB[${i}]`, 'dims.R') : ''}
  let rows = array<vec4f, 4>(c0, c1, c2, c3);
  for (var i = 0u; i < 4u; i++) {
    let m = m0 + i;
    if (m >= dims.M) { break; }
    for (var j = 0u; j < 4u; j++) {
      let n = n0 + j;
      if (n >= dims.N) { break; }
      var value = rows[i][j];
      if (dims.accumulate != 0u) { value += c[m * dims.N + n]; }
      c[m * dims.N + n] = value;
    }
  }
}
`;
}

/**
 * The register-blocked kernel's workgroup: 4 × 4 threads (four SIMD groups of SwiftShader's
 * 4 lanes; small, so that even a small product spreads over the CPU's cores), or 64 along n
 * for a single row (decode); with shared rows of A, one subgroup of `blockLanes` along n.
 */
export function blockWorkgroup(block: BlockShape, shareA = false): { x: number; y: number } {
  if (shareA) return { x: blockLanes, y: 1 };
  return block.rows === 1 ? { x: 64, y: 1 } : { x: 4, y: 4 };
}

/** The subgroup size the shared-A kernel is written for (SwiftShader's SIMD width). */
export const blockLanes = 4;

export interface BlockOptions {
  /** Fuse the LoRA term u·Lᵀ ('nt' only). */
  lora?: boolean;
  /** How B is stored. */
  bKind?: WeightKind;
  /** 'nn' with K % 4 == 0: A's rows read as vec4 along k, a quarter of the loads. */
  aVec4?: boolean;
  /** N % 4 == 0: C is written a vec4 at a time (a block's columns start at multiples of 4). */
  cVec4?: boolean;
  /**
   * The workgroup is one subgroup of `blockLanes` threads along n, which all need the same
   * rows of A: each lane loads a quarter of them and broadcasts them to the others
   * (subgroupBroadcast), so A costs a quarter of the loads. Needs the 'subgroups' feature
   * with subgroups of exactly `blockLanes`; applies where blockSharesA holds.
   */
  shareA?: boolean;
}

/** Whether the block's rows of A split evenly over the lanes: whole rows ('nt', 'nn' with vec4 rows) or whole vec4s along m ('tn'). */
export function blockSharesA(layout: BlockLayout, block: BlockShape, aVec4: boolean): boolean {
  if (layout === 'tn') return block.rows % (4 * blockLanes) === 0;
  if (layout === 'nn' && !aVec4) return false;
  return block.rows % blockLanes === 0;
}

/** The operand layouts of the register-blocked kernel: forward y = x·Wᵀ ('nt'), dX = dY·W ('nn'), dW = dYᵀ·X ('tn'). */
export type BlockLayout = 'nt' | 'nn' | 'tn';

/** A register block: each thread computes `rows` × `cols` outputs (cols a multiple of 4). */
export interface BlockShape {
  rows: number;
  cols: number;
}

/**
 * Register-blocked matmul without workgroup memory, for CPU adapters: each thread keeps a
 * rows × cols block of C in registers and reads its operands with vec4 loads. On SwiftShader
 * every load whose index depends on the invocation is a per-lane gather, costlier than the
 * multiply-adds it feeds, so the block's size (operand loads per multiply-add) sets the speed;
 * there are no barriers to pay for. The code is fully unrolled (the block's variables are
 * named registers, never an indexed array). Rows and columns past the edge are clamped on
 * load and dropped on store.
 * - 'nt' (y = x·Wᵀ): both operands are contiguous in k: vec4 loads along k (K % 4 == 0); the
 *   fused LoRA term u·Lᵀ is added the same way (R % 4 == 0).
 * - 'nn' (A (M, K), B (K, N)) and 'tn' (A (K, M), B (K, N)): B is read as vec4 along n
 *   (N % 4 == 0), A as scalars ('nn') or vec4 along m ('tn', M % 4 == 0 and rows % 4 == 0).
 * B may be f16 or quantized (./weight-read.wgsl: read4_b, groups of 4 never straddle a scale).
 * With `shareA` the lanes of a subgroup split the loads of A's rows (BlockOptions).
 */
export function matmulBlockWgsl(layout: BlockLayout, block: BlockShape, options: BlockOptions = {}): string {
  const { lora = false, bKind = 'f32', aVec4 = false, cVec4 = false } = options;
  const { rows: BM, cols: BN } = block;
  if (BN % 4 !== 0 || (layout === 'tn' && BM % 4 !== 0)) throw new Error(`matmul: bad block ${BM}×${BN} for ${layout}`);
  const shareA = options.shareA === true && blockSharesA(layout, block, aVec4);
  const range = (n: number) => Array.from({ length: n }, (_, i) => i);
  const Q = BN / 4;
  // Shared A: lane L loads A's rows [L·P, (L+1)·P) of the block (P = BM / blockLanes), and
  // row i comes from lane ⌊i / P⌋ by a broadcast (a register shuffle) instead of a load.
  const P = BM / blockLanes;
  /** The offsets of A's rows this thread loads: each of the block's, or its lane's own share. */
  const rowOffsets = (stride: string) =>
    shareA
      ? range(P)
          .map((p) => `    let ro${p} = min(m0 + lane * ${P}u + ${p}u, dims.M - 1u) * ${stride};`)
          .join('\n')
      : range(BM)
          .map((i) => `    let ra${i} = min(m0 + ${i}u, dims.M - 1u) * ${stride};`)
          .join('\n');
  /**
   * The loads of this thread's share of A's rows (none unless shared), and the statement that
   * gives row i of the block as `a${i}`; `load(offset)` reads the row at that offset.
   */
  const rowLoads = (load: (offset: string) => string) => ({
    own: shareA ? range(P).map((p) => `      let o${p} = ${load(`ro${p}`)};`) : [],
    row: (i: number) =>
      shareA
        ? `      let a${i} = subgroupBroadcast(o${i % P}, ${Math.floor(i / P)}u);`
        : `      let a${i} = ${load(`ra${i}`)};`,
  });
  const acc = range(BM).flatMap((i) => range(Q).map((q) => `  var c${i}_${q} = vec4f(0.0);`));
  let body: string;
  if (layout === 'nt') {
    const product = (aName: string, bRead: (i: string) => string, width: string) => {
      const aRows = rowLoads((offset) => `${aName}[${offset} + k]`);
      return `  {
    let W4 = ${width} / 4u;
${rowOffsets('W4')}
${range(BN)
  .map((j) => `    let rb${j} = min(n0 + ${j}u, dims.N - 1u) * W4;`)
  .join('\n')}
    for (var k = 0u; k < W4; k++) {
${range(BN)
  .map((j) => `      let b${j} = ${bRead(`rb${j} + k`)};`)
  .join('\n')}
${aRows.own.join('\n')}
${range(BM)
  .flatMap((i) => [
    aRows.row(i),
    ...range(Q).map(
      (q) =>
        `      c${i}_${q} += vec4f(${range(4)
          .map((s) => `dot(a${i}, b${4 * q + s})`)
          .join(', ')});`,
    ),
  ])
  .join('\n')}
    }
  }`;
    };
    body = `${product('a', (i) => `read4_b(${i})`, 'dims.K')}
${scaleAll()}
${lora ? product('loraU', (i) => `loraB[${i}]`, 'dims.R') : ''}`;
  } else {
    // B (K, N) as vec4 along n; column blocks past N are clamped to its last vec4. Four k
    // steps per iteration, so that each accumulator is read and written once per 16
    // multiply-adds (spilled accumulators cost a load and a store each); then a tail of K % 4.
    const N4 = 'dims.N / 4u';
    const bLoads = (steps: number) =>
      range(steps).flatMap((r) => range(Q).map((q) => `      let b${r}_${q} = read4_b((k + ${r}u) * ${N4} + cb${q});`));
    // a(m0 + i, k + r)
    const nnRows = rowLoads((offset) => `aRows[${offset} + k / 4u]`);
    // 'tn' shared: lane L loads the vec4s [L·V, (L+1)·V) of the block's BM / 4 along m.
    const V = BM / (4 * blockLanes);
    const aLoads = (steps: number) =>
      layout === 'nn'
        ? aVec4
          ? [...nnRows.own, ...range(BM).map(nnRows.row)]
          : range(BM).map(
              (i) =>
                `      let a${i} = ${
                  steps === 4
                    ? `vec4f(${range(4)
                        .map((r) => `a[ra${i} + k + ${r}u]`)
                        .join(', ')})`
                    : `vec4f(a[ra${i} + k], 0.0, 0.0, 0.0)`
                };`,
            )
        : range(steps).flatMap((r) =>
            shareA
              ? [
                  ...range(V).map((v) => `      let o${r}_${v} = a4[(k + ${r}u) * (dims.M / 4u) + rv${v}];`),
                  ...range(BM / 4).map(
                    (p) => `      let a${r}_${p} = subgroupBroadcast(o${r}_${p % V}, ${Math.floor(p / V)}u);`,
                  ),
                ]
              : range(BM / 4).map((p) => `      let a${r}_${p} = a4[(k + ${r}u) * (dims.M / 4u) + ra${p}];`),
          );
    const aValue = (i: number, r: number) => (layout === 'nn' ? `a${i}[${r}]` : `a${r}_${Math.floor(i / 4)}[${i % 4}]`);
    const update = (steps: number) =>
      range(BM)
        .flatMap((i) =>
          range(Q).map(
            (q) =>
              `      c${i}_${q} += ${range(steps)
                .map((r) => `${aValue(i, r)} * b${r}_${q}`)
                .join(' + ')};`,
          ),
        )
        .join('\n');
    body = `  {
${
  layout === 'nn'
    ? rowOffsets(aVec4 ? '(dims.K / 4u)' : 'dims.K')
    : shareA
      ? range(V)
          .map((v) => `    let rv${v} = min(m0 / 4u + lane * ${V}u + ${v}u, dims.M / 4u - 1u);`)
          .join('\n')
      : range(BM / 4)
          .map((p) => `    let ra${p} = min(m0 / 4u + ${p}u, dims.M / 4u - 1u);`)
          .join('\n')
}
${range(Q)
  .map((q) => `    let cb${q} = min(n0 / 4u + ${q}u, ${N4} - 1u);`)
  .join('\n')}
    var k = 0u;
    for (; k + 4u <= dims.K; k += 4u) {
${bLoads(4).join('\n')}
${aLoads(4).join('\n')}
${update(4)}
    }
    for (; k < dims.K; k++) {
${bLoads(1).join('\n')}
${aLoads(1).join('\n')}
${update(1)}
    }
  }
${scaleAll()}`;
  }
  function scaleAll(): string {
    return range(BM)
      .flatMap((i) => range(Q).map((q) => `  c${i}_${q} *= dims.alpha;`))
      .join('\n');
  }
  const stores = range(BM)
    .flatMap((i) => range(Q).map((q) => `  store(m0 + ${i}u, n0 + ${4 * q}u, c${i}_${q});`))
    .join('\n');
  const aDecl =
    layout === 'nt'
      ? '@group(0) @binding(1) var<storage, read> a: array<vec4f>;'
      : layout === 'tn'
        ? '@group(0) @binding(1) var<storage, read> a4: array<vec4f>;'
        : aVec4
          ? '@group(0) @binding(1) var<storage, read> aRows: array<vec4f>;'
          : '@group(0) @binding(1) var<storage, read> a: array<f32>;';
  return /* wgsl */ `${shareA ? 'enable subgroups;' : ''}
${matmulDims}
${aDecl}
${weightWgsl('b', bKind, 2, 4, 'dims.G', true)}
@group(0) @binding(3) var<storage, read_write> c: array<${cVec4 ? 'vec4f' : 'f32'}>;
${loraBindings(lora, bKind, 'vec4f')}

fn store(m: u32, n0: u32, v: vec4f) {
${
  // A whole vec4 is in or out of C (n0 and N are multiples of 4): one store instead of four.
  cVec4
    ? `  if (m >= dims.M || n0 >= dims.N) { return; }
  let i = (m * dims.N + n0) / 4u;
  if (dims.accumulate != 0u) { c[i] += v; } else { c[i] = v; }`
    : `  if (m >= dims.M) { return; }
  for (var j = 0u; j < 4u; j++) {
    let n = n0 + j;
    if (n >= dims.N) { return; }
    var value = v[j];
    if (dims.accumulate != 0u) { value += c[m * dims.N + n]; }
    c[m * dims.N + n] = value;
  }`
}
}

@compute @workgroup_size(${blockWorkgroup(block, shareA).x}, ${blockWorkgroup(block, shareA).y})
fn main(@builtin(global_invocation_id) gid: vec3u${shareA ? ', @builtin(subgroup_invocation_id) lane: u32' : ''}) {
  let m0 = gid.y * ${BM}u;
  let n0 = gid.x * ${BN}u;
  ${
    // Shared A: every lane takes part in the broadcasts; a block past N only clamps its loads.
    shareA ? '' : 'if (m0 >= dims.M || n0 >= dims.N) { return; }'
  }
${acc.join('\n')}
${body}
${stores}
}
`;
}
