// Synthetic kernel events for the unit tests: the records conn.bpf.c puts in the ring
// buffer, built from readable parts. Times are monotonic nanoseconds, as bpf_ktime_get_ns().
#pragma once

#include <arpa/inet.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "events.h"
#include "net_names.h"

namespace connscope::test
{

constexpr uint64_t us = 1'000;
constexpr uint64_t ms = 1'000'000;
constexpr uint64_t sec = 1'000'000'000;

// Any fixed monotonic time: the events of a test are placed after it.
constexpr uint64_t t0 = 5'000 * sec;
// The inode of a network namespace (the initial one's, on most hosts).
constexpr uint32_t host_netns = 4026531840;

inline void parse_address(const std::string& text, int family, uint8_t (&out)[16])
{
    if (inet_pton(family, text.c_str(), out) != 1)
        throw std::invalid_argument("not an address: " + text);
}

// One socket's view of its connection: its own address and port first, the peer's second.
// The family is AF_INET6 when the addresses are IPv6 text ("::ffff:10.0.0.1" included).
inline flow make_flow(const std::string& local, uint16_t local_port, const std::string& remote,
                      uint16_t remote_port, uint32_t netns = host_netns)
{
    flow f{};
    const int family = local.find(':') == std::string::npos ? AF_INET : AF_INET6;
    f.family = static_cast<uint16_t>(family);
    parse_address(local, family, f.saddr);
    parse_address(remote, family, f.daddr);
    f.sport = local_port;
    f.dport = remote_port;
    f.netns = netns;
    return f;
}

inline owner make_owner(uint32_t pid, std::string_view comm)
{
    owner o{};
    o.pid = pid;
    std::memcpy(o.comm, comm.data(), std::min(comm.size(), sizeof(o.comm)));
    return o;
}

inline event_header make_header(event_type type, uint64_t cookie, uint64_t ts_ns)
{
    event_header h{};
    h.type = type;
    h.cpu = 1;
    h.ts_ns = ts_ns;
    h.cookie = cookie;
    return h;
}

// The tcp_sock counters a state change carries; the rest (retransmit count, errors) stay 0.
inline tcp_counters make_counters(uint64_t bytes_sent, uint64_t bytes_retrans, uint64_t bytes_received,
                                  uint32_t srtt_us)
{
    tcp_counters c{};
    c.bytes_sent = bytes_sent;
    c.bytes_retrans = bytes_retrans;
    c.bytes_received = bytes_received;
    c.srtt_us = srtt_us;
    return c;
}

// A socket as conn.bpf.c sees it: every event it makes carries its cookie and flow, and its
// state changes carry the owner once the kernel knows it (pid 0: not known, as for a
// passively opened socket before accept()).
struct Socket {
    uint64_t cookie = 0;
    ::flow flow{};
    ::owner owner{};

    state_event state(uint64_t ts_ns, TcpState from, TcpState to) const
    {
        state_event e{};
        e.hdr = make_header(EVENT_STATE, cookie, ts_ns);
        e.flow = flow;
        e.oldstate = static_cast<uint32_t>(from);
        e.newstate = static_cast<uint32_t>(to);
        if (owner.pid) {
            e.owner = owner;
            e.flags = STATE_FLAG_OWNER_KNOWN;
        }
        return e;
    }

    retransmit_event retransmit(uint64_t ts_ns, TcpState state, uint32_t segs) const
    {
        retransmit_event e{};
        e.hdr = make_header(EVENT_RETRANSMIT, cookie, ts_ns);
        e.flow = flow;
        e.state = static_cast<uint32_t>(state);
        e.segs = segs;
        return e;
    }

    // A client's SYN, sent again by tcp_retransmit_skb.
    retransmit_event syn_retransmit(uint64_t ts_ns) const
    {
        retransmit_event e = retransmit(ts_ns, TcpState::syn_sent, 1);
        e.syn = 1;
        return e;
    }

    retransmit_event classified_retransmit(uint64_t ts_ns, retransmit_kind kind, uint32_t segs) const
    {
        retransmit_event e = retransmit(ts_ns, TcpState::established, segs);
        e.kind = kind;
        e.rto_us = 204'000;
        e.srtt_us = 40;
        return e;
    }

    delayed_ack_event delayed_ack(uint64_t ts_ns, uint64_t last_data_ns, uint32_t min_rtt_us) const
    {
        delayed_ack_event e{};
        e.hdr = make_header(static_cast<event_type>(EVENT_DELAYED_ACK), cookie, ts_ns);
        e.last_data_ns = last_data_ns;
        e.min_rtt_us = min_rtt_us;
        return e;
    }

    data_after_delayed_ack_event data_after(uint64_t ts_ns, uint64_t delayed_ack_ns) const
    {
        data_after_delayed_ack_event e{};
        e.hdr = make_header(static_cast<event_type>(EVENT_DATA_AFTER_DELAYED_ACK), cookie, ts_ns);
        e.delayed_ack_ns = delayed_ack_ns;
        return e;
    }

    held_send_released_event released(uint64_t ts_ns, uint64_t held_ns, uint32_t min_rtt_us, bool nodelay) const
    {
        held_send_released_event e{};
        e.hdr = make_header(static_cast<event_type>(EVENT_HELD_SEND_RELEASED), cookie, ts_ns);
        e.held_ns = held_ns;
        e.min_rtt_us = min_rtt_us;
        e.nodelay = nodelay;
        return e;
    }

    idle_restart_event idle_restart(uint64_t ts_ns, uint32_t cwnd) const
    {
        idle_restart_event e{};
        e.hdr = make_header(static_cast<event_type>(EVENT_IDLE_RESTART), cookie, ts_ns);
        e.idle_us = 500'000;
        e.rto_us = 204'000;
        e.cwnd = cwnd;
        e.ssthresh = 0x7fffffff;
        return e;
    }

    reset_event reset(uint64_t ts_ns, reset_direction direction, TcpState state) const
    {
        reset_event e{};
        e.hdr = make_header(EVENT_RESET, cookie, ts_ns);
        e.flow = flow;
        e.direction = direction;
        e.state = static_cast<uint32_t>(state);
        return e;
    }

    accept_event accept(uint64_t ts_ns, const ::owner& by) const
    {
        accept_event e{};
        e.hdr = make_header(EVENT_ACCEPT, cookie, ts_ns);
        e.flow = flow;
        e.owner = by;
        return e;
    }
};

// A client socket between CLOSE→SYN_SENT and the port assignment in inet_hash_connect().
inline state_event without_local_port(state_event e)
{
    e.flow.sport = 0;
    return e;
}

// A SYN-ACK sent again for a request socket: no full socket yet, so cookie 0; the flow is
// the server's view (its address and port first).
inline retransmit_event synack_retransmit(uint64_t ts_ns, const flow& server_view)
{
    retransmit_event e{};
    e.hdr = make_header(EVENT_RETRANSMIT, 0, ts_ns);
    e.flow = server_view;
    e.state = static_cast<uint32_t>(TcpState::syn_recv);
    e.segs = 1;
    e.syn = 1;
    e.synack = 1;
    return e;
}

inline connect_error_event connect_error(uint64_t cookie, uint64_t ts_ns, const flow& f, const owner& by,
                                         int32_t err, bool async)
{
    connect_error_event e{};
    e.hdr = make_header(EVENT_CONNECT_ERROR, cookie, ts_ns);
    e.flow = f;
    e.owner = by;
    e.err = err;
    e.async = async ? 1 : 0;
    return e;
}

// The bytes of a record as the ring buffer hands them over.
template <typename Record> std::vector<std::byte> bytes_of(const Record& record)
{
    std::vector<std::byte> bytes(sizeof(Record));
    std::memcpy(bytes.data(), &record, sizeof(Record));
    return bytes;
}

} // namespace connscope::test
