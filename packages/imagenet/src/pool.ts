/**
 * A small worker_threads pool: tasks go to the least-busy worker (at most `perWorker` at a time
 * each), replies come back by task id. Idle workers are unref'd so a forgotten pool never keeps the
 * process alive; busy ones are ref'd so an awaited task is never abandoned.
 */
import { existsSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Transferable, Worker } from 'node:worker_threads';

/** The messages a pool worker receives and sends. */
export interface TaskMessage<T> {
  id: number;
  task: T;
}
export type ReplyMessage<R> = { id: number; ok: true; result: R } | { id: number; ok: false; error: string };

/**
 * Path of a worker entry built beside this module: `dist/<name>.js` from the ESM build,
 * `dist/<name>.cjs` from the CommonJS one. Running from the TypeScript sources (the package's own
 * tests), the built worker in `dist/` is used: build first (turbo's test task does).
 */
export function workerScript(name: string): string {
  const self = fileURLToPath(import.meta.url);
  const ext = extname(self);
  const dir = dirname(self);
  if (ext === '.ts') {
    const built = join(dir, '..', 'dist', `${name}.js`);
    if (!existsSync(built))
      throw new Error(`worker entry '${built}' is missing: build @alexnet/imagenet first (pnpm build)`);
    return built;
  }
  return join(dir, `${name}${ext === '.cjs' ? '.cjs' : '.js'}`);
}

interface Pending<R> {
  resolve: (r: R) => void;
  reject: (e: Error) => void;
  worker: number;
}

export class WorkerPool<T, R> {
  private readonly workers: Worker[] = [];
  private readonly busy: number[] = [];
  private readonly pending = new Map<number, Pending<R>>();
  private readonly queue: { id: number; task: T; transfer: readonly Transferable[] }[] = [];
  private nextId = 0;
  private failure: Error | undefined;
  private closed = false;

  constructor(
    script: string,
    readonly size: number,
    private readonly perWorker = 1,
    workerData?: unknown,
  ) {
    for (let w = 0; w < size; w++) {
      const worker = new Worker(script, { workerData });
      worker.unref();
      worker.on('message', (msg: ReplyMessage<R>) => this.onReply(w, msg));
      worker.on('error', (e) => this.fail(new Error(`worker ${w} crashed: ${e.message}`)));
      worker.on('exit', (code) => {
        if (!this.closed) this.fail(new Error(`worker ${w} exited with code ${code}`));
      });
      this.workers.push(worker);
      this.busy.push(0);
    }
  }

  /** Runs one task on some worker; `transfer` lists buffers to move rather than copy. */
  run(task: T, transfer: readonly Transferable[] = []): Promise<R> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closed) return Promise.reject(new Error('worker pool is closed'));
    const id = this.nextId++;
    return new Promise<R>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, worker: -1 });
      this.queue.push({ id, task, transfer });
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      let best = -1;
      for (let w = 0; w < this.workers.length; w++)
        if (this.busy[w]! < this.perWorker && (best < 0 || this.busy[w]! < this.busy[best]!)) best = w;
      if (best < 0) return;
      const { id, task, transfer } = this.queue.shift()!;
      const p = this.pending.get(id)!;
      p.worker = best;
      if (this.busy[best]! === 0) this.workers[best]!.ref();
      this.busy[best]!++;
      this.workers[best]!.postMessage({ id, task } satisfies TaskMessage<T>, transfer as Transferable[]);
    }
  }

  private onReply(w: number, msg: ReplyMessage<R>): void {
    const p = this.pending.get(msg.id);
    if (!p) return;
    this.pending.delete(msg.id);
    this.busy[w]!--;
    if (this.busy[w] === 0) this.workers[w]!.unref();
    if (msg.ok) p.resolve(msg.result);
    else p.reject(new Error(msg.error));
    this.dispatch();
  }

  private fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    for (const p of this.pending.values()) p.reject(error);
    this.pending.clear();
    this.queue.length = 0;
  }

  /** Terminates the workers; tasks still running are rejected. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const p of this.pending.values()) p.reject(new Error('worker pool closed'));
    this.pending.clear();
    this.queue.length = 0;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/** The worker side: answers each task with `handle`'s result (or its error message). */
export function serveTasks<T, R>(
  port: {
    on(ev: 'message', f: (m: TaskMessage<T>) => void): void;
    postMessage(m: unknown, t?: Transferable[]): void;
  },
  handle: (
    task: T,
  ) => Promise<{ result: R; transfer?: Transferable[] }> | { result: R; transfer?: Transferable[] },
): void {
  port.on('message', async (msg) => {
    try {
      const { result, transfer } = await handle(msg.task);
      port.postMessage({ id: msg.id, ok: true, result } satisfies ReplyMessage<R>, transfer ?? []);
    } catch (e) {
      port.postMessage({ id: msg.id, ok: false, error: e instanceof Error ? e.message : String(e) });
    }
  });
}
