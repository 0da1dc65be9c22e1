// A network namespace's ephemeral port settings (net.ipv4.*, which IPv6 shares), from the
// text of their /proc/sys files. Pure.
#pragma once

#include <cstdint>
#include <set>
#include <string>

namespace connscope {

struct PortSettings {
    uint16_t low = 32768;  // ip_local_port_range
    uint16_t high = 60999;
    std::set<uint16_t> reserved;  // ip_local_reserved_ports
    int tw_reuse = 2;             // tcp_tw_reuse: 0 off, 1 on, 2 loopback only
};

// "32768\t60999" → low, high. Pure; throws UserError for anything else.
void parse_port_range(const std::string& text, PortSettings& settings);
// "1000-1002,8080" → the ports, "" → none. Pure; throws UserError for anything else.
std::set<uint16_t> parse_port_list(const std::string& text);

}  // namespace connscope
