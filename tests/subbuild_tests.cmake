# Tests of the Wasm and fuzz sub-builds, registered in the native build's ctest.
# Included from cmake/PalaverSubbuilds.cmake.
set(vector_dir ${PROJECT_SOURCE_DIR}/tests/vectors)

if(PALAVER_WASM)
  set(wasm_tests ${PALAVER_WASM_BINARY_DIR}/tests/shared)
  include(PalaverGTest)
  get_property(shared_test_sources GLOBAL PROPERTY palaver_shared_test_sources)
  palaver_add_gtest_cases(shared.wasm SOURCES ${shared_test_sources}
                          COMMAND ${PALAVER_WASM_RUNNER} ${wasm_tests}/shared_tests.js)

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
