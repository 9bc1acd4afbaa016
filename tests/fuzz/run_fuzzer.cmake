# Runs a libFuzzer target for a bounded time, starting from its seeds and the corpus that earlier
# runs kept. Registered by tests/subbuild_tests.cmake as fuzz.<name>:
#   -DFUZZER=<program> -DSEEDS=<glob|glob...> -DCORPUS=<dir kept between runs>
#   -DARTIFACTS=<dir for reproducers> -DSECONDS=<n> -DMAX_LEN=<bytes> [-DDICT=<dictionary>]
# PALAVER_FUZZ_SECONDS in the environment overrides SECONDS: a long run is ctest's own
# command (tests/fuzz/README.md). The run is killed 120 s after its time is up (a hang that
# libFuzzer's own per-input -timeout did not catch), so ctest needs no TIMEOUT of its own.
if(DEFINED ENV{PALAVER_FUZZ_SECONDS})
  set(SECONDS $ENV{PALAVER_FUZZ_SECONDS})
endif()
file(MAKE_DIRECTORY ${CORPUS} ${ARTIFACTS})

# Seeds go into the corpus under their hash: a seed that changes is a new file, none collide.
string(REPLACE "|" ";" seed_globs "${SEEDS}")
file(GLOB_RECURSE seeds LIST_DIRECTORIES false ${seed_globs})
foreach(seed IN LISTS seeds)
  file(SHA1 ${seed} hash)
  file(COPY_FILE ${seed} ${CORPUS}/seed_${hash} ONLY_IF_DIFFERENT)
endforeach()

set(dict_option)
if(DICT)
  set(dict_option -dict=${DICT})
endif()
math(EXPR kill_after "${SECONDS} + 120")
execute_process(
  COMMAND ${FUZZER} ${CORPUS} ${dict_option} -max_total_time=${SECONDS} -max_len=${MAX_LEN}
          -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix=${ARTIFACTS}/
  TIMEOUT ${kill_after}
  RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "the fuzzer failed (${status}); its reproducer is in ${ARTIFACTS}/ "
                      "(run: ${FUZZER} <file>)")
endif()
