/** Compute pipelines, compiled once per op name + variant and labelled so errors name the op. */
export class ProgramCache {
  private readonly pipelines = new Map<string, GPUComputePipeline>();

  constructor(private readonly device: GPUDevice) {}

  /** The pipeline for `op` in variant `hint`; `source` is only called the first time. */
  get(op: string, hint: string, source: () => string): GPUComputePipeline {
    const key = `${op}|${hint}`;
    let pipeline = this.pipelines.get(key);
    if (pipeline === undefined) {
      const module = this.device.createShaderModule({ label: key, code: source() });
      pipeline = this.device.createComputePipeline({
        label: key,
        layout: 'auto',
        compute: { module, entryPoint: 'main' },
      });
      this.pipelines.set(key, pipeline);
    }
    return pipeline;
  }

  /** Whether the pipeline for `op` in variant `hint` was compiled (tests: which kernel a shape took). */
  has(op: string, hint: string): boolean {
    return this.pipelines.has(`${op}|${hint}`);
  }

  get size(): number {
    return this.pipelines.size;
  }
}

/** WebGPU allows at most 65,535 workgroups per dimension: fold larger counts into a second one. */
export function foldDispatch(workgroups: number, limit = 65535): [x: number, y: number] {
  if (workgroups <= limit) return [Math.max(workgroups, 1), 1];
  const y = Math.ceil(workgroups / limit);
  return [Math.ceil(workgroups / y), y];
}
