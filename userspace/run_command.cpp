#include "run_command.h"

#include <signal.h>
#include <time.h>

#include <memory>
#include <optional>
#include <utility>

#include "conn_table.h"
#include "error.h"
#include "http_events.h"
#include "http_probes.h"
#include "http_table.h"
#include "json_sink.h"
#include "listen_reporter.h"
#include "metrics_registry.h"
#include "metrics_server.h"
#include "output.h"
#include "port_monitor.h"
#include "preflight.h"
#include "probes.h"
#include "reader_priority.h"
#include "ring_reader.h"
#include "table_sink.h"
#include "tracefs_mount.h"
#include "version.h"

namespace connscope {
namespace {

volatile sig_atomic_t stop_requested = 0;

void request_stop(int) { stop_requested = 1; }

// A reset sent while closing comes a few microseconds after the close itself.
constexpr uint64_t close_grace_ns = 50'000'000;
constexpr int poll_timeout_ms = 100;
// How often to look whether anybody still reads the output (a write would tell, if one came).
constexpr uint64_t reader_check_ns = 200'000'000;

uint64_t clock_ns(clockid_t clock)
{
    timespec ts{};
    clock_gettime(clock, &ts);
    return uint64_t(ts.tv_sec) * 1'000'000'000 + uint64_t(ts.tv_nsec);
}

void install_signal_handlers()
{
    struct sigaction action {};
    action.sa_handler = request_stop;
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
    signal(SIGPIPE, SIG_IGN);
}

std::unique_ptr<Sink> make_sink(Format format, const Output& out)
{
    if (format == Format::table || (format == Format::automatic && out.is_terminal()))
        return std::make_unique<TableSink>();
    return std::make_unique<JsonSink>();
}

}  // namespace

int run_command(const RunOptions& options)
{
    require_root();
    const TracefsMount tracefs;
    const Features features = probe_features();
    require_runnable(features);
    const Filters filters{netns_inode(options.netns_path), options.pid, options.port};
    Output out(options.output);
    std::unique_ptr<Sink> sink = make_sink(options.format, out);
    MetricsRegistry metrics(options.label_limits, version);
    std::optional<MetricsServer> metrics_server;
    if (options.metrics_address)
        metrics_server.emplace(*options.metrics_address, metrics);

    ConnProbes probes(options.probes, features, filters);
    const int64_t realtime_offset = int64_t(clock_ns(CLOCK_REALTIME)) - int64_t(clock_ns(CLOCK_MONOTONIC));
    ConnTable table(realtime_offset);
    table.set_verbose_events(options.verbose_events);
    table.set_slow_handshake_us(uint64_t(options.slow_handshake_ms) * 1000);
    PortMonitor ports({options.netns_path, options.port_warn_percent / 100, options.label_limits.max_peers, realtime_offset},
                      clock_ns(CLOCK_MONOTONIC));
    std::vector<Record> port_warnings;
    std::unique_ptr<HttpProbes> http_probes;
    if (options.http.enabled && signal_served(probes.signals(), "http_data"))
        http_probes = std::make_unique<HttpProbes>(probes, features, options.http, filters);
    HttpTable http(options.http.keep_query, realtime_offset);
    http_data_event data;
    RingReader reader(probes.events_fd(), [&](std::span<const std::byte> bytes) {
        if (decode_http_event(bytes, data)) {
            http.apply(data, table.tcp_counters(data.hdr.cookie));
        } else if (auto event = decode_event(bytes)) {
            table.apply(*event);
            const uint64_t cookie = std::visit([](const auto& e) { return e.hdr.cookie; }, *event);
            if (const auto tcp = table.tcp_counters(cookie))
                http.on_tcp_counters(cookie, *tcp);
            if (const auto* retransmit = std::get_if<retransmit_event>(&*event))
                http.on_retransmit(*retransmit);
            for (Record& warning : ports.on_event(*event))
                port_warnings.push_back(std::move(warning));
        }
    });

    install_signal_handlers();
    // Programs on one tracepoint run in the order they were attached: the HTTP send's start
    // (tcp_sendmsg_locked) is stamped before the idle restart the same send reports there.
    if (http_probes)
        http_probes->attach();
    probes.attach();
    ListenReporter listeners(probes, options.netns_path);
    StartRecord start{clock_ns(CLOCK_REALTIME), version, {}, {}};
    if (http_probes)
        start.http_sample = options.http.sample_every;
    for (const SignalMechanism& signal : probes.signals())
        if (options.http.enabled || signal.signal != "http_data")
            start.hooks.push_back({signal.signal, signal.mechanism, signal.lost});
    metrics.observe_start(start);
    out.write(sink->start(start));
    out.flush();

    const uint64_t started_ns = clock_ns(CLOCK_MONOTONIC);
    uint64_t connections_closed = 0;
    // Without a /metrics endpoint nobody reads the registry: at HTTP rates, filling it costs.
    auto observe = [&](const Record& record) {
        if (metrics_server)
            metrics.observe(record);
    };
    auto emit = [&](std::vector<Record> records) {
        for (Record& record : records) {
            ports.annotate(record);
            if (auto* conn = std::get_if<ConnRecord>(&record)) {
                ++connections_closed;
                for (const Record& transaction : http.close(*conn)) {
                    observe(transaction);
                    out.write(sink->record(transaction));
                }
            }
            observe(record);
            out.write(sink->record(record));
        }
    };
    auto summary = [&](bool final) {
        const uint64_t now = clock_ns(CLOCK_MONOTONIC);
        SummaryRecord s{clock_ns(CLOCK_REALTIME), final, (now - started_ns) / 1000,
                        probes.read_totals(), table.open_connections(), connections_closed,
                        http.transactions(), http.status_classes(),
                        http.ttfb_us_new_mean(), http.ttfb_us_reused_mean(), {}, {}};
        listeners.fill(s);
        return s;
    };
    // What every --interval and the exit report: state now, then the totals.
    auto report = [&](uint64_t now, const std::vector<listen_record>& listening, bool final) {
        emit(ports.report(now));
        emit(table.close_waits(now));
        metrics.start_listen_report();
        emit(listeners.report(listening, clock_ns(CLOCK_REALTIME)));
        out.write(sink->summary(summary(final)));
    };
    std::optional<ReaderPriority> priority;
    if (options.cpu_yield && reader_may_yield())
        priority.emplace(probes.events_fd());
    const uint64_t interval_ns = options.interval_s ? uint64_t(*options.interval_s * 1e9) : 0;
    const uint64_t duration_ns = options.duration_s ? uint64_t(*options.duration_s * 1e9) : 0;
    uint64_t next_interval_ns = started_ns + interval_ns;
    uint64_t next_reader_check_ns = started_ns;

    while (!stop_requested) {
        reader.poll(poll_timeout_ms);
        const uint64_t now = clock_ns(CLOCK_MONOTONIC);
        if (priority)
            priority->loop_done(now);
        emit(std::exchange(port_warnings, {}));
        emit(ports.refresh(now));
        for (const Record& record : ports.take_refreshed())
            observe(record);
        emit(http.take_finished(table));
        emit(table.take_finished(now, close_grace_ns));
        if (metrics_server)
            metrics.set_totals(probes.read_totals(), table.open_connections(), table.close_wait_connections());
        if (http_probes)
            http_probes->stop_capture(http.take_stopped_inodes());
        if (interval_ns && now >= next_interval_ns) {
            report(now, listeners.read(), false);
            next_interval_ns += interval_ns;
        }
        out.flush();
        if (now >= next_reader_check_ns) {
            out.check_reader();
            next_reader_check_ns = now + reader_check_ns;
        }
        if (duration_ns && now - started_ns >= duration_ns)
            break;
    }

    priority.reset();  // the last events are read at normal priority
    if (http_probes)
        http_probes->detach();
    const std::vector<listen_record> listening = listeners.read();
    probes.detach();
    reader.drain();
    emit(std::exchange(port_warnings, {}));
    emit(table.take_all_finished());
    emit(http.take_all_finished(table));
    report(clock_ns(CLOCK_MONOTONIC), listening, true);
    out.flush();
    return 0;
}

}  // namespace connscope
