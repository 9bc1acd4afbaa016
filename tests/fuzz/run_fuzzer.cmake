# Runs a libFuzzer target for a bounded time, seeded with the test vectors' inputs.
# -DFUZZER=<program> -DSEEDS=<tests/vectors> -DCORPUS=<dir kept between runs> -DSECONDS=<n>
# -DDICT=<libFuzzer dictionary>
file(MAKE_DIRECTORY ${CORPUS})
file(GLOB_RECURSE seeds RELATIVE ${SEEDS} ${SEEDS}/*.in)
foreach(seed IN LISTS seeds)
  string(REPLACE "/" "_" flat ${seed})  # client/x.in and server/x.in both stay
  file(COPY_FILE ${SEEDS}/${seed} ${CORPUS}/seed_${flat} ONLY_IF_DIFFERENT)
endforeach()
execute_process(
  COMMAND ${FUZZER} ${CORPUS} -dict=${DICT} -max_total_time=${SECONDS} -max_len=70000 -timeout=10
          -rss_limit_mb=2048 -print_final_stats=1
  RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "the fuzzer found a failure (exit ${status}); the reproducer is in the working directory")
endif()
