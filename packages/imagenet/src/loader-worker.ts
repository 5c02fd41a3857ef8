/**
 * Worker-thread entry of the loader (fills runs of batch images, see loader/fill.ts) and of
 * `computeStats` (statistics of runs of records, see stats.ts).
 */
import { parentPort } from 'node:worker_threads';
import { type FillTask, fillImages, RecordReader } from './loader/fill.js';
import { serveTasks } from './pool.js';
import { type PartialStats, partialStats, type StatsTask } from './stats.js';

const reader = new RecordReader();
serveTasks<FillTask | StatsTask, number | PartialStats>(parentPort!, (task) => {
  if ('kind' in task && task.kind === 'stats') {
    const result = partialStats(task);
    return { result, transfer: [result.mean.buffer as ArrayBuffer] };
  }
  fillImages(task as FillTask, reader);
  return { result: (task as FillTask).records.length };
});
