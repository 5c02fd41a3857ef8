/**
 * Kernels are written once as generators that `yield` each gpu.js call's result. In the synchronous
 * modes (cpu, webasm, WebGL) gpu.js returns values and `drive` runs the generator to the end at once;
 * in webgpu mode calls return Promises (the readback is asynchronous) and `drive` continues the
 * generator as each one settles. One code path, no duplicated kernels for the async mode.
 */
import type { KernelOutput } from 'gpu.js';

export type Step = Generator<KernelOutput | Promise<KernelOutput>, void, KernelOutput>;

function isPromise(v: unknown): v is Promise<KernelOutput> {
  return typeof (v as { then?: unknown } | null)?.then === 'function';
}

/** Runs `gen` synchronously while its values are plain, asynchronously from the first Promise on. */
export function drive(gen: Step): void | Promise<void> {
  let step = gen.next();
  while (!step.done) {
    const v = step.value;
    if (isPromise(v)) return v.then((r) => drive(continueWith(gen, r)));
    step = gen.next(v);
  }
}

/** A generator view of `gen` that first resumes it with `r`. */
function continueWith(gen: Step, r: KernelOutput): Step {
  let first = true;
  return {
    next: (v?: KernelOutput) => {
      if (first) {
        first = false;
        return gen.next(r);
      }
      return gen.next(v as KernelOutput);
    },
    return: (v) => gen.return(v),
    throw: (e) => gen.throw(e),
    [Symbol.iterator]() {
      return this;
    },
  } as Step;
}

/**
 * Work in order: runs at once while nothing is pending, queues behind a pending Promise otherwise.
 * The first failure of queued work is kept and thrown by `settle` (read/sync), as a GPU stream does.
 */
export class WorkQueue {
  private tail: Promise<void> | null = null;
  private failure: unknown = null;

  get idle(): boolean {
    return this.tail === null;
  }

  submit(work: () => void | Promise<void>): void {
    if (this.tail === null) {
      const r = work();
      if (r) this.track(r);
      return;
    }
    this.track(this.tail.then(work));
  }

  async settle(): Promise<void> {
    while (this.tail) await this.tail;
    if (this.failure !== null) {
      const f = this.failure;
      this.failure = null;
      throw f;
    }
  }

  private track(p: Promise<void>): void {
    const mine: Promise<void> = p.then(
      () => {
        if (this.tail === mine) this.tail = null;
      },
      (err: unknown) => {
        this.failure ??= err;
        if (this.tail === mine) this.tail = null;
      },
    );
    this.tail = mine;
  }
}
