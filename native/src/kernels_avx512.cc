// AVX-512F: 8 x 32 register tile (16 zmm accumulators).
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"

#pragma GCC target("avx512f,fma")

#define GANTRY_ISA_NS avx512
#define GANTRY_ISA_NAME "avx512"
#define GANTRY_VEC_BYTES 64
#define GANTRY_MR 8
#define GANTRY_NV 2
#include "kernels_impl.inc"

namespace gantry {
const KernelTable* kernelsAvx512() { return &avx512::kTable; }
}  // namespace gantry
