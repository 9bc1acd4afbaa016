// JSON text read the one way shared/ reads every frame (Boost.JSON's parser, non-integer
// numbers read exactly: src/json_parse.hpp), for JSON that is not a frame, such as the widget's
// message catalogues: one parser in the Wasm build, not two. Stateless; any thread.
#pragma once

#include <string_view>

#include <boost/json/parse_options.hpp>
#include <boost/json/value.hpp>
#include <boost/system/error_code.hpp>

namespace palaver {

// The value `text` holds; on failure, `ec` says why and the value is null.
boost::json::value parse_json(std::string_view text, boost::system::error_code& ec,
                              const boost::json::parse_options& options = {});

}  // namespace palaver
