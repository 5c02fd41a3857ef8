/**
 * The test-error ablations as data: which variants are compared, on which data, with which recipe.
 * Each study compares the paper's choice (first variant) with the ablated one, everything else equal:
 * same data, epochs, batch, rates, and per seed the same data order and initial weights.
 *
 * - pooling-cifar (§3.4): the CIFAR-10 net with overlapping 3×3/2 pooling (pad 1) vs 2×2/2 — both
 *   give 32 → 16 → 8 → 4, so the fc layer and every parameter shape agree.
 * - lrn-cifar (§3.3): the same net (3×3/2 pooling, pad 1) with LRN after act1/act2 vs without.
 * - pooling-imagenette (§3.4): the paper's AlexNet (two towers, input 63) with z=3,s=2 vs z=2,s=2 —
 *   both give 15 → 7 → 3 → 1 at input 63 (as 55 → 27 → 13 → 6 at 224).
 */
import type { LearningRateSchedule, Net } from '@alexnet/layers';
import { ConstantSchedule, StepSchedule, WarmupSchedule } from '@alexnet/layers';
import type { Device } from '@alexnet/tensor';
import { createAlexNet } from 'alexnet';
import { type CifarLrn, type CifarPool, createCifarNet } from './cifar-net.js';
import { INPUT_SCALE } from './cifar-subset.js';

export const STUDY_IDS = ['pooling-cifar', 'lrn-cifar', 'pooling-imagenette'] as const;
export type StudyId = (typeof STUDY_IDS)[number];

/** Everything that defines a study's runs (saved in the runs folder; other settings are refused). */
export interface StudySettings {
  /** Training images (CIFAR: the first N of the official batches; Imagenette: all when 0). */
  train: number;
  epochs: number;
  batch: number;
  lr: number;
  /** The rate is divided by 10 at these epochs (the paper's ÷10, at fixed points). */
  lrDrops: number[];
  /** Linear warm-up steps (0: none). */
  warmup: number;
  momentum: number;
  weightDecay: number;
  seeds: number;
}

export interface Variant {
  name: string;
  label: string;
}

export interface Study {
  id: StudyId;
  title: string;
  /** The paper's claim, quoted. */
  claim: string;
  /** What the network is, for the results. */
  network: string;
  /** [the paper's choice, the ablation]. */
  variants: readonly [Variant, Variant];
  dataKind: 'cifar10' | 'imagenette';
  settings: StudySettings;
  smoke: StudySettings;
  build(device: Device, variant: string, seed: number, classes: number): Net;
}

export function scheduleFor(s: StudySettings, stepsPerEpoch: number): LearningRateSchedule {
  const step =
    s.lrDrops.length === 0
      ? new ConstantSchedule(s.lr)
      : new StepSchedule({ base: s.lr, milestones: s.lrDrops, gamma: 0.1, unit: 'epoch' });
  return s.warmup > 0 ? new WarmupSchedule(step, Math.min(s.warmup, stepsPerEpoch * s.epochs)) : step;
}

/** The CIFAR net's overlapping pooling with padding so that its sizes equal 2×2/2's (cuda-convnet's 16 → 8 → 4). */
export const OVERLAPPING_POOL: CifarPool = Object.freeze({ size: 3, stride: 2, pad: 1 });
export const NON_OVERLAPPING_POOL: CifarPool = Object.freeze({ size: 2, stride: 2, pad: 0 });

/**
 * The paper's LRN (n = 5, k = 2, β = 0.75) with α = 1e-4 given for activations in the paper's units
 * (inputs in 0–255 pixel units). The CIFAR nets see inputs × 1/64, and ReLU nets are positively
 * homogeneous, so their activations are 1/64 of the paper's: α = 1e-4 · 64² keeps α Σ a² the same.
 */
export const CIFAR_LRN: CifarLrn = Object.freeze({
  size: 5,
  alpha: 1e-4 / (INPUT_SCALE * INPUT_SCALE),
  beta: 0.75,
  k: 2,
});

const CIFAR_SETTINGS: StudySettings = {
  train: 10_000,
  epochs: 10,
  batch: 32,
  lr: 0.003,
  lrDrops: [8],
  warmup: 0,
  momentum: 0.9,
  weightDecay: 0.0005,
  seeds: 3,
};
const CIFAR_SMOKE: StudySettings = { ...CIFAR_SETTINGS, train: 320, epochs: 1, lrDrops: [], seeds: 1 };

const CIFAR_NET =
  'conv 5×5 32 pad 2 → ReLU → [LRN] → maxpool → conv 5×5 32 pad 2 → ReLU → [LRN] → maxpool → conv 5×5 64 pad 2 → ReLU → maxpool → fc 10; init N(0, 1/fan-in), biases 0';

export const STUDIES: Readonly<Record<StudyId, Study>> = {
  'pooling-cifar': {
    id: 'pooling-cifar',
    title: 'Overlapping pooling on CIFAR-10 (§3.4)',
    claim:
      'Overlapping pooling (z = 3, s = 2) reduces the error rates compared with z = s = 2; models with overlapping pooling are slightly more difficult to overfit.',
    network: `${CIFAR_NET}; no LRN; pooling 3×3/2 pad 1 or 2×2/2 (both 32 → 16 → 8 → 4)`,
    variants: [
      { name: 'overlap', label: 'overlapping 3×3/2' },
      { name: 'nonoverlap', label: 'non-overlapping 2×2/2' },
    ],
    dataKind: 'cifar10',
    settings: CIFAR_SETTINGS,
    smoke: CIFAR_SMOKE,
    build: (device, variant, seed) =>
      createCifarNet(device, {
        activation: 'relu',
        seed,
        pool: variant === 'overlap' ? OVERLAPPING_POOL : NON_OVERLAPPING_POOL,
      }),
  },
  'lrn-cifar': {
    id: 'lrn-cifar',
    title: 'Local response normalisation on CIFAR-10 (§3.3)',
    claim:
      'On CIFAR-10, a four-layer CNN achieved a 13% test error rate without normalization and 11% with normalization.',
    network: `${CIFAR_NET}; pooling 3×3/2 pad 1; LRN n = 5, k = 2, β = 0.75, α = 1e-4 in the paper's units (${CIFAR_LRN.alpha} here, see studies.ts) after act1 and act2, or none`,
    variants: [
      { name: 'lrn', label: 'with LRN' },
      { name: 'nolrn', label: 'without LRN' },
    ],
    dataKind: 'cifar10',
    settings: CIFAR_SETTINGS,
    smoke: CIFAR_SMOKE,
    build: (device, variant, seed) =>
      createCifarNet(device, {
        activation: 'relu',
        seed,
        pool: OVERLAPPING_POOL,
        lrn: variant === 'lrn' ? CIFAR_LRN : null,
      }),
  },
  'pooling-imagenette': {
    id: 'pooling-imagenette',
    title: 'Overlapping pooling on Imagenette (§3.4, AlexNet)',
    claim:
      'Overlapping pooling (z = 3, s = 2) reduces the top-1 and top-5 error rates by 0.4% and 0.3% compared with z = s = 2, which produces output of equivalent dimensions.',
    network:
      "the paper's AlexNet (two towers, LRN, dropout 0.5) at input 63 (crops of 72×72 records), He init with inputs × 1/64 (as the quick start); pooling 3×3/2 or 2×2/2",
    variants: [
      { name: 'overlap', label: 'overlapping z=3, s=2' },
      { name: 'nonoverlap', label: 'non-overlapping z=2, s=2' },
    ],
    dataKind: 'imagenette',
    settings: {
      train: 0,
      epochs: 6,
      batch: 32,
      lr: 0.003,
      lrDrops: [5],
      warmup: 30,
      momentum: 0.9,
      weightDecay: 0.0005,
      seeds: 3,
    },
    smoke: {
      train: 64,
      epochs: 1,
      batch: 16,
      lr: 0.003,
      lrDrops: [],
      warmup: 2,
      momentum: 0.9,
      weightDecay: 0.0005,
      seeds: 1,
    },
    build: (device, variant, seed, classes) =>
      createAlexNet(
        {
          input: IMAGENETTE_INPUT,
          classes,
          seed,
          pooling: variant === 'overlap' ? { size: 3, stride: 2 } : { size: 2, stride: 2 },
        },
        { devices: device, init: 'he' },
      ),
  },
};

/** AlexNet's input in the Imagenette study and the side of the cached records it is cropped from (224:256). */
export const IMAGENETTE_INPUT = 63;
export const IMAGENETTE_RECORD = 72;
