// Portable fallback: 6 x 8 register tile of 128-bit vectors.
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"

// Baseline x86-64 (SSE2) or whatever the compiler targets by default.

#define GANTRY_ISA_NS generic
#define GANTRY_ISA_NAME "generic"
#define GANTRY_VEC_BYTES 16
#define GANTRY_MR 6
#define GANTRY_NV 2
#include "kernels_impl.inc"

namespace gantry {
const KernelTable* kernelsGeneric() { return &generic::kTable; }
}  // namespace gantry
