// The counting operator new. See counting_new.hpp.
#include "counting_new.hpp"

#include <cstdlib>
#include <new>

namespace {
thread_local std::size_t thread_allocations = 0;
}

// GCC pairs the malloc inside `new` with the free inside `delete` once both are inlined and
// calls them mismatched; here they are the same allocator by construction.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void* operator new(std::size_t size) {
  ++thread_allocations;
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
#pragma GCC diagnostic pop

namespace palaver::test {

std::size_t allocations_on_this_thread() {
  return thread_allocations;
}

}  // namespace palaver::test
