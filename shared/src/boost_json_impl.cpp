// Boost.JSON compiled into palaver_shared, for builds without Debian's libboost_json
// (Wasm and fuzz). Native builds link Boost::json instead; see cmake/PalaverDependencies.cmake.
#include <boost/json/src.hpp>
