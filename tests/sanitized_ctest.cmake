# Runs tests of the asan sub-build (AddressSanitizer + UBSan) through its own ctest, and fails on
# any sanitizer report, also one from a process whose exit status no test looks at (the server
# that the integration tests start and stop): reports go to files in LOGS, printed here.
#   cmake -DCTEST=<ctest> -DBUILD=<asan build dir> -DREGEX=<tests> -DLOGS=<dir> -P sanitized_ctest.cmake
file(REMOVE_RECURSE ${LOGS})
file(MAKE_DIRECTORY ${LOGS})
# Any report ends its process with an error; leaks are looked for at every exit (LeakSanitizer
# works here, as root too); initialisation order is checked across translation units.
set(ENV{ASAN_OPTIONS} "halt_on_error=1:detect_leaks=1:check_initialization_order=1:strict_init_order=1:log_path=${LOGS}/asan")
set(ENV{UBSAN_OPTIONS} "halt_on_error=1:print_stacktrace=1:log_path=${LOGS}/ubsan")
# Tells a test that it runs under the sanitizers, which multiply memory (ASan's quarantine keeps
# 256 MB of freed blocks) and time: a bound on the server's resident memory or speed does not
# hold here, and such a test skips or relaxes it when this is set.
set(ENV{PALAVER_SANITIZED} 1)
execute_process(
  COMMAND ${CTEST} --test-dir ${BUILD} -R ${REGEX} --output-on-failure --no-tests=error
  RESULT_VARIABLE status)
file(GLOB reports ${LOGS}/*)
foreach(report IN LISTS reports)
  file(READ ${report} text)
  message("---- ${report}\n${text}")
endforeach()
if(reports)
  list(LENGTH reports count)
  message(FATAL_ERROR "${count} sanitizer report(s), above")
endif()
if(NOT status EQUAL 0)
  message(FATAL_ERROR "tests failed under the sanitizers (ctest exit ${status})")
endif()
