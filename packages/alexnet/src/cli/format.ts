/** Plain-text tables and numbers for the CLI's human-readable output. */

/** 60965224 → '60,965,224'. */
export function grouped(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** 1448813632 → '1.449 G', 724406816 → '724.4 M'. */
export function si(n: number, digits = 3): string {
  const units: [number, string][] = [
    [1e12, 'T'],
    [1e9, 'G'],
    [1e6, 'M'],
    [1e3, 'k'],
  ];
  for (const [scale, unit] of units)
    if (Math.abs(n) >= scale) return `${(n / scale).toFixed(digits)} ${unit}`;
  return String(n);
}

export type Align = 'left' | 'right';

/** Columns padded to their widest cell; `align` per column (default left); a rule under the header. */
export function table(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  align: readonly Align[] = [],
): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (align[i] === 'right' ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '─'.repeat(w))), ...rows.map(line)].join('\n');
}
