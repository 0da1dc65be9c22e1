#include "json_sink.h"

#include "json_line.h"
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
        {"protocol", r.protocol},
        {"http_transactions", r.http_transactions},
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

const char* end_name(const HttpRecord& r)
{
    switch (r.end) {
    case TransactionEnd::complete:
        return "complete";
    case TransactionEnd::capture_lost:
        return "capture_lost";
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
        .finish();
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
    if (const auto* conn = std::get_if<ConnRecord>(&record))
        return conn_json(*conn);
    if (const auto* http = std::get_if<HttpRecord>(&record))
        return json::parse(http_line(*http));
    return connect_error_json(std::get<ConnectErrorRecord>(record));
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
