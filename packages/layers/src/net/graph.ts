/**
 * The static part of a Net: parsing node references and ordering the nodes topologically, with
 * errors that name the offending nodes.
 */
import { GraphError } from '../errors.js';

/** A reference to a value: a network input 'data', a node's first output 'conv1', or 'split:1' / 'loss:probs'. */
export interface Ref {
  node: string;
  /** Output name or index; null means the first output. */
  output: string | null;
}

export function parseRef(ref: string, where: string): Ref {
  if (typeof ref !== 'string' || ref.length === 0) {
    throw new GraphError(`${where}: input references must be non-empty strings, got ${String(ref)}`);
  }
  const colon = ref.indexOf(':');
  if (colon < 0) return { node: ref, output: null };
  const node = ref.slice(0, colon);
  const output = ref.slice(colon + 1);
  if (!node || !output || output.includes(':')) {
    throw new GraphError(`${where}: '${ref}' is not a reference ('node' or 'node:output')`);
  }
  return { node, output };
}

export function checkName(name: unknown, what: string): string {
  if (typeof name !== 'string' || !/^[A-Za-z0-9_.\-/]+$/.test(name)) {
    throw new GraphError(
      `${what} name ${JSON.stringify(name)} must be a non-empty string of letters, digits and _ . - / (no ':')`,
    );
  }
  return name;
}

/**
 * Kahn's algorithm over `deps` (node → the nodes it reads), ties broken by the order nodes were
 * given, so the order is deterministic and, for a graph listed in order, exactly the listing.
 * Throws a GraphError naming one cycle when there is one.
 */
export function topologicalOrder(
  names: readonly string[],
  deps: ReadonlyMap<string, readonly string[]>,
): string[] {
  const index = new Map(names.map((n, i) => [n, i]));
  const pending = new Map<string, number>();
  const readers = new Map<string, string[]>();
  for (const n of names) {
    const ds = [...new Set(deps.get(n) ?? [])];
    pending.set(n, ds.length);
    for (const d of ds) {
      const list = readers.get(d) ?? [];
      list.push(n);
      readers.set(d, list);
    }
  }
  const ready = names.filter((n) => pending.get(n) === 0);
  const order: string[] = [];
  while (ready.length > 0) {
    // the earliest-listed ready node (graphs are small: a scan is fine)
    let best = 0;
    for (let i = 1; i < ready.length; i++) if (index.get(ready[i]!)! < index.get(ready[best]!)!) best = i;
    const n = ready.splice(best, 1)[0]!;
    order.push(n);
    for (const r of readers.get(n) ?? []) {
      const left = pending.get(r)! - 1;
      pending.set(r, left);
      if (left === 0) ready.push(r);
    }
  }
  if (order.length < names.length) {
    const stuck = new Set(names.filter((n) => !order.includes(n)));
    throw new GraphError(`the graph has a cycle: ${findCycle(stuck, deps).join(' → ')}`);
  }
  return order;
}

/** One cycle among `stuck` nodes (each of which waits on another stuck node). */
function findCycle(stuck: ReadonlySet<string>, deps: ReadonlyMap<string, readonly string[]>): string[] {
  const path: string[] = [];
  const seen = new Map<string, number>();
  let n = [...stuck][0]!;
  while (!seen.has(n)) {
    seen.set(n, path.length);
    path.push(n);
    n = (deps.get(n) ?? []).find((d) => stuck.has(d))!;
  }
  // path goes against the data flow (node → what it reads); show it along the data flow
  return [...path.slice(seen.get(n)!), n].reverse();
}
