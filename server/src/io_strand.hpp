// The strand type for state of the server's own (the hub, agent replies): a strand over the
// io_context's own executor. Over any_io_executor, Asio 1.81 heap-allocates for every handler
// the strand runs (it asks the type-erased executor for its blocking property through the
// heap): one allocation per delta on the hot path. Header-only; no state.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>

namespace palaver::server {

using io_strand = boost::asio::strand<boost::asio::io_context::executor_type>;

}  // namespace palaver::server
