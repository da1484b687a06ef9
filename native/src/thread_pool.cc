// A small persistent thread pool. The calling thread runs task 0 itself; worker w runs tasks
// w, w + threads, ... so the assignment of work to threads is fixed. Workers spin briefly after a
// job (kernels arrive in bursts: a layer's forward and backward passes) and then sleep.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "kernels.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define GANTRY_CPU_RELAX() _mm_pause()
#else
#define GANTRY_CPU_RELAX() std::this_thread::yield()
#endif

namespace gantry {

namespace {
constexpr auto kSpinBeforeSleep = std::chrono::microseconds(50);
}

struct ThreadPool::State {
  std::vector<std::thread> workers;
  std::mutex mutex;
  std::condition_variable wake;
  std::atomic<uint64_t> generation{0};
  std::atomic<int> pending{0};
  bool stopping = false;  // guarded by mutex
  // The current job, published before generation is bumped.
  int count = 0;
  TaskFn task = nullptr;
  void* ctx = nullptr;
  // Serialises run(): the pool is process-wide and JavaScript threads may share it.
  std::mutex runMutex;
};

ThreadPool::ThreadPool(int threads) : state_(new State), threads_(threads < 1 ? 1 : threads) {
  State* st = state_;
  const int total = threads_;
  for (int w = 1; w < total; ++w) {
    st->workers.emplace_back([st, w, total] {
      uint64_t seen = 0;
      for (;;) {
        // Spin for a short while, then sleep until the next job or shutdown.
        auto spinUntil = std::chrono::steady_clock::now() + kSpinBeforeSleep;
        while (st->generation.load(std::memory_order_acquire) == seen &&
               std::chrono::steady_clock::now() < spinUntil) {
          for (int i = 0; i < 32; ++i) GANTRY_CPU_RELAX();
        }
        if (st->generation.load(std::memory_order_acquire) == seen) {
          std::unique_lock<std::mutex> lock(st->mutex);
          st->wake.wait(lock, [&] {
            return st->stopping || st->generation.load(std::memory_order_acquire) != seen;
          });
          if (st->stopping) return;
        }
        seen = st->generation.load(std::memory_order_acquire);
        for (int i = w; i < st->count; i += total) st->task(st->ctx, i);
        st->pending.fetch_sub(1, std::memory_order_acq_rel);
      }
    });
  }
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(state_->mutex);
    state_->stopping = true;
  }
  state_->wake.notify_all();
  for (auto& t : state_->workers) t.join();
  delete state_;
}

void ThreadPool::run(int count, TaskFn task, void* ctx) {
  State* st = state_;
  std::unique_lock<std::mutex> exclusive(st->runMutex, std::try_to_lock);
  if (threads_ == 1 || count <= 1 || !exclusive.owns_lock()) {
    // Same task-to-index mapping, run inline (also when another thread is using the pool).
    for (int i = 0; i < count; ++i) task(ctx, i);
    return;
  }
  const int workers = threads_ - 1;
  {
    std::lock_guard<std::mutex> lock(st->mutex);
    st->count = count;
    st->task = task;
    st->ctx = ctx;
    st->pending.store(workers, std::memory_order_relaxed);
    st->generation.fetch_add(1, std::memory_order_release);
  }
  st->wake.notify_all();
  for (int i = 0; i < count; i += threads_) task(ctx, i);
  // Workers normally finish within microseconds of this thread; yield if one was descheduled.
  for (int spins = 0; st->pending.load(std::memory_order_acquire) != 0; ++spins) {
    if (spins < 4096) {
      GANTRY_CPU_RELAX();
    } else {
      std::this_thread::yield();
    }
  }
}

}  // namespace gantry
