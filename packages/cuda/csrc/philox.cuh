// Philox4x32-10, identical to packages/tensor/src/rng/philox.ts: stream value j of `seed` is lane
// j mod 4 of the block with counter [⌊j/4⌋ mod 2³², ⌊j/4⌋ / 2³², 0, 0] and key [seed mod 2³², seed / 2³²].
#pragma once
#include "common.cuh"

struct Philox4 {
  unsigned v[4];
};

__device__ __forceinline__ Philox4 philox4x32_10(unsigned long long block, unsigned long long seed) {
  unsigned c0 = (unsigned)block, c1 = (unsigned)(block >> 32), c2 = 0, c3 = 0;
  unsigned k0 = (unsigned)seed, k1 = (unsigned)(seed >> 32);
#pragma unroll
  for (int round = 0; round < 10; ++round) {
    if (round > 0) {
      k0 += 0x9e3779b9u;
      k1 += 0xbb67ae85u;
    }
    const unsigned hi0 = __umulhi(0xd2511f53u, c0), lo0 = 0xd2511f53u * c0;
    const unsigned hi1 = __umulhi(0xcd9e8d57u, c2), lo1 = 0xcd9e8d57u * c2;
    c0 = hi1 ^ c1 ^ k0;
    c1 = lo1;
    c2 = hi0 ^ c3 ^ k1;
    c3 = lo0;
  }
  Philox4 r;
  r.v[0] = c0;
  r.v[1] = c1;
  r.v[2] = c2;
  r.v[3] = c3;
  return r;
}
