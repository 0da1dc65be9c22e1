#include "conn_table.h"

#include <algorithm>
#include <cstring>

#include "net_names.h"

namespace connscope {
namespace {

constexpr uint64_t ns_per_us = 1000;
// The kernel's initial retransmission timeout (TCP_TIMEOUT_INIT): the first SYN-ACK went out
// this long before its first retransmit.
constexpr uint64_t initial_rto_ns = 1'000'000'000;
// A SYN-ACK retransmit whose connection never completed is forgotten after this long.
constexpr uint64_t pending_synack_ttl_ns = 300'000'000'000;

bool is(uint32_t state, TcpState expected) { return state == static_cast<uint32_t>(expected); }

Endpoint endpoint(uint16_t family, const uint8_t (&address)[16], uint16_t port)
{
    return {address_text(family, address), port};
}

std::string comm_text(const owner& o) { return std::string(o.comm, strnlen(o.comm, sizeof(o.comm))); }

}  // namespace

std::optional<uint32_t> finite_ssthresh(uint32_t snd_ssthresh)
{
    // The kernel's TCP_INFINITE_SSTHRESH: no loss yet, still in the first slow start.
    constexpr uint32_t infinite_ssthresh = 0x7fffffff;
    return snd_ssthresh >= infinite_ssthresh ? std::nullopt : std::optional<uint32_t>(snd_ssthresh);
}

ConnTable::FlowKey ConnTable::flow_key(const flow& f)
{
    std::array<uint8_t, 16> saddr{};
    std::array<uint8_t, 16> daddr{};
    std::copy(std::begin(f.saddr), std::end(f.saddr), saddr.begin());
    std::copy(std::begin(f.daddr), std::end(f.daddr), daddr.begin());
    return {f.netns, saddr, f.sport, daddr, f.dport};
}

void ConnTable::apply(const Event& event)
{
    std::visit(
        [this](const auto& e) {
            using T = std::decay_t<decltype(e)>;
            if constexpr (std::is_same_v<T, state_event>)
                on_state(e);
            else if constexpr (std::is_same_v<T, retransmit_event>)
                on_retransmit(e);
            else if constexpr (std::is_same_v<T, reset_event>)
                on_reset(e);
            else if constexpr (std::is_same_v<T, accept_event>)
                on_accept(e);
            else if constexpr (std::is_same_v<T, connect_error_event>)
                on_connect_error(e);
            else if constexpr (std::is_same_v<T, delayed_ack_event>)
                on_delayed_ack(e);
            else if constexpr (std::is_same_v<T, data_after_delayed_ack_event>)
                on_data_after_delayed_ack(e);
            else if constexpr (std::is_same_v<T, held_send_released_event>)
                on_held_send_released(e);
            else
                on_idle_restart(e);
        },
        event);
}

// A socket key in use again (raw_tp keys are addresses, and the slab reuses them) means the
// connection that had it is gone, its late reset included.
void ConnTable::complete_closing(uint64_t cookie)
{
    auto it = closing_.find(cookie);
    if (it == closing_.end())
        return;
    ready_.push_back(complete(it->second));
    closing_.erase(it);
}

ConnTable::Connection& ConnTable::open_connection(const state_event& e)
{
    const uint64_t cookie = e.hdr.cookie;
    complete_closing(cookie);
    Connection conn;
    conn.start_ns = e.hdr.ts_ns;
    conn.record.cookie = cookie;
    if (is(e.oldstate, TcpState::close) && is(e.newstate, TcpState::syn_sent)) {
        conn.record.role = Role::client;
    } else if (is(e.oldstate, TcpState::listen) && is(e.newstate, TcpState::syn_recv)) {
        conn.record.role = Role::server;
        auto pending = pending_synacks_.find(flow_key(e.flow));
        if (pending != pending_synacks_.end()) {
            conn.record.syn_retransmits = pending->second.count;
            conn.record.retransmits = pending->second.count;
            conn.first_synack_retransmit_ns = pending->second.first_ns;
            pending_synacks_.erase(pending);
        }
    } else {
        // Opened before connscope started: what the state it leaves implies is all there is.
        const uint32_t seen = e.oldstate;
        conn.record.observed_open = false;
        conn.established = !is(seen, TcpState::syn_sent) && !is(seen, TcpState::syn_recv);
        conn.local_fin_first = is(seen, TcpState::fin_wait1) || is(seen, TcpState::fin_wait2) ||
                               is(seen, TcpState::closing);
        conn.peer_fin_first = is(seen, TcpState::close_wait) || is(seen, TcpState::last_ack);
        if (is(seen, TcpState::syn_sent))
            conn.record.role = Role::client;
        else if (is(seen, TcpState::syn_recv))
            conn.record.role = Role::server;
        else  // the side with the lower port is taken as the server
            conn.record.role = e.flow.sport < e.flow.dport ? Role::server : Role::client;
    }
    return open_.insert_or_assign(cookie, std::move(conn)).first->second;
}

void ConnTable::on_state(const state_event& e)
{
    const bool opening = (is(e.oldstate, TcpState::close) && is(e.newstate, TcpState::syn_sent)) ||
                         (is(e.oldstate, TcpState::listen) && is(e.newstate, TcpState::syn_recv));
    auto it = open_.find(e.hdr.cookie);
    Connection& conn = (opening || it == open_.end()) ? open_connection(e) : it->second;

    ConnRecord& r = conn.record;
    if (e.flags & STATE_FLAG_OWNER_KNOWN) {
        r.pid = e.owner.pid;
        r.comm = comm_text(e.owner);
    }
    r.netns = e.flow.netns;
    r.family = e.flow.family;
    // The source port of a client is assigned after SYN_SENT: keep the latest view.
    if (e.flow.sport != 0 || r.local.address.empty())
        r.local = endpoint(e.flow.family, e.flow.saddr, e.flow.sport);
    if (e.flow.dport != 0 || r.remote.address.empty())
        r.remote = endpoint(e.flow.family, e.flow.daddr, e.flow.dport);

    if (is(e.newstate, TcpState::established) && !conn.established) {
        conn.established = true;
        conn.established_ns = e.hdr.ts_ns;
        conn.srtt_at_established_us = e.tcp.srtt_us;
        report_slow_handshake(conn);
    }
    if (is(e.newstate, TcpState::fin_wait1) && !conn.peer_fin_first) {
        conn.local_fin_first = true;
        conn.received_at_local_fin = e.tcp.bytes_received;
    }
    if (is(e.newstate, TcpState::close_wait) && !conn.local_fin_first) {
        conn.peer_fin_first = true;
        conn.sent_at_peer_fin = e.tcp.bytes_sent - std::min(e.tcp.bytes_sent, e.tcp.bytes_retrans);
    }
    conn.close_wait_ns = is(e.newstate, TcpState::close_wait) ? e.hdr.ts_ns : 0;
    if (is(e.newstate, TcpState::close))
        finish(e.hdr.cookie, conn, e);
}

void ConnTable::finish(uint64_t cookie, Connection& conn, const state_event& e)
{
    ConnRecord& r = conn.record;
    conn.closed_ns = e.hdr.ts_ns;
    conn.close_from = e.oldstate;
    conn.sk_err = e.tcp.sk_err;
    r.rtt_us = e.tcp.srtt_us;
    r.cwnd = e.tcp.snd_cwnd;
    r.ssthresh = finite_ssthresh(e.tcp.snd_ssthresh);
    r.bytes_sent = e.tcp.bytes_sent - std::min(e.tcp.bytes_sent, e.tcp.bytes_retrans);
    // The kernel counts the peer's FIN as a received byte; it carries no data.
    const bool fin_received = e.flags & STATE_FLAG_FIN_RECEIVED;
    r.bytes_received = e.tcp.bytes_received - (fin_received && e.tcp.bytes_received ? 1 : 0);
    r.bytes_retransmitted = e.tcp.bytes_retrans;
    // Half-close: data that kept flowing the other way after the first FIN.
    if (conn.sent_at_peer_fin)
        r.bytes_after_fin = r.bytes_sent - std::min(r.bytes_sent, *conn.sent_at_peer_fin);
    else if (conn.received_at_local_fin)
        r.bytes_after_fin = r.bytes_received - std::min(r.bytes_received, *conn.received_at_local_fin);
    complete_closing(cookie);
    stalls_.forget(cookie);
    closing_.insert_or_assign(cookie, std::move(conn));
    open_.erase(cookie);
}

void ConnTable::on_retransmit(const retransmit_event& e)
{
    if (e.synack && e.hdr.cookie == 0) {
        PendingSynack& pending = pending_synacks_[flow_key(e.flow)];
        if (pending.count++ == 0)
            pending.first_ns = e.hdr.ts_ns;
        std::erase_if(pending_synacks_, [&](const auto& entry) {
            return entry.second.first_ns + pending_synack_ttl_ns < e.hdr.ts_ns;
        });
        return;
    }
    auto it = open_.find(e.hdr.cookie);
    if (it == open_.end())
        return;
    ConnRecord& r = it->second.record;
    r.retransmits += e.segs;
    if (e.syn)
        r.syn_retransmits += 1;
    classify_retransmit(r, e);
}

uint64_t ConnTable::close_wait_connections() const
{
    return uint64_t(std::count_if(open_.begin(), open_.end(), [](const auto& entry) { return entry.second.close_wait_ns != 0; }));
}

void ConnTable::on_reset(const reset_event& e)
{
    if (e.hdr.cookie == 0)
        return;
    Connection* conn = nullptr;
    if (auto it = open_.find(e.hdr.cookie); it != open_.end())
        conn = &it->second;
    else if (auto closed = closing_.find(e.hdr.cookie); closed != closing_.end())
        conn = &closed->second;
    if (!conn)
        return;
    if (e.direction == RESET_SENT)
        conn->reset_sent = true;
    else
        conn->reset_received = true;
    report_idle_close_race(conn->record, e);
}

void ConnTable::on_accept(const accept_event& e)
{
    auto it = open_.find(e.hdr.cookie);
    if (it == open_.end())
        return;
    it->second.accept_ns = e.hdr.ts_ns;
    it->second.record.pid = e.owner.pid;
    it->second.record.comm = comm_text(e.owner);
}

void ConnTable::on_connect_error(const connect_error_event& e)
{
    ConnectErrorRecord r;
    r.ts_ns = unix_ns(e.hdr.ts_ns);
    r.cookie = e.hdr.cookie;
    r.pid = e.owner.pid;
    r.comm = comm_text(e.owner);
    r.netns = e.flow.netns;
    r.family = e.flow.family;
    r.local = endpoint(e.flow.family, e.flow.saddr, e.flow.sport);
    r.remote = endpoint(e.flow.family, e.flow.daddr, e.flow.dport);
    r.error = errno_name(e.err);
    r.async = e.async != 0;
    r.syscall = e.syscall == ERROR_SYSCALL_BIND ? "bind" : "connect";
    ready_.push_back(std::move(r));
}

uint64_t ConnTable::handshake_us(const Connection& conn)
{
    const ConnRecord& r = conn.record;
    if (!conn.established || !r.observed_open)
        return 0;
    if (r.role == Role::client)
        return (conn.established_ns - conn.start_ns) / ns_per_us;
    if (conn.first_synack_retransmit_ns)
        return (conn.established_ns - conn.first_synack_retransmit_ns + initial_rto_ns) / ns_per_us;
    return conn.srtt_at_established_us;
}

std::optional<ConnView> ConnTable::view(uint64_t cookie) const
{
    const Connection* conn = nullptr;
    if (auto it = open_.find(cookie); it != open_.end())
        conn = &it->second;
    else if (auto closed = closing_.find(cookie); closed != closing_.end())
        conn = &closed->second;
    if (!conn)
        return std::nullopt;
    return ConnView{conn->record.observed_open, handshake_us(*conn)};
}

Record ConnTable::complete(Connection& conn) const
{
    ConnRecord r = std::move(conn.record);
    r.ts_ns = unix_ns(conn.closed_ns);
    r.start_ts_ns = unix_ns(conn.start_ns);
    r.duration_us = (conn.closed_ns - conn.start_ns) / ns_per_us;
    r.close_state = tcp_state_name(conn.close_from);
    if (conn.sk_err)
        r.error = errno_name(conn.sk_err);
    r.handshake_us = handshake_us(conn);
    if (conn.accept_ns && conn.established_ns)
        r.accept_wait_us = (conn.accept_ns - std::min(conn.accept_ns, conn.established_ns)) / ns_per_us;

    if (!conn.established)
        r.close = CloseKind::never_established;
    else if (conn.reset_received)
        r.close = CloseKind::reset_received;
    else if (conn.reset_sent)
        r.close = CloseKind::reset_sent;
    else if (conn.local_fin_first)
        r.close = CloseKind::local_fin;
    else if (conn.peer_fin_first)
        r.close = CloseKind::peer_fin;
    else
        r.close = CloseKind::aborted;

    // The full socket leaves FIN_WAIT1, FIN_WAIT2 or CLOSING for CLOSE when a timewait
    // socket takes its place and holds the 4-tuple: in TIME_WAIT, or, when the application
    // had already closed, in FIN_WAIT2 until the peer's FIN moves it to TIME_WAIT. A reset
    // or an error on the way means there is none.
    const bool from_closing_states = is(conn.close_from, TcpState::fin_wait1) ||
                                     is(conn.close_from, TcpState::fin_wait2) ||
                                     is(conn.close_from, TcpState::closing);
    r.time_wait = from_closing_states && !conn.reset_sent && !conn.reset_received && conn.sk_err == 0;
    return r;
}

std::vector<Record> ConnTable::take_finished(uint64_t now_ns, uint64_t grace_ns)
{
    std::vector<Record> out = std::move(ready_);
    ready_.clear();
    std::vector<std::pair<uint64_t, uint64_t>> ready;  // (closed_ns, cookie), oldest first
    for (const auto& [cookie, conn] : closing_)
        if (conn.closed_ns + grace_ns <= now_ns)
            ready.emplace_back(conn.closed_ns, cookie);
    std::sort(ready.begin(), ready.end());
    for (const auto& [closed_ns, cookie] : ready) {
        auto it = closing_.find(cookie);
        out.push_back(complete(it->second));
        closing_.erase(it);
    }
    return out;
}

std::vector<Record> ConnTable::take_all_finished()
{
    return take_finished(UINT64_MAX, 0);
}

}  // namespace connscope
