import type { BufferHandle, CopyRegion } from '../contract/buffer.js';
import type { Device } from './device.js';

/** How a cross-device copy travelled. */
export type TransferPath = 'same-device' | 'peer' | 'host';

/**
 * Copies between buffers of any two devices: a plain copy on one device, a peer copy between
 * devices of one kind that support it (CUDA peer access), otherwise staged through host memory.
 * Returns the path taken so callers (and benchmarks) can see it.
 *
 * Ordering: the copy reads the source after all work enqueued on the source device before the call
 * (the source is synced first), and work enqueued on the destination after the call sees the data.
 */
export async function transfer(
  src: Device,
  srcBuf: BufferHandle,
  dst: Device,
  dstBuf: BufferHandle,
  region: CopyRegion = {},
): Promise<TransferPath> {
  if (src === dst) {
    src.backend.copy(srcBuf, dstBuf, region);
    return 'same-device';
  }
  const peer = dst.backend.peerCopy;
  if (src.kind === dst.kind && dst.backend.capabilities.peerCopy && peer) {
    await src.backend.sync();
    peer.call(dst.backend, srcBuf, src.backend, dstBuf, region);
    return 'peer';
  }
  const so = region.srcOffset ?? 0;
  const host = await src.backend.read(srcBuf, so, region.length ?? srcBuf.length - so);
  dst.backend.write(dstBuf, host, region.dstOffset ?? 0);
  return 'host';
}
