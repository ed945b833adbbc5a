// Response helpers shared by the router's files (router.cc,
// router_containers.cc). Internal to api/.
#pragma once

#include "api/router.h"

namespace berth::api::detail {

void common_headers(http::Response& r);
http::Response json_response(boost::beast::http::status s, const std::string& body);
http::Response error_response(const Error& e);
http::Response empty_response(boost::beast::http::status s);
Status check_json_content_type(const http::Request& req);

}  // namespace berth::api::detail
