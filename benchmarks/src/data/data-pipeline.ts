/**
 * node dist/data/data-pipeline.js [--smoke | --full] [--images N] [--repeats R] [--data DIR]
 *                                 [--generate] [--loader-batches K] [--out DIR] [--keep]
 *
 * The data pipeline of @alexnet/imagenet, measured in one run on the same files:
 *
 * 1. Preparation: images/s of `prepareImageFolder` (decode, shortest side → 256, centre crop, write
 *    the records with their sha256 and progress markers) against sharp alone doing the same decode
 *    and resize into memory with the same number of decodes in flight, and against prepare's own
 *    decode (`decodeImage`) without the writing. The three alternate (the order rotates every
 *    repetition) so that the shared machine's noise hits them alike; the ratio is taken within each
 *    repetition.
 * 2. The loader: `openImageNetCache` on the cache just prepared, batches of 128 crops of 224 in
 *    'train' mode (random crop, flip, PCA lighting, mean image) with 0, 1 and 2 worker threads and
 *    in 'center' mode, against the rate the fastest training backend consumes images (from
 *    results/end-to-end.json), and the CPU the loader would take from training at that rate.
 *
 * Writes DIR/data-pipeline.{json,svg} (default results/, or results/smoke/ with --smoke). Images:
 * N (default 1000; smoke 48) spread evenly over ../shared/data/imagenette2's train split, every
 * train and val image with --full, or N generated JPEGs when that folder is absent (or --generate).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  type CropMode,
  computeStats,
  DEFAULT_DECODE,
  openImageNetCache,
  prepareImageFolder,
} from '@alexnet/imagenet';
import sharp from 'sharp';
import { renderSvg } from '../chart.js';
import { type MachineFacts, machineFacts } from '../machine.js';
import { runIfMain } from '../run-main.js';
import {
  decodeOnly,
  generateSubset,
  type ImageSubset,
  linkSubset,
  type MeterReading,
  rotate,
  runPool,
  type Summary,
  sharpAlone,
  startMeter,
  summarize,
  warmPageCache,
  writeRecordsOnly,
} from './measure.js';
import { dataChartSpec, dataMarkdown } from './report.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const packageRoot = path.resolve(here, '..', '..');
/** ../shared/data/imagenette2 beside the repository (src/data or dist/data → 4 levels up). */
export const DEFAULT_DATA = path.resolve(here, '..', '..', '..', '..', 'shared', 'data', 'imagenette2');

export type DataMode = 'smoke' | 'default' | 'full';

export interface DataPipelineOptions {
  mode: DataMode;
  /** Images to prepare (undefined with 'full': every train and val image). */
  images: number | undefined;
  /** Repetitions of each preparation measurement and of each loader configuration. */
  repeats: number;
  /** Dataset root (ILSVRC layout); generated images when it has no train/ folder. */
  dataRoot: string;
  /** Use generated images even when the dataset exists. */
  generate: boolean;
  outDir: string;
  batchSize: number;
  /** Timed batches per loader measurement (after one untimed batch). */
  loaderBatches: number;
  /** results/end-to-end.json: where the training consumption rate comes from. */
  trainingResults: string;
  /** Keep the temporary folder (images, cache) and print where it is. */
  keep?: boolean;
  log?: (line: string) => void;
}

export type PrepVariant = 'prepare' | 'decodeImage' | 'sharp';

export const PREP_VARIANTS: readonly PrepVariant[] = ['prepare', 'decodeImage', 'sharp'];

export const PREP_DESCRIPTIONS: Record<PrepVariant, string> = {
  prepare:
    'prepareImageFolder (folders layout, defaults): list the folder, decode each image with decodeImage on the main thread (sharp on libuv threads), write the records in listing order with their sha256, fsync + progress marker every 256 records, then the metadata and index.json',
  decodeImage:
    "prepare's decode alone: decodeImage(file, DEFAULT_DECODE) = sharp(file, { failOn: 'truncated' }).autoOrient().flatten(white).resize(256, 256, { fit: 'cover', kernel: 'lanczos3' }).toColourspace('srgb').raw().toBuffer(), same decodes in flight, nothing written",
  sharp:
    "sharp alone: sharp(file).resize(256, 256, { fit: 'cover' }).removeAlpha().raw().toBuffer() (sharp's defaults: lanczos3, failOn 'warning'), same decodes in flight, nothing written",
};

export interface PrepRun extends MeterReading {
  repeat: number;
  /** Position in this repetition's order (0 = first). */
  position: number;
  variant: PrepVariant;
  images: number;
  /** Images that became records (prepare) or decoded to 256×256×3 bytes (baselines). */
  ok: number;
  imagesPerSecond: number;
  cpuMsPerImage: number;
}

export interface LoaderConfig {
  mode: CropMode;
  workers: number;
}

export interface LoaderRun extends MeterReading {
  repeat: number;
  position: number;
  mode: CropMode;
  workers: number;
  prefetch: number;
  batches: number;
  images: number;
  openSeconds: number;
  batchesPerSecond: number;
  imagesPerSecond: number;
  /** CPU of the whole process (main thread and workers) per image served. */
  cpuMsPerImage: number;
}

export interface TrainingRate {
  imagesPerSecond: number;
  batch: number;
  /** What produced it ("native, two-devices, training, batch 128"). */
  what: string;
  /** Where the number came from. */
  source: string;
  date: string | null;
}

export interface LoaderSummary {
  mode: CropMode;
  workers: number;
  imagesPerSecond: Summary;
  batchesPerSecond: Summary;
  cpuMsPerImage: Summary;
  othersCores: Summary;
  /** loader images/s ÷ training images/s (median). */
  timesTrainingRate: number | null;
  /** Cores the loader keeps busy while feeding training at its rate (cpuMsPerImage × rate). */
  coresAtTrainingRate: number | null;
  /** The same as a share of the machine's cores. */
  shareOfMachineAtTrainingRate: number | null;
}

export interface DataPipelineResult {
  benchmark: 'data-pipeline';
  schemaVersion: 1;
  mode: DataMode;
  machine: MachineFacts;
  settings: {
    images: number;
    repeats: number;
    size: number;
    decode: typeof DEFAULT_DECODE;
    uvThreadPoolSize: number;
    /** prepare's defaults: concurrency = 2 × libuv threads, window = 2 × concurrency decodes in flight. */
    prepareConcurrency: number;
    decodesInFlight: number;
    batchSize: number;
    crop: number;
    loaderBatches: number;
    loaderOptions: string;
  };
  sharp: { version: string; vips: string; concurrency: number; simd: boolean };
  dataset: Omit<ImageSubset, 'root' | 'files'> & { images: number; setupSeconds: number };
  preparation: {
    variants: Record<PrepVariant, string>;
    runs: PrepRun[];
    summary: Record<PrepVariant, { imagesPerSecond: Summary; cpuMsPerImage: Summary; othersCores: Summary }>;
    /** prepare images/s ÷ sharp-alone images/s, per repetition (adjacent measurements). */
    prepareOverSharp: Summary;
    prepareOverDecodeImage: Summary;
    decodeImageOverSharp: Summary;
    /**
     * The same ratio in images per CPU-second (sharp's CPU ms/image ÷ prepare's), per repetition:
     * what the wall-time ratio would be on a machine with nothing else running, as long as both
     * are CPU-bound; less sensitive to other processes' load than the wall-time ratio.
     */
    prepareOverSharpByCpu: Summary;
    /**
     * prepare's writing alone (no decoding), after each repetition: the records with their sha256,
     * fdatasync + progress marker every 256 records, a final fdatasync. ms per image, and its share
     * of the same repetition's prepare wall time.
     */
    writeOnly: {
      runs: (MeterReading & { repeat: number; msPerImage: number })[];
      msPerImage: Summary;
      shareOfPrepare: Summary;
    };
    /** The issue's target: preparation within 10% of sharp's own decode + resize speed. */
    target: { ratio: number; met: boolean };
  };
  loader: {
    statsSeconds: number;
    records: number;
    runs: LoaderRun[];
    summary: LoaderSummary[];
  };
  training: TrainingRate;
  /** os.loadavg() (1, 5, 15 min) at the start and at the end: how busy the shared machine was. */
  loadAverage: { before: number[]; after: number[] };
  totalWallSeconds: number;
}

/** The fastest training rate at `batch` in results/end-to-end.json (native layouts and peers). */
export function readTrainingRate(file: string, batch = 128): TrainingRate {
  // Used only when the file (or a training entry at this batch) is missing: the number the README
  // reports for the end-to-end run of 2026-12-01 (native, two devices, batch 128).
  const fallback = (why: string): TrainingRate => ({
    imagesPerSecond: 7.83,
    batch: 128,
    what: 'native, two-devices, training, batch 128',
    source: `benchmarks/README.md, end-to-end run of 2026-12-01 (${why})`,
    date: '2026-12-01',
  });
  if (!existsSync(file)) return fallback(`${file} not found`);
  interface Entry {
    impl?: string;
    peer?: string;
    layout?: string;
    phase?: string;
    batch?: number;
    status?: string;
    imagesPerSecond?: number | null;
  }
  const json = JSON.parse(readFileSync(file, 'utf8')) as {
    native?: Entry[];
    peers?: Entry[];
    machine?: { date?: string };
  };
  let best: TrainingRate | undefined;
  for (const e of [...(json.native ?? []), ...(json.peers ?? [])]) {
    if (e.phase !== 'training' || e.batch !== batch || e.status !== 'ok' || !e.imagesPerSecond) continue;
    if (best && best.imagesPerSecond >= e.imagesPerSecond) continue;
    best = {
      imagesPerSecond: e.imagesPerSecond,
      batch,
      what: `${e.impl ?? e.peer ?? '?'}${e.layout ? `, ${e.layout}` : ''}, training, batch ${batch}`,
      source: `${path.relative(packageRoot, file) || file} (fastest training entry at batch ${batch})`,
      date: json.machine?.date ?? null,
    };
  }
  return best ?? fallback(`no training entry at batch ${batch} in ${file}`);
}

function uvThreadPoolSize(): number {
  const n = Number(process.env.UV_THREADPOOL_SIZE);
  return Number.isInteger(n) && n > 0 ? Math.min(n, 1024) : 4;
}

const LOADER_CONFIGS: readonly LoaderConfig[] = [
  { mode: 'train', workers: 0 },
  { mode: 'train', workers: 1 },
  { mode: 'train', workers: 2 },
  { mode: 'center', workers: 0 },
  { mode: 'center', workers: 1 },
];

export async function runDataPipeline(options: DataPipelineOptions): Promise<DataPipelineResult> {
  const started = performance.now();
  const log = options.log ?? ((line: string) => console.log(line));
  const machine = machineFacts();
  const loadBefore = os.loadavg();
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'alexnet-data-bench-'));
  try {
    // The images.
    const setup = performance.now();
    const imagesDir = path.join(tmp, 'images');
    const real = !options.generate && existsSync(path.join(options.dataRoot, 'train'));
    if (!real)
      log(
        options.generate
          ? 'generating images (--generate)'
          : `${options.dataRoot} not found: generating images instead of real photos`,
      );
    const subset = real
      ? await linkSubset(options.dataRoot, imagesDir, options.images)
      : await generateSubset(imagesDir, options.images ?? 1000);
    const files = subset.files;
    warmPageCache(files);
    const setupSeconds = (performance.now() - setup) / 1000;
    log(`${files.length} images: ${subset.source} (${(subset.totalBytes / 2 ** 20).toFixed(1)} MiB)`);

    // 1. Preparation vs sharp alone, alternating.
    const size = DEFAULT_DECODE.size;
    const recordBytes = size * size * 3;
    const uv = uvThreadPoolSize();
    const prepareConcurrency = 2 * uv; // prepare's default `concurrency`
    const inFlight = 2 * prepareConcurrency; // prepare keeps 2 × concurrency decodes in flight
    const measurePrep = async (
      variant: PrepVariant,
      outDir: string,
    ): Promise<MeterReading & { ok: number }> => {
      const m = startMeter();
      let ok: number;
      if (variant === 'prepare') {
        const report = await prepareImageFolder({ root: subset.root, outDir, layout: 'folders' });
        ok = report.accepted;
      } else if (variant === 'decodeImage') {
        ok = await runPool(files, inFlight, (f) => decodeOnly(f, DEFAULT_DECODE), recordBytes);
      } else {
        ok = await runPool(files, inFlight, (f) => sharpAlone(f, size), recordBytes);
      }
      return { ...m.stop(), ok };
    };
    // Warm-up: each side once on a few images (module loading, sharp's first calls), untimed.
    const warmFiles = files.slice(0, Math.min(16, files.length));
    await prepareImageFolder({
      root: subset.root,
      outDir: path.join(tmp, 'warm'),
      layout: 'folders',
      limit: warmFiles.length,
    });
    rmSync(path.join(tmp, 'warm'), { recursive: true, force: true });
    await runPool(warmFiles, inFlight, (f) => decodeOnly(f, DEFAULT_DECODE), recordBytes);
    await runPool(warmFiles, inFlight, (f) => sharpAlone(f, size), recordBytes);

    const cacheDir = path.join(tmp, 'cache');
    const prepRuns: PrepRun[] = [];
    const writeRuns: DataPipelineResult['preparation']['writeOnly']['runs'] = [];
    for (let r = 0; r < options.repeats; r++) {
      const order = rotate(PREP_VARIANTS, r);
      for (const [position, variant] of order.entries()) {
        const outDir = path.join(tmp, `prepare-${r}`);
        const reading = await measurePrep(variant, outDir);
        if (variant === 'prepare') {
          if (existsSync(cacheDir)) rmSync(outDir, { recursive: true, force: true });
          else renameSync(outDir, cacheDir); // the first cache is kept for the loader
        }
        const run: PrepRun = {
          repeat: r,
          position,
          variant,
          images: files.length,
          ...reading,
          imagesPerSecond: files.length / reading.wallSeconds,
          cpuMsPerImage: (reading.cpuSeconds * 1000) / files.length,
        };
        prepRuns.push(run);
        log(
          `prepare r${r} ${variant.padEnd(11)} ${run.imagesPerSecond.toFixed(1).padStart(7)} images/s  ` +
            `CPU/wall ${run.cpuOverWall.toFixed(2)}  others ${run.othersCores.toFixed(2)} cores  ok ${run.ok}/${run.images}`,
        );
      }
      const wm = startMeter();
      writeRecordsOnly(path.join(tmp, 'write-only'), files.length, recordBytes);
      const w = wm.stop();
      writeRuns.push({ repeat: r, ...w, msPerImage: (w.wallSeconds * 1000) / files.length });
      log(`prepare r${r} write only  ${((w.wallSeconds * 1000) / files.length).toFixed(2)} ms/image`);
    }
    const prepSummary = {} as DataPipelineResult['preparation']['summary'];
    for (const v of PREP_VARIANTS) {
      const runs = prepRuns.filter((p) => p.variant === v);
      prepSummary[v] = {
        imagesPerSecond: summarize(runs.map((p) => p.imagesPerSecond)),
        cpuMsPerImage: summarize(runs.map((p) => p.cpuMsPerImage)),
        othersCores: summarize(runs.map((p) => p.othersCores)),
      };
    }
    const ratio = (a: PrepVariant, b: PrepVariant): Summary =>
      summarize(
        Array.from({ length: options.repeats }, (_, r) => {
          const ips = (v: PrepVariant) =>
            prepRuns.find((p) => p.repeat === r && p.variant === v)!.imagesPerSecond;
          return ips(a) / ips(b);
        }),
      );
    const prepareOverSharp = ratio('prepare', 'sharp');
    const prepareOverSharpByCpu = summarize(
      Array.from({ length: options.repeats }, (_, r) => {
        const cpu = (v: PrepVariant) =>
          prepRuns.find((p) => p.repeat === r && p.variant === v)!.cpuMsPerImage;
        return cpu('sharp') / cpu('prepare');
      }),
    );

    // 2. The loader on the prepared cache.
    const statsMeter = startMeter();
    await computeStats(cacheDir);
    const statsSeconds = statsMeter.stop().wallSeconds;
    const training = readTrainingRate(options.trainingResults, 128);
    const crop = 224;
    const loaderRuns: LoaderRun[] = [];
    let records = 0;
    for (let r = 0; r < options.repeats; r++) {
      for (const [position, config] of rotate(LOADER_CONFIGS, r).entries()) {
        const opened = performance.now();
        const source = await openImageNetCache(cacheDir, { crop, workers: config.workers });
        const openSeconds = (performance.now() - opened) / 1000;
        records = source.train.size;
        const request = { batchSize: options.batchSize, mode: config.mode, seed: 1 };
        // One untimed batch: starts the workers and reads the mean image once.
        for await (const _ of source.train.batches({ ...request, seed: 9, epoch: 99 })) break;
        const m = startMeter();
        let batches = 0;
        let images = 0;
        let check = 0;
        for (let epoch = 0; batches < options.loaderBatches; epoch++) {
          for await (const b of source.train.batches({ ...request, epoch })) {
            batches++;
            images += b.count;
            check += b.images[b.images.length - 1]!;
            if (batches >= options.loaderBatches) break;
          }
        }
        const reading = m.stop();
        await source.close();
        if (!Number.isFinite(check)) throw new Error(`loader produced a non-finite value (${config.mode})`);
        const run: LoaderRun = {
          repeat: r,
          position,
          mode: config.mode,
          workers: config.workers,
          prefetch: Math.max(2, 2 * config.workers),
          batches,
          images,
          openSeconds,
          ...reading,
          batchesPerSecond: batches / reading.wallSeconds,
          imagesPerSecond: images / reading.wallSeconds,
          cpuMsPerImage: (reading.cpuSeconds * 1000) / images,
        };
        loaderRuns.push(run);
        log(
          `loader  r${r} ${config.mode.padEnd(6)} workers ${config.workers}  ${run.imagesPerSecond.toFixed(0).padStart(5)} images/s  ` +
            `${run.cpuMsPerImage.toFixed(2)} CPU ms/image  others ${run.othersCores.toFixed(2)} cores`,
        );
      }
    }
    const cores = machine.availableParallelism;
    const loaderSummary: LoaderSummary[] = LOADER_CONFIGS.map((c) => {
      const runs = loaderRuns.filter((l) => l.mode === c.mode && l.workers === c.workers);
      const ips = summarize(runs.map((l) => l.imagesPerSecond));
      const cpu = summarize(runs.map((l) => l.cpuMsPerImage));
      const coresAt = c.mode === 'train' ? (training.imagesPerSecond * cpu.median) / 1000 : null;
      return {
        ...c,
        imagesPerSecond: ips,
        batchesPerSecond: summarize(runs.map((l) => l.batchesPerSecond)),
        cpuMsPerImage: cpu,
        othersCores: summarize(runs.map((l) => l.othersCores)),
        timesTrainingRate: ips.median / training.imagesPerSecond,
        coresAtTrainingRate: coresAt,
        shareOfMachineAtTrainingRate: coresAt === null ? null : coresAt / cores,
      };
    });

    const result: DataPipelineResult = {
      benchmark: 'data-pipeline',
      schemaVersion: 1,
      mode: options.mode,
      machine,
      settings: {
        images: files.length,
        repeats: options.repeats,
        size,
        decode: DEFAULT_DECODE,
        uvThreadPoolSize: uv,
        prepareConcurrency,
        decodesInFlight: inFlight,
        batchSize: options.batchSize,
        crop,
        loaderBatches: options.loaderBatches,
        loaderOptions:
          "openImageNetCache(cache, { crop: 224, workers }) with its defaults: lighting true (the cache's RGB PCA), mean 'image', flip, prefetch max(2, 2 × workers); 'center' mode on the same (train) records",
      },
      sharp: {
        version: sharp.versions.sharp,
        vips: sharp.versions.vips,
        concurrency: sharp.concurrency(),
        simd: sharp.simd(),
      },
      dataset: {
        source: subset.source,
        generated: subset.generated,
        classes: subset.classes,
        totalBytes: subset.totalBytes,
        sizes: subset.sizes,
        images: files.length,
        setupSeconds,
      },
      preparation: {
        variants: PREP_DESCRIPTIONS,
        runs: prepRuns,
        summary: prepSummary,
        prepareOverSharp,
        prepareOverDecodeImage: ratio('prepare', 'decodeImage'),
        decodeImageOverSharp: ratio('decodeImage', 'sharp'),
        prepareOverSharpByCpu,
        writeOnly: {
          runs: writeRuns,
          msPerImage: summarize(writeRuns.map((w) => w.msPerImage)),
          shareOfPrepare: summarize(
            writeRuns.map(
              (w) =>
                w.wallSeconds /
                prepRuns.find((p) => p.repeat === w.repeat && p.variant === 'prepare')!.wallSeconds,
            ),
          ),
        },
        target: { ratio: 0.9, met: prepareOverSharp.median >= 0.9 },
      },
      loader: { statsSeconds, records, runs: loaderRuns, summary: loaderSummary },
      training,
      loadAverage: { before: loadBefore, after: os.loadavg() },
      totalWallSeconds: 0,
    };
    result.totalWallSeconds = (performance.now() - started) / 1000;
    mkdirSync(options.outDir, { recursive: true });
    writeFileSync(path.join(options.outDir, 'data-pipeline.json'), `${JSON.stringify(result, null, 2)}\n`);
    writeFileSync(path.join(options.outDir, 'data-pipeline.svg'), await renderSvg(dataChartSpec(result)));
    return result;
  } finally {
    if (options.keep) log(`kept ${tmp}`);
    else rmSync(tmp, { recursive: true, force: true });
  }
}

export function parseCli(argv: string[]): DataPipelineOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      smoke: { type: 'boolean', default: false },
      full: { type: 'boolean', default: false },
      images: { type: 'string' },
      repeats: { type: 'string' },
      data: { type: 'string' },
      generate: { type: 'boolean', default: false },
      'loader-batches': { type: 'string' },
      out: { type: 'string' },
      keep: { type: 'boolean', default: false },
    },
  });
  if (values.smoke && values.full) throw new Error('--smoke and --full exclude each other');
  const mode: DataMode = values.smoke ? 'smoke' : values.full ? 'full' : 'default';
  const int = (name: string, v: string | undefined, fallback: number | undefined): number | undefined => {
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got '${v}'`);
    return n;
  };
  const images = int('images', values.images, mode === 'smoke' ? 48 : mode === 'full' ? undefined : 1000);
  return {
    mode,
    images,
    repeats: int('repeats', values.repeats, mode === 'smoke' ? 1 : mode === 'full' ? 2 : 9)!,
    dataRoot: path.resolve(values.data ?? DEFAULT_DATA),
    generate: values.generate ?? false,
    outDir: path.resolve(
      values.out ?? path.join(packageRoot, 'results', ...(mode === 'smoke' ? ['smoke'] : [])),
    ),
    batchSize: mode === 'smoke' ? 16 : 128,
    loaderBatches: int('loader-batches', values['loader-batches'], mode === 'smoke' ? 3 : 12)!,
    trainingResults: path.join(packageRoot, 'results', 'end-to-end.json'),
    keep: values.keep ?? false,
  };
}

async function main(): Promise<void> {
  const options = parseCli(process.argv.slice(2));
  const result = await runDataPipeline(options);
  console.log('');
  console.log(dataMarkdown(result));
  console.log('');
  console.log(
    `wrote ${path.join(options.outDir, 'data-pipeline.json')} and .svg (${result.totalWallSeconds.toFixed(0)} s)`,
  );
}

runIfMain(import.meta.url, main);
