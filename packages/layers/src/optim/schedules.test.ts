import { ArgumentError } from '@alexnet/tensor';
import { describe, expect, it } from 'vitest';
import {
  ConstantSchedule,
  PlateauSchedule,
  StepSchedule,
  scheduleFromState,
  WarmupSchedule,
} from './schedules.js';

describe('schedules', () => {
  it('step: ÷10 every N epochs, at milestones, or every N iterations', () => {
    const s = new StepSchedule({ base: 0.01, every: 30 });
    const at = (epoch: number, iteration = 0) => s.rate({ epoch, iteration });
    expect([0, 29, 30, 59, 60, 90].map((e) => at(e))).toEqual([
      0.01,
      0.01,
      0.001,
      0.001,
      0.01 * 0.1 ** 2,
      0.01 * 0.1 ** 3,
    ]);
    const m = new StepSchedule({ base: 1, gamma: 0.5, milestones: [2, 5] });
    expect([0, 1, 2, 4, 5, 100].map((e) => m.rate({ epoch: e, iteration: 0 }))).toEqual([
      1, 1, 0.5, 0.5, 0.25, 0.25,
    ]);
    const it = new StepSchedule({ base: 1, every: 10, unit: 'iteration' });
    expect(it.rate({ epoch: 50, iteration: 25 })).toBeCloseTo(0.01, 15);
    expect(s.observe(0.3)).toBe(false);
    const copy = scheduleFromState(JSON.parse(JSON.stringify(m.state())));
    expect(copy.rate({ epoch: 5, iteration: 0 })).toBe(0.25);
  });

  it("plateau: the paper's ÷10 when the validation error stops improving, at most 3 times", () => {
    const s = new PlateauSchedule({ base: 0.01, patience: 2 });
    const rates: number[] = [];
    const changed: boolean[] = [];
    // improving, then stuck twice (decay), improving, stuck twice (decay), …
    const errors = [0.9, 0.8, 0.81, 0.8, 0.7, 0.75, 0.72, 0.6, 0.6, 0.61, 0.55, 0.56, 0.57, 0.58];
    for (const e of errors) {
      changed.push(s.observe(e));
      rates.push(s.rate());
    }
    expect(changed).toEqual([
      false,
      false,
      false,
      true,
      false,
      false,
      true,
      false,
      false,
      true,
      false,
      false,
      false,
      false,
    ]);
    expect(s.decays).toBe(3);
    expect(rates.at(-1)).toBeCloseTo(1e-5, 18);
    expect(s.best).toBe(0.55);
    expect(s.exhausted).toBe(true);
    expect(s.observe(0.9)).toBe(false); // never a 4th decay
    expect(s.rate()).toBeCloseTo(1e-5, 18);
  });

  it('plateau state is JSON and a restored schedule continues identically', () => {
    const a = new PlateauSchedule({ base: 0.1, patience: 3, threshold: 0.01 });
    expect(JSON.parse(JSON.stringify(a.state()))).toEqual(a.state()); // best is null, not Infinity
    for (const e of [0.5, 0.495, 0.49]) a.observe(e); // within threshold: not improvements
    const b = scheduleFromState(JSON.parse(JSON.stringify(a.state())));
    for (const e of [0.499, 0.3, 0.31, 0.32, 0.33]) expect(b.observe(e)).toBe(a.observe(e));
    expect(b.state()).toEqual(a.state());
    expect(a.decays).toBe(2);
  });

  it('rejects bad values and state of another type', () => {
    expect(() => new ConstantSchedule(Number.NaN)).toThrow(ArgumentError);
    expect(() => new StepSchedule({ base: 0.01 })).toThrow(/exactly one of every and milestones/);
    expect(() => new StepSchedule({ base: 0.01, milestones: [5, 3] })).toThrow(/milestones must increase/);
    expect(() => new StepSchedule({ base: 0.01, every: 0 })).toThrow(/every must be an integer >= 1, got 0/);
    expect(() => new PlateauSchedule({ factor: 2 })).toThrow(/factor must be in \[0, 1\], got 2/);
    expect(() => new PlateauSchedule({ patience: 0 })).toThrow(/patience must be an integer >= 1/);
    expect(() => new PlateauSchedule().observe(Number.NaN)).toThrow(
      /validation error must be a finite number, got NaN/,
    );
    expect(() => new PlateauSchedule().loadState(new ConstantSchedule(1).state())).toThrow(
      /a 'plateau' schedule cannot load state of type 'constant'/,
    );
    expect(() => scheduleFromState({ type: 'cosine' } as never)).toThrow(/unknown schedule type 'cosine'/);
    expect(() =>
      new PlateauSchedule().loadState({ ...new PlateauSchedule().state(), decays: 9 } as never),
    ).toThrow(/decays 9 exceeds maxDecays 3/);
  });

  it('warm-up: ramps the wrapped rate linearly over the first steps, then passes it through', () => {
    const w = new WarmupSchedule(new PlateauSchedule({ base: 0.02, patience: 1, maxDecays: 1 }), 4);
    expect([0, 1, 2, 3, 4, 100].map((iteration) => w.rate({ iteration, epoch: 0 }))).toEqual([
      0.005, 0.01, 0.015, 0.02, 0.02, 0.02,
    ]);
    expect(w.observe(0.5)).toBe(false);
    expect(w.observe(0.6)).toBe(true); // the plateau inside decays
    expect(w.rate({ iteration: 50, epoch: 1 })).toBeCloseTo(0.002, 15);
    expect(w.exhausted).toBe(false);
    w.observe(0.7);
    expect(w.exhausted).toBe(true);
    const copy = scheduleFromState(JSON.parse(JSON.stringify(w.state())));
    expect(copy).toBeInstanceOf(WarmupSchedule);
    expect(copy.rate({ iteration: 1, epoch: 0 })).toBeCloseTo(0.001, 15);
    expect(copy.state()).toEqual(w.state());
    expect(() => new WarmupSchedule(new ConstantSchedule(0.1), 0)).toThrow(/steps/);
    expect(() => new WarmupSchedule(w, 3)).toThrow(/cannot wrap another warm-up/);
    expect(() => new ConstantSchedule(1).loadState(w.state())).toThrow(/cannot load state of type 'warmup'/);
  });
});
