/** The k most probable classes of one probability row (ties: the lower class index first). */
export interface TopClass {
  class: string;
  index: number;
  probability: number;
}

export function topClasses(probs: ArrayLike<number>, classes: readonly string[], k: number): TopClass[] {
  return Array.from(probs, (p, index) => ({ class: classes[index]!, index, probability: p }))
    .sort((a, b) => b.probability - a.probability || a.index - b.index)
    .slice(0, k);
}
