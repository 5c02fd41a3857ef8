#include "alexnet_native.h"
#include "philox.h"

uint32_t ax_philox_u32(uint64_t seed, uint64_t index) {
  uint32_t block[4];
  ax_philox_stream_block(seed, index >> 2, block);
  return block[index & 3];
}
