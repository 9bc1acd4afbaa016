// Test-only: a replacement of the global operator new that counts each thread's allocations,
// so tests can show a hot path allocates nothing. Link counting_new.cpp into the test binary
// (once: it defines operator new). Thread-safe: each thread counts its own.
#pragma once

#include <cstddef>

namespace palaver::test {

// How many times operator new ran on the calling thread since it started.
std::size_t allocations_on_this_thread();

}  // namespace palaver::test
