import { ArgumentError } from '@alexnet/tensor';
import type { Net, RngState } from './net/net.js';
import type { Sgd, SgdState } from './optim/sgd.js';

/** The JSON part of a training checkpoint: optimiser, schedule and the dropout stream's position. */
export interface TrainingState {
  format: 'alexnet-layers/training-state';
  version: 1;
  sgd: SgdState;
  /** The Net's dropout stream. */
  rng: RngState;
}

/** Captures the optimiser (with its schedule) and the net's RNG position; momentum buffers are separate. */
export function trainingState(net: Net, sgd: Sgd): TrainingState {
  return { format: 'alexnet-layers/training-state', version: 1, sgd: sgd.state(), rng: net.rngState() };
}

/** Restores what `trainingState` captured (after loading weights and momentum buffers). */
export function loadTrainingState(net: Net, sgd: Sgd, state: TrainingState): void {
  if (state?.format !== 'alexnet-layers/training-state') {
    throw new ArgumentError(
      `loadTrainingState: not a training state (format ${JSON.stringify(state?.format)})`,
    );
  }
  if (state.version !== 1)
    throw new ArgumentError(`loadTrainingState: unsupported version ${String(state.version)}`);
  net.setRngState(state.rng);
  sgd.loadState(state.sgd);
}
