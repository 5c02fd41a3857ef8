import { describe, expect, it } from 'vitest';
import { type PairedRun, pairedRatios, parsePairedCli } from './paired.js';

const run = (
  batch: number,
  round: number,
  contender: PairedRun['contender'],
  ips: number | null,
): PairedRun => ({
  batch,
  round,
  contender,
  imagesPerSecond: ips,
  timesMs: [],
  othersCores: null,
  error: ips === null ? 'crashed' : null,
});

describe('paired native vs onnxruntime', () => {
  it('takes each ratio within a round, and skips rounds where a side failed', () => {
    const runs = [
      run(32, 1, 'native one device', 20),
      run(32, 1, 'native two devices', 30),
      run(32, 1, 'onnxruntime-node', 25),
      run(32, 2, 'native one device', 10), // the machine got busier: both sides slowed
      run(32, 2, 'native two devices', null),
      run(32, 2, 'onnxruntime-node', 12.5),
      run(32, 3, 'native one device', 24),
      run(32, 3, 'native two devices', 27),
      run(32, 3, 'onnxruntime-node', 20),
    ];
    const [one, two] = pairedRatios(runs);
    expect(one).toMatchObject({ batch: 32, layout: 'one-device', median: 0.8, min: 0.8, max: 1.2 });
    expect(one!.perRound).toEqual([0.8, 0.8, 1.2]);
    expect(two!.perRound).toEqual([1.2, 1.35]);
    expect(two!.median).toBeCloseTo(1.275, 12);
  });

  it('reports no ratio when onnxruntime never ran', () => {
    const [one] = pairedRatios([run(1, 1, 'native one device', 9), run(1, 1, 'onnxruntime-node', null)]);
    expect(one).toMatchObject({ perRound: [], median: null, min: null, max: null });
  });

  it('parses its options and rejects bad ones', () => {
    expect(parsePairedCli(['--rounds', '3', '--batches', '32,128'])).toMatchObject({
      rounds: 3,
      batches: [32, 128],
    });
    expect(parsePairedCli(['--smoke'])).toMatchObject({ smoke: true, rounds: 1, batches: [1] });
    expect(() => parsePairedCli(['--rounds', '0'])).toThrow('--rounds must be an integer >= 1, got 0');
    expect(() => parsePairedCli(['--batches', '32,x'])).toThrow('--batches must be positive integers');
  });
});
