# Tests of the Wasm and fuzz sub-builds, registered in the native build's ctest.
# Included from cmake/PalaverSubbuilds.cmake.
set(vector_dir ${PROJECT_SOURCE_DIR}/tests/vectors)

if(PALAVER_WASM)
  set(wasm_tests ${PALAVER_WASM_BINARY_DIR}/tests/shared)
  include(PalaverGTest)
  get_property(shared_test_sources GLOBAL PROPERTY palaver_shared_test_sources)
  palaver_add_gtest_cases(shared.wasm SOURCES ${shared_test_sources}
                          COMMAND ${PALAVER_WASM_RUNNER} ${wasm_tests}/shared_tests.js)
  # Byte-for-byte agreement of the two builds over every vector.
  add_test(NAME vectors.native_equals_wasm
    COMMAND ${CMAKE_COMMAND}
      -DNATIVE=$<TARGET_FILE:vector_dump>
      "-DWASM=${PALAVER_NODE}|--no-experimental-fetch|${wasm_tests}/vector_dump.js"
      -DOUT=${CMAKE_BINARY_DIR}/vector-dumps
      -P ${PROJECT_SOURCE_DIR}/tests/compare_builds.cmake)
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
