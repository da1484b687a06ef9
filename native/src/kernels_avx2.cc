// AVX2 + FMA: 6 x 16 register tile (12 ymm accumulators).
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"

#pragma GCC target("avx2,fma")

#define GANTRY_ISA_NS avx2
#define GANTRY_ISA_NAME "avx2"
#define GANTRY_VEC_BYTES 32
#define GANTRY_MR 6
#define GANTRY_NV 2
#include "kernels_impl.inc"

namespace gantry {
const KernelTable* kernelsAvx2() { return &avx2::kTable; }
}  // namespace gantry
