/**
 * Argument parsing for the `alexnet` commands: node:util's parseArgs (strict: unknown flags and
 * stray positionals are errors), with its errors turned into short usage messages, plus typed
 * value parsers that name the flag and the value they rejected.
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';

/** The command line was wrong (unknown command or flag, bad value): exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export type OptionSpecs = NonNullable<ParseArgsConfig['options']>;

/** The parsed flags: booleans for boolean options, strings for the others, undefined when absent. */
export type OptionValues<O extends OptionSpecs> = {
  [K in keyof O]?: O[K] extends { type: 'boolean' } ? boolean : string;
};

/** Parses `args` against `options` (no positionals); throws a UsageError that names the command. */
export function parseOptions<O extends OptionSpecs>(
  command: string,
  args: readonly string[],
  options: O,
): OptionValues<O> {
  try {
    return parseArgs({ args: [...args], options, strict: true, allowPositionals: false })
      .values as OptionValues<O>;
  } catch (error) {
    throw new UsageError(`${command}: ${describeParseError(error)} (see '${command} --help')`);
  }
}

/** As `parseOptions`, also accepting positional arguments (returned in order). */
export function parseWithPositionals<O extends OptionSpecs>(
  command: string,
  args: readonly string[],
  options: O,
): { values: OptionValues<O>; positionals: string[] } {
  try {
    const parsed = parseArgs({ args: [...args], options, strict: true, allowPositionals: true });
    return { values: parsed.values as OptionValues<O>, positionals: parsed.positionals };
  } catch (error) {
    throw new UsageError(`${command}: ${describeParseError(error)} (see '${command} --help')`);
  }
}

function describeParseError(error: unknown): string {
  const { code, message } = error as { code?: string; message?: string };
  const text = String(message ?? error);
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const flag = /'([^']+)'/.exec(text)?.[1];
    return flag ? `unknown option '${flag}'` : text.split('. ')[0]!;
  }
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
    const arg = /'([^']+)'/.exec(text)?.[1];
    return arg ? `unexpected argument '${arg}'` : text.split('. ')[0]!;
  }
  return text.split('. ')[0]!.replace(/^Option/, 'option');
}

/** An integer flag value (decimal digits only), or a UsageError naming the flag. */
export function intValue(command: string, flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value.trim())) {
    throw new UsageError(`${command}: --${flag} must be a non-negative integer, got '${value}'`);
  }
  return Number(value);
}

/** A finite number flag value, or a UsageError naming the flag. */
export function numberValue(command: string, flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) {
    throw new UsageError(`${command}: --${flag} must be a number, got '${value}'`);
  }
  return n;
}

/** One of `choices`, or a UsageError listing them. */
export function choiceValue<T extends string>(
  command: string,
  flag: string,
  value: string | undefined,
  choices: readonly T[],
): T | undefined {
  if (value === undefined) return undefined;
  if (!choices.includes(value as T)) {
    throw new UsageError(`${command}: --${flag} must be ${choices.join(' or ')}, got '${value}'`);
  }
  return value as T;
}
