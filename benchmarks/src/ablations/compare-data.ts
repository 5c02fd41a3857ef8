/**
 * The data of each test-error study, opened as the trainer's DataSource:
 * - CIFAR-10: the first N official training images and the whole official test set (cifar-split.ts);
 *   the smoke uses synthetic records when CIFAR-10 is not in the user cache (CI downloads nothing).
 * - Imagenette: the imagenette2 photos (ILSVRC layout) prepared once into a record cache of 72×72
 *   records (shortest side → 72, centre crop: the paper's 256 for 224, scaled to input 63), random
 *   63×63 crops + flips + PCA lighting in training, centre crops for the test (imagenette2's val
 *   split), mean image subtracted, × 1/64 (He init, as the quick start). The smoke uses the built-in
 *   shapes at input 63.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { computeStats, openImageNetCache, prepareImageFolder } from '@alexnet/imagenet';
import { builtinShapes, type DataSource, HE_INPUT_SCALE } from 'alexnet';
import { openTrainTest, prepareCifarTrainTest } from './cifar-split.js';
import { INPUT_SCALE } from './cifar-subset.js';
import { IMAGENETTE_INPUT, IMAGENETTE_RECORD, type Study, type StudySettings } from './studies.js';
import { syntheticCifar } from './synthetic-cifar.js';

export interface CompareData {
  data: DataSource;
  facts: {
    source: string;
    trainImages: number;
    testImages: number;
    classes: number;
    preprocessing: string;
  };
}

export interface DataPaths {
  smoke: boolean;
  runsDir: string;
  /** Folder of the official CIFAR-10 binaries (fetched there when missing, except in smoke runs). */
  cifar: string;
  /** The imagenette2 folder (ILSVRC layout); required for the Imagenette study outside smoke runs. */
  imagenette: string | undefined;
  log: (line: string) => void;
}

async function cifarData(settings: StudySettings, paths: DataPaths): Promise<CompareData> {
  const real = existsSync(path.join(paths.cifar, 'data_batch_1.bin'));
  const test = paths.smoke ? 200 : 10_000;
  const binDir =
    paths.smoke && !real
      ? syntheticCifar(path.join(paths.runsDir, 'synthetic'), settings.train, paths.log, test)
      : paths.cifar;
  const split = await prepareCifarTrainTest({
    binDir,
    outDir: path.join(paths.runsDir, 'data'),
    train: settings.train,
    test,
    log: paths.log,
  });
  const data = await openTrainTest(split.cacheDir);
  return {
    data,
    facts: {
      source: `${binDir === paths.cifar ? 'CIFAR-10' : 'synthetic CIFAR-10-like records (smoke)'}: the first ${settings.train} training images (per class ${split.trainClassCounts.join('/')}); test: the official test batch, ${test} images`,
      trainImages: settings.train,
      testImages: test,
      classes: 10,
      preprocessing: `32×32, no crops, random horizontal flips in training; mean image of the training subset subtracted; × ${INPUT_SCALE}`,
    },
  };
}

async function imagenetteData(paths: DataPaths): Promise<CompareData> {
  if (paths.smoke && !paths.imagenette) {
    const data = builtinShapes({
      input: IMAGENETTE_INPUT,
      trainSize: 64,
      valSize: 32,
      scale: HE_INPUT_SCALE,
    });
    return {
      data,
      facts: {
        source: 'built-in shapes (smoke)',
        trainImages: 64,
        testImages: 32,
        classes: data.classes.length,
        preprocessing: `input ${IMAGENETTE_INPUT}, × ${HE_INPUT_SCALE}`,
      },
    };
  }
  if (!paths.imagenette)
    throw new Error(
      '--imagenette DIR is required: the imagenette2 folder in the ILSVRC layout (train/<wnid>/, val/<wnid>/)',
    );
  const cacheDir = path.join(paths.runsDir, 'data', `imagenette-${IMAGENETTE_RECORD}`);
  let last = 0;
  const report = await prepareImageFolder(
    { root: paths.imagenette, outDir: cacheDir, size: IMAGENETTE_RECORD },
    (p) => {
      const now = Date.now();
      if (now - last < 10_000) return;
      last = now;
      paths.log(
        `preparing ${paths.imagenette}: ${p.split} ${p.done}/${p.total} (${p.imagesPerSecond.toFixed(0)} img/s)`,
      );
    },
  );
  paths.log(
    `prepared ${cacheDir}: ${report.accepted} of ${report.seen} images${report.alreadyComplete ? ' (already complete)' : ''}, ${report.skipped.length} skipped`,
  );
  await computeStats(cacheDir, { workers: 0 });
  const data = await openImageNetCache(cacheDir, {
    crop: IMAGENETTE_INPUT,
    flip: true,
    lighting: true,
    mean: 'image',
    scale: HE_INPUT_SCALE,
  });
  return {
    data,
    facts: {
      source: `${paths.imagenette} (imagenette2: real ImageNet photos of 10 classes); test = its val split`,
      trainImages: data.train.size,
      testImages: data.val.size,
      classes: data.classes.length,
      preprocessing: `shortest side → ${IMAGENETTE_RECORD}, centre crop ${IMAGENETTE_RECORD}² (sharp, lanczos3); training: random ${IMAGENETTE_INPUT}² crops, flips, PCA lighting (σ 0.1); test: centre crop; mean image subtracted; × ${HE_INPUT_SCALE}`,
    },
  };
}

export async function openStudyData(
  study: Study,
  settings: StudySettings,
  paths: DataPaths,
): Promise<CompareData> {
  if (study.dataKind === 'cifar10') return cifarData(settings, paths);
  if (settings.train !== 0 && !paths.smoke)
    throw new Error(
      '--train is not supported for the Imagenette study: it trains on all of imagenette2/train',
    );
  return imagenetteData(paths);
}
