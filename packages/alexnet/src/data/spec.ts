/**
 * How a run's data was opened ('builtin' or a cache folder, the pixel scale), stored in its model
 * files' metadata so `eval`, `predict` and the browser demo prepare images the same way. Pure (no
 * file system), so the browser entry can read it.
 */
/** How a run's data was opened, stored in its checkpoints so `eval` and `predict` reopen the same. */
export interface DataSpec {
  /** 'builtin' or the cache folder. */
  spec: string;
  scale: number;
  builtin?: { trainSize?: number; valSize?: number };
}

export function dataSpecMetadata(spec: DataSpec): Record<string, string> {
  return { data: JSON.stringify(spec) };
}

/** The data spec of a model's metadata (undefined for models from elsewhere). */
export function dataSpecOf(metadata: Readonly<Record<string, string>>): DataSpec | undefined {
  try {
    const parsed = JSON.parse(metadata.data ?? 'null') as DataSpec | null;
    if (parsed && typeof parsed.spec === 'string' && typeof parsed.scale === 'number') return parsed;
  } catch {}
  return undefined;
}
