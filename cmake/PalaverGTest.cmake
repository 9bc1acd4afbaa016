# palaver_gtest_cases(<out-var> SOURCES <files...>)
# Lists every TEST(Suite, Name) or TEST_F(Suite, Name) found in the sources, as Suite.Name.
# Reading the sources (rather than running the binary) lets the native build register the tests
# of the Wasm sub-build before it is built, and makes ctest's output list every case of every build.
function(palaver_gtest_cases out_var)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "" "SOURCES")
  set(names "")
  foreach(source IN LISTS arg_SOURCES)
    set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${source})
    file(STRINGS ${source} lines REGEX "^TEST(_F)?\\(")
    foreach(line IN LISTS lines)
      if(line MATCHES "^TEST(_F)?\\(([A-Za-z0-9_]+), *([A-Za-z0-9_]+)\\)")
        list(APPEND names ${CMAKE_MATCH_2}.${CMAKE_MATCH_3})
      endif()
    endforeach()
  endforeach()
  set(${out_var} ${names} PARENT_SCOPE)
endfunction()

# palaver_add_gtest_cases(<prefix> SOURCES <files...> COMMAND <program and arguments...>)
# Registers one ctest test per case of palaver_gtest_cases(), named <prefix>.Suite.Name,
# running COMMAND --gtest_filter=Suite.Name.
function(palaver_add_gtest_cases prefix)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "" "SOURCES;COMMAND")
  palaver_gtest_cases(names SOURCES ${arg_SOURCES})
  foreach(name IN LISTS names)
    add_test(NAME ${prefix}.${name} COMMAND ${arg_COMMAND} --gtest_filter=${name})
    # Exactly this one case ran and passed: a filter matching nothing must not pass.
    set_tests_properties(${prefix}.${name} PROPERTIES
                         PASS_REGULAR_EXPRESSION "\\[  PASSED  \\] 1 test\\.")
  endforeach()
endfunction()
