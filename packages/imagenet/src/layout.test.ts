import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { DatasetError } from './errors.js';
import { listImageFolder, parseCaffeValLabels, parseLocValSolution } from './layout.js';
import { parseSynsetNames, readSynsetNames } from './synsets.js';
import { tempDir } from './test-helpers.js';

const tmp = tempDir('layout');
afterAll(() => tmp.cleanup());

/** Creates empty files (listing never opens them). */
function touch(root: string, ...paths: string[]): void {
  for (const p of paths) {
    mkdirSync(dirname(join(root, p)), { recursive: true });
    writeFileSync(join(root, p), '');
  }
}

const sharedData = join(dirname(fileURLToPath(import.meta.url)), '../../../../shared/data');

describe('listImageFolder: ILSVRC layout', () => {
  it('orders classes by sorted folder name (code-unit order) and reads a flat val/ with val.txt', () => {
    const root = join(tmp.dir, 'caffe');
    touch(
      root,
      'train/n02/b.JPEG',
      'train/n02/a.JPEG',
      'train/n01/z.jpeg',
      'train/a/x.PNG',
      'train/B/y.webp',
    );
    touch(root, 'val/v1.JPEG', 'val/v2.JPEG', 'val/v3.JPEG', 'val/v4.JPEG');
    writeFileSync(join(root, 'val.txt'), 'v1.JPEG 3\nv2.JPEG 0\nv4.JPEG 9\n');
    const l = listImageFolder(root);
    expect(l.layout).toBe('ilsvrc');
    expect(l.classes.map((c) => c.id)).toEqual(['B', 'a', 'n01', 'n02']);
    expect(l.splits.train).toEqual([
      { path: 'train/B/y.webp', label: 0 },
      { path: 'train/a/x.PNG', label: 1 },
      { path: 'train/n01/z.jpeg', label: 2 },
      { path: 'train/n02/a.JPEG', label: 3 },
      { path: 'train/n02/b.JPEG', label: 3 },
    ]);
    expect(l.valLabels).toBe(join(root, 'val.txt'));
    expect(l.splits.val.map((v) => [v.path, v.label])).toEqual([
      ['val/v1.JPEG', 3],
      ['val/v2.JPEG', 0],
      ['val/v3.JPEG', -1],
      ['val/v4.JPEG', -1],
    ]);
    const missing = l.problems.filter((p) => p.kind === 'missing-label');
    expect(missing.map((p) => p.path)).toEqual(['val/v3.JPEG', 'val/v4.JPEG']);
    expect(missing[0]!.message).toMatch(/no entry in .*val\.txt/);
    expect(missing[1]!.message).toMatch(/label 9 .* outside \[0, 4\)/);
  });

  it('prefers LOC_val_solution.csv (wnid per image; boxes ignored)', () => {
    const root = join(tmp.dir, 'loc');
    touch(root, 'train/n01/a.JPEG', 'train/n02/b.JPEG', 'val/ILSVRC2012_val_00000001.JPEG');
    touch(root, 'val/ILSVRC2012_val_00000002.JPEG', 'val/ILSVRC2012_val_00000003.JPEG');
    writeFileSync(
      join(root, 'LOC_val_solution.csv'),
      'ImageId,PredictionString\nILSVRC2012_val_00000002,n01 10 20 30 40 n01 1 2 3 4\n' +
        'ILSVRC2012_val_00000001,n02\nILSVRC2012_val_00000003,n99 1 1 2 2\n',
    );
    writeFileSync(join(root, 'val.txt'), 'ILSVRC2012_val_00000001.JPEG 0\n');
    const l = listImageFolder(root);
    expect(l.valLabels).toBe(join(root, 'LOC_val_solution.csv'));
    expect(l.splits.val.map((v) => v.label)).toEqual([1, 0, -1]);
    expect(l.splits.val[2]!.reason).toMatch(/'n99' is not a training class/);
    // An explicit ground-truth file wins.
    const caffe = listImageFolder(root, { valLabels: join(root, 'val.txt') });
    expect(caffe.splits.val.map((v) => v.label)).toEqual([0, -1, -1]);
  });

  it('reads val/<wnid>/ folders, reporting unknown and empty classes; no ground truth at all is reported per image', () => {
    const root = join(tmp.dir, 'valdirs');
    touch(root, 'train/n01/a.JPEG', 'train/n02/b.JPEG', 'val/n02/c.JPEG', 'val/n07/d.JPEG');
    mkdirSync(join(root, 'train/n03'));
    mkdirSync(join(root, 'val/n01'));
    const l = listImageFolder(root);
    expect(l.classes.map((c) => c.id)).toEqual(['n01', 'n02', 'n03']);
    expect(l.valLabels).toBe('folders');
    expect(l.splits.val).toEqual([
      { path: 'val/n02/c.JPEG', label: 1 },
      { path: 'val/n07/d.JPEG', label: -1, reason: "class 'n07' is not a training class" },
    ]);
    const kinds = l.problems.map((p) => `${p.kind} ${p.path}`);
    expect(kinds).toContain('empty-class train/n03');
    expect(kinds).toContain('empty-class val/n01');
    expect(kinds).toContain('unknown-class val/n07');

    const flat = join(tmp.dir, 'nogt');
    touch(flat, 'train/n01/a.JPEG', 'val/x.JPEG');
    const f = listImageFolder(flat);
    expect(f.valLabels).toBe('none');
    expect(f.splits.val[0]!.label).toBe(-1);
    expect(f.problems.map((p) => p.kind)).toEqual(['missing-label']);
  });
});

describe('listImageFolder: class folders', () => {
  it('lists <root>/<class>/ images case-insensitively, ignores (and reports) other files, names classes', () => {
    const root = join(tmp.dir, 'folders');
    touch(root, 'cat/1.JPG', 'cat/2.Jpeg', 'cat/notes.txt', 'cat/.DS_Store', 'dog/a.png', 'README.md');
    mkdirSync(join(root, 'emu'));
    writeFileSync(join(root, 'classes.tsv'), 'dog\tGood dog\ncat\tHouse cat\n');
    const l = listImageFolder(root);
    expect(l.layout).toBe('folders');
    expect(l.classes).toEqual([
      { id: 'cat', name: 'House cat' },
      { id: 'dog', name: 'Good dog' },
      { id: 'emu', name: 'emu' },
    ]);
    expect(l.splits.train.map((s) => s.path)).toEqual(['cat/1.JPG', 'cat/2.Jpeg', 'dog/a.png']);
    expect(l.splits.val).toEqual([]);
    const ignored = l.problems.filter((p) => p.kind === 'ignored-file').map((p) => p.path);
    expect(ignored.sort()).toEqual(['cat/.DS_Store', 'cat/notes.txt']);
    expect(l.problems.find((p) => p.kind === 'empty-class')?.path).toBe('emu');
  });

  it('valFraction holds out a stable hash-chosen part of each class', () => {
    const root = join(tmp.dir, 'holdout');
    const files = Array.from({ length: 200 }, (_, i) => `c${i % 2}/img${i}.jpg`);
    touch(root, ...files);
    const a = listImageFolder(root, { valFraction: 0.25 });
    const b = listImageFolder(root, { valFraction: 0.25 });
    expect(a.splits).toEqual(b.splits);
    expect(a.splits.train.length + a.splits.val.length).toBe(200);
    expect(a.splits.val.length).toBeGreaterThan(25);
    expect(a.splits.val.length).toBeLessThan(75);
    expect(a.valLabels).toBe('valFraction');
  });

  it('fails clearly on a missing root or a root without class folders', () => {
    expect(() => listImageFolder(join(tmp.dir, 'nope'))).toThrow(DatasetError);
    const empty = join(tmp.dir, 'flat');
    touch(empty, 'a.jpg');
    expect(() => listImageFolder(empty)).toThrow(/no class folders/);
  });
});

describe('ground-truth and synset files', () => {
  it('parses the synset spellings', () => {
    const forms = [
      'n01440764\ttench, Tinca tinca\n',
      'n01440764 tench, Tinca tinca\n',
      'n01440764 : tench, Tinca tinca\n',
      '{"0": ["n01440764", "tench,_Tinca_tinca"]}',
    ];
    for (const f of forms) expect(parseSynsetNames(f).get('n01440764'), f).toBe('tench, Tinca tinca');
    expect(() => parseCaffeValLabels('a.JPEG x')).toThrow(/expected/);
    expect(() => parseLocValSolution('ImageId,PredictionString\nnocomma')).toThrow(/expected/);
  });

  it.skipIf(!existsSync(join(sharedData, 'imagenet-meta')))(
    'the real ILSVRC-2012 metadata agrees: Caffe val labels = sorted-wnid index of LOC_val_solution',
    () => {
      const meta = join(sharedData, 'imagenet-meta');
      const names = readSynsetNames(join(meta, 'LOC_synset_mapping.txt'));
      expect(names.size).toBe(1000);
      expect(names.get('n01440764')).toBe('tench, Tinca tinca');
      const wnids = [...names.keys()].sort();
      const caffe = parseCaffeValLabels(readFileSync(join(meta, 'val_caffe_sorted_wnid_labels.txt'), 'utf8'));
      const loc = parseLocValSolution(readFileSync(join(meta, 'LOC_val_solution.csv'), 'utf8'));
      expect(caffe.size).toBe(50_000);
      expect(loc.size).toBe(50_000);
      for (const [file, label] of caffe) expect(wnids[label]).toBe(loc.get(file.replace(/\.JPEG$/, '')));
      expect(caffe.get('ILSVRC2012_val_00000001.JPEG')).toBe(65);
    },
  );
});

if (!existsSync(join(sharedData, 'imagenet-meta')))
  console.log(`[skipped] real ILSVRC-2012 metadata test: ${sharedData}/imagenet-meta is absent`);
