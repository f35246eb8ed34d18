/**
 * The measured precision of each way of running the teacher (docs/teacher-precision.md, made by
 * `npm run precision:teacher`): how far it moves τ and SOD's w_k from the f32 engine's.
 */
import measured from './teacher-precision.json';

export interface PrecisionRow {
  /** The teacher path in words. */
  path: string;
  /** 'f16', 'int8', 'int4-32', 'int4-128', 'onnx-fp32', 'onnx-fp16', 'onnx-q4'. */
  key: string;
  meanAbsTau: number;
  maxAbsTau: number;
  meanAbsW: number;
}

export interface PrecisionTable {
  made: string;
  command: string;
  models: { model: string; trajectories: number; tokens: number; steps: number; rows: PrecisionRow[] }[];
}

export const teacherPrecision: PrecisionTable = measured;

/** The measured rows of a teacher path, one per model of the table; none when it was not measured. */
export function expectedPrecision(key: string): { model: string; row: PrecisionRow }[] {
  return teacherPrecision.models.flatMap(({ model, rows }) =>
    rows.filter((row) => row.key === key).map((row) => ({ model, row })),
  );
}
