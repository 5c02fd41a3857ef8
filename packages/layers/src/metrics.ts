import { ArgumentError } from '@alexnet/tensor';

/**
 * For each k in `ks`, how many of n examples have their label among the k highest scores (scores
 * [n, classes]: probabilities or logits). A class outranks the label when its score is higher, or
 * equal with a lower index — ties are broken one fixed way, never in the model's favour by chance.
 */
export function topKCorrect(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  classes: number,
  ks: readonly number[] = [1, 5],
): number[] {
  if (!Number.isSafeInteger(classes) || classes < 1)
    throw new ArgumentError(`topKCorrect: classes must be an integer >= 1, got ${classes}`);
  const n = labels.length;
  if (scores.length !== n * classes) {
    throw new ArgumentError(`topKCorrect: ${n} labels need ${n * classes} scores, got ${scores.length}`);
  }
  const correct = ks.map(() => 0);
  for (let i = 0; i < n; i++) {
    const label = labels[i]!;
    if (!Number.isInteger(label) || label < 0 || label >= classes) {
      throw new ArgumentError(
        `topKCorrect: label ${label} of example ${i} is not a class in [0, ${classes})`,
      );
    }
    const s = scores[i * classes + label]!;
    if (Number.isNaN(s)) continue; // a NaN score is never correct
    let rank = 0;
    for (let j = 0; j < classes; j++) {
      const o = scores[i * classes + j]!;
      if (o > s || (o === s && j < label)) rank++;
    }
    ks.forEach((k, q) => {
      if (rank < k) correct[q]!++;
    });
  }
  return correct;
}

/** Top-k error rates (fractions in [0, 1]) for each k in `ks` — the paper's top-1 and top-5. */
export function topKError(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  classes: number,
  ks: readonly number[] = [1, 5],
): number[] {
  const n = labels.length;
  if (n === 0) throw new ArgumentError('topKError: no examples');
  return topKCorrect(scores, labels, classes, ks).map((c) => 1 - c / n);
}
