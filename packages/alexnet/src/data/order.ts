/**
 * The order of one epoch: a Fisher–Yates shuffle driven by Philox stream (seed, epoch), so the
 * order is a pure function of (seed, epoch) and a resumed run sees the same batches.
 */
import { philoxU32 } from '@alexnet/tensor';

/** A permutation of 0…n−1 for (seed, epoch); the identity when `shuffle` is false. */
export function epochOrder(n: number, seed: number, epoch: number, shuffle = true): Int32Array {
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  if (!shuffle || n < 2) return order;
  // stream seed·2¹⁶ + epoch (mod 2⁵³): distinct per (seed, epoch) for epochs < 65536
  const stream = (seed * 65536 + epoch) % 2 ** 53;
  const raw = philoxU32(stream, 0, new Uint32Array(n));
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor((raw[i]! / 0x1_0000_0000) * (i + 1));
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  return order;
}
