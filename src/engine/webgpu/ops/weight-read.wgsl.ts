import type { QuantFormat } from '../../quantize';

/** How a weight's values are stored in its buffer (../context: storageOf). */
export type WeightKind = 'f32' | 'f16' | 'bf16' | QuantFormat;

/**
 * WGSL that declares a weight `name` and reads it as f32, whatever its storage: the binding
 * (and, quantized, its scales at `scalesBinding`, one per `group` values: a WGSL expression),
 * and `read_<name>(i)`, the i-th value of the row-major matrix, or with `vec4`,
 * `read4_<name>(e)`, values 4e..4e+3. Quantized values are laid out as ../../quantize packs them.
 */
export function weightWgsl(
  name: string,
  kind: WeightKind,
  binding: number,
  scalesBinding: number,
  group: string,
  vec4: boolean,
): string {
  const scales = `${name}Scales`;
  const declare = (type: string) =>
    `@group(0) @binding(${binding}) var<storage, read> ${name}: array<${type}>;` +
    (kind === 'int8' || kind === 'int4'
      ? `\n@group(0) @binding(${scalesBinding}) var<storage, read> ${scales}: array<f32>;`
      : '');
  if (vec4) {
    const bodies: Record<WeightKind, [string, string]> = {
      f32: ['vec4f', `return ${name}[e];`],
      f16: ['vec2u', `let h = ${name}[e];\n  return vec4f(unpack2x16float(h.x), unpack2x16float(h.y));`],
      bf16: [
        'vec2u',
        `let h = ${name}[e];
  return bitcast<vec4f>(vec4u(h.x << 16u, h.x & 0xffff0000u, h.y << 16u, h.y & 0xffff0000u));`,
      ],
      int8: [
        'u32',
        `let w = i32(${name}[e]);
  let q = vec4i(extractBits(w, 0u, 8u), extractBits(w, 8u, 8u), extractBits(w, 16u, 8u), extractBits(w, 24u, 8u));
  return vec4f(q) * ${scales}[(4u * e) / ${group}];`,
      ],
      int4: [
        'u32',
        `let w = ${name}[e >> 1u] >> (16u * (e & 1u));
  let q = vec4u(extractBits(w, 0u, 4u), extractBits(w, 4u, 4u), extractBits(w, 8u, 4u), extractBits(w, 12u, 4u));
  return (vec4f(q) - 8.0) * ${scales}[(4u * e) / ${group}];`,
      ],
    };
    const [type, body] = bodies[kind];
    return `${declare(type)}\nfn read4_${name}(e: u32) -> vec4f {\n  ${body}\n}`;
  }
  const bodies: Record<WeightKind, [string, string]> = {
    f32: ['f32', `return ${name}[i];`],
    f16: ['u32', `return unpack2x16float(${name}[i >> 1u])[i & 1u];`],
    bf16: ['u32', `return bitcast<f32>((${name}[i >> 1u] >> (16u * (i & 1u))) << 16u);`],
    int8: ['u32', `return f32(extractBits(i32(${name}[i >> 2u]), 8u * (i & 3u), 8u)) * ${scales}[i / ${group}];`],
    int4: ['u32', `return (f32(extractBits(${name}[i >> 3u], 4u * (i & 7u), 4u)) - 8.0) * ${scales}[i / ${group}];`],
  };
  const [type, body] = bodies[kind];
  return `${declare(type)}\nfn read_${name}(i: u32) -> f32 {\n  ${body}\n}`;
}
