import { ArgumentError, Tensor } from '@alexnet/tensor';
import { intConfig, numberConfig, type Param } from '../layer.js';
import {
  ConstantSchedule,
  type LearningRateSchedule,
  type ScheduleState,
  scheduleFromState,
} from './schedules.js';

export interface SgdOptions {
  /** A constant learning rate ε… */
  lr?: number;
  /** …or a schedule (StepSchedule, PlateauSchedule). */
  schedule?: LearningRateSchedule;
  /** Momentum (paper: 0.9). */
  momentum?: number;
  /** Weight decay (paper: 0.0005), times each parameter's decayMult. */
  weightDecay?: number;
}

/** Everything about the optimiser except the momentum buffers (those are tensors: see `momentumBuffers`). */
export interface SgdState {
  iteration: number;
  epoch: number;
  momentum: number;
  weightDecay: number;
  schedule: ScheduleState;
  /** Parameter names in order: loading into a differently built net fails instead of scrambling. */
  params: string[];
}

/**
 * Stochastic gradient descent with the paper's rule (§5), per parameter through the `sgdUpdate` kernel:
 *   v ← momentum·v − (weightDecay·decayMult)·(ε·lrMult)·w − (ε·lrMult)·∂L/∂w ;  w ← w + v
 * where ε is the schedule's rate at (iteration, epoch). With decayMult = lrMult = 1 this is exactly
 * v ← 0.9·v − 0.0005·ε·w − ε·∂L/∂w. One momentum buffer per parameter, on its device, zero at start.
 */
export class Sgd {
  readonly params: readonly Param[];
  readonly schedule: LearningRateSchedule;
  /** Steps taken. */
  iteration = 0;
  /** The current epoch (set it as training advances: step schedules count epochs). */
  epoch = 0;
  private momentumValue: number;
  private weightDecayValue: number;
  private readonly velocity: readonly Tensor[];
  private disposed = false;

  constructor(params: readonly Param[], options: SgdOptions = {}) {
    const label = 'Sgd';
    if (!Array.isArray(params) || params.length === 0)
      throw new ArgumentError(`${label}: needs a non-empty array of params`);
    const names = new Set<string>();
    for (const p of params) {
      if (names.has(p.name)) throw new ArgumentError(`${label}: parameter '${p.name}' is listed twice`);
      names.add(p.name);
    }
    if (options.lr !== undefined && options.schedule !== undefined) {
      throw new ArgumentError(`${label}: give lr or schedule, not both`);
    }
    if (options.lr === undefined && options.schedule === undefined) {
      throw new ArgumentError(`${label}: needs a learning rate (lr) or a schedule`);
    }
    this.schedule = options.schedule ?? new ConstantSchedule(options.lr!);
    this.momentumValue = numberConfig(label, 'momentum', options.momentum ?? 0.9, 0, 1);
    this.weightDecayValue = numberConfig(label, 'weightDecay', options.weightDecay ?? 0.0005, 0);
    this.params = Object.freeze([...params]);
    this.velocity = Object.freeze(params.map((p) => Tensor.zeros(p.value.device, p.value.shape)));
  }

  get momentum(): number {
    return this.momentumValue;
  }

  get weightDecay(): number {
    return this.weightDecayValue;
  }

  /** The learning rate ε the next step uses. */
  get learningRate(): number {
    return this.schedule.rate({ iteration: this.iteration, epoch: this.epoch });
  }

  /** One update of every parameter from its current gradient (enqueued on each parameter's device). */
  step(): void {
    this.assertLive();
    const lr = this.learningRate;
    if (!Number.isFinite(lr) || lr < 0) {
      throw new ArgumentError(`Sgd.step: the learning rate must be a finite number >= 0, got ${lr}`);
    }
    this.params.forEach((p, i) => {
      p.value.device.kernels.sgdUpdate(
        { w: p.value.buffer, grad: p.grad.buffer, v: this.velocity[i]!.buffer },
        {
          length: p.value.size,
          lr: lr * p.lrMult,
          momentum: this.momentumValue,
          weightDecay: this.weightDecayValue * p.decayMult,
        },
      );
    });
    this.iteration++;
  }

  /** Reports a validation error to the schedule (end of an epoch); true when the rate changed. */
  observe(validationError: number): boolean {
    return this.schedule.observe(validationError);
  }

  /** The momentum buffer of each parameter (for checkpoints: write them next to the weights). */
  momentumBuffers(): { name: string; value: Tensor }[] {
    return this.params.map((p, i) => ({ name: p.name, value: this.velocity[i]! }));
  }

  /** Copies of the momentum buffers, by parameter name. */
  async readMomentum(): Promise<Record<string, Float32Array>> {
    const out: Record<string, Float32Array> = {};
    for (const { name, value } of this.momentumBuffers()) out[name] = await value.toArray();
    return out;
  }

  /** Restores momentum buffers saved by `readMomentum` (every parameter must be present). */
  loadMomentum(buffers: Readonly<Record<string, Float32Array | Float64Array>>): void {
    this.assertLive();
    this.params.forEach((p, i) => {
      const data = buffers[p.name];
      if (!data) throw new ArgumentError(`loadMomentum: no buffer for '${p.name}'`);
      if (data.length !== p.value.size) {
        throw new ArgumentError(
          `loadMomentum: '${p.name}' has ${p.value.size} elements, the buffer ${data.length}`,
        );
      }
      p.value.device.backend.write(this.velocity[i]!.buffer, data);
    });
  }

  state(): SgdState {
    return {
      iteration: this.iteration,
      epoch: this.epoch,
      momentum: this.momentumValue,
      weightDecay: this.weightDecayValue,
      schedule: this.schedule.state(),
      params: this.params.map((p) => p.name),
    };
  }

  /** Restores iteration, epoch, hyper-parameters and the schedule (of the same type) from `state()`. */
  loadState(state: SgdState): void {
    const label = 'Sgd.loadState';
    if (!state || typeof state !== 'object') throw new ArgumentError(`${label}: expected an object`);
    const names = this.params.map((p) => p.name);
    if (!Array.isArray(state.params) || state.params.join('\n') !== names.join('\n')) {
      throw new ArgumentError(
        `${label}: the state is for parameters [${String(state.params?.slice(0, 4))}…] (${state.params?.length}), this optimiser has [${names.slice(0, 4)}…] (${names.length})`,
      );
    }
    intConfig(label, 'iteration', state.iteration, 0);
    intConfig(label, 'epoch', state.epoch, 0);
    const momentum = numberConfig(label, 'momentum', state.momentum, 0, 1);
    const weightDecay = numberConfig(label, 'weightDecay', state.weightDecay, 0);
    if (state.schedule?.type !== this.schedule.type) {
      // a different schedule type than configured: refuse rather than silently changing the plan
      scheduleFromState(state.schedule); // validates, for a clear message on garbage
      throw new ArgumentError(
        `${label}: the saved schedule is '${state.schedule.type}', this optimiser uses '${this.schedule.type}'`,
      );
    }
    this.schedule.loadState(state.schedule);
    this.iteration = state.iteration;
    this.epoch = state.epoch;
    this.momentumValue = momentum;
    this.weightDecayValue = weightDecay;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const v of this.velocity) v.dispose();
  }

  private assertLive(): void {
    if (this.disposed) throw new ArgumentError('Sgd: used after dispose()');
  }
}
