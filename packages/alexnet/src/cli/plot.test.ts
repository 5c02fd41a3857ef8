/**
 * `alexnet plot` on synthetic metrics.jsonl files with known values: the SVG holds every series and
 * one point per epoch value (each point's label carries its value), a PNG has the signature and
 * twice the SVG's size, a run with no finished epoch is drawn from its steps with a note, and the
 * command line and missing-file errors are clear.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { CURVE_SERIES, trainingCurvesSpec } from '../interop/plot.js';
import type { EpochRecord, MetricsRecord, StepRecord } from '../train/metrics-log.js';
import { runCli } from './main.js';
import { PNG_SCALE } from './plot.js';

const root = mkdtempSync(join(tmpdir(), 'alexnet-plot-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(argv, {
    out: (t) => {
      out += t;
    },
    err: (t) => {
      err += t;
    },
  });
  return { code, out, err };
}

const EPOCHS = 3;
const BATCHES = 4;

/** 3 epochs of 4 batches, every step logged; epoch e (1-based) has known losses and errors. */
function records(options: { epochs?: number; val?: boolean } = {}): MetricsRecord[] {
  const epochs = options.epochs ?? EPOCHS;
  const out: MetricsRecord[] = [];
  let step = 0;
  for (let e = 0; e < EPOCHS; e++) {
    for (let b = 1; b <= BATCHES; b++) {
      step++;
      const s: StepRecord = {
        type: 'step',
        step,
        epoch: e,
        batch: b,
        loss: 4 - step / 8,
        top1Error: 0.9,
        lr: 0.01,
        imagesPerSecond: 100,
        time: '2025-01-01T00:00:00.000Z',
      };
      out.push(s);
    }
    if (e >= epochs) continue;
    const n = e + 1;
    const r: EpochRecord = {
      type: 'epoch',
      step,
      epoch: n,
      train: {
        loss: 3.25 - 0.5 * e,
        top1Error: 0.81 - 0.1 * e,
        top5Error: 0.52 - 0.1 * e,
        images: 64,
        seconds: 1,
      },
      val:
        options.val === false
          ? null
          : {
              loss: 3.5 - 0.25 * e,
              top1Error: 0.87 - 0.1 * e,
              top5Error: 0.58 - 0.1 * e,
              images: 16,
              mode: 'center',
            },
      lr: 0.01,
      lrChanged: false,
      time: '2025-01-01T00:00:00.000Z',
    };
    out.push(r);
  }
  return out;
}

function runDir(name: string, recs: MetricsRecord[] | null, extra = ''): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  if (recs)
    writeFileSync(join(dir, 'metrics.jsonl'), recs.map((r) => `${JSON.stringify(r)}\n`).join('') + extra);
  return dir;
}

/** The aria-labels of the chart's points ('epoch: 2; loss: 2.75; series: train loss'). */
function pointLabels(svg: string): string[] {
  return [...svg.matchAll(/<path[^>]*aria-roledescription="point"[^>]*>/g)].map(
    (m) => /aria-label="([^"]*)"/.exec(m[0])?.[1] ?? '',
  );
}

describe('alexnet plot', () => {
  it('draws loss and top-1/top-5 error per epoch, train and validation, with the per-step loss', async () => {
    // a torn last line (a crash mid-append) is ignored
    const dir = runDir('full', records(), '{"type":"step","ste');
    const out = join(root, 'full.svg');
    const r = await cli('plot', '--run', dir, '--out', out);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/3 epochs \(3 validated\), 12 logged steps/);
    const svg = readFileSync(out, 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    for (const name of Object.values(CURVE_SERIES)) expect(svg).toContain(name);
    expect(svg).toContain('Training curves: full');

    // one point per epoch and series: 2 loss series + 4 error series, 3 epochs
    const points = pointLabels(svg);
    expect(points).toHaveLength(6 * EPOCHS);
    expect(points).toContain('epoch: 1; loss: 3.25; series: train loss');
    expect(points).toContain('epoch: 3; loss: 3; series: validation loss');
    expect(points).toContain('epoch: 2; error: 71%; series: train top-1 error');
    expect(points).toContain('epoch: 3; error: 38%; series: validation top-5 error');
    // the per-step loss is one line (its first step at 1/4 of epoch 1), below the epoch lines
    expect(svg).toContain('aria-label="epoch: 0.25; loss: 3.875; series: train loss (per step)"');
    // one line mark per series: the step loss, 2 epoch loss lines, 4 error lines
    expect(svg.match(/aria-roledescription="line mark"/g)).toHaveLength(7);
  });

  it('places steps at their fraction of the epoch in the spec', () => {
    const spec = trainingCurvesSpec(records()) as unknown as {
      hconcat: { layer: { data: { values: { x: number; value: number; series: string }[] } }[] }[];
    };
    const steps = spec.hconcat[0]!.layer[0]!.data.values;
    expect(steps).toHaveLength(EPOCHS * BATCHES);
    expect(steps.map((p) => p.x)).toEqual([0.25, 0.5, 0.75, 1, 1.25, 1.5, 1.75, 2, 2.25, 2.5, 2.75, 3]);
    expect(steps.every((p) => p.series === CURVE_SERIES.stepLoss)).toBe(true);
  });

  it('writes a PNG at twice the SVG size (--json)', async () => {
    const dir = runDir('png', records({ val: false }));
    const svgOut = join(root, 'png.svg');
    const pngOut = join(root, 'png.png');
    const s = await cli('plot', '--run', dir, '--out', svgOut, '--json');
    expect(s.code, s.err).toBe(0);
    const svgInfo = JSON.parse(s.out) as { width: number; height: number; format: string; validated: number };
    expect(svgInfo.format).toBe('svg');
    expect(svgInfo.validated).toBe(0);
    expect(svgInfo.width).toBeGreaterThan(600);
    expect(svgInfo.height).toBeGreaterThan(300);
    // no validation: only the train series have points
    const svg = readFileSync(svgOut, 'utf8');
    expect(pointLabels(svg)).toHaveLength(3 * EPOCHS);
    expect(pointLabels(svg).some((l) => l.includes('validation'))).toBe(false);

    const p = await cli('plot', '--run', dir, '--out', pngOut, '--json');
    expect(p.code, p.err).toBe(0);
    const pngInfo = JSON.parse(p.out) as { width: number; height: number; format: string };
    expect(pngInfo.format).toBe('png');
    const bytes = readFileSync(pngOut);
    expect([...bytes.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const meta = await sharp(bytes).metadata();
    expect(meta.format).toBe('png');
    expect([meta.width, meta.height]).toEqual([pngInfo.width, pngInfo.height]);
    expect(Math.abs(meta.width! - PNG_SCALE * svgInfo.width)).toBeLessThanOrEqual(PNG_SCALE);
    expect(Math.abs(meta.height! - PNG_SCALE * svgInfo.height)).toBeLessThanOrEqual(PNG_SCALE);
    // not blank: the white background with dark text and coloured lines
    const stats = await sharp(bytes).stats();
    expect(stats.channels[0]!.min).toBeLessThan(100);
    expect(stats.channels[0]!.max).toBe(255);
  });

  it('draws the steps only, with a note, when no epoch has finished', async () => {
    const dir = runDir('steps', records({ epochs: 0 }));
    const out = join(root, 'steps.svg');
    const r = await cli('plot', '--run', dir, '--out', out);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/note: no epoch records yet: only the 12 logged training steps are drawn/);
    const svg = readFileSync(out, 'utf8');
    expect(svg).toContain(CURVE_SERIES.stepLoss);
    expect(svg).not.toContain(CURVE_SERIES.trainTop1);
    expect(pointLabels(svg)).toHaveLength(0);
    expect(svg).toContain('aria-label="step: 1; loss: 3.875; series: train loss (per step)"');
    expect(svg).toMatch(/Note: no epoch records yet/);
    const j = await cli('plot', '--run', dir, '--out', out, '--json');
    expect(JSON.parse(j.out).note).toMatch(/no epoch records yet/);
  });

  it('fails clearly: missing folder, no metrics.jsonl, no records, bad command line', async () => {
    const missing = await cli('plot', '--run', join(root, 'nope'), '--out', join(root, 'x.svg'));
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/nope: no such run folder/);

    const empty = runDir('empty', null);
    const noMetrics = await cli('plot', '--run', empty, '--out', join(root, 'x.svg'));
    expect(noMetrics.code).toBe(1);
    expect(noMetrics.err).toMatch(/no metrics\.jsonl/);

    const blank = runDir('blank', []);
    const noRecords = await cli('plot', '--run', blank, '--out', join(root, 'x.svg'));
    expect(noRecords.code).toBe(1);
    expect(noRecords.err).toMatch(/no step or epoch records yet/);

    const dir = runDir('usage', records());
    expect((await cli('plot', '--out', join(root, 'x.svg'))).err).toMatch(/--run <run folder> is required/);
    expect((await cli('plot', '--run', dir)).err).toMatch(/--out <file.svg\|file.png> is required/);
    const pdf = await cli('plot', '--run', dir, '--out', join(root, 'x.pdf'));
    expect(pdf.code).toBe(2);
    expect(pdf.err).toMatch(/--out must end in \.svg or \.png/);
    expect((await cli('plot', '--run', dir, '--out', 'x.svg', '--bogus')).code).toBe(2);

    const help = await cli('plot', '--help');
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/^Usage: alexnet plot --run/);
    expect((await cli('--help')).out).toMatch(/plot +training curves/);
  });
});
