#include "metrics_registry.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <stdexcept>

#include "json_sink.h"

namespace connscope {
namespace {

// The text format wants UTF-8 with \, " and newline escaped; a comm can hold any byte.
std::string label_value_text(std::string_view value)
{
    std::string text;
    for (const char c : value) {
        if (c == '\\' || c == '"')
            text += {'\\', c};
        else if (c >= 0x20 && c < 0x7f)
            text += c;
        else
            text += '_';
    }
    return text;
}

std::string number_text(double value)
{
    if (value == std::numeric_limits<double>::infinity())
        return "+Inf";
    return fmt::format("{}", value);
}

std::string labels_text(const MetricSpec& spec, const std::vector<std::string>& values,
                        std::string_view extra_name = {}, std::string_view extra_value = {})
{
    std::string text;
    for (size_t i = 0; i < values.size(); ++i)
        text += fmt::format("{}{}=\"{}\"", text.empty() ? "" : ",", spec.labels[i], label_value_text(values[i]));
    if (!extra_name.empty())
        text += fmt::format("{}{}=\"{}\"", text.empty() ? "" : ",", extra_name, extra_value);
    return text.empty() ? "" : "{" + text + "}";
}

}  // namespace

BoundedLabel::Admission BoundedLabel::admit(const std::string& value, uint64_t now_ns)
{
    if (auto kept = last_active_ns_.find(value); kept != last_active_ns_.end()) {
        kept->second = std::max(kept->second, now_ns);
        return {value, {}};
    }
    if (value == folded_label_value)
        return {value, {}};
    std::string evicted;
    if (last_active_ns_.size() >= limit_) {
        const auto idlest = std::min_element(last_active_ns_.begin(), last_active_ns_.end(),
                                             [](const auto& a, const auto& b) { return a.second < b.second; });
        if (idlest == last_active_ns_.end() || now_ns < idlest->second + idle_ns_)
            return {std::string(folded_label_value), {}};
        evicted = idlest->first;
        last_active_ns_.erase(idlest);
    }
    last_active_ns_.emplace(value, now_ns);
    return {value, evicted};
}

std::string peer_label(const std::string& address, uint16_t port)
{
    if (address.find(':') != std::string::npos)
        return fmt::format("[{}]:{}", address, port);
    return fmt::format("{}:{}", address, port);
}

// A server's peer is the client's address alone: its ephemeral ports would use up the bound.
std::string peer_label(Role role, const Endpoint& remote)
{
    return role == Role::server ? remote.address : peer_label(remote.address, remote.port);
}

std::string peer_label(const ConnRecord& record) { return peer_label(record.role, record.remote); }

std::string_view method_label(const std::string& method)
{
    static constexpr std::array<std::string_view, 9> known{"GET",     "HEAD",    "POST",   "PUT",  "DELETE",
                                                           "PATCH",   "OPTIONS", "CONNECT", "TRACE"};
    if (method.empty())
        return "none";
    const auto found = std::find(known.begin(), known.end(), method);
    return found == known.end() ? "other" : *found;
}

void MetricsRegistry::observe_start(const StartRecord& start)
{
    const std::lock_guard lock(mutex_);
    set(MetricId::http_sample, {}, start.http_sample.value_or(0));
}

MetricsRegistry::MetricsRegistry(const LabelLimits& limits, const std::string& version)
    : series_(metric_table().size()), peers_(limits.max_peers, label_idle_ns),
      processes_(limits.max_processes, label_idle_ns), ports_(limits.max_peers, label_idle_ns)
{
    set(MetricId::build_info, {version}, 1);
    // Series of a fixed set of label values start at zero, so that rate() sees their first
    // increase: Prometheus takes a series' first sample as its start, not as an increase.
    for (const StallKind kind : {StallKind::nagle_delayed_ack, StallKind::delayed_ack})
        series(MetricId::stall_seconds, {stall_kind_name(kind)});
    for (const char* kind : {"slow_handshake", "stall", "idle_close_race", "close_wait"})
        add(MetricId::findings, {kind}, 0);
}

MetricsRegistry::Series& MetricsRegistry::series(MetricId id, LabelValues label_values)
{
    const MetricSpec& spec = metric_spec(id);
    if (label_values.size() != spec.labels.size())
        throw std::logic_error(fmt::format("{} takes {} labels", spec.name, spec.labels.size()));
    Series& found = series_[size_t(id)][std::move(label_values)];
    if (spec.type == MetricType::histogram && found.bucket_counts.empty())
        found.bucket_counts.resize(spec.buckets.size());
    return found;
}

void MetricsRegistry::add(MetricId id, LabelValues label_values, double amount)
{
    series(id, std::move(label_values)).value += amount;
}

void MetricsRegistry::set(MetricId id, LabelValues label_values, double value)
{
    series(id, std::move(label_values)).value = value;
}

void MetricsRegistry::observe_histogram(MetricId id, LabelValues label_values, double value)
{
    const std::vector<double>& bounds = metric_spec(id).buckets;
    Series& s = series(id, std::move(label_values));
    const auto bucket = std::lower_bound(bounds.begin(), bounds.end(), value);
    if (bucket != bounds.end())
        ++s.bucket_counts[size_t(bucket - bounds.begin())];
    ++s.count;
    s.sum += value;
}

std::string MetricsRegistry::admitted(BoundedLabel& bound, std::string_view label, const std::string& value,
                                      uint64_t now_ns)
{
    BoundedLabel::Admission admission = bound.admit(value, now_ns);
    if (admission.evicted.empty())
        return admission.value;
    for (const MetricSpec& spec : metric_table()) {
        const auto position = std::find(spec.labels.begin(), spec.labels.end(), label);
        if (position == spec.labels.end())
            continue;
        const size_t index = size_t(position - spec.labels.begin());
        std::erase_if(series_[size_t(spec.id)],
                      [&](const auto& entry) { return entry.first[index] == admission.evicted; });
    }
    return admission.value;
}

void MetricsRegistry::observe_conn(const ConnRecord& record)
{
    const std::string peer = admitted(peers_, "peer", peer_label(record), record.ts_ns);
    const std::string process = admitted(processes_, "process", record.comm, record.ts_ns);
    add(MetricId::connections_closed, {peer, process, close_name(record.close)}, 1);
    if (record.time_wait)
        add(MetricId::time_wait_closes, {peer, process}, 1);
    if (record.observed_open && record.handshake_us > 0)
        observe_histogram(MetricId::handshake_seconds, {peer, process, role_name(record.role)},
                          double(record.handshake_us) / 1e6);
    close_wait_cookies_.erase(record.cookie);
}

void MetricsRegistry::observe_http(const HttpRecord& record)
{
    const std::string peer = admitted(peers_, "peer", peer_label(record.role, record.remote), record.ts_ns);
    const std::string process = admitted(processes_, "process", record.comm, record.ts_ns);
    const std::string role = role_name(record.role);
    add(MetricId::http_requests,
        {peer, process, role, std::string(method_label(record.method)), status_class_name(record.status)}, 1);
    if (record.status == 0)
        return;  // no response: no time to first byte, no duration
    const char* connection = record.new_connection ? "new" : record.seq > 1 ? "reused" : "unknown";
    observe_histogram(MetricId::http_ttfb_seconds, {peer, process, role, connection}, double(record.ttfb_us) / 1e6);
    observe_histogram(MetricId::http_duration_seconds, {peer, process, role}, double(record.duration_us) / 1e6);
}

void MetricsRegistry::observe_finding(const Record& record)
{
    if (std::holds_alternative<HandshakeRecord>(record)) {
        add(MetricId::findings, {"slow_handshake"}, 1);
    } else if (const auto* stall = std::get_if<StallRecord>(&record)) {
        const std::string process = admitted(processes_, "process", stall->comm, stall->ts_ns);
        add(MetricId::stalls, {process, stall_kind_name(stall->kind), stall_side_name(stall->side)}, 1);
        observe_histogram(MetricId::stall_seconds, {stall_kind_name(stall->kind)}, double(stall->stall_us) / 1e6);
        add(MetricId::findings, {"stall"}, 1);
    } else if (std::holds_alternative<IdleCloseRaceRecord>(record)) {
        add(MetricId::findings, {"idle_close_race"}, 1);
    } else if (const auto* close_wait = std::get_if<CloseWaitRecord>(&record)) {
        // Reported with every interval while it lasts: one finding per connection.
        if (close_wait_cookies_.insert(close_wait->cookie).second)
            add(MetricId::findings, {"close_wait"}, 1);
    }
}

// The port records sum the destinations past --max-peers under the address "*".
std::string MetricsRegistry::destination_peer(const std::string& address, uint16_t port, uint64_t now_ns)
{
    if (address == "*")
        return std::string(folded_label_value);
    return admitted(peers_, "peer", peer_label(address, port), now_ns);
}

void MetricsRegistry::observe_timewait(const TimeWaitRecord& record)
{
    const std::string netns = std::to_string(record.netns);
    set(MetricId::time_wait_sockets, {netns, "client"}, double(record.client_side));
    set(MetricId::time_wait_sockets, {netns, "server"}, double(record.server_side));
    // The record lists every destination still holding TIME_WAIT sockets: the ones it leaves out have none.
    std::erase_if(series_[size_t(MetricId::time_wait_destination_sockets)],
                  [&](const auto& entry) { return entry.first[0] == netns; });
    for (const AddressCount& d : record.by_destination)
        if (d.holder == TimeWaitHolder::client)
            series(MetricId::time_wait_destination_sockets, {netns, destination_peer(d.address, d.port, record.ts_ns)})
                .value += double(d.count);
}

void MetricsRegistry::observe_ports(const PortsRecord& record)
{
    const std::string netns = std::to_string(record.netns);
    // The record lists every destination still holding ports: the ones it leaves out have none.
    std::erase_if(series_[size_t(MetricId::port_utilization)],
                  [&](const auto& entry) { return entry.first[0] == netns; });
    for (const PortDestination& d : record.destinations) {
        Series& s = series(MetricId::port_utilization,
                           {netns, destination_peer(d.remote_address, d.remote_port, record.ts_ns)});
        s.value = std::max(s.value, d.utilization);
    }
}

void MetricsRegistry::observe_port_warning(const PortWarningRecord& record)
{
    add(MetricId::port_warnings,
        {std::to_string(record.netns), destination_peer(record.remote_address, record.remote_port, record.ts_ns)}, 1);
}

// A listen report lists only the listeners with drops or a queue: the others' queues are empty.
void MetricsRegistry::start_listen_report()
{
    const std::lock_guard lock(mutex_);
    for (MetricId queue : {MetricId::accept_queue, MetricId::syn_queue})
        for (auto& [values, s] : series_[size_t(queue)])
            s.value = 0;
    for (auto& [key, listener] : listeners_) {
        listener.last.accept_queue = 0;
        listener.last.syn_queue = 0;
    }
}

void MetricsRegistry::observe_listen(const ListenRecord& record)
{
    const std::string netns = std::to_string(record.netns);
    const std::string port = admitted(ports_, "port", std::to_string(record.local.port), record.ts_ns);
    listeners_[{record.netns, record.local.address, record.local.port}] = {record, port};
    double drops = 0;
    double accept_queue = 0;
    double syn_queue = 0;
    for (const auto& [key, listener] : listeners_) {
        if (listener.last.netns != record.netns || listener.port != port)
            continue;
        drops += listener.last.drops;
        accept_queue += listener.last.accept_queue;
        syn_queue += listener.last.syn_queue;
    }
    set(MetricId::listen_drops, {netns, port}, drops);
    set(MetricId::accept_queue, {netns, port}, accept_queue);
    set(MetricId::syn_queue, {netns, port}, syn_queue);
}

void MetricsRegistry::observe(const Record& record)
{
    const std::lock_guard lock(mutex_);
    if (const auto* conn = std::get_if<ConnRecord>(&record))
        observe_conn(*conn);
    else if (const auto* timewait = std::get_if<TimeWaitRecord>(&record))
        observe_timewait(*timewait);
    else if (const auto* ports = std::get_if<PortsRecord>(&record))
        observe_ports(*ports);
    else if (const auto* warning = std::get_if<PortWarningRecord>(&record))
        observe_port_warning(*warning);
    else if (const auto* http = std::get_if<HttpRecord>(&record))
        observe_http(*http);
    else if (const auto* listen = std::get_if<ListenRecord>(&record))
        observe_listen(*listen);
    else
        observe_finding(record);
    // Connect errors are counted from the kernel's totals, which stay exact when events are lost.
}

void MetricsRegistry::set_totals(const Totals& totals, uint64_t connections_open, uint64_t close_wait_connections)
{
    const std::lock_guard lock(mutex_);
    set(MetricId::connections, {"active"}, double(totals.connections_active));
    set(MetricId::connections, {"passive"}, double(totals.connections_passive));
    set(MetricId::connections_open, {}, double(connections_open));
    set(MetricId::close_wait_connections, {}, double(close_wait_connections));
    // Each kind takes its count out of TcpRetransSegs, so the kinds always add up to it.
    uint64_t unclassified = totals.retransmits;
    const std::array<std::pair<const char*, uint64_t>, 5> retransmit_kinds{{{"syn", totals.syn_retransmits},
                                                                             {"fast", totals.fast_retransmits},
                                                                             {"slow_start", totals.slow_start_retransmits},
                                                                             {"timeout", totals.timeouts},
                                                                             {"loss_probe", totals.loss_probes}}};
    for (const auto& [kind, count] : retransmit_kinds) {
        const uint64_t taken = std::min(unclassified, count);
        set(MetricId::retransmits, {kind}, double(taken));
        unclassified -= taken;
    }
    set(MetricId::retransmits, {"other"}, double(unclassified));
    set(MetricId::delayed_acks, {}, double(totals.delayed_acks));
    set(MetricId::resets, {"sent"}, double(totals.resets_sent));
    set(MetricId::resets, {"received"}, double(totals.resets_received));
    for (const auto& [error, count] : totals.connect_errors)
        set(MetricId::connect_errors, {error}, double(count));
    set(MetricId::events_lost, {}, double(totals.events_lost));
    set(MetricId::http_body_io_counted, {}, double(totals.http_body_io_counted));
}

std::string MetricsRegistry::exposition() const
{
    const std::lock_guard lock(mutex_);
    std::string text;
    for (const MetricSpec& spec : metric_table()) {
        text += fmt::format("# HELP {} {}\n# TYPE {} {}\n", spec.name, spec.help, spec.name, metric_type_name(spec.type));
        for (const auto& [values, s] : series_[size_t(spec.id)]) {
            if (spec.type != MetricType::histogram) {
                text += fmt::format("{}{} {}\n", spec.name, labels_text(spec, values), number_text(s.value));
                continue;
            }
            uint64_t cumulative = 0;
            for (size_t i = 0; i < spec.buckets.size(); ++i) {
                cumulative += s.bucket_counts[i];
                text += fmt::format("{}_bucket{} {}\n", spec.name,
                                    labels_text(spec, values, "le", number_text(spec.buckets[i])), cumulative);
            }
            text += fmt::format("{}_bucket{} {}\n", spec.name, labels_text(spec, values, "le", "+Inf"), s.count);
            text += fmt::format("{}_sum{} {}\n", spec.name, labels_text(spec, values), number_text(s.sum));
            text += fmt::format("{}_count{} {}\n", spec.name, labels_text(spec, values), s.count);
        }
    }
    return text;
}

}  // namespace connscope
