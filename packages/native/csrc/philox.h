/* Internal: Philox4x32-10 (Salmon et al., SC'11), bit-identical to packages/tensor/src/rng/philox.ts. */
#ifndef AX_PHILOX_H
#define AX_PHILOX_H
#include <stdint.h>

/** One block: out = Philox4x32-10(ctr, key). */
static inline void ax_philox4x32(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4]) {
  uint32_t c0 = ctr[0], c1 = ctr[1], c2 = ctr[2], c3 = ctr[3];
  uint32_t k0 = key[0], k1 = key[1];
  for (int round = 0; round < 10; round++) {
    if (round > 0) {
      k0 += 0x9e3779b9u; /* golden ratio */
      k1 += 0xbb67ae85u; /* sqrt(3) - 1 */
    }
    const uint64_t p0 = (uint64_t)0xd2511f53u * c0;
    const uint64_t p1 = (uint64_t)0xcd9e8d57u * c2;
    c0 = (uint32_t)(p1 >> 32) ^ c1 ^ k0;
    c1 = (uint32_t)p1;
    c2 = (uint32_t)(p0 >> 32) ^ c3 ^ k1;
    c3 = (uint32_t)p0;
  }
  out[0] = c0;
  out[1] = c1;
  out[2] = c2;
  out[3] = c3;
}

/** The block holding stream values 4·b … 4·b + 3 of `seed` (counter [b lo, b hi, 0, 0], key [seed lo, seed hi]). */
static inline void ax_philox_stream_block(uint64_t seed, uint64_t b, uint32_t out[4]) {
  const uint32_t ctr[4] = {(uint32_t)b, (uint32_t)(b >> 32), 0, 0};
  const uint32_t key[2] = {(uint32_t)seed, (uint32_t)(seed >> 32)};
  ax_philox4x32(ctr, key, out);
}
#endif
