// alloc_count: a library preloaded into a process (LD_PRELOAD) to count its heap
// allocations: malloc, calloc, realloc and the aligned allocators, on every thread. On
// SIGUSR2 it writes "alloc_count N" (the total so far) to stderr, so a driver can read the
// count before and after a run (bench/ws_load.py --count-allocations). Measurement only:
// never linked into the server.
// Threading: the counter is one relaxed atomic; the signal handler only reads it and write()s.
#include <atomic>
#include <csignal>
#include <cstddef>
#include <unistd.h>

extern "C" {
void* __libc_malloc(std::size_t size);
void* __libc_calloc(std::size_t count, std::size_t size);
void* __libc_realloc(void* p, std::size_t size);
void* __libc_memalign(std::size_t alignment, std::size_t size);
}

namespace {

std::atomic<unsigned long long> allocations{0};

void count() {
  allocations.fetch_add(1, std::memory_order_relaxed);
}

// Async-signal-safe: formats by hand and write()s once.
void report(int) {
  char text[40] = "alloc_count ";
  char digits[24];
  int n = 0;
  unsigned long long value = allocations.load(std::memory_order_relaxed);
  do {
    digits[n++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value > 0);
  std::size_t length = 12;
  while (n > 0)
    text[length++] = digits[--n];
  text[length++] = '\n';
  [[maybe_unused]] const ssize_t written = write(STDERR_FILENO, text, length);
}

[[gnu::constructor]] void install() {
  struct sigaction action {};
  action.sa_handler = report;
  action.sa_flags = SA_RESTART;
  sigaction(SIGUSR2, &action, nullptr);
}

}  // namespace

extern "C" {

void* malloc(std::size_t size) {
  count();
  return __libc_malloc(size);
}
void* calloc(std::size_t n, std::size_t size) {
  count();
  return __libc_calloc(n, size);
}
void* realloc(void* p, std::size_t size) {
  count();
  return __libc_realloc(p, size);
}
void* memalign(std::size_t alignment, std::size_t size) {
  count();
  return __libc_memalign(alignment, size);
}
void* aligned_alloc(std::size_t alignment, std::size_t size) {
  count();
  return __libc_memalign(alignment, size);
}
int posix_memalign(void** out, std::size_t alignment, std::size_t size) {
  count();
  void* p = __libc_memalign(alignment, size);
  if (!p) return 12;  // ENOMEM
  *out = p;
  return 0;
}

}  // extern "C"
