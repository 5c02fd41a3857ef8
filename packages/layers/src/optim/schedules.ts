/**
 * Learning-rate schedules. Each is a small object whose whole state is plain JSON (`state()` /
 * `loadState()`), so a checkpoint can store it and a resumed run continues exactly.
 */
import { ArgumentError } from '@alexnet/tensor';
import { intConfig, numberConfig } from '../layer.js';

/** Where training is: optimiser steps taken and the current epoch (both from 0). */
export interface Progress {
  iteration: number;
  epoch: number;
}

export type ScheduleState =
  | { type: 'constant'; lr: number }
  | {
      type: 'step';
      base: number;
      gamma: number;
      every: number | null;
      milestones: number[] | null;
      unit: 'epoch' | 'iteration';
    }
  | {
      type: 'plateau';
      base: number;
      factor: number;
      patience: number;
      maxDecays: number;
      threshold: number;
      decays: number;
      /** Best validation error so far (null before the first). */
      best: number | null;
      /** Validation checks since the last improvement. */
      bad: number;
    }
  | { type: 'warmup'; steps: number; inner: ScheduleState };

export interface LearningRateSchedule {
  readonly type: ScheduleState['type'];
  /** The learning rate for the next step. */
  rate(progress: Progress): number;
  /**
   * Reports a validation error (after an epoch). Returns true when the rate changed. Schedules that
   * do not react to validation ignore it.
   */
  observe(validationError: number): boolean;
  state(): ScheduleState;
  loadState(state: ScheduleState): void;
}

function checkType(expected: string, state: ScheduleState): void {
  if (!state || state.type !== expected) {
    throw new ArgumentError(
      `loadState: a '${expected}' schedule cannot load state of type '${String(state?.type)}'`,
    );
  }
}

function checkError(value: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new ArgumentError(`observe: validation error must be a finite number, got ${String(value)}`);
  }
}

/** One learning rate throughout. */
export class ConstantSchedule implements LearningRateSchedule {
  readonly type = 'constant';
  private lr: number;

  constructor(lr: number) {
    this.lr = numberConfig('ConstantSchedule', 'lr', lr, 0);
  }

  rate(): number {
    return this.lr;
  }

  observe(validationError: number): boolean {
    checkError(validationError);
    return false;
  }

  state(): ScheduleState {
    return { type: 'constant', lr: this.lr };
  }

  loadState(state: ScheduleState): void {
    checkType('constant', state);
    this.lr = numberConfig('ConstantSchedule', 'lr', (state as { lr: number }).lr, 0);
  }
}

export interface StepScheduleOptions {
  /** Initial learning rate (paper: 0.01). */
  base: number;
  /** Factor applied at each step (default 0.1, i.e. ÷10). */
  gamma?: number;
  /** Multiply by gamma every this many units… */
  every?: number;
  /** …or at each of these (increasing) points. */
  milestones?: readonly number[];
  /** What `every`/`milestones` count: epochs (default) or iterations. */
  unit?: 'epoch' | 'iteration';
}

/** base · gamma^k, k = the number of steps passed (every N epochs/iterations, or at milestones). */
export class StepSchedule implements LearningRateSchedule {
  readonly type = 'step';
  private s: Extract<ScheduleState, { type: 'step' }>;

  constructor(options: StepScheduleOptions) {
    this.s = StepSchedule.check({
      type: 'step',
      base: options.base,
      gamma: options.gamma ?? 0.1,
      every: options.every ?? null,
      milestones: options.milestones ? [...options.milestones] : null,
      unit: options.unit ?? 'epoch',
    });
  }

  private static check(
    s: Extract<ScheduleState, { type: 'step' }>,
  ): Extract<ScheduleState, { type: 'step' }> {
    const label = 'StepSchedule';
    numberConfig(label, 'base', s.base, 0);
    numberConfig(label, 'gamma', s.gamma, 0);
    if (s.unit !== 'epoch' && s.unit !== 'iteration') {
      throw new ArgumentError(`${label}: unit must be 'epoch' or 'iteration', got '${String(s.unit)}'`);
    }
    if ((s.every === null) === (s.milestones === null)) {
      throw new ArgumentError(`${label}: give exactly one of every and milestones`);
    }
    if (s.every !== null) intConfig(label, 'every', s.every, 1);
    if (s.milestones !== null) {
      if (!Array.isArray(s.milestones)) throw new ArgumentError(`${label}: milestones must be an array`);
      s.milestones.forEach((m, i) => {
        intConfig(label, `milestones[${i}]`, m, 0);
        if (i > 0 && m <= s.milestones![i - 1]!) {
          throw new ArgumentError(`${label}: milestones must increase, got ${s.milestones!.join(', ')}`);
        }
      });
    }
    return { ...s, milestones: s.milestones ? [...s.milestones] : null };
  }

  rate(progress: Progress): number {
    const t = this.s.unit === 'epoch' ? progress.epoch : progress.iteration;
    const k =
      this.s.every !== null ? Math.floor(t / this.s.every) : this.s.milestones!.filter((m) => t >= m).length;
    return this.s.base * this.s.gamma ** k;
  }

  observe(validationError: number): boolean {
    checkError(validationError);
    return false;
  }

  state(): ScheduleState {
    return { ...this.s, milestones: this.s.milestones ? [...this.s.milestones] : null };
  }

  loadState(state: ScheduleState): void {
    checkType('step', state);
    this.s = StepSchedule.check(state as Extract<ScheduleState, { type: 'step' }>);
  }
}

export interface PlateauScheduleOptions {
  /** Initial learning rate (paper: 0.01). */
  base?: number;
  /** Factor applied on a plateau (default 0.1: the paper's ÷10). */
  factor?: number;
  /** Validation checks without improvement before decaying (default 2). */
  patience?: number;
  /** At most this many decays (default 3: the paper's 0.01 → 0.00001). */
  maxDecays?: number;
  /** An error counts as an improvement only when below best − threshold (default 0). */
  threshold?: number;
}

/**
 * The paper's schedule (§5): "divide the learning rate by 10 when the validation error rate stopped
 * improving with the current learning rate … reduced three times prior to termination". After
 * `patience` validation checks without a new best error the rate is multiplied by `factor`, at most
 * `maxDecays` times; the best error is kept across decays. `exhausted` tells a trainer that the
 * last rate has stopped improving too (the paper stopped there).
 */
export class PlateauSchedule implements LearningRateSchedule {
  readonly type = 'plateau';
  private s: Extract<ScheduleState, { type: 'plateau' }>;

  constructor(options: PlateauScheduleOptions = {}) {
    this.s = PlateauSchedule.check({
      type: 'plateau',
      base: options.base ?? 0.01,
      factor: options.factor ?? 0.1,
      patience: options.patience ?? 2,
      maxDecays: options.maxDecays ?? 3,
      threshold: options.threshold ?? 0,
      decays: 0,
      best: null,
      bad: 0,
    });
  }

  private static check(
    s: Extract<ScheduleState, { type: 'plateau' }>,
  ): Extract<ScheduleState, { type: 'plateau' }> {
    const label = 'PlateauSchedule';
    numberConfig(label, 'base', s.base, 0);
    numberConfig(label, 'factor', s.factor, 0, 1);
    intConfig(label, 'patience', s.patience, 1);
    intConfig(label, 'maxDecays', s.maxDecays, 0);
    numberConfig(label, 'threshold', s.threshold, 0);
    intConfig(label, 'decays', s.decays, 0);
    if (s.decays > s.maxDecays)
      throw new ArgumentError(`${label}: decays ${s.decays} exceeds maxDecays ${s.maxDecays}`);
    if (s.best !== null) numberConfig(label, 'best', s.best);
    intConfig(label, 'bad', s.bad, 0);
    return { ...s };
  }

  /** How many times the rate has been divided. */
  get decays(): number {
    return this.s.decays;
  }

  get best(): number | null {
    return this.s.best;
  }

  /** All decays used and the last rate has stopped improving as well. */
  get exhausted(): boolean {
    return this.s.decays >= this.s.maxDecays && this.s.bad >= this.s.patience;
  }

  rate(): number {
    return this.s.base * this.s.factor ** this.s.decays;
  }

  observe(validationError: number): boolean {
    checkError(validationError);
    const s = this.s;
    if (s.best === null || validationError < s.best - s.threshold) {
      s.best = validationError;
      s.bad = 0;
      return false;
    }
    s.bad++;
    if (s.bad >= s.patience && s.decays < s.maxDecays) {
      s.decays++;
      s.bad = 0;
      return true;
    }
    return false;
  }

  state(): ScheduleState {
    return { ...this.s };
  }

  loadState(state: ScheduleState): void {
    checkType('plateau', state);
    this.s = PlateauSchedule.check(state as Extract<ScheduleState, { type: 'plateau' }>);
  }
}

/**
 * Linear warm-up (not in the paper): the wrapped schedule's rate times (iteration + 1) / steps for
 * the first `steps` steps, then the wrapped rate unchanged. Without normalisation layers the first
 * updates of a fresh network are its largest and least informed; ramping the rate up keeps them
 * from throwing the weights far away. Validation errors go to the wrapped schedule.
 */
export class WarmupSchedule implements LearningRateSchedule {
  readonly type = 'warmup';
  private steps: number;

  constructor(
    readonly inner: LearningRateSchedule,
    steps: number,
  ) {
    if (!inner || typeof inner.rate !== 'function')
      throw new ArgumentError('WarmupSchedule: needs a schedule to wrap');
    if (inner.type === 'warmup') throw new ArgumentError('WarmupSchedule: cannot wrap another warm-up');
    this.steps = intConfig('WarmupSchedule', 'steps', steps, 1);
  }

  /** The wrapped schedule has used all its decays and stopped improving (see PlateauSchedule). */
  get exhausted(): boolean {
    return this.inner instanceof PlateauSchedule && this.inner.exhausted;
  }

  rate(progress: Progress): number {
    return this.inner.rate(progress) * Math.min(1, (progress.iteration + 1) / this.steps);
  }

  observe(validationError: number): boolean {
    return this.inner.observe(validationError);
  }

  state(): ScheduleState {
    return { type: 'warmup', steps: this.steps, inner: this.inner.state() };
  }

  loadState(state: ScheduleState): void {
    checkType('warmup', state);
    const s = state as Extract<ScheduleState, { type: 'warmup' }>;
    this.steps = intConfig('WarmupSchedule', 'steps', s.steps, 1);
    this.inner.loadState(s.inner);
  }
}

/** A schedule from its saved state (what a checkpoint stores). */
export function scheduleFromState(state: ScheduleState): LearningRateSchedule {
  switch (state?.type) {
    case 'constant':
      return new ConstantSchedule(state.lr);
    case 'step': {
      const s = new StepSchedule({ base: 1, every: 1 });
      s.loadState(state);
      return s;
    }
    case 'plateau': {
      const s = new PlateauSchedule();
      s.loadState(state);
      return s;
    }
    case 'warmup':
      return new WarmupSchedule(scheduleFromState(state.inner), state.steps);
    default:
      throw new ArgumentError(
        `scheduleFromState: unknown schedule type '${String((state as { type?: unknown })?.type)}'`,
      );
  }
}
