// Names for kernel numbers: TCP states, errnos, address families, addresses.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace connscope {

enum class TcpState : uint32_t {
    established = 1,
    syn_sent,
    syn_recv,
    fin_wait1,
    fin_wait2,
    time_wait,
    close,
    close_wait,
    last_ack,
    listen,
    closing,
    new_syn_recv,
};

std::string_view tcp_state_name(uint32_t state);
// "ECONNREFUSED" for 111; "E<number>" for an errno without a name.
std::string errno_name(int err);
std::string_view family_name(uint16_t family);
// Text form of a 16-byte address; an IPv4-mapped IPv6 address is shown as IPv4.
std::string address_text(uint16_t family, const uint8_t (&address)[16]);

}  // namespace connscope
