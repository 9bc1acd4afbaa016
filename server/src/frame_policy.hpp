// Which pages may frame a page the server serves (the Content-Security-Policy's
// frame-ancestors): the widget's page its site's origins, other pages only the server's own.
// Pure functions of the request target and the sites: safe on any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace palaver::server {

struct server_context;

// The Content-Security-Policy header for a served file's request `target`:
//  - "/widget.html?site=ID": frame-ancestors 'self' and site ID's origins; without `site`, the
//    default site's (the first configured); an unknown or malformed ID: nullopt (answer 404,
//    never a policy that lets some other site's pages frame the widget);
//  - any other HTML page: frame-ancestors 'self';
//  - anything else: "" (no header).
std::optional<std::string> frame_policy(const server_context& context, std::string_view target);

// The undecoded value of the first `name=` parameter of the target's query; nullopt if none
// ("" for a bare `name`). Site ids need no percent-decoding: an encoded one matches no site.
std::optional<std::string> query_parameter(std::string_view target, std::string_view name);

}  // namespace palaver::server
