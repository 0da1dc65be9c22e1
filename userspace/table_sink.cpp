#include "table_sink.h"

#include <ctime>
#include <fmt/format.h>

#include "port_text.h"

namespace connscope {
namespace {

constexpr size_t header_every = 40;

std::string clock_time(uint64_t unix_ns)
{
    const time_t seconds = static_cast<time_t>(unix_ns / 1'000'000'000);
    tm local{};
    localtime_r(&seconds, &local);
    char text[16];
    std::strftime(text, sizeof(text), "%H:%M:%S", &local);
    return std::string(text) + "." + std::to_string(unix_ns / 1'000'000 % 1000 + 1000).substr(1);
}

std::string duration_text(uint64_t us)
{
    if (us >= 10'000'000)
        return std::to_string(us / 1'000'000) + "s";
    if (us >= 10'000)
        return std::to_string(us / 1000) + "ms";
    return std::to_string(us) + "us";
}

std::string endpoint_text(const Endpoint& e)
{
    const bool v6 = e.address.find(':') != std::string::npos;
    return (v6 ? "[" + e.address + "]" : e.address) + ":" + std::to_string(e.port);
}

std::string process_text(const std::string& comm, uint32_t pid)
{
    return pid ? comm + "[" + std::to_string(pid) + "]" : "-";
}

const char* close_text(CloseKind kind)
{
    switch (kind) {
    case CloseKind::local_fin:
        return "we closed";
    case CloseKind::peer_fin:
        return "peer closed";
    case CloseKind::reset_sent:
        return "RST sent";
    case CloseKind::reset_received:
        return "RST received";
    case CloseKind::never_established:
        return "never established";
    case CloseKind::aborted:
        return "aborted";
    }
    return "";
}

std::string header()
{
    return fmt::format("{:<12} {:<6} {:<22} {:>22}   {:<22} {:>7} {:>4} {:>4} {:>7} {:>9} {:>9} {:>8}  {}\n",
                       "TIME", "ROLE", "PROCESS", "LOCAL", "REMOTE", "HANDSHK", "SYNR", "RETR",
                       "RTT", "SENT", "RECEIVED", "DURATION", "CLOSE");
}

}  // namespace

std::string TableSink::start(const StartRecord& start)
{
    std::string text = "connscope " + start.version + ": watching TCP connections (Ctrl-C stops)\n";
    if (start.http_sample && *start.http_sample > 1)
        text += "HTTP on one connection in " + std::to_string(*start.http_sample) + " (--http-sample)\n";
    lines_since_header_ = header_every;
    return text;
}

std::string TableSink::record(const Record& record)
{
    if (std::string port_text = port_record_text(record); !port_text.empty()) {
        lines_since_header_ = header_every;
        return port_text;
    }
    std::string text;
    if (lines_since_header_++ >= header_every) {
        text += header();
        lines_since_header_ = 1;
    }
    if (const auto* c = std::get_if<ConnRecord>(&record)) {
        std::string close = close_text(c->close);
        if (c->time_wait)
            close += ", TIME_WAIT here";
        if (!c->error.empty())
            close += ", " + c->error;
        text += fmt::format("{:<12} {:<6} {:<22} {:>22} → {:<22} {:>7} {:>4} {:>4} {:>7} {:>9} {:>9} {:>8}  {}\n",
                            clock_time(c->ts_ns), c->role == Role::client ? "client" : "server",
                            process_text(c->comm, c->pid), endpoint_text(c->local),
                            endpoint_text(c->remote),
                            c->observed_open ? duration_text(c->handshake_us) : "-",
                            c->syn_retransmits, c->retransmits, duration_text(c->rtt_us),
                            c->bytes_sent, c->bytes_received, duration_text(c->duration_us), close);
        return text;
    }
    if (const auto* h = std::get_if<HttpRecord>(&record)) {
        std::string flags = h->new_connection ? "new conn, handshake " + duration_text(h->handshake_us) : "reused";
        if (h->retransmits)
            flags += ", " + std::to_string(h->retransmits) + " retransmits";
        if (h->stalls)
            flags += fmt::format(", {} stall{} {}", h->stalls, h->stalls == 1 ? "" : "s", duration_text(h->stall_us));
        if (h->idle_restart)
            flags += ", slow start after idle";
        if (h->truncated)
            flags += ", truncated";
        if (h->end == TransactionEnd::capture_lost)
            flags += ", capture lost";
        else if (h->end == TransactionEnd::in_flight)
            flags += ", in flight at exit";
        else if (h->end != TransactionEnd::complete)
            flags += std::string(", ended: ") + close_text(h->close);
        text += fmt::format("{:<12} {:<6} {:<22} {:>22} → {:<22} {} {} {} #{} ttfb {} total {} {}B/{}B  {}\n",
                            clock_time(h->ts_ns), h->role == Role::client ? "client" : "server",
                            process_text(h->comm, h->pid), endpoint_text(h->local), endpoint_text(h->remote),
                            h->status, h->method.empty() ? "-" : h->method, h->host + h->path, h->seq,
                            duration_text(h->ttfb_us), duration_text(h->duration_us), h->req_bytes,
                            h->resp_bytes, flags);
        return text;
    }
    if (const auto* s = std::get_if<StallRecord>(&record)) {
        text += fmt::format("{:<12} {:<6} {:<22} {:>22} → {:<22} {} stall {} ({} side)\n",
                            clock_time(s->ts_ns), "", process_text(s->comm, s->pid),
                            endpoint_text(s->local), endpoint_text(s->remote),
                            s->kind == StallKind::nagle_delayed_ack ? "Nagle × delayed-ACK" : "delayed-ACK",
                            duration_text(s->stall_us), s->side == StallSide::sender ? "sending" : "receiving");
        return text;
    }
    if (const auto* r = std::get_if<RetransmitRecord>(&record)) {
        text += fmt::format("{:<12} {:<6} {:<22} {:>22} → {:<22} retransmit in {}, {} segment(s), rto {}, srtt {}\n",
                            clock_time(r->ts_ns), "", process_text(r->comm, r->pid),
                            endpoint_text(r->local), endpoint_text(r->remote), r->state, r->segs,
                            duration_text(r->rto_us), duration_text(r->srtt_us));
        return text;
    }
    if (const auto* h = std::get_if<HandshakeRecord>(&record)) {
        text += fmt::format("{:<12} {:<6} {:<22} {:>22} → {:<22} slow handshake: {} ({} SYN retransmits)\n",
                            clock_time(h->ts_ns), h->role == Role::client ? "client" : "server",
                            process_text(h->comm, h->pid), endpoint_text(h->local),
                            endpoint_text(h->remote), duration_text(h->handshake_us), h->syn_retransmits);
        return text;
    }
    if (const auto* race = std::get_if<IdleCloseRaceRecord>(&record)) {
        text += fmt::format("{:<12} {:<6} {:<22} {:>22} → {:<22} reset by peer {} after sending on a reused connection{}\n",
                            clock_time(race->ts_ns), "", process_text(race->comm, race->pid),
                            endpoint_text(race->local), endpoint_text(race->remote),
                            duration_text(race->since_send_us),
                            race->peer_fin_first ? " the peer had closed" : "");
        return text;
    }
    if (const auto* l = std::get_if<ListenRecord>(&record)) {
        text += fmt::format("{:<12} {:<6} {:<22} {:>22}   listening: {} dropped, accept queue {}/{}, SYN queue {}\n",
                            clock_time(l->ts_ns), "", "", endpoint_text(l->local), l->drops,
                            l->accept_queue, l->accept_queue_max, l->syn_queue);
        return text;
    }
    if (const auto* w = std::get_if<CloseWaitRecord>(&record)) {
        text += fmt::format("{:<12} {:<6} {:<22} {:>22} → {:<22} CLOSE_WAIT for {}: the peer closed, the application has not\n",
                            clock_time(w->ts_ns), "", process_text(w->comm, w->pid),
                            endpoint_text(w->local), endpoint_text(w->remote), duration_text(w->age_us));
        return text;
    }
    const auto& e = std::get<ConnectErrorRecord>(record);
    text += fmt::format("{:<12} {:<6} {:<22} {:>22} → {:<22} connect() failed: {}{}\n",
                        clock_time(e.ts_ns), "client", process_text(e.comm, e.pid),
                        endpoint_text(e.local), endpoint_text(e.remote), e.error,
                        e.async ? " (after EINPROGRESS)" : "");
    return text;
}

std::string TableSink::summary(const SummaryRecord& s)
{
    const Totals& t = s.totals;
    std::string errors;
    for (const auto& [name, count] : t.connect_errors)
        errors += " " + name + "=" + std::to_string(count);
    std::string status_text;
    for (const auto& [name, count] : s.http_status_classes)
        status_text += " " + name + "=" + std::to_string(count);
    lines_since_header_ = header_every;
    return fmt::format(
        "── {} at {}, after {} ──\n"
        "  connections  opened: {} active, {} passive   open now: {}   closed: {}\n"
        "  retransmits  {} segments ({} SYN/SYN-ACK, {} fast, {} after {} timeouts, {} loss probes)\n"
        "  delayed ACKs {} ({} while the application held the socket)\n"
        "  resets       {} sent, {} received\n"
        "  connect()    errors:{}\n"
        "{}"
        "  http         {} transactions{}\n"
        "{}",
        s.final ? "summary" : "interval", clock_time(s.ts_ns), duration_text(s.elapsed_us),
        t.connections_active, t.connections_passive, s.connections_open, s.connections_closed,
        t.retransmits, t.syn_retransmits, t.fast_retransmits, t.slow_start_retransmits, t.timeouts,
        t.loss_probes, t.delayed_acks, t.delayed_acks_locked, t.resets_sent, t.resets_received,
        errors.empty() ? " none" : errors,
        s.listen_drops ? fmt::format("  listen       {} drops, {} of them a full accept queue\n", *s.listen_drops,
                                     s.listen_overflows.value_or(0))
                       : std::string(),
        s.http_transactions, status_text,
        t.events_lost ? "  LOST EVENTS  " + std::to_string(t.events_lost) +
                            " (ring buffer full: raise --ring-buffer-kib)\n"
                      : std::string());
}

}  // namespace connscope
