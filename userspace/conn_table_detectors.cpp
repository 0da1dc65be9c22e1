// The TCP detectors' part of the connection table: retransmit kinds, delayed ACKs and stalls,
// idle restarts, slow handshakes, the idle-close race and CLOSE_WAIT. Pure, like the rest.
#include <algorithm>

#include "conn_table.h"
#include "detectors/idle_close_race.h"
#include "net_names.h"

namespace connscope {
namespace {

constexpr uint64_t ns_per_us = 1000;

// A record about one connection, carrying the connection's identity.
template <typename R>
R about(const ConnRecord& conn, uint64_t ts_ns)
{
    R r;
    r.ts_ns = ts_ns;
    r.cookie = conn.cookie;
    r.pid = conn.pid;
    r.comm = conn.comm;
    r.netns = conn.netns;
    r.family = conn.family;
    r.local = conn.local;
    r.remote = conn.remote;
    return r;
}

RetransmitKind retransmit_kind(const retransmit_event& e)
{
    switch (e.kind) {
    case RETRANSMIT_SYN:
        return RetransmitKind::syn;
    case RETRANSMIT_SYNACK:
        return RetransmitKind::synack;
    case RETRANSMIT_TIMEOUT:
        return RetransmitKind::timeout;
    case RETRANSMIT_SLOW_START:
        return RetransmitKind::slow_start;
    case RETRANSMIT_LOSS_PROBE:
        return RetransmitKind::loss_probe;
    default:
        return e.syn ? RetransmitKind::syn : RetransmitKind::fast;
    }
}

void count_retransmit(TcpCounters& c, RetransmitKind kind, uint32_t segs, uint64_t ts_ns)
{
    switch (kind) {
    case RetransmitKind::fast:
        c.fast_retransmits += segs;
        break;
    case RetransmitKind::slow_start:
        c.slow_start_retransmits += segs;
        break;
    case RetransmitKind::timeout:
        c.timeouts += 1;
        break;
    case RetransmitKind::loss_probe:
        c.loss_probes += 1;
        break;
    case RetransmitKind::syn:
    case RetransmitKind::synack:
        return;
    }
    c.last_event_ns = ts_ns;
}

}  // namespace

void ConnTable::classify_retransmit(ConnRecord& conn, const retransmit_event& e)
{
    const RetransmitKind kind = retransmit_kind(e);
    count_retransmit(conn.tcp, kind, e.segs, e.hdr.ts_ns);
    if (!verbose_events_)
        return;
    auto record = about<RetransmitRecord>(conn, unix_ns(e.hdr.ts_ns));
    record.kind = kind;
    record.state = tcp_state_name(e.state);
    record.segs = e.segs;
    record.rto_us = e.rto_us;
    record.srtt_us = e.srtt_us;
    ready_.push_back(std::move(record));
}

void ConnTable::report_idle_close_race(const ConnRecord& conn, const reset_event& e)
{
    const auto race = idle_close_race(e);
    if (!race)
        return;
    auto record = about<IdleCloseRaceRecord>(conn, unix_ns(e.hdr.ts_ns));
    record.state = tcp_state_name(e.state);
    record.since_send_us = race->since_send_us;
    record.peer_fin_first = race->peer_fin_first;
    ready_.push_back(std::move(record));
}

void ConnTable::on_delayed_ack(const delayed_ack_event& e)
{
    auto it = open_.find(e.hdr.cookie);
    if (it == open_.end())
        return;
    it->second.record.tcp.delayed_acks += 1;
    it->second.record.tcp.last_event_ns = e.hdr.ts_ns;
    stalls_.on_delayed_ack(e);
}

void ConnTable::add_stall(Connection& conn, const Stall& stall)
{
    TcpCounters& c = conn.record.tcp;
    c.stalls += 1;
    c.stall_us += stall.stall_us;
    c.last_event_ns = stall.ts_ns;
    auto record = about<StallRecord>(conn.record, unix_ns(stall.ts_ns));
    record.kind = stall.kind;
    record.side = stall.side;
    record.stall_us = stall.stall_us;
    record.nodelay = stall.nodelay;
    ready_.push_back(std::move(record));
}

void ConnTable::on_data_after_delayed_ack(const data_after_delayed_ack_event& e)
{
    auto it = open_.find(e.hdr.cookie);
    if (it == open_.end())
        return;
    if (const auto stall = stalls_.on_data_after_delayed_ack(e))
        add_stall(it->second, *stall);
}

void ConnTable::on_held_send_released(const held_send_released_event& e)
{
    auto it = open_.find(e.hdr.cookie);
    if (it == open_.end())
        return;
    if (const auto stall = stalls_.on_held_send_released(e))
        add_stall(it->second, *stall);
}

void ConnTable::report_slow_handshake(const Connection& conn)
{
    const uint64_t took_us = handshake_us(conn);
    if (!slow_handshake_us_ || took_us < slow_handshake_us_)
        return;
    auto record = about<HandshakeRecord>(conn.record, unix_ns(conn.established_ns));
    record.role = conn.record.role;
    record.handshake_us = took_us;
    record.syn_retransmits = conn.record.syn_retransmits;
    ready_.push_back(std::move(record));
}

void ConnTable::on_idle_restart(const idle_restart_event& e)
{
    auto it = open_.find(e.hdr.cookie);
    if (it == open_.end())
        return;
    TcpCounters& c = it->second.record.tcp;
    c.idle_restarts += 1;
    c.last_restart_cwnd = e.cwnd;
    c.last_event_ns = e.hdr.ts_ns;
}

std::optional<TcpCounters> ConnTable::tcp_counters(uint64_t cookie) const
{
    auto it = open_.find(cookie);
    if (it == open_.end())
        return std::nullopt;
    return it->second.record.tcp;
}

std::vector<Record> ConnTable::close_waits(uint64_t now_ns) const
{
    std::vector<std::pair<uint64_t, uint64_t>> waiting;  // (since, cookie), oldest first
    for (const auto& [cookie, conn] : open_)
        if (conn.close_wait_ns)
            waiting.emplace_back(conn.close_wait_ns, cookie);
    std::sort(waiting.begin(), waiting.end());
    std::vector<Record> out;
    for (const auto& [since, cookie] : waiting) {
        auto record = about<CloseWaitRecord>(open_.at(cookie).record, unix_ns(now_ns));
        record.age_us = (now_ns - std::min(now_ns, since)) / ns_per_us;
        out.push_back(std::move(record));
    }
    return out;
}

}  // namespace connscope
