/**
 * Checkpoints on disk, written so that a crash at any moment leaves the last complete one usable:
 *
 *   <run>/checkpoints/step-00001200/model.safetensors      weights (canonical names, see params-io.ts)
 *                                   optimizer.safetensors  momentum buffers (absent for weights-only)
 *                                   state.json             trainer state (epoch, step, lr schedule, RNG, …)
 *   <run>/checkpoints/latest                               the name of the newest complete checkpoint
 *
 * A checkpoint is written into `step-….tmp-<pid>`, every file fsynced, the folder renamed into place,
 * and only then is `latest` replaced (temp file + rename, atomic on POSIX). Older checkpoints beyond
 * `keep` are removed after that, never the one `latest` names.
 */
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { readSafetensors, type SafetensorsEntry, writeSafetensors } from './safetensors.js';

export const MODEL_FILE = 'model.safetensors';
export const OPTIMIZER_FILE = 'optimizer.safetensors';
export const STATE_FILE = 'state.json';
const LATEST = 'latest';

export type TensorMap = Map<string, { shape: readonly number[]; data: Float32Array }>;

export interface CheckpointData<S> {
  weights: TensorMap;
  /** Momentum buffers by parameter name (omit for a weights-only export). */
  momentum?: TensorMap;
  /** JSON-serialisable trainer state. */
  state: S;
  /** String metadata stored in model.safetensors (config, classes: what `eval` needs). */
  metadata: Record<string, string>;
}

export class CheckpointError extends Error {
  override name = 'CheckpointError';
}

/** Writes a file durably and atomically: temp file, fsync, rename. */
export function writeFileAtomic(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w');
  try {
    writeFileSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

function fsyncDir(dir: string): void {
  // makes the renames in `dir` durable; some filesystems refuse fsync on a directory: harmless there
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {}
}

function toEntries(map: TensorMap): Map<string, SafetensorsEntry> {
  return new Map([...map].map(([name, v]) => [name, { shape: v.shape, data: v.data }]));
}

export function checkpointsDir(runDir: string): string {
  return join(runDir, 'checkpoints');
}

/** Saves checkpoint `step` of the run in `runDir`; returns its folder. Keeps the newest `keep` (≥ 1). */
export function saveCheckpoint<S>(runDir: string, step: number, data: CheckpointData<S>, keep = 2): string {
  const root = checkpointsDir(runDir);
  mkdirSync(root, { recursive: true });
  const name = `step-${String(step).padStart(8, '0')}`;
  // the same step is already the latest checkpoint (a resumed run saving before any step): same weights
  if (readLatestName(root) === name && existsSync(join(root, name, MODEL_FILE))) return join(root, name);
  const tmp = join(root, `${name}.tmp-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  writeSafetensors(join(tmp, MODEL_FILE), toEntries(data.weights), data.metadata);
  if (data.momentum) writeSafetensors(join(tmp, OPTIMIZER_FILE), toEntries(data.momentum));
  writeFileAtomic(join(tmp, STATE_FILE), `${JSON.stringify(data.state, null, 1)}\n`);
  fsyncDir(tmp);
  const final = join(root, name);
  // a folder of this name can only be left over from a run that crashed before updating `latest`
  rmSync(final, { recursive: true, force: true });
  renameSync(tmp, final);
  fsyncDir(root);
  writeFileAtomic(join(root, LATEST), `${name}\n`);
  fsyncDir(root);
  prune(root, name, Math.max(1, keep));
  return final;
}

function readLatestName(root: string): string | null {
  const file = join(root, LATEST);
  if (!existsSync(file)) return null;
  return readFileSync(file, 'utf8').trim() || null;
}

function prune(root: string, latest: string, keep: number): void {
  const names = readdirSync(root)
    .filter((n) => /^step-\d+$/.test(n))
    .sort();
  const old = names.filter((n) => n !== latest).slice(0, Math.max(0, names.length - keep));
  for (const n of old) rmSync(join(root, n), { recursive: true, force: true });
  // temporary folders of crashed writers (any pid) are garbage once a newer checkpoint is complete
  for (const n of readdirSync(root)) {
    if (n.includes('.tmp-')) rmSync(join(root, n), { recursive: true, force: true });
  }
}

/** The newest complete checkpoint of a run (folder path), or null when there is none. */
export function latestCheckpoint(runDir: string): string | null {
  const root = checkpointsDir(runDir);
  const name = readLatestName(root);
  if (name === null) return null;
  const dir = join(root, name);
  if (!existsSync(join(dir, MODEL_FILE)) || !existsSync(join(dir, STATE_FILE))) {
    throw new CheckpointError(`${root}/latest names '${name}', which is missing or incomplete`);
  }
  return dir;
}

/**
 * Resolves what a user passed as a checkpoint: a checkpoint folder, a run folder (its latest
 * checkpoint), or a model.safetensors file.
 */
export function resolveCheckpoint(path: string): string {
  const full = resolve(path);
  if (!existsSync(full)) throw new CheckpointError(`no checkpoint at ${full}`);
  if (statSync(full).isFile()) return full;
  if (existsSync(join(full, MODEL_FILE))) return join(full, MODEL_FILE);
  const latest = latestCheckpoint(full);
  if (latest) return join(latest, MODEL_FILE);
  throw new CheckpointError(
    `${full} is neither a checkpoint folder (with ${MODEL_FILE}) nor a run folder with checkpoints/latest`,
  );
}

function asTensorMap(entries: Map<string, SafetensorsEntry>, path: string): TensorMap {
  const out: TensorMap = new Map();
  for (const [name, e] of entries) {
    if (!(e.data instanceof Float32Array))
      throw new CheckpointError(`${path}: tensor '${name}' is not float32`);
    out.set(name, { shape: e.shape, data: e.data });
  }
  return out;
}

/** Loads a checkpoint folder written by `saveCheckpoint`. */
export function loadCheckpoint<S>(dir: string): CheckpointData<S> {
  const modelPath = join(dir, MODEL_FILE);
  const model = readSafetensors(modelPath);
  const optimizerPath = join(dir, OPTIMIZER_FILE);
  const momentum = existsSync(optimizerPath)
    ? asTensorMap(readSafetensors(optimizerPath).tensors, optimizerPath)
    : undefined;
  let state: S;
  try {
    state = JSON.parse(readFileSync(join(dir, STATE_FILE), 'utf8')) as S;
  } catch (error) {
    throw new CheckpointError(`${join(dir, STATE_FILE)}: ${(error as Error).message}`);
  }
  return { weights: asTensorMap(model.tensors, modelPath), momentum, state, metadata: model.metadata };
}
