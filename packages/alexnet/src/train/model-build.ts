/**
 * What a checkpoint's model.safetensors says about itself — the resolved config, the class names and
 * where it came from, as string metadata (safetensors allows only strings) — and the network built
 * from it. Pure (no file system): `loadAlexNet` reads the file in Node, the browser entry parses
 * fetched bytes; both build the network here.
 */
import type { Net } from '@alexnet/layers';
import { ArgumentError, type Device } from '@alexnet/tensor';
import { type AlexNetConfig, resolveAlexNetConfig } from '../config.js';
import { createAlexNet } from '../network.js';
import { VERSION } from '../version.js';
import { canonicalParams, writeCanonical } from './params-io.js';
import type { SafetensorsFile } from './safetensors-header.js';

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

/** A network built from a model file, with what the file says about it. */
export interface BuiltModel {
  net: Net;
  config: AlexNetConfig;
  classes: string[];
  metadata: Record<string, string>;
}

/** The config and class names of a model file's metadata (`label` names the file in errors). */
export function modelDescription(
  metadata: Readonly<Record<string, string>>,
  label: string,
): { config: AlexNetConfig; classes: string[] } {
  if (metadata.format !== MODEL_FORMAT) {
    throw new ArgumentError(
      `${label}: not an alexnet model (metadata format ${JSON.stringify(metadata.format)}, expected '${MODEL_FORMAT}')`,
    );
  }
  let config: AlexNetConfig;
  let classes: string[];
  try {
    config = resolveAlexNetConfig(JSON.parse(metadata.config ?? 'null'));
    classes = JSON.parse(metadata.classes ?? 'null') as string[];
  } catch (error) {
    throw new ArgumentError(
      `${label}: unreadable config or classes in the metadata (${(error as Error).message})`,
    );
  }
  if (!Array.isArray(classes) || classes.length !== config.classes) {
    throw new ArgumentError(`${label}: ${classes?.length} class names for a ${config.classes}-class network`);
  }
  return { config, classes };
}

/** Builds the network a parsed model file describes on `devices` and loads its weights. */
export function buildModel(
  file: SafetensorsFile,
  devices: Device | readonly Device[],
  label: string,
): BuiltModel {
  const { config, classes } = modelDescription(file.metadata, label);
  const net = createAlexNet(config, { devices, init: false });
  const values = new Map<string, { shape: readonly number[]; data: Float32Array }>();
  for (const [name, e] of file.tensors) {
    if (!(e.data instanceof Float32Array)) throw new ArgumentError(`${label}: '${name}' is not float32`);
    values.set(name, { shape: e.shape, data: e.data });
  }
  try {
    writeCanonical(canonicalParams(net.params()), values, `model file ${label}`);
  } catch (error) {
    net.dispose();
    throw error;
  }
  return { net, config, classes, metadata: file.metadata };
}
