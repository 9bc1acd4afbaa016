# Finds what each build links against. Every location can be overridden on the cmake command
# line, so the project builds against copies outside Debian's paths too:
#   PALAVER_BOOST_INCLUDE_DIR  Boost 1.81+ headers (the Wasm and fuzz builds use Boost.JSON
#                              header-only; the native build links Debian's Boost::json)
#   PALAVER_GTEST_SOURCE_DIR   GoogleTest sources, built for Wasm (native uses find_package)
#   PALAVER_IMGUI_DIR          Dear ImGui sources (imgui.cpp, backends/), for the widget
#   PALAVER_MD4C_DIR           md4c sources (src/md4c.c), for the widget
#   PALAVER_FRIBIDI_DIR        GNU FriBidi sources (lib/fribidi-bidi.c), for the widget's bidi
#   PALAVER_UNICODE_DIR        the Unicode Character Database (Debian's unicode-data), from which
#                              the widget's Unicode tables are generated
# scripts/deps.sh fetches the imgui, md4c and FriBidi trees from Debian's source packages into
# $PALAVER_SOURCE_CACHE (default ~/.cache/palaver/sources).

if(DEFINED ENV{PALAVER_SOURCE_CACHE})
  set(palaver_source_cache "$ENV{PALAVER_SOURCE_CACHE}")
else()
  set(palaver_source_cache "$ENV{HOME}/.cache/palaver/sources")
endif()
set(PALAVER_BOOST_INCLUDE_DIR "/usr/include" CACHE PATH "Directory holding boost/")
set(PALAVER_GTEST_SOURCE_DIR "/usr/src/googletest" CACHE PATH "GoogleTest source tree")
set(PALAVER_IMGUI_DIR "${palaver_source_cache}/imgui" CACHE PATH "Dear ImGui source tree")
set(PALAVER_MD4C_DIR "${palaver_source_cache}/md4c" CACHE PATH "md4c source tree")
set(PALAVER_FRIBIDI_DIR "${palaver_source_cache}/fribidi" CACHE PATH "GNU FriBidi source tree")
set(PALAVER_UNICODE_DIR "/usr/share/unicode" CACHE PATH "Unicode Character Database (unicode-data)")

if(PALAVER_ROLE STREQUAL "native")
  find_package(Boost 1.81 REQUIRED CONFIG COMPONENTS json)
  find_package(Threads REQUIRED)
  add_library(palaver_boost_json INTERFACE)
  target_link_libraries(palaver_boost_json INTERFACE Boost::json)
  set(PALAVER_JSON_HEADER_ONLY OFF)
  if(PALAVER_TESTS)
    find_package(GTest REQUIRED)
  endif()
else()
  # Emscripten must never see /usr/include (glibc's headers break it): expose boost/ alone
  # through a private directory of symlinks. The fuzz build does the same to stay alike.
  set(private_include ${CMAKE_BINARY_DIR}/private-include)
  if(NOT EXISTS ${PALAVER_BOOST_INCLUDE_DIR}/boost/json.hpp)
    message(FATAL_ERROR "No Boost.JSON under PALAVER_BOOST_INCLUDE_DIR=${PALAVER_BOOST_INCLUDE_DIR}")
  endif()
  file(MAKE_DIRECTORY ${private_include})
  file(CREATE_LINK ${PALAVER_BOOST_INCLUDE_DIR}/boost ${private_include}/boost SYMBOLIC)
  add_library(palaver_boost_json INTERFACE)
  target_include_directories(palaver_boost_json SYSTEM INTERFACE ${private_include})
  target_compile_definitions(palaver_boost_json INTERFACE BOOST_ALL_NO_LIB)
  set(PALAVER_JSON_HEADER_ONLY ON)
  if(PALAVER_TESTS AND PALAVER_ROLE STREQUAL "wasm")
    set(BUILD_GMOCK OFF CACHE BOOL "" FORCE)
    set(INSTALL_GTEST OFF CACHE BOOL "" FORCE)
    add_subdirectory(${PALAVER_GTEST_SOURCE_DIR} ${CMAKE_BINARY_DIR}/googletest EXCLUDE_FROM_ALL)
  endif()
endif()

if(PALAVER_ROLE STREQUAL "wasm")
  # Everything in this build ends up downloaded by visitors: optimise for size throughout.
  add_compile_options(-Oz -flto)
  add_link_options(-flto)
endif()

if(PALAVER_ROLE STREQUAL "fuzz")
  # Everything in this build, Boost.JSON's parser included, is instrumented for coverage and
  # checked by AddressSanitizer and UBSan; the fuzz targets link libFuzzer's main.
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all)
  add_link_options(-fsanitize=address,undefined)
endif()
