// --metrics-addr: "HOST:PORT", "[IPV6]:PORT", ":PORT" or "PORT" (the last two on 127.0.0.1).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace connscope {

struct ListenAddress {
    std::string host;
    uint16_t port = 0;
};

std::optional<ListenAddress> parse_listen_address(const std::string& text);

}  // namespace connscope
