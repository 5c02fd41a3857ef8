/**
 * An opaque handle to device memory holding `length` float elements. Only the backend that made it
 * (named by `device`, e.g. 'ref:0') may use it; backends check this and throw a clear error otherwise.
 */
export interface BufferHandle {
  readonly length: number;
  readonly device: string;
}

/** A part of a buffer copy. Defaults: both offsets 0, length = the rest of the source. */
export interface CopyRegion {
  srcOffset?: number;
  dstOffset?: number;
  length?: number;
}

export interface MemoryStats {
  /** bytes held by live buffers */
  bytesInUse: number;
  /** highest bytesInUse seen since creation */
  peakBytesInUse: number;
  liveBuffers: number;
}
