#include "json_sink.h"

#include "net_names.h"

namespace connscope {
namespace {

using json = nlohmann::ordered_json;

const char* role_name(Role role) { return role == Role::client ? "client" : "server"; }

const char* close_name(CloseKind kind)
{
    switch (kind) {
    case CloseKind::local_fin:
        return "local_fin";
    case CloseKind::peer_fin:
        return "peer_fin";
    case CloseKind::reset_sent:
        return "reset_sent";
    case CloseKind::reset_received:
        return "reset_received";
    case CloseKind::never_established:
        return "never_established";
    case CloseKind::aborted:
        return "aborted";
    }
    return "unknown";
}

json optional_text(const std::string& text) { return text.empty() ? json(nullptr) : json(text); }

json optional_number(const std::optional<uint32_t>& n) { return n ? json(*n) : json(nullptr); }

const char* stall_kind_name(StallKind kind)
{
    return kind == StallKind::nagle_delayed_ack ? "nagle_delayed_ack" : "delayed_ack";
}

const char* retransmit_kind_name(RetransmitKind kind)
{
    switch (kind) {
    case RetransmitKind::syn:
        return "syn";
    case RetransmitKind::synack:
        return "synack";
    case RetransmitKind::timeout:
        return "timeout";
    case RetransmitKind::slow_start:
        return "slow_start";
    case RetransmitKind::fast:
        return "fast";
    case RetransmitKind::loss_probe:
        return "loss_probe";
    }
    return "unknown";
}

// The identity every per-connection record starts with, after its type and time.
json about(const char* type, const ConnIdentity& r)
{
    return json{
        {"type", type},
        {"ts", r.ts_ns},
        {"cookie", r.cookie},
        {"pid", r.pid},
        {"comm", r.comm},
        {"netns", r.netns},
        {"family", family_name(r.family)},
        {"laddr", r.local.address},
        {"lport", r.local.port},
        {"raddr", r.remote.address},
        {"rport", r.remote.port},
    };
}

json stall_json(const StallRecord& r)
{
    json j = about("stall", r);
    j["kind"] = stall_kind_name(r.kind);
    j["side"] = r.side == StallSide::sender ? "sender" : "receiver";
    j["stall_us"] = r.stall_us;
    j["nodelay"] = r.nodelay ? json(*r.nodelay) : json(nullptr);
    return j;
}

json retransmit_json(const RetransmitRecord& r)
{
    json j = about("retransmit", r);
    j["kind"] = retransmit_kind_name(r.kind);
    j["state"] = r.state;
    j["segs"] = r.segs;
    j["rto_us"] = r.rto_us;
    j["srtt_us"] = r.srtt_us;
    return j;
}

json handshake_json(const HandshakeRecord& r)
{
    json j = about("handshake", r);
    j["role"] = role_name(r.role);
    j["handshake_us"] = r.handshake_us;
    j["syn_retransmits"] = r.syn_retransmits;
    return j;
}

json idle_close_race_json(const IdleCloseRaceRecord& r)
{
    json j = about("idle_close_race", r);
    j["state"] = r.state;
    j["since_send_us"] = r.since_send_us;
    j["peer_fin_first"] = r.peer_fin_first;
    return j;
}

json listen_json(const ListenRecord& r)
{
    return json{
        {"type", "listen"},
        {"ts", r.ts_ns},
        {"netns", r.netns},
        {"family", family_name(r.family)},
        {"laddr", r.local.address},
        {"lport", r.local.port},
        {"accept_queue", r.accept_queue},
        {"accept_queue_max", r.accept_queue_max},
        {"drops", r.drops},
    };
}

json close_wait_json(const CloseWaitRecord& r)
{
    json j = about("close_wait", r);
    j["age_us"] = r.age_us;
    return j;
}

json conn_json(const ConnRecord& r)
{
    return json{
        {"type", "conn"},
        {"ts", r.ts_ns},
        {"cookie", r.cookie},
        {"pid", r.pid},
        {"comm", r.comm},
        {"netns", r.netns},
        {"family", family_name(r.family)},
        {"role", role_name(r.role)},
        {"laddr", r.local.address},
        {"lport", r.local.port},
        {"raddr", r.remote.address},
        {"rport", r.remote.port},
        {"start_ts", r.start_ts_ns},
        {"duration_us", r.duration_us},
        {"handshake_us", r.handshake_us},
        {"accept_wait_us", r.accept_wait_us},
        {"syn_retransmits", r.syn_retransmits},
        {"retransmits", r.retransmits},
        {"rtt_us", r.rtt_us},
        {"bytes_sent", r.bytes_sent},
        {"bytes_received", r.bytes_received},
        {"bytes_retransmitted", r.bytes_retransmitted},
        {"close", close_name(r.close)},
        {"close_state", r.close_state},
        {"error", optional_text(r.error)},
        {"time_wait", r.time_wait},
        {"observed_open", r.observed_open},
        {"bytes_after_fin", r.bytes_after_fin},
        {"cwnd", r.cwnd},
        {"ssthresh", optional_number(r.ssthresh)},
        {"idle_restarts", r.tcp.idle_restarts},
        {"restart_cwnd", r.tcp.last_restart_cwnd},
        {"delayed_acks", r.tcp.delayed_acks},
        {"stalls", r.tcp.stalls},
        {"stall_us", r.tcp.stall_us},
        {"fast_retransmits", r.tcp.fast_retransmits},
        {"slow_start_retransmits", r.tcp.slow_start_retransmits},
        {"timeouts", r.tcp.timeouts},
        {"loss_probes", r.tcp.loss_probes},
    };
}

json connect_error_json(const ConnectErrorRecord& r)
{
    return json{
        {"type", "connect_error"},
        {"ts", r.ts_ns},
        {"errno", r.error},
        {"pid", r.pid},
        {"comm", r.comm},
        {"netns", r.netns},
        {"family", family_name(r.family)},
        {"laddr", r.local.address},
        {"lport", r.local.port},
        {"raddr", r.remote.address},
        {"rport", r.remote.port},
        {"cookie", r.cookie},
        {"async", r.async},
    };
}

std::string line(const json& object) { return object.dump(-1, ' ', false, json::error_handler_t::replace) + "\n"; }

}  // namespace

json start_json(const StartRecord& start)
{
    json hooks = json::array();
    for (const Hook& hook : start.hooks)
        hooks.push_back(json{{"signal", hook.signal}, {"mechanism", hook.mechanism}});
    return json{{"type", "start"}, {"ts", start.ts_ns}, {"version", start.version}, {"hooks", hooks}};
}

json record_json(const Record& record)
{
    return std::visit(
        [](const auto& r) {
            using T = std::decay_t<decltype(r)>;
            if constexpr (std::is_same_v<T, ConnRecord>)
                return conn_json(r);
            else if constexpr (std::is_same_v<T, ConnectErrorRecord>)
                return connect_error_json(r);
            else if constexpr (std::is_same_v<T, StallRecord>)
                return stall_json(r);
            else if constexpr (std::is_same_v<T, RetransmitRecord>)
                return retransmit_json(r);
            else if constexpr (std::is_same_v<T, HandshakeRecord>)
                return handshake_json(r);
            else if constexpr (std::is_same_v<T, IdleCloseRaceRecord>)
                return idle_close_race_json(r);
            else if constexpr (std::is_same_v<T, ListenRecord>)
                return listen_json(r);
            else
                return close_wait_json(r);
        },
        record);
}

json summary_json(const SummaryRecord& s)
{
    const Totals& t = s.totals;
    json errors = json::object();
    for (const auto& [name, count] : t.connect_errors)
        errors[name] = count;
    return json{
        {"type", s.final ? "summary" : "interval"},
        {"ts", s.ts_ns},
        {"elapsed_us", s.elapsed_us},
        {"connections_active", t.connections_active},
        {"connections_passive", t.connections_passive},
        {"connections_open", s.connections_open},
        {"connections_closed", s.connections_closed},
        {"retransmits", t.retransmits},
        {"syn_retransmits", t.syn_retransmits},
        {"resets_sent", t.resets_sent},
        {"resets_received", t.resets_received},
        {"connect_errors", errors},
        {"events_lost", t.events_lost},
        {"fast_retransmits", t.fast_retransmits},
        {"slow_start_retransmits", t.slow_start_retransmits},
        {"timeouts", t.timeouts},
        {"loss_probes", t.loss_probes},
        {"delayed_acks", t.delayed_acks},
        {"delayed_acks_locked", t.delayed_acks_locked},
    };
}

std::string JsonSink::start(const StartRecord& start) { return line(start_json(start)); }
std::string JsonSink::record(const Record& record) { return line(record_json(record)); }
std::string JsonSink::summary(const SummaryRecord& summary) { return line(summary_json(summary)); }

}  // namespace connscope
