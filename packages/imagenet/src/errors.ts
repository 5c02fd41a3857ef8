/**
 * Errors of the data pipeline. Each names the file or setting at fault so a user can act on it
 * without a debugger. Bad arguments throw `ArgumentError` from `@alexnet/tensor`.
 */

/** A dataset folder or ground-truth file is missing or malformed. */
export class DatasetError extends Error {
  override name = 'DatasetError';
}

/**
 * A cache cannot be used: made with other settings, incomplete, corrupt (checksum, size) or of an
 * unknown format version.
 */
export class CacheError extends Error {
  override name = 'CacheError';
}

/** `prepare` was stopped through its AbortSignal; rerunning it continues where it stopped. */
export class PrepareInterruptedError extends Error {
  override name = 'AbortError';
  constructor(
    readonly split: string,
    readonly done: number,
    readonly total: number,
  ) {
    super(`prepare interrupted in split '${split}' after ${done} of ${total} images; rerun to continue`);
  }
}
