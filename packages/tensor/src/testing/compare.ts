/** ‖out − ref‖₂ / ‖ref‖₂ (or ‖out‖₂ when ref is all zeros); NaN when out holds any non-finite value. */
export function relativeError(out: ArrayLike<number>, ref: ArrayLike<number>): number {
  if (out.length !== ref.length)
    throw new Error(`relativeError: lengths differ (${out.length} vs ${ref.length})`);
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < out.length; i++) {
    const o = out[i]!;
    if (!Number.isFinite(o) && Number.isFinite(ref[i]!)) return Number.NaN;
    const d = o - ref[i]!;
    diff += d * d;
    norm += ref[i]! * ref[i]!;
  }
  return norm === 0 ? Math.sqrt(diff) : Math.sqrt(diff / norm);
}

/** A short account of where two arrays differ most (for failure messages). */
export function describeMismatch(out: ArrayLike<number>, ref: ArrayLike<number>): string {
  let nonFinite = 0;
  let firstBad = -1;
  let worst = -1;
  let worstDiff = -1;
  for (let i = 0; i < out.length; i++) {
    if (!Number.isFinite(out[i]!) && Number.isFinite(ref[i]!)) {
      nonFinite++;
      if (firstBad < 0) firstBad = i;
      continue;
    }
    const d = Math.abs(out[i]! - ref[i]!);
    if (d > worstDiff) {
      worstDiff = d;
      worst = i;
    }
  }
  const parts: string[] = [];
  if (nonFinite > 0)
    parts.push(`${nonFinite} of ${out.length} elements non-finite (first at ${firstBad}: unwritten output?)`);
  if (worst >= 0) parts.push(`largest difference at ${worst}: got ${out[worst]}, expected ${ref[worst]}`);
  return parts.join('; ');
}
