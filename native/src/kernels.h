// Shared declarations for Gantry's native float32 kernels. Every ISA-specific translation unit
// (kernels_avx512.cc, kernels_avx2.cc, kernels_generic.cc) compiles the same implementation
// (kernels_impl.inc) for its instruction set and exposes it as one KernelTable.
//
// The ISA units must not instantiate C++ library templates (std::vector, std::function, ...):
// such instantiations are weak symbols that the linker may share across units, and an AVX-512
// copy could then run on a CPU without AVX-512. This header therefore uses plain C types only.
#ifndef GANTRY_NATIVE_KERNELS_H_
#define GANTRY_NATIVE_KERNELS_H_

#include <cstddef>
#include <cstdint>

namespace gantry {

// Runs task(ctx, i) for i in [0, count); task i always runs on the same pool thread (i modulo the
// pool size), so work partitions, and therefore results, do not depend on scheduling.
typedef void (*TaskFn)(void* ctx, int index);

class ThreadPool {
 public:
  explicit ThreadPool(int threads);
  ~ThreadPool();
  int size() const { return threads_; }
  void run(int count, TaskFn task, void* ctx);

 private:
  struct State;
  State* state_;
  int threads_;
};

// NHWC convolution geometry, shared by the forward pass and both gradients.
// Input [batch, inH, inW, inC]; filter [kH, kW, inC, outC]; output [batch, outH, outW, outC].
struct ConvShape {
  int batch, inH, inW, inC;
  int outH, outW, outC;
  int kH, kW;
  int strideH, strideW;
  int dilationH, dilationW;
  int padTop, padLeft;
};

struct KernelTable {
  const char* isa;
  // c[i] = op(a[i]) x op(b[i]) for i in [0, batch); a batch count of 1 broadcasts that operand.
  // a is [m, k] (or [k, m] if transA), b is [k, n] (or [n, k] if transB), c is [m, n].
  void (*matmul)(ThreadPool& pool, const float* a, const float* b, float* c, int batch, int batchA,
                 int batchB, int m, int n, int k, bool transA, bool transB);
  void (*conv2d)(ThreadPool& pool, const ConvShape& s, const float* x, const float* w, float* y);
  // dx = gradient of conv2d wrt its input; also the forward pass of a transposed convolution.
  void (*conv2dBackpropInput)(ThreadPool& pool, const ConvShape& s, const float* dy, const float* w,
                              float* dx);
  // dw = gradient of conv2d wrt its filter.
  void (*conv2dBackpropFilter)(ThreadPool& pool, const ConvShape& s, const float* x, const float* dy,
                               float* dw);
  // y[r, c] = act(y[r, c] + bias[c]) in place; bias may be null. act: see Activation.
  void (*biasActivation)(ThreadPool& pool, float* y, int64_t rows, int cols, const float* bias,
                         int act, float alpha);
  // out[c] = scale * sum over r of x[r, c] (batch statistics, bias gradients).
  void (*reduceRows)(ThreadPool& pool, const float* x, float* out, int64_t rows, int cols, float scale);
  // out[i] = a[i] op b[i] over n elements, where an operand is either full (n elements), a scalar,
  // or a row of `cols` elements repeated along leading axes. op: see BinaryOp; mode: see Operand.
  void (*binary)(ThreadPool& pool, int op, const float* a, int aMode, const float* b, int bMode,
                 float* out, int64_t n, int cols);
  // out[i] = f(x[i]) for the UnaryOp f; alpha is Step's value for x <= 0 and Fill's value.
  void (*unary)(ThreadPool& pool, int op, const float* x, float* out, int64_t n, float alpha);
  // Batch normalisation of x [rows, cols] over rows (training mode): mean, biased variance, and
  // y = (x - mean) * gamma / sqrt(variance + eps) + beta.
  void (*batchNormForward)(const float* x, const float* gamma, const float* beta, int64_t rows, int cols,
                           float eps, float* y, float* mean, float* variance);
  // Its gradient: sumDy = sum of dy, sumDyXmu = sum of dy * (x - mean) (per column), and
  // dx = gamma / std * (dy - sumDy / rows - (x - mean) / std^2 * sumDyXmu / rows). dx may be null.
  void (*batchNormBackward)(const float* dy, const float* x, const float* mean, const float* variance,
                            const float* gamma, int64_t rows, int cols, float eps, float* sumDy,
                            float* sumDyXmu, float* dx);
  // out [outer, mid, inner] = scale * sum over rows1 and rows2 of x [outer, rows1, mid, rows2, inner]
  // (per-sample spatial sums with mid = rows2 = 1; gradients of broadcasts over two unit axes).
  void (*reduceStrided)(ThreadPool& pool, const float* x, float* out, int64_t outer, int64_t rows1, int mid,
                        int rows2, int inner, float scale);
  // out = full op block (block op full if blockFirst) over n elements, the block operand being
  // [P, 1, Q] against the output [P, R, Q]: element i reads block[(i / span) * cols + i % cols] with
  // span = R * Q and cols = Q (e.g. [B, H, W, C] with [B, 1, 1, C] or [B, 1, 1, 1]).
  void (*binaryBlock)(ThreadPool& pool, int op, const float* full, const float* block, bool blockFirst,
                      float* out, int64_t n, int64_t span, int cols);
  // Tile and Transpose of 4-byte elements (bit copies), rank <= kMaxMoveRank, no zero-sized axes.
  void (*tile)(ThreadPool& pool, const uint32_t* x, uint32_t* out, int rank, const int64_t* shape,
               const int64_t* reps);
  void (*transpose)(ThreadPool& pool, const uint32_t* x, uint32_t* out, int rank, const int64_t* shape,
                    const int* perm);
  // PReLU of x [n / cols, cols] with slopes alpha [cols] (cols 1: one shared slope):
  // y = x > 0 ? x : alpha * x.
  void (*preluForward)(ThreadPool& pool, const float* x, const float* alpha, float* y, int64_t n, int cols);
  // Its gradient: dx = dy * (x > 0 ? 1 : alpha), dalpha[c] = sum of dy * min(x, 0) over column c.
  void (*preluBackward)(ThreadPool& pool, const float* dy, const float* x, const float* alpha, float* dx,
                        float* dalpha, int64_t n, int cols);
};

constexpr int kMaxMoveRank = 8;

enum UnaryOp { kSquare = 0, kSqrt = 1, kNeg = 2, kReluOp = 3, kStep = 4, kFill = 5, kRsqrt = 6 };

enum BinaryOp { kAdd = 0, kSub = 1, kMul = 2, kDiv = 3 };
enum Operand { kFull = 0, kScalar = 1, kRow = 2 };

enum Activation { kLinear = 0, kRelu = 1, kRelu6 = 2, kLeakyRelu = 3, kSigmoid = 4, kElu = 5 };

const KernelTable* kernelsAvx512();
const KernelTable* kernelsAvx2();
const KernelTable* kernelsGeneric();

}  // namespace gantry

#endif  // GANTRY_NATIVE_KERNELS_H_
