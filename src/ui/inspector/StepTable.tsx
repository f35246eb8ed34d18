import type { StepWeighting } from '../../sod/weights';

function meanOver(values: Float64Array, start: number, end: number): number {
  let sum = 0;
  for (let t = start; t < end; t++) sum += values[t];
  return sum / (end - start);
}

/** The numbers behind the chart, one row per step. */
export function StepTable({ sod, opd }: { sod: StepWeighting; opd: StepWeighting }) {
  if (sod.steps.length === 0) return null;
  return (
    <section className="panel" aria-label="Steps table">
      <h2>Per step</h2>
      <table className="numbers">
        <thead>
          <tr>
            <th scope="col">step</th>
            <th scope="col">tokens</th>
            <th scope="col">range</th>
            <th scope="col">d_k (nats/token)</th>
            <th scope="col">P_k (uncapped)</th>
            <th scope="col">w_k SOD</th>
            <th scope="col">w_k OPD</th>
            <th scope="col">mean a_t SOD</th>
            <th scope="col">mean a_t OPD</th>
          </tr>
        </thead>
        <tbody>
          {sod.steps.map(([start, end], k) => (
            <tr key={start}>
              <td>{k + 1}</td>
              <td>{sod.tokensPerStep[k]}</td>
              <td>
                [{start}, {end})
              </td>
              <td>{sod.divergences[k].toFixed(4)}</td>
              <td>{sod.runningProducts[k].toFixed(4)}</td>
              <td>{sod.weights[k].toFixed(4)}</td>
              <td>{opd.weights[k].toFixed(4)}</td>
              <td>{meanOver(sod.distillAdvantages, start, end).toFixed(4)}</td>
              <td>{meanOver(opd.distillAdvantages, start, end).toFixed(4)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
