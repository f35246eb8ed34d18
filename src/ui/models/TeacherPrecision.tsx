import { expectedPrecision } from '../../models/teacher-precision';

/** What the table in docs/teacher-precision.md says of the chosen teacher path (`key`; 'f32' is its reference). */
export function TeacherPrecision({ pathKey }: { pathKey: string }) {
  const e = (x: number) => x.toExponential(1);
  if (pathKey === 'f32')
    return (
      <p className="hint" data-value="teacher-precision">
        Teacher precision: f32 is the reference of the measured table (docs/teacher-precision.md).
      </p>
    );
  const rows = expectedPrecision(pathKey);
  if (rows.length === 0)
    return (
      <p className="hint" data-value="teacher-precision">
        Teacher precision: not measured for this path (docs/teacher-precision.md lists the measured ones).
      </p>
    );
  // One path may have rows from several runtimes (the ONNX graphs on the CPU and on WebGPU): each is named.
  const paths = new Set(rows.map(({ row }) => row.path));
  const subject = paths.size === 1 ? `the ${rows[0].row.path} teacher` : 'this teacher';
  return (
    <p className="hint" data-value="teacher-precision">
      Expected precision of {subject} against the f32 engine (docs/teacher-precision.md):{' '}
      {rows.map(({ model, row }, i) => (
        <span key={`${model} ${row.path}`}>
          {i > 0 && '; '}
          {model}
          {paths.size > 1 && `, ${row.path}`}: mean |Δτ| {e(row.meanAbsTau)} (max {e(row.maxAbsTau)}), mean |Δw_k|{' '}
          {e(row.meanAbsW)}
        </span>
      ))}
      . A change of w_k below this may come from the teacher's storage, not the student.
    </p>
  );
}
