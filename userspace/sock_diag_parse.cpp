#include "sock_diag.h"

#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "error.h"

namespace connscope {
namespace {

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

}  // namespace connscope
