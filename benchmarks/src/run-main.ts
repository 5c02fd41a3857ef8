import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * Runs `main` when the module at `moduleUrl` is the script node was started with (not when a test
 * imports it); a rejection is printed and sets exit code 1. Shared by every benchmark entry point.
 */
export function runIfMain(moduleUrl: string, main: () => Promise<void>): void {
  const script = process.argv[1];
  if (script === undefined) return;
  let direct = false;
  try {
    direct = realpathSync(script) === realpathSync(fileURLToPath(moduleUrl));
  } catch {
    direct = false;
  }
  if (!direct) return;
  main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
