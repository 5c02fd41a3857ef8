/**
 * One device's work, in order, off the JS thread: a native call runs on one of koffi's worker
 * threads (`fn.async`), and the next item starts from its completion callback; JS items (buffer
 * writes, copies, frees) run inline between native calls. This is what lets two devices — two
 * towers — compute at the same time while the JS thread only enqueues (the CPU analogue of two GPU
 * streams). Like a GPU stream, a failure surfaces at the next `idle()`, not at enqueue time.
 */

/** A koffi function's async form: the arguments, then a Node-style callback. */
export interface AsyncCallable {
  async(...args: unknown[]): void;
}

type Item =
  | { kind: 'native'; fn: AsyncCallable; args: unknown[]; check?: (result: unknown) => void }
  | { kind: 'js'; op: () => void };

/** Native calls in flight across all queues now, and the most seen at once (for tests). */
export const inFlight = { now: 0, peak: 0 };

export class NativeQueue {
  private readonly items: Item[] = [];
  private running = false;
  private error: unknown = null;
  /** Items ever enqueued, and ever finished: `idle()` waits for a count, not for an empty queue. */
  private enqueued = 0;
  private finished = 0;
  private waiters: { at: number; resolve: () => void }[] = [];

  /** Enqueues `fn(...args)`; `check(result)` runs on completion and may throw (reported by `idle`). */
  native(fn: AsyncCallable, args: unknown[], check?: (result: unknown) => void): void {
    this.push(check ? { kind: 'native', fn, args, check } : { kind: 'native', fn, args });
  }

  /** Enqueues a JS operation, run after everything enqueued before it. */
  js(op: () => void): void {
    this.push({ kind: 'js', op });
  }

  /** True when nothing is queued or running. */
  get empty(): boolean {
    return !this.running && this.items.length === 0;
  }

  /**
   * Resolves when everything enqueued before the call has run — not what is enqueued after (like a
   * stream event: a transfer waits for the producer, not for the producer device's later work,
   * else the two towers would take turns) — and rejects with the first failure since the last call.
   */
  async idle(): Promise<void> {
    const at = this.enqueued;
    if (this.finished < at) await new Promise<void>((resolve) => this.waiters.push({ at, resolve }));
    const error = this.error;
    this.error = null;
    if (error !== null) throw error;
  }

  private push(item: Item): void {
    this.items.push(item);
    this.enqueued++;
    if (!this.running && this.items.length === 1) this.pump();
  }

  private done(): void {
    this.finished++;
    if (this.waiters.length === 0 || this.waiters[0]!.at > this.finished) return;
    const ready = this.waiters.filter((w) => w.at <= this.finished);
    this.waiters = this.waiters.filter((w) => w.at > this.finished);
    for (const w of ready) w.resolve();
  }

  private fail(error: unknown): void {
    if (this.error === null) this.error = error; // later failures are usually consequences
  }

  private pump(): void {
    for (;;) {
      const item = this.items[0];
      if (item === undefined) break;
      if (item.kind === 'js') {
        this.items.shift();
        try {
          item.op();
        } catch (error) {
          this.fail(error);
        }
        this.done();
        continue;
      }
      this.running = true;
      inFlight.peak = Math.max(inFlight.peak, ++inFlight.now);
      item.fn.async(...item.args, (error: unknown, result: unknown) => {
        inFlight.now--;
        this.items.shift();
        this.running = false;
        if (error) this.fail(error);
        else if (item.check) {
          try {
            item.check(result);
          } catch (e) {
            this.fail(e);
          }
        }
        this.done();
        this.pump();
      });
      return;
    }
  }
}
