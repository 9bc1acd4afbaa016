# Tests of the Wasm and fuzz sub-builds, registered in the native build's ctest.
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
  set(PALAVER_FUZZ_SECONDS 60 CACHE STRING "How long ctest runs each fuzz target")
  add_test(NAME fuzz.decoder
    COMMAND ${CMAKE_COMMAND}
      -DFUZZER=${PALAVER_FUZZ_BINARY_DIR}/tests/fuzz/decoder_fuzz
      -DSEEDS=${vector_dir}
      -DCORPUS=${CMAKE_BINARY_DIR}/fuzz-corpus/decoder
      -DSECONDS=${PALAVER_FUZZ_SECONDS}
      -DDICT=${PROJECT_SOURCE_DIR}/tests/fuzz/protocol.dict
      -P ${PROJECT_SOURCE_DIR}/tests/fuzz/run_fuzzer.cmake)
  math(EXPR fuzz_timeout "${PALAVER_FUZZ_SECONDS} + 120")
  set_tests_properties(fuzz.decoder PROPERTIES TIMEOUT ${fuzz_timeout})
endif()
