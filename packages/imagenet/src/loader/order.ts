/**
 * The order of an epoch: 0 … n−1, or a Fisher–Yates shuffle whose randomness is a pure function of
 * (seed, epoch), drawn from Philox4x32-10 with its own counter tag so it never reuses values of the
 * augmentation draws or of any `PhiloxStream`:
 *
 *   key = [seed mod 2³², ⌊seed / 2³²⌋], counter = [⌊k / 2⌋, epoch, 0, 0x53687566 ('Shuf')]
 *
 * Step k (k = 0 … n−2, swapping position n−1−k with j ∈ [0, n−1−k]) takes the two u32 lanes
 * 2(k mod 2) and 2(k mod 2)+1 of that block as a 53-bit uniform u, j = ⌊u · (n − k)⌋.
 */
import { ArgumentError, philox4x32 } from '@alexnet/tensor';

export const SHUFFLE_COUNTER_TAG = 0x53687566;
const TWO32 = 0x1_0000_0000;

export function epochOrder(n: number, seed: number, epoch: number, shuffle: boolean): Int32Array {
  if (!Number.isInteger(n) || n < 0 || n > 0x7fffffff) throw new ArgumentError(`order: bad size ${n}`);
  if (!Number.isSafeInteger(seed) || seed < 0)
    throw new ArgumentError(`seed must be an integer ≥ 0, got ${seed}`);
  if (!Number.isInteger(epoch) || epoch < 0 || epoch >= TWO32)
    throw new ArgumentError(`epoch must be an integer in [0, 2³²), got ${epoch}`);
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  if (!shuffle) return order;
  const key = [seed % TWO32, Math.floor(seed / TWO32)];
  const counter = [0, epoch, 0, SHUFFLE_COUNTER_TAG];
  const u = new Uint32Array(4);
  for (let k = 0; k < n - 1; k++) {
    if (k % 2 === 0) {
      counter[0] = k / 2;
      philox4x32(counter, key, u);
    }
    const lane = 2 * (k % 2);
    const uniform = ((u[lane]! >>> 5) * 67108864 + (u[lane + 1]! >>> 6)) / 9007199254740992;
    const i = n - 1 - k;
    const j = Math.floor(uniform * (i + 1));
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  return order;
}
