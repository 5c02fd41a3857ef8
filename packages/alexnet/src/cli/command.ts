/** What every `alexnet` command is: a name, one line for the command list, its help, and its run. */

/** Where a command writes (process.stdout/stderr by default; the tests capture them). */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** `err` goes to a terminal (progress lines are redrawn in place). */
  errIsTTY?: boolean;
}

export interface Command {
  name: string;
  /** One line for `alexnet --help`. */
  summary: string;
  /** The full `alexnet <name> --help` text. */
  help: string;
  /** Runs with the arguments after the command name; resolves to the exit code. */
  run(args: readonly string[], io: Io): Promise<number>;
}
