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

template <typename T>
T read_at(std::span<const std::byte> bytes, size_t offset)
{
    T value;
    std::memcpy(&value, bytes.data() + offset, sizeof(T));
    return value;
}

DiagSocket socket_of(const inet_diag_msg& msg)
{
    DiagSocket s;
    s.family = msg.idiag_family;
    s.state = msg.idiag_state;
    const size_t address_bytes = msg.idiag_family == AF_INET ? 4 : 16;
    std::memcpy(s.local_address, msg.id.idiag_src, address_bytes);
    std::memcpy(s.remote_address, msg.id.idiag_dst, address_bytes);
    s.local_port = ntohs(msg.id.idiag_sport);
    s.remote_port = ntohs(msg.id.idiag_dport);
    return s;
}

}  // namespace

DiagParse parse_inet_diag(std::span<const std::byte> datagram, std::vector<DiagSocket>& sockets)
{
    size_t offset = 0;
    while (offset + sizeof(nlmsghdr) <= datagram.size()) {
        const auto header = read_at<nlmsghdr>(datagram, offset);
        if (header.nlmsg_len < sizeof(nlmsghdr) || offset + header.nlmsg_len > datagram.size())
            throw UserError("sock_diag: truncated netlink message");
        const auto payload = datagram.subspan(offset + NLMSG_HDRLEN, header.nlmsg_len - NLMSG_HDRLEN);
        if (header.nlmsg_type == NLMSG_DONE)
            return DiagParse::done;
        if (header.nlmsg_type == NLMSG_ERROR) {
            const int err = payload.size() >= sizeof(int) ? -read_at<int>(payload, 0) : EPROTO;
            throw UserError("sock_diag: the kernel refused the socket dump: " +
                            std::string(strerror(err)));
        }
        if (header.nlmsg_type == SOCK_DIAG_BY_FAMILY) {
            if (payload.size() < sizeof(inet_diag_msg))
                throw UserError("sock_diag: short inet_diag message");
            sockets.push_back(socket_of(read_at<inet_diag_msg>(payload, 0)));
        }
        offset += NLMSG_ALIGN(header.nlmsg_len);
    }
    if (offset < datagram.size())
        throw UserError("sock_diag: trailing bytes after the last netlink message");
    return DiagParse::more;
}

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
