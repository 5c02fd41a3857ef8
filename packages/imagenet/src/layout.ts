/**
 * Dataset readers: the ILSVRC-2012 layout and generic class folders. They list files and labels
 * only (nothing is decoded here); `prepare` decodes what they list.
 *
 * Class index = position of the class folder name in sorted order (JavaScript's default string
 * order, the code-unit order Python's `sorted` uses), the Caffe/torchvision convention: for ImageNet,
 * sorted WordNet ids.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { ArgumentError } from '@alexnet/tensor';
import { DatasetError } from './errors.js';
import { findSynsetFile, readSynsetNames } from './synsets.js';

/** File extensions (lower-case, without the dot) listed as images; others are reported as ignored. */
export const IMAGE_EXTENSIONS: ReadonlySet<string> = new Set([
  'jpg',
  'jpeg',
  'jpe',
  'jfif',
  'png',
  'webp',
  'gif',
  'tif',
  'tiff',
  'avif',
  'heic',
  'heif',
  'bmp',
  'ppm',
  'pgm',
  'pbm',
]);

/** File names looked for (in this order, in the root and in `val/`) as validation ground truth. */
export const VAL_LABEL_FILE_NAMES = ['LOC_val_solution.csv', 'val.txt'] as const;

export interface ClassInfo {
  /** The folder name (a WordNet id for ImageNet). */
  id: string;
  /** Display name from the synset file, else the id. */
  name: string;
}

export interface SourceImage {
  /** Path relative to the dataset root, '/'-separated. */
  path: string;
  /** Class index, or -1 when the image has no usable label (see `reason`). */
  label: number;
  /** Why the label is -1 (no ground-truth entry, class not among the training classes). */
  reason?: string;
}

export type ProblemKind = 'empty-class' | 'missing-label' | 'unknown-class' | 'ignored-file';

/** Something a user should hear about; never fatal on its own. */
export interface DatasetProblem {
  kind: ProblemKind;
  split?: 'train' | 'val';
  /** The file or folder concerned, relative to the root. */
  path: string;
  message: string;
}

export type Layout = 'ilsvrc' | 'folders';

export interface DatasetListing {
  /** Absolute dataset root. */
  root: string;
  /**
   * 'ilsvrc': `train/<class>/…` and `val/` (class folders or flat with a ground-truth file);
   * 'folders': `<root>/<class>/…` (one split; `valFraction` holds some out as val).
   */
  layout: Layout;
  classes: ClassInfo[];
  /** Where class names came from, if a synset file was found. */
  synsetFile?: string;
  /** How val labels were found: 'folders', a ground-truth file path, 'valFraction' or 'none'. */
  valLabels: string;
  splits: { train: SourceImage[]; val: SourceImage[] };
  problems: DatasetProblem[];
}

export interface ListOptions {
  /** 'auto' (default): 'ilsvrc' when the root has a `train/` folder, else 'folders'. */
  layout?: 'auto' | Layout;
  /** Validation ground truth for a flat `val/`: Caffe `val.txt` or `LOC_val_solution.csv`. */
  valLabels?: string;
  /** Class-name file (classes.tsv, LOC_synset_mapping.txt, synset_words.txt, imagenet_class_index.json). */
  synsets?: string;
  /**
   * 'folders' layout only: hold out this fraction of each class as val, chosen by a hash of the
   * file's path (stable when files are added). Default 0: everything is train.
   */
  valFraction?: number;
}

const byCodeUnit = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** Sorted entries of a folder split into sub-folders and files (symbolic links followed). */
function entries(dir: string): { dirs: string[]; files: string[] } {
  const dirs: string[] = [];
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory() || (entry.isSymbolicLink() && isDir(full))) dirs.push(entry.name);
    else if (entry.isFile() || (entry.isSymbolicLink() && isFile(full))) files.push(entry.name);
  }
  return { dirs: dirs.sort(byCodeUnit), files: files.sort(byCodeUnit) };
}

/** True for a file name with an image extension (case-insensitive: `.JPEG`, `.Png`). */
export function isImageFile(name: string): boolean {
  return IMAGE_EXTENSIONS.has(extname(name).slice(1).toLowerCase());
}

/** Image files of one folder (sorted), reporting the others as ignored. */
function imagesIn(
  root: string,
  rel: string,
  split: 'train' | 'val',
  problems: DatasetProblem[],
): { images: string[]; subdirs: string[] } {
  const { dirs, files } = entries(join(root, rel));
  const images: string[] = [];
  for (const f of files) {
    const path = rel === '' ? f : `${rel}/${f}`;
    if (isImageFile(f)) images.push(path);
    else
      problems.push({
        kind: 'ignored-file',
        split,
        path,
        message: `not an image file name (extension '${extname(f)}'), ignored`,
      });
  }
  return { images, subdirs: dirs };
}

/** Parses a Caffe `val.txt` ("ILSVRC2012_val_00000001.JPEG 65") into file name → label index. */
export function parseCaffeValLabels(text: string, file = 'val.txt'): Map<string, number> {
  const out = new Map<string, number>();
  let line = 0;
  for (const raw of text.split(/\r?\n/)) {
    line++;
    const t = raw.trim();
    if (t === '') continue;
    const m = /^(\S+)\s+(-?\d+)$/.exec(t);
    if (!m) throw new DatasetError(`${file}:${line}: expected '<file name> <label>', got '${t}'`);
    out.set(m[1]!, Number(m[2]));
  }
  return out;
}

/**
 * Parses `LOC_val_solution.csv` (header `ImageId,PredictionString`; the first token of the
 * prediction string is the wnid, boxes after it are ignored) into image id → wnid.
 */
export function parseLocValSolution(text: string, file = 'LOC_val_solution.csv'): Map<string, string> {
  const out = new Map<string, string>();
  const lines = text.split(/\r?\n/);
  let line = 0;
  for (const raw of lines) {
    line++;
    const t = raw.trim();
    if (t === '' || (line === 1 && /^ImageId\s*,/i.test(t))) continue;
    const comma = t.indexOf(',');
    const wnid =
      comma < 0
        ? ''
        : t
            .slice(comma + 1)
            .trim()
            .split(/\s+/)[0];
    if (comma < 0 || !wnid) throw new DatasetError(`${file}:${line}: expected 'ImageId,wnid …', got '${t}'`);
    out.set(t.slice(0, comma).trim(), wnid);
  }
  return out;
}

/** Removes the extension of a file name (ground-truth files name images with or without it). */
const stem = (name: string): string => name.slice(0, name.length - extname(name).length);

/** The fraction test of `valFraction`: a stable hash of the path mapped to [0, 1). */
function heldOut(path: string, fraction: number): boolean {
  const h = createHash('sha1').update(path).digest();
  return h.readUInt32BE(0) / 2 ** 32 < fraction;
}

/**
 * Lists a dataset: classes (sorted folder names), the images of each split with labels, and the
 * problems found (empty class folders, val images without ground truth, val classes that are not
 * training classes, ignored non-image files). Throws `DatasetError` only when the root itself is
 * unusable (missing, no class folders, an unreadable ground-truth file).
 */
export function listImageFolder(rootIn: string, options: ListOptions = {}): DatasetListing {
  const root = resolve(rootIn);
  if (!isDir(root)) throw new DatasetError(`dataset root '${root}' is not a folder`);
  const valFraction = options.valFraction ?? 0;
  if (!(valFraction >= 0 && valFraction < 1))
    throw new ArgumentError(`valFraction must be in [0, 1), got ${valFraction}`);
  let layout: Layout;
  if (options.layout === undefined || options.layout === 'auto')
    layout = isDir(join(root, 'train')) ? 'ilsvrc' : 'folders';
  else layout = options.layout;
  const problems: DatasetProblem[] = [];
  const trainRel = layout === 'ilsvrc' ? 'train' : '';
  if (layout === 'ilsvrc' && !isDir(join(root, 'train')))
    throw new DatasetError(`'${root}' has no train/ folder (ILSVRC layout: train/<wnid>/*.JPEG)`);

  // Classes: the sub-folders of train/ (or of the root), sorted.
  // (Files beside the class folders of a 'folders' root are metadata — classes.tsv, README —
  // not images that were meant to be in a class: not reported.)
  const top = imagesIn(root, trainRel, 'train', trainRel === '' ? [] : problems);
  const classIds = top.subdirs.filter((d) => !(layout === 'folders' && d === 'val'));
  if (classIds.length === 0)
    throw new DatasetError(
      `no class folders in '${join(root, trainRel)}' (expected <class>/<image files>, e.g. n01440764/x.JPEG)`,
    );
  const synsetFile = options.synsets ?? findSynsetFile([root, join(root, '..')]);
  const names = synsetFile ? readSynsetNames(synsetFile) : new Map<string, string>();
  const classes: ClassInfo[] = classIds.map((id) => ({ id, name: names.get(id) ?? id }));
  const classIndex = new Map(classIds.map((id, i) => [id, i]));

  const train: SourceImage[] = [];
  const val: SourceImage[] = [];
  for (const [label, id] of classIds.entries()) {
    const rel = trainRel === '' ? id : `${trainRel}/${id}`;
    const { images, subdirs } = imagesIn(root, rel, 'train', problems);
    for (const d of subdirs)
      problems.push({
        kind: 'ignored-file',
        split: 'train',
        path: `${rel}/${d}`,
        message: 'nested folder inside a class folder, ignored',
      });
    if (images.length === 0)
      problems.push({
        kind: 'empty-class',
        split: 'train',
        path: rel,
        message: `class '${id}' (index ${label}) has no image files; it keeps its index`,
      });
    for (const path of images) {
      if (layout === 'folders' && valFraction > 0 && heldOut(path, valFraction)) val.push({ path, label });
      else train.push({ path, label });
    }
  }

  let valLabels = layout === 'folders' ? (valFraction > 0 ? 'valFraction' : 'none') : 'none';
  if (layout === 'ilsvrc' && isDir(join(root, 'val'))) {
    const listing = imagesIn(root, 'val', 'val', problems);
    if (listing.subdirs.length > 0) {
      // val/<class>/*: labels from the folder names.
      valLabels = 'folders';
      for (const id of listing.subdirs) {
        const rel = `val/${id}`;
        const { images } = imagesIn(root, rel, 'val', problems);
        const label = classIndex.get(id);
        if (label === undefined)
          problems.push({
            kind: 'unknown-class',
            split: 'val',
            path: rel,
            message: `val class '${id}' is not a training class; its ${images.length} images are skipped`,
          });
        if (images.length === 0 && label !== undefined)
          problems.push({
            kind: 'empty-class',
            split: 'val',
            path: rel,
            message: `val class '${id}' has no image files`,
          });
        for (const path of images)
          val.push(
            label === undefined
              ? { path, label: -1, reason: `class '${id}' is not a training class` }
              : { path, label },
          );
      }
    }
    if (listing.images.length > 0) {
      // Flat val/: labels from a ground-truth file.
      const gtFile =
        options.valLabels ??
        [root, join(root, 'val')]
          .flatMap((d) => VAL_LABEL_FILE_NAMES.map((n) => join(d, n)))
          .find((f) => existsSync(f));
      valLabels = gtFile ?? 'none';
      let lookup: (file: string) => { label: number; reason?: string };
      if (gtFile === undefined) {
        lookup = () => ({ label: -1, reason: 'no ground-truth file (val.txt or LOC_val_solution.csv)' });
      } else if (/\.csv$/i.test(gtFile)) {
        const gt = parseLocValSolution(readFileSync(gtFile, 'utf8'), gtFile);
        lookup = (file) => {
          const wnid = gt.get(stem(file)) ?? gt.get(file);
          if (wnid === undefined) return { label: -1, reason: `no entry in ${gtFile}` };
          const label = classIndex.get(wnid);
          return label === undefined
            ? { label: -1, reason: `ground-truth class '${wnid}' is not a training class` }
            : { label };
        };
      } else {
        const gt = parseCaffeValLabels(readFileSync(gtFile, 'utf8'), gtFile);
        const byStem = new Map([...gt].map(([k, v]) => [stem(k), v]));
        lookup = (file) => {
          const label = gt.get(file) ?? byStem.get(stem(file));
          if (label === undefined) return { label: -1, reason: `no entry in ${gtFile}` };
          return label >= 0 && label < classes.length
            ? { label }
            : { label: -1, reason: `label ${label} in ${gtFile} is outside [0, ${classes.length})` };
        };
      }
      for (const path of listing.images) {
        const found = lookup(path.slice('val/'.length));
        if (found.label < 0)
          problems.push({ kind: 'missing-label', split: 'val', path, message: found.reason! });
        val.push({ path, ...found });
      }
    }
  }
  return {
    root,
    layout,
    classes,
    ...(synsetFile ? { synsetFile: resolve(synsetFile) } : {}),
    valLabels,
    splits: { train, val },
    problems,
  };
}
