# The Wasm, fuzz and asan builds, driven from the native one as ExternalProjects over this same
# source tree. Each rebuilds on every `cmake --build` (its own Ninja decides what is stale).
include(ExternalProject)

set(palaver_subbuild_args
  -DCMAKE_BUILD_TYPE=${CMAKE_BUILD_TYPE}
  -DPALAVER_TESTS=${PALAVER_TESTS}
  -DPALAVER_BOOST_INCLUDE_DIR=${PALAVER_BOOST_INCLUDE_DIR}
  -DPALAVER_GTEST_SOURCE_DIR=${PALAVER_GTEST_SOURCE_DIR}
  -DPALAVER_IMGUI_DIR=${PALAVER_IMGUI_DIR}
  -DPALAVER_MD4C_DIR=${PALAVER_MD4C_DIR}
  -DPALAVER_FRIBIDI_DIR=${PALAVER_FRIBIDI_DIR}
  -DPALAVER_UNICODE_DIR=${PALAVER_UNICODE_DIR}
)

# ---- Wasm (Emscripten) ------------------------------------------------------------------
if(PALAVER_WASM)
  find_program(PALAVER_EMXX em++ REQUIRED)
  find_program(PALAVER_NODE node REQUIRED)
  get_filename_component(emscripten_root "${PALAVER_EMXX}" REALPATH)
  get_filename_component(emscripten_root "${emscripten_root}" DIRECTORY)
  set(PALAVER_EMSCRIPTEN_TOOLCHAIN "${emscripten_root}/cmake/Modules/Platform/Emscripten.cmake"
      CACHE FILEPATH "Emscripten's CMake toolchain file")
  # Debian's emscripten finds its JS optimizer's modules (acorn) only through NODE_PATH.
  set(PALAVER_NODE_PATH "/usr/share/nodejs" CACHE PATH "NODE_PATH for Emscripten's tools")
  set(emscripten_env ${CMAKE_COMMAND} -E env NODE_PATH=${PALAVER_NODE_PATH})
  # Recent node (18, 20) rejects the toolchain's default --experimental-wasm-threads, and its
  # fetch breaks Emscripten's loader: run Wasm programs as `node --no-experimental-fetch`.
  set(PALAVER_WASM_RUNNER ${PALAVER_NODE} --no-experimental-fetch)

  # What the widget is made of (in <build>/wasm/widget; web/CMakeLists.txt builds it): the
  # server embeds these files, so the sub-build declares them as its products.
  set(PALAVER_WIDGET_BINARY_DIR ${CMAKE_BINARY_DIR}/wasm/widget)
  set(PALAVER_WIDGET_FILES
    widget.js widget.wasm)
  set(widget_products ${PALAVER_WIDGET_FILES})
  list(TRANSFORM widget_products PREPEND ${PALAVER_WIDGET_BINARY_DIR}/)

  ExternalProject_Add(wasm
    SOURCE_DIR ${PROJECT_SOURCE_DIR}
    BINARY_DIR ${CMAKE_BINARY_DIR}/wasm
    LIST_SEPARATOR |
    CMAKE_COMMAND ${emscripten_env} ${CMAKE_COMMAND}
    CMAKE_ARGS
      ${palaver_subbuild_args}
      -DPALAVER_ROLE=wasm
      -DCMAKE_TOOLCHAIN_FILE=${PALAVER_EMSCRIPTEN_TOOLCHAIN}
      "-DCMAKE_CROSSCOMPILING_EMULATOR=${PALAVER_NODE}|--no-experimental-fetch"
    BUILD_COMMAND ${emscripten_env} ${CMAKE_COMMAND} --build <BINARY_DIR>
    BUILD_BYPRODUCTS ${widget_products}
    INSTALL_COMMAND ""
    BUILD_ALWAYS ON
    USES_TERMINAL_BUILD ON
  )
  set(PALAVER_WASM_BINARY_DIR ${CMAKE_BINARY_DIR}/wasm)
endif()

# ---- fuzz (clang-14 + libFuzzer) ----------------------------------------------------------
if(PALAVER_FUZZ)
  find_program(PALAVER_FUZZ_CXX NAMES clang++-14 clang++ REQUIRED)
  find_program(PALAVER_FUZZ_CC NAMES clang-14 clang REQUIRED)  # md4c, under the markdown fuzzer
  ExternalProject_Add(fuzz
    SOURCE_DIR ${PROJECT_SOURCE_DIR}
    BINARY_DIR ${CMAKE_BINARY_DIR}/fuzz
    CMAKE_ARGS
      ${palaver_subbuild_args}
      -DPALAVER_ROLE=fuzz
      -DCMAKE_CXX_COMPILER=${PALAVER_FUZZ_CXX}
      -DCMAKE_C_COMPILER=${PALAVER_FUZZ_CC}
    BUILD_COMMAND ${CMAKE_COMMAND} --build <BINARY_DIR>
    INSTALL_COMMAND ""
    BUILD_ALWAYS ON
    USES_TERMINAL_BUILD ON
  )
  set(PALAVER_FUZZ_BINARY_DIR ${CMAKE_BINARY_DIR}/fuzz)
endif()

# ---- asan (clang-14 with AddressSanitizer + UBSan) ------------------------------------------
# This native build again, instrumented, for its unit and integration tests (ctest asan.*, see
# tests/subbuild_tests.cmake): no Wasm, fuzz or asan sub-build of its own. clang-14, not g++:
# with both sanitizers g++ 12 compiles a Beast file 1.6x slower (ws_session.cpp: 58 s against
# 37 s), and clang's are the sanitizers the fuzz build uses too. -O1 keeps the tests quick; -g1
# (line tables) is all a report needs; the Debug type leaves assertions on, more checks for free.
if(PALAVER_SANITIZE AND PALAVER_TESTS)
  find_program(PALAVER_SANITIZE_CXX NAMES clang++-14 clang++ REQUIRED)
  find_program(PALAVER_SANITIZE_CC NAMES clang-14 clang REQUIRED)
  set(sanitize_flags
      "-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined")
  ExternalProject_Add(asan
    SOURCE_DIR ${PROJECT_SOURCE_DIR}
    BINARY_DIR ${CMAKE_BINARY_DIR}/asan
    CMAKE_ARGS
      ${palaver_subbuild_args}
      -DCMAKE_BUILD_TYPE=Debug  # after palaver_subbuild_args: the last -D wins
      -DPALAVER_ROLE=native
      -DPALAVER_WASM=OFF
      -DPALAVER_FUZZ=OFF
      -DPALAVER_SANITIZE=OFF
      -DCMAKE_CXX_COMPILER=${PALAVER_SANITIZE_CXX}
      -DCMAKE_C_COMPILER=${PALAVER_SANITIZE_CC}
    CMAKE_CACHE_ARGS
      "-DCMAKE_CXX_FLAGS:STRING=${sanitize_flags}"
      "-DCMAKE_C_FLAGS:STRING=${sanitize_flags}"
      "-DCMAKE_CXX_FLAGS_DEBUG:STRING=-O1 -g1"
      "-DCMAKE_C_FLAGS_DEBUG:STRING=-O1 -g1"
      "-DCMAKE_EXE_LINKER_FLAGS:STRING=-fsanitize=address,undefined"
      "-DCMAKE_SHARED_LINKER_FLAGS:STRING=-fsanitize=address,undefined"
      "-DCMAKE_MODULE_LINKER_FLAGS:STRING=-fsanitize=address,undefined"
    BUILD_COMMAND ${CMAKE_COMMAND} --build <BINARY_DIR>
    INSTALL_COMMAND ""
    BUILD_ALWAYS ON
    USES_TERMINAL_BUILD ON
  )
  set(PALAVER_ASAN_BINARY_DIR ${CMAKE_BINARY_DIR}/asan)
endif()

# The sub-builds' tests, run by this build's ctest.
if(PALAVER_TESTS)
  include(${PROJECT_SOURCE_DIR}/tests/subbuild_tests.cmake)
endif()
