#include "net_names.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <array>
#include <cstring>

namespace connscope {

std::string_view tcp_state_name(uint32_t state)
{
    static constexpr std::array<std::string_view, 13> names{
        "UNKNOWN",    "ESTABLISHED", "SYN_SENT",   "SYN_RECV", "FIN_WAIT1",
        "FIN_WAIT2",  "TIME_WAIT",   "CLOSE",      "CLOSE_WAIT", "LAST_ACK",
        "LISTEN",     "CLOSING",     "NEW_SYN_RECV"};
    return state < names.size() ? names[state] : names[0];
}

std::string errno_name(int err)
{
    if (const char* name = strerrorname_np(err))
        return name;
    std::string name = "E";  // appended: GCC 12 -O2 warns (-Wrestrict) on "E" + std::string
    name += std::to_string(err);
    return name;
}

std::string_view family_name(uint16_t family)
{
    switch (family) {
    case AF_INET:
        return "ipv4";
    case AF_INET6:
        return "ipv6";
    default:
        return "unknown";
    }
}

std::string address_text(uint16_t family, const uint8_t (&address)[16])
{
    static constexpr uint8_t v4_mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    char text[INET6_ADDRSTRLEN] = {};
    if (family == AF_INET)
        inet_ntop(AF_INET, address, text, sizeof(text));
    else if (std::memcmp(address, v4_mapped_prefix, sizeof(v4_mapped_prefix)) == 0)
        inet_ntop(AF_INET, address + 12, text, sizeof(text));
    else
        inet_ntop(AF_INET6, address, text, sizeof(text));
    return text;
}

}  // namespace connscope
