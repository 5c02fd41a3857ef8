/** Versions of the peer libraries, read from their own package.json files. */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const requireHere = createRequire(import.meta.url);

/**
 * `name`'s package.json version, resolved from this package, or from inside the package `parent`
 * (for a dependency of a dependency, which pnpm does not hoist). null when it cannot be found.
 */
export function packageVersion(name: string, parent?: string): string | null {
  try {
    const require =
      parent === undefined ? requireHere : createRequire(requireHere.resolve(`${parent}/package.json`));
    const json = JSON.parse(readFileSync(packageJsonOf(name, require), 'utf8')) as {
      name?: string;
      version?: string;
    };
    return json.name === name ? (json.version ?? null) : null;
  } catch {
    return null;
  }
}

/** `name/package.json`, or — when the package's `exports` hide it — the one above its entry point. */
function packageJsonOf(name: string, require: NodeJS.Require): string {
  try {
    return require.resolve(`${name}/package.json`);
  } catch {
    let dir = path.dirname(require.resolve(name));
    for (;;) {
      const candidate = path.join(dir, 'package.json');
      if (
        existsSync(candidate) &&
        (JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string }).name === name
      )
        return candidate;
      const up = path.dirname(dir);
      if (up === dir) throw new Error(`no package.json of ${name}`);
      dir = up;
    }
  }
}

/** { name: version } for each [name, parent?]; names that cannot be resolved are left out. */
export function versionsOf(packages: readonly (readonly [string, string?])[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, parent] of packages) {
    const v = packageVersion(name, parent);
    if (v !== null) out[name] = v;
  }
  return out;
}
