#include "sock_diag.h"

#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "error.h"

namespace connscope {
namespace {

constexpr uint32_t all_states = ~0u;
constexpr size_t receive_buffer_bytes = 64 * 1024;

}  // namespace

SockDiag::SockDiag()
{
    fd_ = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
    if (fd_ < 0)
        throw UserError("cannot open a NETLINK_SOCK_DIAG socket: " + std::string(strerror(errno)));
}

SockDiag::~SockDiag() { close(fd_); }

std::vector<DiagSocket> SockDiag::dump_tcp()
{
    std::vector<DiagSocket> sockets;
    dump_family(AF_INET, sockets);
    dump_family(AF_INET6, sockets);
    return sockets;
}

void SockDiag::dump_family(uint8_t family, std::vector<DiagSocket>& sockets)
{
    struct {
        nlmsghdr header;
        inet_diag_req_v2 request;
    } message{};
    message.header.nlmsg_len = sizeof(message);
    message.header.nlmsg_type = SOCK_DIAG_BY_FAMILY;
    message.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    message.request.sdiag_family = family;
    message.request.sdiag_protocol = IPPROTO_TCP;
    message.request.idiag_states = all_states;
    sockaddr_nl kernel{};
    kernel.nl_family = AF_NETLINK;
    if (sendto(fd_, &message, sizeof(message), 0, reinterpret_cast<sockaddr*>(&kernel), sizeof(kernel)) < 0)
        throw UserError("sock_diag: cannot ask for the socket table: " + std::string(strerror(errno)));
    std::vector<std::byte> buffer(receive_buffer_bytes);
    for (;;) {
        const ssize_t received = recv(fd_, buffer.data(), buffer.size(), 0);
        if (received < 0 && errno == EINTR)
            continue;
        if (received <= 0)
            throw UserError("sock_diag: cannot read the socket table: " + std::string(strerror(errno)));
        if (parse_inet_diag(std::span(buffer).first(size_t(received)), sockets) == DiagParse::done)
            return;
    }
}

}  // namespace connscope
