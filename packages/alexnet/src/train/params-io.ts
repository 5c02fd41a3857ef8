/**
 * Parameters under their one-device ("canonical") names, whatever the layout: on two devices tower
 * t of conv1…fc7 is a node `conv1_t`, and the one-device parameter `conv1.weight` is the towers'
 * `conv1_0.weight` and `conv1_1.weight` stacked along output channels (tower 0 first; towers.test.ts
 * checks the two layouts compute the same network). Checkpoints store canonical names, so a network
 * trained on native:0 + native:1 loads on one device, and the other way round.
 */
import type { Net, Param } from '@alexnet/layers';
import { ArgumentError, type Tensor } from '@alexnet/tensor';

const TOWER_NAME = /^(.+)_([01])\.(weight|bias)$/;

/** The canonical name of a parameter ('conv3_1.weight' → 'conv3.weight'). */
export function canonicalName(name: string): string {
  const m = TOWER_NAME.exec(name);
  return m ? `${m[1]}.${m[3]}` : name;
}

export interface CanonicalParam {
  /** 'conv1.weight' */
  name: string;
  /** The one-device shape: tower parts stacked along the first axis. */
  shape: number[];
  /** The tensors holding it, in stacking order (one, or tower 0 and tower 1). */
  parts: { name: string; tensor: Tensor }[];
}

/** Groups a net's tensors (values, gradients or momentum buffers, given per parameter) by canonical name. */
export function canonicalParams(
  params: readonly Param[],
  pick: (p: Param, i: number) => Tensor = (p) => p.value,
): CanonicalParam[] {
  const byName = new Map<string, CanonicalParam>();
  params.forEach((p, i) => {
    const tensor = pick(p, i);
    const name = canonicalName(p.name);
    const entry = byName.get(name);
    if (!entry) {
      byName.set(name, { name, shape: [...tensor.shape], parts: [{ name: p.name, tensor }] });
      return;
    }
    const first = entry.parts[0]!.tensor.shape;
    if (first.length !== tensor.shape.length || first.slice(1).some((d, k) => d !== tensor.shape[k + 1])) {
      throw new ArgumentError(
        `canonicalParams: '${p.name}' [${tensor.shape}] cannot stack with '${entry.parts[0]!.name}' [${first}]`,
      );
    }
    entry.parts.push({ name: p.name, tensor });
    entry.shape[0]! += tensor.shape[0]!;
  });
  return [...byName.values()];
}

/** Reads the tensors of each canonical parameter into one array (device → host). */
export async function readCanonical(
  entries: readonly CanonicalParam[],
): Promise<Map<string, { shape: number[]; data: Float32Array }>> {
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const e of entries) {
    if (e.parts.length === 1) {
      out.set(e.name, { shape: e.shape, data: await e.parts[0]!.tensor.toArray() });
      continue;
    }
    const data = new Float32Array(e.shape.reduce((a, b) => a * b, 1));
    let at = 0;
    for (const part of e.parts) {
      const values = await part.tensor.toArray();
      data.set(values, at);
      at += values.length;
    }
    out.set(e.name, { shape: e.shape, data });
  }
  return out;
}

/**
 * Writes canonical arrays into the tensors (host → device). Every parameter must be present with
 * its exact shape; extra entries are an error too (a checkpoint of another network).
 */
export function writeCanonical(
  entries: readonly CanonicalParam[],
  values: ReadonlyMap<string, { shape: readonly number[]; data: Float32Array | Float64Array }>,
  what = 'checkpoint',
): void {
  const known = new Set(entries.map((e) => e.name));
  const extra = [...values.keys()].filter((k) => !known.has(k));
  if (extra.length > 0) {
    throw new ArgumentError(
      `the ${what} holds tensors this network does not have: ${extra.slice(0, 5).join(', ')}${extra.length > 5 ? ', …' : ''}`,
    );
  }
  for (const e of entries) {
    const v = values.get(e.name);
    if (!v) throw new ArgumentError(`the ${what} has no tensor '${e.name}'`);
    if (v.shape.length !== e.shape.length || v.shape.some((d, k) => d !== e.shape[k])) {
      throw new ArgumentError(
        `the ${what}'s '${e.name}' is [${v.shape.join(', ')}], this network's is [${e.shape.join(', ')}] (another configuration?)`,
      );
    }
    let at = 0;
    for (const part of e.parts) {
      const n = part.tensor.size;
      part.tensor.device.backend.write(part.tensor.buffer, v.data.subarray(at, at + n));
      at += n;
    }
  }
}

/** The net's parameter values by canonical name. */
export function netWeights(net: Net): CanonicalParam[] {
  return canonicalParams(net.params());
}
