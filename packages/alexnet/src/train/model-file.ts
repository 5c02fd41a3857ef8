/**
 * What a checkpoint's model.safetensors says about itself, so `eval`, `predict` and `export` can
 * rebuild the network from the file alone: the resolved config, the class names and where it came
 * from, as string metadata (safetensors allows only strings).
 */
import type { Net } from '@alexnet/layers';
import { ArgumentError, type Device } from '@alexnet/tensor';
import { type AlexNetConfig, resolveAlexNetConfig } from '../config.js';
import { createAlexNet } from '../network.js';
import { VERSION } from '../version.js';
import { resolveCheckpoint } from './checkpoint.js';
import { canonicalParams, writeCanonical } from './params-io.js';
import { readSafetensors } from './safetensors.js';

export const MODEL_FORMAT = 'alexnet-ts/model';

export function modelMetadata(
  config: AlexNetConfig,
  classes: readonly string[],
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    format: MODEL_FORMAT,
    'format.version': '1',
    'alexnet.version': VERSION,
    config: JSON.stringify(config),
    classes: JSON.stringify(classes),
    ...extra,
  };
}

export interface LoadedModel {
  net: Net;
  config: AlexNetConfig;
  classes: string[];
  /** The model file that was read. */
  path: string;
  metadata: Record<string, string>;
}

/**
 * Builds the network a checkpoint describes on `devices` and loads its weights. `path`: a run
 * folder (its latest checkpoint), a checkpoint folder or a model.safetensors file.
 */
export function loadAlexNet(path: string, devices: Device | readonly Device[]): LoadedModel {
  const file = resolveCheckpoint(path);
  const { tensors, metadata } = readSafetensors(file);
  if (metadata.format !== MODEL_FORMAT) {
    throw new ArgumentError(
      `${file}: not an alexnet model (metadata format ${JSON.stringify(metadata.format)}, expected '${MODEL_FORMAT}')`,
    );
  }
  let config: AlexNetConfig;
  let classes: string[];
  try {
    config = resolveAlexNetConfig(JSON.parse(metadata.config ?? 'null'));
    classes = JSON.parse(metadata.classes ?? 'null') as string[];
  } catch (error) {
    throw new ArgumentError(
      `${file}: unreadable config or classes in the metadata (${(error as Error).message})`,
    );
  }
  if (!Array.isArray(classes) || classes.length !== config.classes) {
    throw new ArgumentError(`${file}: ${classes?.length} class names for a ${config.classes}-class network`);
  }
  const net = createAlexNet(config, { devices, init: false });
  const values = new Map<string, { shape: readonly number[]; data: Float32Array }>();
  for (const [name, e] of tensors) {
    if (!(e.data instanceof Float32Array)) throw new ArgumentError(`${file}: '${name}' is not float32`);
    values.set(name, { shape: e.shape, data: e.data });
  }
  writeCanonical(canonicalParams(net.params()), values, `model file ${file}`);
  return { net, config, classes, path: file, metadata };
}
