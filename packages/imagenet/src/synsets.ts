/**
 * Class-name files: ImageNet's synset mappings in their common spellings, and a plain `classes.tsv`.
 * Each maps a class folder name (a WordNet id such as `n01440764` for ImageNet) to a human-readable
 * name. Order in these files is ignored: class indices always come from the sorted folder names.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatasetError } from './errors.js';

/** The file names looked for (in this order) in the dataset root when no synset file is given. */
export const SYNSET_FILE_NAMES = [
  'classes.tsv',
  'LOC_synset_mapping.txt',
  'synset_words.txt',
  'imagenet_class_index.json',
] as const;

/**
 * Parses a class-name file into folder name → display name. Accepted forms, one class per line:
 * `wnid<TAB>name` (classes.tsv), `wnid name` (synset_words.txt, LOC_synset_mapping.txt, also with a
 * `:` after the id), or torchvision's `imagenet_class_index.json` (`{"0": ["n01440764", "tench"]}`).
 * Blank lines and lines starting with `#` are skipped.
 */
export function parseSynsetNames(text: string, file = 'synset file'): Map<string, string> {
  const names = new Map<string, string>();
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch (e) {
      throw new DatasetError(`${file}: not valid JSON (${(e as Error).message})`);
    }
    for (const value of Object.values(parsed as Record<string, unknown>)) {
      if (Array.isArray(value) && typeof value[0] === 'string' && typeof value[1] === 'string')
        names.set(value[0], value[1].replace(/_/g, ' '));
    }
    return names;
  }
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const tab = line.indexOf('\t');
    let id: string;
    let name: string;
    if (tab >= 0) {
      id = line.slice(0, tab).trim();
      name = line.slice(tab + 1).trim();
    } else {
      const m = /^(\S+)\s*(.*)$/.exec(line)!;
      id = m[1]!;
      name = m[2]!.trim();
    }
    if (id.endsWith(':')) id = id.slice(0, -1);
    name = name.replace(/^:\s*/, '');
    names.set(id, name === '' ? id : name);
  }
  return names;
}

/** Reads a class-name file (see `parseSynsetNames`). */
export function readSynsetNames(file: string): Map<string, string> {
  return parseSynsetNames(readFileSync(file, 'utf8'), file);
}

/** The first class-name file found in `dirs` (see `SYNSET_FILE_NAMES`), or undefined. */
export function findSynsetFile(dirs: readonly string[]): string | undefined {
  for (const dir of dirs)
    for (const name of SYNSET_FILE_NAMES) {
      const file = join(dir, name);
      if (existsSync(file)) return file;
    }
  return undefined;
}
