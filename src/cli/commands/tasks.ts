import { generateArithmeticTasks } from '../../agent/tasks/arithmetic';
import { competitionTasks } from '../../agent/tasks/competition';
import { tasksToJsonl } from '../../agent/tasks/task-files';
import { choiceOption, numberOption, parseOptions, UsageError, type CliCommand } from '../command';

const help = `Usage: sodp tasks --kind arithmetic|competition [--n N] [--seed S]

Prints problems as task JSONL ({id, question, answer, source}, one per line).

  --kind K      arithmetic: seeded synthetic tool-arithmetic problems (large products,
                modular powers, sums of sequences, counting); competition: the project's
                short competition-style problems (answers checked by code)
  --n N         how many (default 10; all for competition)
  --seed S      the generator's seed (default 0)
  -h, --help    show this help`;

export const tasksCommand: CliCommand = {
  name: 'tasks',
  summary: 'print generated or bundled problems as task JSONL',
  help,
  async run(argv, io) {
    const { values } = parseOptions(argv, {
      kind: { type: 'string' },
      n: { type: 'string' },
      seed: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      io.stdout.write(help + '\n');
      return 0;
    }
    if (values.kind === undefined) throw new UsageError('--kind is required (arithmetic or competition)');
    const kind = choiceOption('kind', values.kind, ['arithmetic', 'competition'] as const, 'arithmetic');
    const n = numberOption('n', values.n, kind === 'arithmetic' ? 10 : Infinity);
    const seed = numberOption('seed', values.seed, 0);
    if (!(n > 0)) throw new UsageError(`--n must be positive, got ${n}`);
    const tasks = kind === 'arithmetic' ? generateArithmeticTasks(n, seed) : competitionTasks().slice(0, n);
    io.stdout.write(tasksToJsonl(tasks));
    return 0;
  },
};
