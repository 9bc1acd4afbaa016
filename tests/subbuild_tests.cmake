# Tests of the Wasm, fuzz and asan sub-builds, registered in the native build's ctest.
# Included from cmake/PalaverSubbuilds.cmake.
set(vector_dir ${PROJECT_SOURCE_DIR}/tests/vectors)

if(PALAVER_WASM)
  set(wasm_tests ${PALAVER_WASM_BINARY_DIR}/tests/shared)
  include(PalaverGTest)
  get_property(shared_test_sources GLOBAL PROPERTY palaver_shared_test_sources)
  palaver_add_gtest_cases(shared.wasm SOURCES ${shared_test_sources}
                          COMMAND ${PALAVER_WASM_RUNNER} ${wasm_tests}/shared_tests.js)

  # The Wasm build's *_browser programs, linked for the web as the widget is, run in Debian's
  # headless Chromium (driven by playwright-core from tests/browser/node_modules).
  set(PALAVER_CHROMIUM /usr/bin/chromium CACHE FILEPATH "The Chromium the browser tests drive")
  set(PALAVER_BROWSER_TIMEOUT 120 CACHE STRING "Seconds a browser test may run")
  set(browser_runner ${PALAVER_NODE} ${PROJECT_SOURCE_DIR}/tests/browser/run_wasm_in_chromium.mjs
      --browser=${PALAVER_CHROMIUM} --timeout=${PALAVER_BROWSER_TIMEOUT})
  math(EXPR browser_ctest_timeout "${PALAVER_BROWSER_TIMEOUT} + 30")

  # The whole suite in one page (one Chromium per case would be slow): passes only if gtest
  # ran every case the sources define and the runner reported no failure.
  palaver_gtest_cases(shared_case_names SOURCES ${shared_test_sources})
  list(LENGTH shared_case_names shared_test_count)
  add_test(NAME shared.browser COMMAND ${browser_runner} ${wasm_tests}/shared_tests_browser.js)
  set_tests_properties(shared.browser PROPERTIES
    PASS_REGULAR_EXPRESSION "\\[  PASSED  \\] ${shared_test_count} tests\\."
    FAIL_REGULAR_EXPRESSION "\\[  FAILED  \\]|run_wasm_in_chromium: "
    TIMEOUT ${browser_ctest_timeout})

  # Byte-for-byte agreement of every build with the native one over every vector.
  function(palaver_add_vector_comparison name)
    list(JOIN ARGN "|" other)
    add_test(NAME vectors.native_equals_${name}
      COMMAND ${CMAKE_COMMAND}
        -DNATIVE=$<TARGET_FILE:vector_dump> "-DOTHER=${other}" -DNAME=${name}
        -DOUT=${CMAKE_BINARY_DIR}/vector-dumps/${name}
        -P ${PROJECT_SOURCE_DIR}/tests/compare_builds.cmake)
  endfunction()
  palaver_add_vector_comparison(wasm ${PALAVER_WASM_RUNNER} ${wasm_tests}/vector_dump.js)
  palaver_add_vector_comparison(browser ${browser_runner} ${wasm_tests}/vector_dump_browser.js)
  set_tests_properties(vectors.native_equals_browser PROPERTIES TIMEOUT ${browser_ctest_timeout})

  # What a visitor downloads: sizes raw and gzipped, against the loader and first-open budgets.
  add_test(NAME widget.size_report
    COMMAND bash ${PROJECT_SOURCE_DIR}/scripts/size_report.sh ${PALAVER_WIDGET_BINARY_DIR})
endif()

if(PALAVER_FUZZ)
  # The decoder's time is what CI has always spent on it; the other targets get less each, so
  # that all of them together stay within a few minutes. A long run: tests/fuzz/README.md.
  set(PALAVER_FUZZ_SECONDS 60 CACHE STRING "How long ctest runs the decoder fuzz target")
  set(PALAVER_FUZZ_TARGET_SECONDS 20 CACHE STRING "How long ctest runs each other fuzz target")
  set(fuzz_dir ${PROJECT_SOURCE_DIR}/tests/fuzz)

  # palaver_add_fuzz_test(<name> SECONDS <n> MAX_LEN <bytes> SEEDS <globs...> [DICT <file>]):
  # ctest fuzz.<name> runs <name>_fuzz of the fuzz sub-build, its corpus kept in
  # <build>/fuzz-corpus/<name> and what it finds written to <build>/fuzz-artifacts/<name>.
  function(palaver_add_fuzz_test name)
    cmake_parse_arguments(PARSE_ARGV 1 arg "" "SECONDS;MAX_LEN;DICT" "SEEDS")
    list(JOIN arg_SEEDS "|" seeds)
    add_test(NAME fuzz.${name}
      COMMAND ${CMAKE_COMMAND}
        -DFUZZER=${PALAVER_FUZZ_BINARY_DIR}/tests/fuzz/${name}_fuzz "-DSEEDS=${seeds}"
        -DCORPUS=${CMAKE_BINARY_DIR}/fuzz-corpus/${name}
        -DARTIFACTS=${CMAKE_BINARY_DIR}/fuzz-artifacts/${name}
        -DSECONDS=${arg_SECONDS} -DMAX_LEN=${arg_MAX_LEN} -DDICT=${arg_DICT}
        -P ${fuzz_dir}/run_fuzzer.cmake)
  endfunction()

  set(seed_dir ${fuzz_dir}/seeds)
  palaver_add_fuzz_test(decoder SECONDS ${PALAVER_FUZZ_SECONDS} MAX_LEN 70000
    SEEDS ${vector_dir}/*.in DICT ${fuzz_dir}/protocol.dict)
  palaver_add_fuzz_test(rest_body SECONDS ${PALAVER_FUZZ_TARGET_SECONDS} MAX_LEN 70000
    SEEDS ${vector_dir}/client/message_*.in ${vector_dir}/client/feedback_*.in
          ${vector_dir}/server/notification_*.in ${seed_dir}/rest_body/*
    DICT ${fuzz_dir}/protocol.dict)
  palaver_add_fuzz_test(auth SECONDS ${PALAVER_FUZZ_TARGET_SECONDS} MAX_LEN 6000
    SEEDS ${seed_dir}/auth/* DICT ${fuzz_dir}/auth.dict)
  palaver_add_fuzz_test(sse SECONDS ${PALAVER_FUZZ_TARGET_SECONDS} MAX_LEN 8192
    SEEDS ${seed_dir}/sse/* DICT ${fuzz_dir}/sse.dict)
  palaver_add_fuzz_test(markdown SECONDS ${PALAVER_FUZZ_TARGET_SECONDS} MAX_LEN 16384
    SEEDS ${seed_dir}/markdown/* DICT ${fuzz_dir}/markdown.dict)
  palaver_add_fuzz_test(http SECONDS ${PALAVER_FUZZ_TARGET_SECONDS} MAX_LEN 16384
    SEEDS ${seed_dir}/http/* DICT ${fuzz_dir}/http.dict)
endif()

if(PALAVER_SANITIZE)
  # The asan sub-build's own tests, through its own ctest: one entry per suite, each passing
  # only if every test of the suite passed and no sanitizer reported anything, from any
  # process (tests/sanitized_ctest.cmake). The sub-build registers its tests as the native
  # build does, so a new case or integration class is covered without a change here.
  set(PALAVER_SANITIZE_TIMEOUT 1800 CACHE STRING "Seconds one asan.* suite may run")
  function(palaver_add_asan_test name regex)
    add_test(NAME asan.${name}
      COMMAND ${CMAKE_COMMAND} -DCTEST=${CMAKE_CTEST_COMMAND} -DBUILD=${PALAVER_ASAN_BINARY_DIR}
        -DREGEX=${regex} -DLOGS=${CMAKE_BINARY_DIR}/asan-reports/${name}
        -P ${PROJECT_SOURCE_DIR}/tests/sanitized_ctest.cmake)
    set_tests_properties(asan.${name} PROPERTIES TIMEOUT ${PALAVER_SANITIZE_TIMEOUT})
  endfunction()
  palaver_add_asan_test(shared "^shared\\.native\\.")
  palaver_add_asan_test(server "^server\\.")
  palaver_add_asan_test(web "^web\\.")
  palaver_add_asan_test(integration "^integration\\.")
endif()
