// N-API bindings for Gantry's native kernels. Every kernel reads and writes float32 tensors in
// place inside one ArrayBuffer (in practice the TF.js wasm heap), addressed by byte offsets, so no
// data is copied between JavaScript, WebAssembly and C++. The caller must pass the heap's current
// buffer on every call: wasm memory growth detaches the old one.
#include <node_api.h>
#include <sched.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>

#include "kernels.h"

namespace gantry {
namespace {

std::mutex gConfigMutex;
ThreadPool* gPool = nullptr;
const KernelTable* gKernels = nullptr;
int gEnvCount = 0;

int availableCores() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    int n = CPU_COUNT(&set);
    if (n > 0) return n;
  }
  unsigned n = std::thread::hardware_concurrency();
  return n > 0 ? int(n) : 1;
}

bool cpuHas(const std::string& isa) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  if (isa == "avx512") return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma");
  if (isa == "avx2") return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif
  return isa == "generic";
}

const KernelTable* tableFor(const std::string& isa) {
  if (!cpuHas(isa)) return nullptr;
  if (isa == "avx512") return kernelsAvx512();
  if (isa == "avx2") return kernelsAvx2();
  if (isa == "generic") return kernelsGeneric();
  return nullptr;
}

const KernelTable* bestTable() {
  // GANTRY_NATIVE_ISA pins a code path (for tests and benchmarks); the best supported one otherwise.
  const char* forced = getenv("GANTRY_NATIVE_ISA");
  if (forced && *forced) {
    if (const KernelTable* t = tableFor(forced)) return t;
  }
  for (const char* isa : {"avx512", "avx2", "generic"})
    if (const KernelTable* t = tableFor(isa)) return t;
  return kernelsGeneric();
}

void ensureInitialized() {
  if (!gKernels) gKernels = bestTable();
  if (!gPool) gPool = new ThreadPool(availableCores());
}

// ---- argument helpers -------------------------------------------------------------------------

napi_value throwError(napi_env env, const char* code, const std::string& message) {
  napi_throw_error(env, code, message.c_str());
  return nullptr;
}

struct Args {
  napi_env env;
  size_t argc = 24;
  napi_value argv[24];
  bool ok = true;
  std::string fn;

  Args(napi_env e, napi_callback_info info, const char* name, size_t expected) : env(e), fn(name) {
    napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
    if (argc < expected) fail("expected " + std::to_string(expected) + " arguments, got " + std::to_string(argc));
  }
  void fail(const std::string& message) {
    if (ok) napi_throw_type_error(env, nullptr, ("gantry native " + fn + ": " + message).c_str());
    ok = false;
  }
  double number(size_t i) {
    double v = 0;
    if (ok && napi_get_value_double(env, argv[i], &v) != napi_ok) fail("argument " + std::to_string(i) + " must be a number");
    return v;
  }
  int integer(size_t i) {
    double v = number(i);
    if (ok && (v != double(int(v)))) fail("argument " + std::to_string(i) + " must be an integer, got " + std::to_string(v));
    return int(v);
  }
  // A JavaScript array of at most `max` integers into out; returns its length (-1 after a failure).
  int intArray(size_t i, int64_t* out, int max) {
    bool isArray = false;
    uint32_t len = 0;
    if (ok && (napi_is_array(env, argv[i], &isArray) != napi_ok || !isArray ||
               napi_get_array_length(env, argv[i], &len) != napi_ok || len > uint32_t(max)))
      fail("argument " + std::to_string(i) + " must be an array of at most " + std::to_string(max) + " integers");
    for (uint32_t k = 0; ok && k < len; ++k) {
      napi_value item;
      double v = 0;
      if (napi_get_element(env, argv[i], k, &item) != napi_ok || napi_get_value_double(env, item, &v) != napi_ok ||
          v != double(int64_t(v)))
        fail("argument " + std::to_string(i) + " must be an array of integers");
      out[k] = int64_t(v);
    }
    return ok ? int(len) : -1;
  }
  bool boolean(size_t i) {
    bool v = false;
    if (ok && napi_get_value_bool(env, argv[i], &v) != napi_ok) fail("argument " + std::to_string(i) + " must be a boolean");
    return v;
  }
};

// The heap ArrayBuffer (argument 0) and float32 views into it at byte offsets.
struct Heap {
  uint8_t* base = nullptr;
  size_t length = 0;

  bool open(Args& args) {
    void* data = nullptr;
    bool isBuffer = false;
    if (napi_is_arraybuffer(args.env, args.argv[0], &isBuffer) != napi_ok || !isBuffer) {
      args.fail("argument 0 must be an ArrayBuffer (the wasm heap)");
      return false;
    }
    napi_get_arraybuffer_info(args.env, args.argv[0], &data, &length);
    base = static_cast<uint8_t*>(data);
    if (!base && length > 0) {
      args.fail("the heap ArrayBuffer is detached");
      return false;
    }
    return true;
  }

  float* at(Args& args, double byteOffset, double floats, const char* what) {
    if (!args.ok) return nullptr;
    if (byteOffset < 0 || byteOffset != double(size_t(byteOffset)) || size_t(byteOffset) % 4 != 0) {
      args.fail(std::string(what) + ": bad byte offset " + std::to_string(byteOffset));
      return nullptr;
    }
    if (floats < 0 || byteOffset + floats * 4 > double(length)) {
      args.fail(std::string(what) + ": " + std::to_string(floats) + " floats at byte " +
                std::to_string(byteOffset) + " run past the heap (" + std::to_string(length) + " bytes)");
      return nullptr;
    }
    return reinterpret_cast<float*>(base + size_t(byteOffset));
  }
};

constexpr int kMaxFilterTaps = 1024;

bool readConvShape(Args& args, size_t first, ConvShape& s) {
  int* fields[] = {&s.batch, &s.inH, &s.inW, &s.inC, &s.outH, &s.outW, &s.outC, &s.kH, &s.kW,
                   &s.strideH, &s.strideW, &s.dilationH, &s.dilationW, &s.padTop, &s.padLeft};
  for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); ++i) *fields[i] = args.integer(first + i);
  if (!args.ok) return false;
  if (s.batch < 0 || s.inH < 0 || s.inW < 0 || s.inC < 0 || s.outH < 0 || s.outW < 0 || s.outC < 0 ||
      s.kH < 1 || s.kW < 1 || s.strideH < 1 || s.strideW < 1 || s.dilationH < 1 || s.dilationW < 1) {
    args.fail("invalid convolution shape");
    return false;
  }
  if (s.kH * s.kW > kMaxFilterTaps) {
    args.fail("filter of " + std::to_string(s.kH) + "x" + std::to_string(s.kW) + " exceeds " +
              std::to_string(kMaxFilterTaps) + " taps");
    return false;
  }
  return true;
}

double inSize(const ConvShape& s) { return double(s.batch) * s.inH * s.inW * s.inC; }
double outSize(const ConvShape& s) { return double(s.batch) * s.outH * s.outW * s.outC; }
double filterSize(const ConvShape& s) { return double(s.kH) * s.kW * s.inC * s.outC; }

napi_value undefinedValue(napi_env env) {
  napi_value v;
  napi_get_undefined(env, &v);
  return v;
}

// Runs a kernel on the configured table and pool (under the configuration lock) once its arguments
// are checked.
template <typename F>
napi_value runKernel(napi_env env, F&& kernel) {
  std::lock_guard<std::mutex> lock(gConfigMutex);
  ensureInitialized();
  kernel(*gKernels, *gPool);
  return undefinedValue(env);
}

// ---- exported functions -----------------------------------------------------------------------

napi_value makeInfo(napi_env env) {
  napi_value obj, isa, threads, list;
  napi_create_object(env, &obj);
  napi_create_string_utf8(env, gKernels->isa, NAPI_AUTO_LENGTH, &isa);
  napi_create_int32(env, gPool->size(), &threads);
  napi_create_array(env, &list);
  uint32_t n = 0;
  for (const char* name : {"avx512", "avx2", "generic"}) {
    if (!cpuHas(name)) continue;
    napi_value s;
    napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &s);
    napi_set_element(env, list, n++, s);
  }
  napi_value cores;
  napi_create_int32(env, availableCores(), &cores);
  napi_set_named_property(env, obj, "isa", isa);
  napi_set_named_property(env, obj, "threads", threads);
  napi_set_named_property(env, obj, "supportedIsas", list);
  napi_set_named_property(env, obj, "cores", cores);
  return obj;
}

// info() -> { isa, threads, supportedIsas, cores }
napi_value Info(napi_env env, napi_callback_info) {
  std::lock_guard<std::mutex> lock(gConfigMutex);
  ensureInitialized();
  return makeInfo(env);
}

// configure(threads: number (0 = all cores), isa: string ('' = best)) -> info
napi_value Configure(napi_env env, napi_callback_info info) {
  Args args(env, info, "configure", 2);
  int threads = args.integer(0);
  size_t len = 0;
  char isa[32] = {0};
  if (args.ok && napi_get_value_string_utf8(env, args.argv[1], isa, sizeof(isa), &len) != napi_ok)
    args.fail("argument 1 must be a string");
  if (args.ok && (threads < 0 || threads > 1024)) args.fail("threads must be in [0, 1024], got " + std::to_string(threads));
  if (!args.ok) return nullptr;
  std::lock_guard<std::mutex> lock(gConfigMutex);
  ensureInitialized();
  if (isa[0]) {
    const KernelTable* t = tableFor(isa);
    if (!t) return throwError(env, nullptr, std::string("gantry native configure: instruction set '") + isa + "' is not supported by this CPU");
    gKernels = t;
  } else {
    gKernels = bestTable();
  }
  const int wanted = threads == 0 ? availableCores() : threads;
  if (wanted != gPool->size()) {
    delete gPool;
    gPool = new ThreadPool(wanted);
  }
  return makeInfo(env);
}

// matmul(heap, aOff, bOff, cOff, batch, batchA, batchB, m, n, k, transA, transB)
napi_value Matmul(napi_env env, napi_callback_info info) {
  Args args(env, info, "matmul", 12);
  Heap heap;
  if (!args.ok || !heap.open(args)) return nullptr;
  const int batch = args.integer(4), batchA = args.integer(5), batchB = args.integer(6);
  const int m = args.integer(7), n = args.integer(8), k = args.integer(9);
  const bool transA = args.boolean(10), transB = args.boolean(11);
  if (args.ok && (m < 0 || n < 0 || k < 0 || batch < 0 || (batchA != 1 && batchA != batch) ||
                  (batchB != 1 && batchB != batch)))
    args.fail("invalid matmul shape");
  const float* a = heap.at(args, args.number(1), double(batchA) * m * k, "a");
  const float* b = heap.at(args, args.number(2), double(batchB) * k * n, "b");
  float* c = heap.at(args, args.number(3), double(batch) * m * n, "c");
  if (!args.ok) return nullptr;
  std::lock_guard<std::mutex> lock(gConfigMutex);
  ensureInitialized();
  gKernels->matmul(*gPool, a, b, c, batch, batchA, batchB, m, n, k, transA, transB);
  return undefinedValue(env);
}

enum class ConvKind { Forward, BackpropInput, BackpropFilter };

napi_value ConvCommon(napi_env env, napi_callback_info info, ConvKind kind, const char* name) {
  Args args(env, info, name, 19);
  Heap heap;
  if (!args.ok || !heap.open(args)) return nullptr;
  ConvShape s;
  if (!readConvShape(args, 4, s)) return nullptr;
  const double x = inSize(s), y = outSize(s), w = filterSize(s);
  // Operand order per kind: forward (x, w) -> y; backprop input (dy, w) -> dx; filter (x, dy) -> dw.
  const double sizes[3][3] = {{x, w, y}, {y, w, x}, {x, y, w}};
  const char* names[3][3] = {{"x", "filter", "y"}, {"dy", "filter", "dx"}, {"x", "dy", "dw"}};
  const int kIdx = int(kind);
  const float* in0 = heap.at(args, args.number(1), sizes[kIdx][0], names[kIdx][0]);
  const float* in1 = heap.at(args, args.number(2), sizes[kIdx][1], names[kIdx][1]);
  float* out = heap.at(args, args.number(3), sizes[kIdx][2], names[kIdx][2]);
  if (!args.ok) return nullptr;
  std::lock_guard<std::mutex> lock(gConfigMutex);
  ensureInitialized();
  switch (kind) {
    case ConvKind::Forward: gKernels->conv2d(*gPool, s, in0, in1, out); break;
    case ConvKind::BackpropInput: gKernels->conv2dBackpropInput(*gPool, s, in0, in1, out); break;
    case ConvKind::BackpropFilter: gKernels->conv2dBackpropFilter(*gPool, s, in0, in1, out); break;
  }
  return undefinedValue(env);
}

// conv2d(heap, xOff, wOff, yOff, batch, inH, inW, inC, outH, outW, outC, kH, kW,
//        strideH, strideW, dilationH, dilationW, padTop, padLeft)
napi_value Conv2d(napi_env env, napi_callback_info info) {
  return ConvCommon(env, info, ConvKind::Forward, "conv2d");
}
// conv2dBackpropInput(heap, dyOff, wOff, dxOff, ...same geometry as conv2d)
napi_value Conv2dBackpropInput(napi_env env, napi_callback_info info) {
  return ConvCommon(env, info, ConvKind::BackpropInput, "conv2dBackpropInput");
}
// conv2dBackpropFilter(heap, xOff, dyOff, dwOff, ...same geometry as conv2d)
napi_value Conv2dBackpropFilter(napi_env env, napi_callback_info info) {
  return ConvCommon(env, info, ConvKind::BackpropFilter, "conv2dBackpropFilter");
}

// biasActivation(heap, yOff, rows, cols, biasOff (-1: none), activation, alpha)
napi_value BiasActivation(napi_env env, napi_callback_info info) {
  Args args(env, info, "biasActivation", 7);
  Heap heap;
  if (!args.ok || !heap.open(args)) return nullptr;
  const double rows = args.number(2);
  const int cols = args.integer(3);
  const double biasOff = args.number(4);
  const int act = args.integer(5);
  const float alpha = float(args.number(6));
  if (args.ok && (rows < 0 || rows != double(int64_t(rows)) || cols < 0 || act < kLinear || act > kElu))
    args.fail("invalid rows, cols or activation");
  float* y = heap.at(args, args.number(1), rows * cols, "y");
  const float* bias = biasOff < 0 ? nullptr : heap.at(args, biasOff, cols, "bias");
  if (!args.ok) return nullptr;
  std::lock_guard<std::mutex> lock(gConfigMutex);
  ensureInitialized();
  gKernels->biasActivation(*gPool, y, int64_t(rows), cols, bias, act, alpha);
  return undefinedValue(env);
}

// reduceRows(heap, xOff, outOff, rows, cols, scale)
napi_value ReduceRows(napi_env env, napi_callback_info info) {
  Args args(env, info, "reduceRows", 6);
  Heap heap;
  if (!args.ok || !heap.open(args)) return nullptr;
  const double rows = args.number(3);
  const int cols = args.integer(4);
  const float scale = float(args.number(5));
  if (args.ok && (rows < 0 || rows != double(int64_t(rows)) || cols < 0)) args.fail("invalid rows or cols");
  const float* x = heap.at(args, args.number(1), rows * cols, "x");
  float* out = heap.at(args, args.number(2), cols, "out");
  if (!args.ok) return nullptr;
  std::lock_guard<std::mutex> lock(gConfigMutex);
  ensureInitialized();
  gKernels->reduceRows(*gPool, x, out, int64_t(rows), cols, scale);
  return undefinedValue(env);
}

// binary(heap, op, aOff, aMode, bOff, bMode, outOff, n, cols)
napi_value Binary(napi_env env, napi_callback_info info) {
  Args args(env, info, "binary", 9);
  Heap heap;
  if (!args.ok || !heap.open(args)) return nullptr;
  const int op = args.integer(1), aMode = args.integer(3), bMode = args.integer(5);
  const double n = args.number(7);
  const int cols = args.integer(8);
  if (args.ok && (op < kAdd || op > kDiv || aMode < kFull || aMode > kRow || bMode < kFull || bMode > kRow ||
                  n < 0 || n != double(int64_t(n)) || cols < 1 || (aMode == kScalar && bMode == kScalar)))
    args.fail("invalid op, operand modes, n or cols");
  auto operandSize = [&](int mode) { return mode == kFull ? n : mode == kScalar ? 1.0 : double(cols); };
  if (args.ok && (aMode == kRow || bMode == kRow) && double(int64_t(n) / cols) * cols != n)
    args.fail("n is not a multiple of the row length");
  const float* a = heap.at(args, args.number(2), operandSize(aMode), "a");
  const float* b = heap.at(args, args.number(4), operandSize(bMode), "b");
  float* out = heap.at(args, args.number(6), n, "out");
  if (!args.ok) return nullptr;
  std::lock_guard<std::mutex> lock(gConfigMutex);
  ensureInitialized();
  gKernels->binary(*gPool, op, a, aMode, b, bMode, out, int64_t(n), cols);
  return undefinedValue(env);
}

// unary(heap, op, xOff (ignored for Fill), outOff, n, alpha)
napi_value Unary(napi_env env, napi_callback_info info) {
  Args args(env, info, "unary", 6);
  Heap heap;
  if (!args.ok || !heap.open(args)) return nullptr;
  const int op = args.integer(1);
  const double n = args.number(4);
  const float alpha = float(args.number(5));
  if (args.ok && (op < kSquare || op > kRsqrt || n < 0 || n != double(int64_t(n)))) args.fail("invalid op or n");
  const float* x = op == kFill ? nullptr : heap.at(args, args.number(2), n, "x");
  float* out = heap.at(args, args.number(3), n, "out");
  if (!args.ok) return nullptr;
  std::lock_guard<std::mutex> lock(gConfigMutex);
  ensureInitialized();
  gKernels->unary(*gPool, op, x, out, int64_t(n), alpha);
  return undefinedValue(env);
}

// preluForward(heap, xOff, alphaOff, yOff, n, cols): cols divides n (cols 1: one shared slope)
napi_value PreluForward(napi_env env, napi_callback_info info) {
  Args args(env, info, "preluForward", 6);
  Heap heap;
  if (!args.ok || !heap.open(args)) return nullptr;
  const double n = args.number(4);
  const int cols = args.integer(5);
  if (args.ok && (n < 0 || n != double(int64_t(n)) || cols < 1 || int64_t(n) % cols != 0)) args.fail("invalid n or cols");
  const float* x = heap.at(args, args.number(1), n, "x");
  const float* alpha = heap.at(args, args.number(2), cols, "alpha");
  float* y = heap.at(args, args.number(3), n, "y");
  if (!args.ok) return nullptr;
  std::lock_guard<std::mutex> lock(gConfigMutex);
  ensureInitialized();
  gKernels->preluForward(*gPool, x, alpha, y, int64_t(n), cols);
  return undefinedValue(env);
}

// preluBackward(heap, dyOff, xOff, alphaOff, dxOff, dalphaOff, n, cols)
napi_value PreluBackward(napi_env env, napi_callback_info info) {
  Args args(env, info, "preluBackward", 8);
  Heap heap;
  if (!args.ok || !heap.open(args)) return nullptr;
  const double n = args.number(6);
  const int cols = args.integer(7);
  if (args.ok && (n < 0 || n != double(int64_t(n)) || cols < 1 || int64_t(n) % cols != 0)) args.fail("invalid n or cols");
  const float* dy = heap.at(args, args.number(1), n, "dy");
  const float* x = heap.at(args, args.number(2), n, "x");
  const float* alpha = heap.at(args, args.number(3), cols, "alpha");
  float* dx = heap.at(args, args.number(4), n, "dx");
  float* dalpha = heap.at(args, args.number(5), cols, "dalpha");
  if (!args.ok) return nullptr;
  std::lock_guard<std::mutex> lock(gConfigMutex);
  ensureInitialized();
  gKernels->preluBackward(*gPool, dy, x, alpha, dx, dalpha, int64_t(n), cols);
  return undefinedValue(env);
}

// batchNormForward(heap, xOff, gammaOff, betaOff, rows, cols, eps, yOff, meanOff, varianceOff)
napi_value BatchNormForward(napi_env env, napi_callback_info info) {
  Args args(env, info, "batchNormForward", 10);
  Heap heap;
  if (!args.ok || !heap.open(args)) return nullptr;
  const double rows = args.number(4);
  const int cols = args.integer(5);
  const float eps = float(args.number(6));
  if (args.ok && (rows < 1 || rows != double(int64_t(rows)) || cols < 1)) args.fail("invalid rows or cols");
  const float* x = heap.at(args, args.number(1), rows * cols, "x");
  const float* gamma = heap.at(args, args.number(2), cols, "gamma");
  const float* beta = heap.at(args, args.number(3), cols, "beta");
  float* y = heap.at(args, args.number(7), rows * cols, "y");
  float* mean = heap.at(args, args.number(8), cols, "mean");
  float* variance = heap.at(args, args.number(9), cols, "variance");
  if (!args.ok) return nullptr;
  std::lock_guard<std::mutex> lock(gConfigMutex);
  ensureInitialized();
  gKernels->batchNormForward(x, gamma, beta, int64_t(rows), cols, eps, y, mean, variance);
  return undefinedValue(env);
}

// batchNormBackward(heap, dyOff, xOff, meanOff, varianceOff, gammaOff, rows, cols, eps, sumDyOff,
//                   sumDyXmuOff, dxOff (-1: sums only))
napi_value BatchNormBackward(napi_env env, napi_callback_info info) {
  Args args(env, info, "batchNormBackward", 12);
  Heap heap;
  if (!args.ok || !heap.open(args)) return nullptr;
  const double rows = args.number(6);
  const int cols = args.integer(7);
  const float eps = float(args.number(8));
  if (args.ok && (rows < 1 || rows != double(int64_t(rows)) || cols < 1)) args.fail("invalid rows or cols");
  const float* dy = heap.at(args, args.number(1), rows * cols, "dy");
  const float* x = heap.at(args, args.number(2), rows * cols, "x");
  const float* mean = heap.at(args, args.number(3), cols, "mean");
  const float* variance = heap.at(args, args.number(4), cols, "variance");
  const float* gamma = heap.at(args, args.number(5), cols, "gamma");
  float* sumDy = heap.at(args, args.number(9), cols, "sumDy");
  float* sumDyXmu = heap.at(args, args.number(10), cols, "sumDyXmu");
  const double dxOff = args.number(11);
  float* dx = dxOff < 0 ? nullptr : heap.at(args, dxOff, rows * cols, "dx");
  if (!args.ok) return nullptr;
  std::lock_guard<std::mutex> lock(gConfigMutex);
  ensureInitialized();
  gKernels->batchNormBackward(dy, x, mean, variance, gamma, int64_t(rows), cols, eps, sumDy, sumDyXmu, dx);
  return undefinedValue(env);
}

// reduceStrided(heap, xOff, outOff, outer, rows1, mid, rows2, inner, scale)
napi_value ReduceStrided(napi_env env, napi_callback_info info) {
  Args args(env, info, "reduceStrided", 9);
  Heap heap;
  if (!args.ok || !heap.open(args)) return nullptr;
  const double outer = args.number(3), rows1 = args.number(4);
  const int mid = args.integer(5), rows2 = args.integer(6), inner = args.integer(7);
  const float scale = float(args.number(8));
  if (args.ok && (outer < 1 || outer != double(int64_t(outer)) || rows1 < 1 || rows1 != double(int64_t(rows1)) ||
                  mid < 1 || rows2 < 1 || inner < 1))
    args.fail("invalid outer, rows1, mid, rows2 or inner");
  const float* x = heap.at(args, args.number(1), outer * rows1 * mid * rows2 * inner, "x");
  float* out = heap.at(args, args.number(2), outer * mid * inner, "out");
  if (!args.ok) return nullptr;
  return runKernel(env, [&](const KernelTable& k, ThreadPool& pool) {
    k.reduceStrided(pool, x, out, int64_t(outer), int64_t(rows1), mid, rows2, inner, scale);
  });
}

// binaryBlock(heap, op, fullOff, blockOff, blockFirst, outOff, n, span, cols)
napi_value BinaryBlock(napi_env env, napi_callback_info info) {
  Args args(env, info, "binaryBlock", 9);
  Heap heap;
  if (!args.ok || !heap.open(args)) return nullptr;
  const int op = args.integer(1);
  const bool blockFirst = args.boolean(4);
  const double n = args.number(6), span = args.number(7);
  const int cols = args.integer(8);
  if (args.ok && (op < kAdd || op > kDiv || n < 1 || n != double(int64_t(n)) || cols < 1 || span < cols ||
                  span != double(int64_t(span)) || int64_t(span) % cols != 0 || int64_t(n) % int64_t(span) != 0))
    args.fail("invalid op, n, span or cols");
  const float* full = heap.at(args, args.number(2), n, "full");
  const float* block = heap.at(args, args.number(3), args.ok ? n / span * cols : 0, "block");
  float* out = heap.at(args, args.number(5), n, "out");
  if (!args.ok) return nullptr;
  return runKernel(env, [&](const KernelTable& k, ThreadPool& pool) {
    k.binaryBlock(pool, op, full, block, blockFirst, out, int64_t(n), int64_t(span), cols);
  });
}

enum class MoveKind { Tile, Transpose };

// Shape (argument 3) and reps or perm (argument 4) of a Tile or Transpose; returns the rank, -1 on failure.
int readMove(Args& args, MoveKind kind, int64_t* shape, int64_t* second, double& inSize, double& outSize) {
  const int rank = args.intArray(3, shape, kMaxMoveRank);
  const int rank2 = args.intArray(4, second, kMaxMoveRank);
  if (!args.ok) return -1;
  if (rank2 != rank) {
    args.fail(std::string(kind == MoveKind::Tile ? "reps" : "perm") + " must have one entry per axis");
    return -1;
  }
  bool seen[kMaxMoveRank] = {};
  inSize = outSize = 1;
  for (int k = 0; k < rank; ++k) {
    if (shape[k] < 1) args.fail("axes must have at least one element");
    if (kind == MoveKind::Tile) {
      if (second[k] < 1) args.fail("reps must be at least 1");
      outSize *= double(shape[k]) * double(second[k]);
    } else {
      if (second[k] < 0 || second[k] >= rank || seen[second[k]]) {
        args.fail("perm must be a permutation of the axes");
        return -1;
      }
      seen[second[k]] = true;
      outSize *= double(shape[k]);
    }
    inSize *= double(shape[k]);
  }
  return args.ok ? rank : -1;
}

napi_value MoveCommon(napi_env env, napi_callback_info info, MoveKind kind, const char* name) {
  Args args(env, info, name, 5);
  Heap heap;
  if (!args.ok || !heap.open(args)) return nullptr;
  int64_t shape[kMaxMoveRank], second[kMaxMoveRank];
  double inSize = 0, outSize = 0;
  const int rank = readMove(args, kind, shape, second, inSize, outSize);
  if (rank < 0) return nullptr;
  const float* x = heap.at(args, args.number(1), inSize, "x");
  float* out = heap.at(args, args.number(2), outSize, "out");
  if (!args.ok) return nullptr;
  const uint32_t* from = reinterpret_cast<const uint32_t*>(x);
  uint32_t* to = reinterpret_cast<uint32_t*>(out);
  int perm[kMaxMoveRank];
  for (int k = 0; k < rank; ++k) perm[k] = int(second[k]);
  return runKernel(env, [&](const KernelTable& k, ThreadPool& pool) {
    if (kind == MoveKind::Tile) k.tile(pool, from, to, rank, shape, second);
    else k.transpose(pool, from, to, rank, shape, perm);
  });
}

// tile(heap, xOff, outOff, shape: number[], reps: number[]) on 4-byte elements
napi_value Tile(napi_env env, napi_callback_info info) {
  return MoveCommon(env, info, MoveKind::Tile, "tile");
}
// transpose(heap, xOff, outOff, shape: number[], perm: number[]) on 4-byte elements
napi_value Transpose(napi_env env, napi_callback_info info) {
  return MoveCommon(env, info, MoveKind::Transpose, "transpose");
}

void cleanup(void*) {
  std::lock_guard<std::mutex> lock(gConfigMutex);
  if (--gEnvCount == 0 && gPool) {
    delete gPool;
    gPool = nullptr;
  }
}

// Writable and configurable, like ordinary module functions (tests and profilers wrap them).
constexpr napi_property_attributes kMethod = static_cast<napi_property_attributes>(napi_writable | napi_configurable);

napi_value Init(napi_env env, napi_value exports) {
  {
    std::lock_guard<std::mutex> lock(gConfigMutex);
    ++gEnvCount;
  }
  napi_add_env_cleanup_hook(env, cleanup, nullptr);
  const napi_property_descriptor props[] = {
      {"info", nullptr, Info, nullptr, nullptr, nullptr, kMethod, nullptr},
      {"configure", nullptr, Configure, nullptr, nullptr, nullptr, kMethod, nullptr},
      {"matmul", nullptr, Matmul, nullptr, nullptr, nullptr, kMethod, nullptr},
      {"conv2d", nullptr, Conv2d, nullptr, nullptr, nullptr, kMethod, nullptr},
      {"conv2dBackpropInput", nullptr, Conv2dBackpropInput, nullptr, nullptr, nullptr, kMethod, nullptr},
      {"conv2dBackpropFilter", nullptr, Conv2dBackpropFilter, nullptr, nullptr, nullptr, kMethod, nullptr},
      {"biasActivation", nullptr, BiasActivation, nullptr, nullptr, nullptr, kMethod, nullptr},
      {"reduceRows", nullptr, ReduceRows, nullptr, nullptr, nullptr, kMethod, nullptr},
      {"binary", nullptr, Binary, nullptr, nullptr, nullptr, kMethod, nullptr},
      {"unary", nullptr, Unary, nullptr, nullptr, nullptr, kMethod, nullptr},
      {"batchNormForward", nullptr, BatchNormForward, nullptr, nullptr, nullptr, kMethod, nullptr},
      {"batchNormBackward", nullptr, BatchNormBackward, nullptr, nullptr, nullptr, kMethod, nullptr},
      {"reduceStrided", nullptr, ReduceStrided, nullptr, nullptr, nullptr, kMethod, nullptr},
      {"binaryBlock", nullptr, BinaryBlock, nullptr, nullptr, nullptr, kMethod, nullptr},
      {"tile", nullptr, Tile, nullptr, nullptr, nullptr, kMethod, nullptr},
      {"transpose", nullptr, Transpose, nullptr, nullptr, nullptr, kMethod, nullptr},
      {"preluForward", nullptr, PreluForward, nullptr, nullptr, nullptr, kMethod, nullptr},
      {"preluBackward", nullptr, PreluBackward, nullptr, nullptr, nullptr, kMethod, nullptr},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}

}  // namespace
}  // namespace gantry

NAPI_MODULE(NODE_GYP_MODULE_NAME, gantry::Init)
