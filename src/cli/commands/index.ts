import type { CliCommand } from '../command';
import { advantagesCommand } from './advantages';
import { evalCommand } from './eval';
import { exportOnnxCommand } from './export-onnx';
import { logprobsCommand } from './logprobs';
import { planCommand } from './plan';
import { rolloutCommand } from './rollout';
import { tasksCommand } from './tasks';
import { trainCommand } from './train';
import { weightsCommand } from './weights';

/** Every `sodp` subcommand, in the order `sodp --help` lists them. Add one line per command. */
export const commands: readonly CliCommand[] = [
  weightsCommand,
  advantagesCommand,
  tasksCommand,
  rolloutCommand,
  logprobsCommand,
  trainCommand,
  evalCommand,
  planCommand,
  exportOnnxCommand,
];
