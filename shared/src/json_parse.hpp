// Parses JSON text into a boost::json::value with numbers read exactly. Boost 1.81's parser
// may read a non-integer number one unit in the last place off, so canonical text read back
// could name another number; here every such number is read by strtod, which rounds
// correctly (glibc natively, musl in Wasm), making canonical forms stable and identical in
// both builds. Internal to shared/; stateless. Expects the "C" numeric locale.
#pragma once

#include <string_view>

#include <boost/json/parse_options.hpp>
#include <boost/json/storage_ptr.hpp>
#include <boost/json/value.hpp>

namespace palaver::detail {

boost::json::value parse_json_exactly(std::string_view text, boost::system::error_code& ec,
                                      boost::json::storage_ptr storage,
                                      const boost::json::parse_options& options);

}  // namespace palaver::detail
