import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { markdownReport } from '../report.js';
import { median } from '../timing.js';
import type { ReferenceKernelsResult } from './reference.js';
import { runReferenceKernels } from './reference.js';
import { parseCli } from './reference-kernels.js';

// Only the shape of the output is checked: benchmarks measure, tests never assert wall-clock times.
describe('reference-kernels benchmark, smoke mode', () => {
  let dir: string;
  let json: ReferenceKernelsResult;
  let svg: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'alexnet-bench-'));
    const { files } = await runReferenceKernels({ smoke: true, outDir: dir });
    expect(files).toEqual({
      json: path.join(dir, 'reference-kernels.json'),
      svg: path.join(dir, 'reference-kernels.svg'),
    });
    json = JSON.parse(await readFile(files!.json, 'utf8')) as ReferenceKernelsResult;
    svg = await readFile(files!.svg, 'utf8');
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('records the run settings and the machine', () => {
    expect(json).toMatchObject({ benchmark: 'reference-kernels', schemaVersion: 1, mode: 'smoke' });
    expect(json.backend.kind).toBe('ref');
    expect(json.settings).toEqual({ batch: 1, warmup: 1, repeats: 1 });
    expect(json.machine.cpuModel).toEqual(expect.any(String));
    expect(json.machine.cores).toBeGreaterThan(0);
    expect(json.machine.nodeVersion).toBe(process.version);
    expect(Number.isNaN(Date.parse(json.machine.date))).toBe(false);
    expect(json.machine).toHaveProperty('gitCommit');
  });

  it('times the three passes of every conv and fc layer, with exact FLOPs', () => {
    const macLayers = ['conv1', 'conv2', 'conv3', 'conv4', 'conv5', 'fc6', 'fc7', 'fc8'];
    for (const layer of macLayers) {
      const passes = json.results.filter((t) => t.layer === layer && t.macs !== null).map((t) => t.pass);
      expect(passes, layer).toEqual(['forward', 'backward-data', 'backward-filter']);
    }
    for (const t of json.results) {
      expect(t.timesMs).toHaveLength(1);
      expect(t.cpuTimesMs).toHaveLength(1);
      expect(t.medianMs).toBe(median(t.timesMs));
      if (t.macs === null) {
        expect(t.flops).toBeNull();
        expect(t.gflops).toBeNull();
      } else {
        expect(t.flops).toBe(2 * t.macs);
        expect(t.gflops === null || Number.isFinite(t.gflops)).toBe(true);
      }
    }
    const forwardMacs = json.results
      .filter((t) => t.macs !== null && t.pass === 'forward')
      .reduce((s, t) => s + t.macs!, 0);
    expect(forwardMacs).toBe(json.network.forwardMacsPerImage);
    expect(json.network.trainingFlopsPerImage).toBe(3 * json.network.forwardFlopsPerImage);
  });

  it('also times ReLU, LRN, pooling, dropout, softmax and SGD', () => {
    const ops = new Set(json.results.map((t) => t.op));
    for (const op of ['relu', 'lrn', 'pool', 'dropout', 'bias', 'softmax', 'loss', 'sgd'])
      expect(ops).toContain(op);
    const conv1Data = json.results.find((t) => t.layer === 'conv1' && t.pass === 'backward-data');
    expect(conv1Data).toMatchObject({ inInference: false, inTrainingStep: false });
  });

  it('estimates images/s from the kernel times', () => {
    const { inference, trainingStep, method } = json.estimate;
    expect(method).toMatch(/estimate from kernel times/i);
    const sum = json.results.filter((t) => t.inInference).reduce((s, t) => s + t.medianMs, 0);
    expect(inference.msPerBatch).toBeCloseTo(sum, 9);
    expect(inference.flopsPerImage).toBe(json.network.forwardFlopsPerImage);
    expect(trainingStep.flopsPerImage).toBe(json.network.trainingStepFlopsPerImage);
    expect(Object.keys(trainingStep.msByOp)).toEqual(
      expect.arrayContaining(['conv', 'fc', 'lrn', 'pool', 'sgd']),
    );
  });

  it('says whether other processes shared the CPU', () => {
    expect(json.cpuSharing.loadAverageBefore).toHaveLength(3);
    expect(json.cpuSharing.wallOverCpu).toBe(json.cpuSharing.timedWallMs / json.cpuSharing.timedCpuMs);
    expect(json.cpuSharing.warning === null || typeof json.cpuSharing.warning === 'string').toBe(true);
  });

  it('draws an SVG chart', () => {
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('conv1');
    expect(svg).toContain('backward-filter');
  });

  it('renders a markdown report', () => {
    const md = markdownReport(json);
    expect(md).toContain('| conv1 |');
    expect(md).toContain('training step');
  });
});

describe('reference-kernels command line', () => {
  it('parses the options', () => {
    expect(parseCli([])).toMatchObject({ smoke: false, batch: 1, repeats: undefined, help: false });
    expect(parseCli([]).outDir).toMatch(/benchmarks[/\\]results$/);
    expect(parseCli(['--smoke']).outDir).toMatch(/results[/\\]smoke$/);
    const cli = parseCli(['--batch', '4', '--repeats', '5', '--out', 'x/y']);
    expect(cli).toMatchObject({ batch: 4, repeats: 5, outDir: path.resolve('x/y') });
  });

  it('rejects bad values', () => {
    expect(() => parseCli(['--batch', '0'])).toThrow(/--batch must be a positive integer/);
    expect(() => parseCli(['--batch', '1.5'])).toThrow(/positive integer/);
    expect(() => parseCli(['--frobnicate'])).toThrow();
    expect(() => parseCli(['--mode', 'webasm'])).toThrow(/--mode needs --backend gpu/);
    expect(() => parseCli(['--backend', 'gpu', '--mode', 'cuda'])).toThrow(/--mode must be one of/);
  });

  it('takes a gpu.js mode for the gpu backend (webasm by default)', () => {
    expect(parseCli(['--backend', 'gpu'])).toMatchObject({ backend: 'gpu', mode: 'webasm' });
    expect(parseCli(['--backend', 'gpu', '--mode', 'cpu'])).toMatchObject({ backend: 'gpu', mode: 'cpu' });
    expect(parseCli([]).mode).toBeUndefined();
  });
});
