import { describe, expect, it } from 'vitest';
import { DEFAULT_EPOCHS, DEFAULT_SEED, parseCli, run, UsageError } from './cli.js';

function capture(): {
  out: string[];
  err: string[];
  io: { out: (l: string) => void; err: (l: string) => void };
} {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (l) => out.push(l), err: (l) => err.push(l) } };
}

describe('tiny-cnn CLI', () => {
  it('parses the flags, with defaults', () => {
    expect(parseCli([])).toEqual({
      epochs: DEFAULT_EPOCHS,
      device: 'auto',
      seed: DEFAULT_SEED,
      json: false,
      help: false,
    });
    expect(parseCli(['--epochs', '2', '--device', 'ref:0', '--seed=9', '--json'])).toEqual({
      epochs: 2,
      device: 'ref:0',
      seed: 9,
      json: true,
      help: false,
    });
    expect(parseCli(['-h']).help).toBe(true);
  });

  it('rejects bad flags with a UsageError naming the problem', () => {
    expect(() => parseCli(['--epoch', '3'])).toThrow(UsageError);
    expect(() => parseCli(['--epochs', '0'])).toThrow(/--epochs must be between 1/);
    expect(() => parseCli(['--epochs', '2.5'])).toThrow(/whole number/);
    expect(() => parseCli(['--seed', '-1'])).toThrow(UsageError);
    expect(() => parseCli(['--epochs'])).toThrow(UsageError);
    expect(() => parseCli(['extra'])).toThrow(UsageError);
    expect(() => parseCli(['--device', ''])).toThrow(/--device/);
  });

  it('exits 2 with a message on bad flags or an unknown device, 0 for --help', async () => {
    let c = capture();
    expect(await run(['--bogus'], c.io)).toBe(2);
    expect(c.err.join('\n')).toMatch(/--bogus[\s\S]*--help/);
    c = capture();
    expect(await run(['--device', 'nosuch:0'], c.io)).toBe(2);
    expect(c.err.join('\n')).toMatch(/cannot use device 'nosuch:0'/);
    c = capture();
    expect(await run(['--help'], c.io)).toBe(0);
    expect(c.out.join('\n')).toMatch(/--epochs N/);
  });
});
