import { UsageError, type CliIO } from './command';
import { commands } from './commands/index';

function overview(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  const lines = commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return `Usage: sodp <command> [options]

SOD Playground on the command line: Step-wise On-policy Distillation from trajectory files.

Commands:
${lines.join('\n')}

Run 'sodp <command> --help' for a command's options.`;
}

/** Runs one `sodp` invocation and returns its exit status (0 ok, 1 bad input or failure, 2 bad usage). */
export async function main(argv: string[], io: CliIO): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? io.stderr : io.stdout).write(overview() + '\n');
    return name === undefined ? 2 : 0;
  }
  const command = commands.find((c) => c.name === name);
  if (command === undefined) {
    io.stderr.write(`sodp: unknown command '${name}'. Commands: ${commands.map((c) => c.name).join(', ')}\n`);
    return 2;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`sodp ${name}: ${err.message}\nRun 'sodp ${name} --help' for usage.\n`);
      return 2;
    }
    const message = err instanceof Error ? err.message : String(err);
    io.stderr.write(`sodp ${name}: ${message}\n`);
    return 1;
  }
}
