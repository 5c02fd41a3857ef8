/**
 * The `alexnet` command line: `alexnet <command> [options]`, `--help` on every command, exit code 0
 * on success, 1 when a command fails, 2 for a wrong command line (unknown command or flag, bad value).
 */
import { VERSION } from '../version.js';
import { UsageError } from './args.js';
import type { Command, Io } from './command.js';
import { dataCommand } from './data.js';
import { evalCommand } from './eval.js';
import { exportCommand } from './export.js';
import { featuresCommand, neighboursCommand } from './features.js';
import { filtersCommand } from './filters.js';
import { importCommand } from './import.js';
import { infoCommand } from './info.js';
import { plotCommand } from './plot.js';
import { predictCommand } from './predict.js';
import { trainCommand } from './train.js';

export const COMMANDS: readonly Command[] = [
  infoCommand,
  trainCommand,
  evalCommand,
  predictCommand,
  dataCommand,
  exportCommand,
  importCommand,
  filtersCommand,
  featuresCommand,
  neighboursCommand,
  plotCommand,
];

/** Commands of issue 3 that are not built yet: a clear message instead of "unknown command". */
const COMING: Readonly<Record<string, string>> = {};

const HELP = `Usage: alexnet <command> [options]

AlexNet (Krizhevsky, Sutskever, Hinton 2012) in TypeScript.

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(10)} ${c.summary}`).join('\n')}
${Object.keys(COMING).length > 0 ? `\nComing: ${Object.keys(COMING).join(', ')}.\n` : ''}
Options:
  -h, --help     show this help ('alexnet <command> --help' for a command's options)
  -v, --version  print the version

Exit codes: 0 success, 1 the command failed, 2 wrong command line.`;

const stdio: Io = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  errIsTTY: process.stderr.isTTY === true,
};

/** Runs `alexnet` with `argv` (the arguments after the program name); resolves to the exit code. */
export async function runCli(argv: readonly string[], io: Io = stdio): Promise<number> {
  const [first, ...rest] = argv;
  try {
    if (first === undefined || first === '-h' || first === '--help') {
      io.out(`${HELP}\n`);
      return 0;
    }
    if (first === '-v' || first === '--version') {
      io.out(`${VERSION}\n`);
      return 0;
    }
    if (first === 'help') {
      if (rest.length === 0) {
        io.out(`${HELP}\n`);
        return 0;
      }
      return await runCli([rest[0]!, '--help'], io);
    }
    const command = COMMANDS.find((c) => c.name === first);
    if (!command) {
      const known = COMMANDS.map((c) => c.name).join(', ');
      if (first.startsWith('-'))
        throw new UsageError(`alexnet: unknown option '${first}' (see 'alexnet --help')`);
      if (COMING[first]) {
        throw new UsageError(
          `alexnet: '${first}' is not available yet — ${COMING[first]} is coming (commands now: ${known})`,
        );
      }
      throw new UsageError(`alexnet: unknown command '${first}' (commands: ${known}; see 'alexnet --help')`);
    }
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`${error.message}\n`);
      return 2;
    }
    io.err(`alexnet: error: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}
