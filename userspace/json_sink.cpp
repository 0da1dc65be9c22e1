#include "json_sink.h"

#include "json_line.h"
#include "net_names.h"

namespace connscope {

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

const char* stall_kind_name(StallKind kind)
{
    return kind == StallKind::nagle_delayed_ack ? "nagle_delayed_ack" : "delayed_ack";
}

const char* stall_side_name(StallSide side) { return side == StallSide::sender ? "sender" : "receiver"; }

std::string status_class_name(uint16_t status) { return status ? std::to_string(status / 100) + "xx" : "none"; }

namespace {

json optional_text(const std::string& text) { return text.empty() ? json(nullptr) : json(text); }

json optional_number(const std::optional<uint32_t>& n) { return n ? json(*n) : json(nullptr); }

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
    j["side"] = stall_side_name(r.side);
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
        {"syn_queue", r.syn_queue},
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
    json j = about("conn", r);
    j.update(json{
        {"role", role_name(r.role)},
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
        {"protocol", r.protocol},
        {"http_transactions", r.http_transactions},
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
    });
    return j;
}

json connect_error_json(const ConnectErrorRecord& r)
{
    json j = about("connect_error", r);
    j["errno"] = r.error;
    j["async"] = r.async;
    j["syscall"] = r.syscall;
    j["port_utilization"] = r.port_utilization ? json(*r.port_utilization) : json(nullptr);
    return j;
}

json address_counts_json(const std::vector<AddressCount>& counts, const char* address_field,
                         const char* port_field)
{
    json list = json::array();
    for (const AddressCount& c : counts) {
        json entry{{address_field, c.address}};
        if (port_field)
            entry[port_field] = c.port;
        if (c.holder)
            entry["holder"] = time_wait_holder_name(*c.holder);
        entry["count"] = c.count;
        list.push_back(entry);
    }
    return list;
}

json timewait_json(const TimeWaitRecord& r)
{
    return json{
        {"type", "timewait"},
        {"ts", r.ts_ns},
        {"netns", r.netns},
        {"total", r.total},
        {"client_side", r.client_side},
        {"server_side", r.server_side},
        {"by_destination", address_counts_json(r.by_destination, "raddr", "rport")},
        {"by_local", address_counts_json(r.by_local, "laddr", nullptr)},
        {"entering_per_s", r.entering_per_s},
        {"entered_client_closed_first", r.entered_client},
        {"entered_server_closed_first", r.entered_server},
    };
}

json ports_json(const PortsRecord& r)
{
    json destinations = json::array();
    for (const PortDestination& d : r.destinations)
        destinations.push_back(json{
            {"laddr", d.local_address},
            {"raddr", d.remote_address},
            {"rport", d.remote_port},
            {"in_use", d.in_use},
            {"time_wait", d.time_wait},
            {"reusable", d.reusable},
            {"available", d.available},
            {"utilization", d.utilization},
            {"utilization_after_reuse", d.utilization_after_reuse},
            {"opens_per_s", d.opens_per_s},
            {"exhaustion_in_s", d.exhaustion_in_s ? json(*d.exhaustion_in_s) : json(nullptr)},
            {"bound_before_connect", d.bound_before_connect},
            {"shared_pool", d.shared_pool},
        });
    return json{
        {"type", "ports"},
        {"ts", r.ts_ns},
        {"netns", r.netns},
        {"range", json::array({r.range_low, r.range_high})},
        {"reserved", r.reserved},
        {"listening", r.listening},
        {"pool", r.pool},
        {"tw_reuse", r.tw_reuse},
        {"destinations", destinations},
    };
}

json port_warning_json(const PortWarningRecord& r)
{
    return json{
        {"type", "port_warning"},
        {"ts", r.ts_ns},
        {"netns", r.netns},
        {"laddr", r.local_address},
        {"raddr", r.remote_address},
        {"rport", r.remote_port},
        {"in_use", r.in_use},
        {"available", r.available},
        {"utilization", r.utilization},
        {"threshold", r.threshold},
        {"shared_pool", r.shared_pool},
    };
}

const char* end_name(const HttpRecord& r)
{
    switch (r.end) {
    case TransactionEnd::complete:
        return "complete";
    case TransactionEnd::capture_lost:
        return "capture_lost";
    case TransactionEnd::in_flight:
        return "in_flight";
    case TransactionEnd::connection_closed:
        return close_name(r.close);
    }
    return "unknown";
}

// Two of these per HTTP request: written without building an object.
std::string http_line(const HttpRecord& r)
{
    return JsonLine()
        .text("type", "http")
        .number("ts", r.ts_ns)
        .number("cookie", r.cookie)
        .number("pid", r.pid)
        .text("comm", r.comm)
        .number("netns", r.netns)
        .text("family", family_name(r.family))
        .text("role", role_name(r.role))
        .text("laddr", r.local.address)
        .number("lport", r.local.port)
        .text("raddr", r.remote.address)
        .number("rport", r.remote.port)
        .text_or_null("method", r.method)
        .text_or_null("path", r.path)
        .text_or_null("host", r.host)
        .text_or_null("version", r.version)
        .number("status", r.status)
        .number("req_bytes", r.req_bytes)
        .number("resp_bytes", r.resp_bytes)
        .number("seq", r.seq)
        .boolean("new_connection", r.new_connection)
        .number("handshake_us", r.handshake_us)
        .number("ttfb_us", r.ttfb_us)
        .number("duration_us", r.duration_us)
        .boolean("keep_alive", r.keep_alive)
        .boolean("truncated", r.truncated)
        .text("end", end_name(r))
        .number("retransmits", r.retransmits)
        .number("delayed_acks", r.delayed_acks)
        .number("stalls", r.stalls)
        .number("stall_us", r.stall_us)
        .boolean("idle_restart", r.idle_restart)
        .number("cwnd", r.cwnd)
        .number_or_null("ssthresh", r.ssthresh)
        .finish();
}

std::string line(const json& object) { return object.dump(-1, ' ', false, json::error_handler_t::replace) + "\n"; }

}  // namespace

json start_json(const StartRecord& start)
{
    json hooks = json::array();
    for (const Hook& hook : start.hooks)
        hooks.push_back(json{{"signal", hook.signal},
                             {"mechanism", hook.mechanism},
                             {"lost", hook.mechanism == "none" ? json(hook.lost) : json(nullptr)}});
    return json{{"type", "start"},
                {"ts", start.ts_ns},
                {"version", start.version},
                {"hooks", hooks},
                {"http_sample", start.http_sample ? json(*start.http_sample) : json(nullptr)}};
}

json record_json(const Record& record)
{
    return std::visit(
        [](const auto& r) -> json {
            using T = std::decay_t<decltype(r)>;
            if constexpr (std::is_same_v<T, ConnRecord>)
                return conn_json(r);
            else if constexpr (std::is_same_v<T, ConnectErrorRecord>)
                return connect_error_json(r);
            else if constexpr (std::is_same_v<T, TimeWaitRecord>)
                return timewait_json(r);
            else if constexpr (std::is_same_v<T, PortsRecord>)
                return ports_json(r);
            else if constexpr (std::is_same_v<T, PortWarningRecord>)
                return port_warning_json(r);
            else if constexpr (std::is_same_v<T, HttpRecord>)
                return json::parse(http_line(r));
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
    json status_classes = json::object();
    for (const auto& [name, count] : s.http_status_classes)
        status_classes[name] = count;
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
        {"http_transactions", s.http_transactions},
        {"http_status", status_classes},
        {"http_body_io_counted", t.http_body_io_counted},
        {"http_ttfb_us_new_mean", s.http_ttfb_us_new_mean},
        {"http_ttfb_us_reused_mean", s.http_ttfb_us_reused_mean},
        {"fast_retransmits", t.fast_retransmits},
        {"slow_start_retransmits", t.slow_start_retransmits},
        {"timeouts", t.timeouts},
        {"loss_probes", t.loss_probes},
        {"delayed_acks", t.delayed_acks},
        {"delayed_acks_locked", t.delayed_acks_locked},
        {"listen_overflows", s.listen_overflows ? json(*s.listen_overflows) : json(nullptr)},
        {"listen_drops", s.listen_drops ? json(*s.listen_drops) : json(nullptr)},
    };
}

std::string JsonSink::start(const StartRecord& start) { return line(start_json(start)); }
std::string JsonSink::record(const Record& record)
{
    if (const auto* http = std::get_if<HttpRecord>(&record))
        return http_line(*http);
    return line(record_json(record));
}
std::string JsonSink::summary(const SummaryRecord& summary) { return line(summary_json(summary)); }

}  // namespace connscope
