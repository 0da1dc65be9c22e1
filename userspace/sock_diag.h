// The kernel's TCP socket table over NETLINK_SOCK_DIAG (inet_diag), as `ss -tan` reads it.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace connscope {

struct DiagSocket {
    uint16_t family = 0;
    uint8_t state = 0;  // TcpState numbering
    uint8_t local_address[16] = {};
    uint8_t remote_address[16] = {};
    uint16_t local_port = 0;  // host byte order
    uint16_t remote_port = 0;
};

enum class DiagParse { more, done };

// Appends the sockets of one netlink datagram of a dump. Pure. Throws UserError for a
// malformed message or an error the kernel reported.
DiagParse parse_inet_diag(std::span<const std::byte> datagram, std::vector<DiagSocket>& sockets);

// A NETLINK_SOCK_DIAG socket (RAII). It reads the namespace it was created in, whichever
// namespace the reading thread is in later. (The parser above is pure: sock_diag_parse.cpp.)
class SockDiag {
public:
    SockDiag();
    ~SockDiag();
    SockDiag(const SockDiag&) = delete;
    SockDiag& operator=(const SockDiag&) = delete;

    // Every TCP socket of both families, in every state, TIME_WAIT included.
    std::vector<DiagSocket> dump_tcp();

private:
    void dump_family(uint8_t family, std::vector<DiagSocket>& sockets);
    int fd_ = -1;
};

}  // namespace connscope
