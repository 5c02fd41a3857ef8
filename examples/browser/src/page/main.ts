/**
 * The demo page: a device (gpu.js WebGL2/WebGPU, or the reference backend for comparison), a model
 * from the server (or a file the user picks), then for each chosen image: decode it to the data's
 * source size, prepare its centre crop as `alexnet predict` does, run the forward pass and draw the
 * top 5. `window.alexnetDemo` mirrors the page's state for the end-to-end test.
 */
import type { Net } from '@alexnet/layers';
import {
  type AlexNetConfig,
  buildModel,
  type CacheMean,
  type ImageInput,
  imageInput,
  parseSafetensors,
  type TopClass,
  topClasses,
} from 'alexnet/browser';
import { createPageDevice, type PageDevice, pageMode } from './backend.js';
import { decodeImageFile } from './decode-image.js';
import { drawBars, drawCrop, drawFilters } from './draw.js';

export interface DemoResult {
  image: string;
  top: TopClass[];
  probabilities: number[];
  /** The prepared network input (float32 [3, input, input]), for checking against Node's. */
  input: number[];
  forwardMs: number;
}

export interface DemoState {
  phase: 'starting' | 'ready' | 'classifying' | 'done' | 'error';
  mode?: string;
  model?: { label: string; classes: string[]; input: number; preprocessing: string };
  result?: DemoResult;
  error?: string;
}

declare global {
  interface Window {
    alexnetDemo: DemoState;
  }
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const status = $<HTMLDivElement>('status');
const imagePicker = $<HTMLInputElement>('image');
const checkpointPicker = $<HTMLInputElement>('checkpoint');
const state: DemoState = { phase: 'starting' };
window.alexnetDemo = state;

function say(text: string, error = false): void {
  status.textContent = text;
  status.classList.toggle('error', error);
}

function fail(error: unknown): void {
  state.phase = 'error';
  state.error = error instanceof Error ? error.message : String(error);
  say(state.error, true);
  console.error(error);
}

function facts(entries: Record<string, string>): void {
  $('facts').replaceChildren(
    ...Object.entries(entries).flatMap(([k, v]) => {
      const dt = document.createElement('dt');
      dt.textContent = k;
      const dd = document.createElement('dd');
      dd.textContent = v;
      return [dt, dd];
    }),
  );
}

interface Loaded {
  net: Net;
  config: AlexNetConfig;
  classes: string[];
  prepare: ImageInput;
  label: string;
}

let page: PageDevice;
let loaded: Loaded | undefined;

/** The cache mean the server sends for models trained on an ImageNet-style cache (none for built-in data). */
async function serverCacheMean(): Promise<CacheMean | undefined> {
  const res = await fetch('./preprocess.json');
  if (!res.ok) return undefined;
  const info = (await res.json()) as { data: string; sourceSize?: number; mean?: string };
  if (info.data === 'builtin' || !info.mean || !info.sourceSize) return undefined;
  const mean = await fetch(info.mean);
  if (!mean.ok) throw new Error(`${info.mean}: ${mean.status}`);
  return { sourceSize: info.sourceSize, mean: new Float32Array(await mean.arrayBuffer()) };
}

async function loadModel(bytes: Uint8Array, label: string, cache?: CacheMean): Promise<void> {
  say(`reading ${label} (${(bytes.length / 2 ** 20).toFixed(1)} MiB)…`);
  const file = parseSafetensors(bytes, label);
  loaded?.net.dispose();
  loaded = undefined;
  const t0 = performance.now();
  const model = buildModel(file, page.device, label);
  const prepare = imageInput(model.config, model.metadata, cache);
  loaded = { net: model.net, config: model.config, classes: model.classes, prepare, label };
  const conv1 = file.tensors.get('conv1.weight');
  if (conv1 instanceof Object && conv1.data instanceof Float32Array) {
    drawFilters($('filters'), conv1.data, conv1.shape, model.config.towers);
    $('filters-note').textContent =
      model.config.towers === 2
        ? 'tower 1 above tower 2; each kernel contrast-normalised on its own'
        : 'one tower; each kernel contrast-normalised on its own';
  }
  state.model = {
    label,
    classes: model.classes,
    input: model.config.input,
    preprocessing: prepare.description,
  };
  facts({
    model: label,
    network: `${model.config.input}×${model.config.input} input, ${model.classes.length} classes, ${model.config.towers} tower(s)`,
    preprocessing: prepare.description,
    'gpu.js mode': page.mode,
  });
  imagePicker.disabled = false;
  state.phase = 'ready';
  say(`ready (${page.mode}; model built in ${(performance.now() - t0).toFixed(0)} ms): choose an image`);
}

async function classify(file: File): Promise<void> {
  if (!loaded) throw new Error('no model loaded');
  const { net, config, classes, prepare } = loaded;
  state.phase = 'classifying';
  say(`classifying ${file.name} on ${page.mode}…`);
  const image = await decodeImageFile(file, prepare.sourceSize);
  const input = prepare.toInput(image.rgb);
  drawCrop($('crop'), image.canvas, config.input);
  const t0 = performance.now();
  // the loss node computes the probabilities; its label only enters the loss, unused here
  await net.forward({ data: input, labels: new Float32Array(1) });
  const probs = await net.read('loss:probs');
  const forwardMs = performance.now() - t0;
  const top = topClasses(probs, classes, Math.min(5, classes.length));
  drawBars($('top5'), top);
  state.result = {
    image: file.name,
    top,
    probabilities: Array.from(probs),
    input: Array.from(input),
    forwardMs,
  };
  state.phase = 'done';
  say(
    `${file.name}: ${top[0]!.class} (${(100 * top[0]!.probability).toFixed(1)}%) — forward pass ${forwardMs.toFixed(0)} ms on ${page.mode}`,
  );
}

async function start(): Promise<void> {
  const mode = pageMode(new URLSearchParams(location.search).get('mode'));
  say(`starting the ${mode} backend…`);
  page = await createPageDevice(mode);
  state.mode = page.mode;
  facts({ 'gpu.js mode': page.mode, backend: page.description });
  imagePicker.addEventListener('change', () => {
    const file = imagePicker.files?.[0];
    if (file) classify(file).catch(fail);
  });
  checkpointPicker.addEventListener('change', () => {
    const file = checkpointPicker.files?.[0];
    if (file)
      file
        .arrayBuffer()
        .then((b) => loadModel(new Uint8Array(b), file.name))
        .catch(fail);
  });
  const res = await fetch('./model.safetensors');
  if (!res.ok) {
    state.phase = 'ready';
    say(`the server has no checkpoint (${res.status}): choose a model.safetensors above`);
    return;
  }
  const cache = await serverCacheMean();
  await loadModel(new Uint8Array(await res.arrayBuffer()), 'model.safetensors', cache);
}

start().catch(fail);
