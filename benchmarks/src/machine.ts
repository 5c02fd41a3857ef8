import { execFileSync } from 'node:child_process';
import os from 'node:os';

/** The facts a benchmark result is meaningless without. */
export interface MachineFacts {
  cpuModel: string;
  /** Logical cores the OS reports (the reference backend uses one). */
  cores: number;
  availableParallelism: number;
  totalMemoryBytes: number;
  platform: string;
  arch: string;
  nodeVersion: string;
  v8Version: string;
  /** ISO 8601, when the run started. */
  date: string;
  /** HEAD of the repository the benchmark ran in, or null outside git. */
  gitCommit: string | null;
  /** True when tracked files differed from HEAD (the numbers may not be HEAD's). */
  gitDirty: boolean | null;
}

function git(args: string[], cwd: string): string | null {
  try {
    return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

export function machineFacts(cwd: string = process.cwd(), date: Date = new Date()): MachineFacts {
  const cpus = os.cpus();
  const commit = git(['rev-parse', 'HEAD'], cwd);
  const status = commit === null ? null : git(['status', '--porcelain', '--untracked-files=no'], cwd);
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    availableParallelism: os.availableParallelism(),
    totalMemoryBytes: os.totalmem(),
    platform: process.platform,
    arch: process.arch,
    nodeVersion: process.version,
    v8Version: process.versions.v8,
    date: date.toISOString(),
    gitCommit: commit,
    gitDirty: status === null ? null : status.length > 0,
  };
}
