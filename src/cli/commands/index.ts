import type { CliCommand } from '../command';
import { advantagesCommand } from './advantages';
import { weightsCommand } from './weights';

/** Every `sodp` subcommand, in the order `sodp --help` lists them. Add one line per command. */
export const commands: readonly CliCommand[] = [
  weightsCommand,
  advantagesCommand,
];
