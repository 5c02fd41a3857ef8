/** Worker-thread entry for `prepare` with `workers > 0`: decodes files into records. */
import { parentPort } from 'node:worker_threads';
import sharp from 'sharp';
import { type DecodeResult, type DecodeTask, decodeJob } from './decode-job.js';
import { serveTasks } from './pool.js';

// Each file is decoded once: libvips' operation cache would only hold memory.
sharp.cache(false);

serveTasks<DecodeTask, DecodeResult>(parentPort!, async (task) => {
  const result = await decodeJob(task);
  if (!result.ok) return { result };
  // A fresh, transferable copy (sharp's buffers are external memory that may not be detachable).
  const pixels = new Uint8Array(result.pixels);
  return { result: { ok: true, pixels }, transfer: [pixels.buffer] };
});
