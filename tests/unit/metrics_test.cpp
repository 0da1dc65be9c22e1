#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "dashboards.h"
#include "metrics_doc.h"
#include "metrics_registry.h"
#include "metrics_table.h"

using namespace connscope;

namespace
{

ConnRecord conn(const std::string& raddr, uint16_t rport, const std::string& comm, Role role = Role::client,
               uint64_t ts_ns = 0)
{
    ConnRecord r;
    r.ts_ns = ts_ns;
    r.comm = comm;
    r.role = role;
    r.remote = {raddr, rport};
    r.local = {"10.0.0.1", 40000};
    r.handshake_us = 1500;
    r.close = CloseKind::local_fin;
    r.time_wait = true;
    return r;
}

// Sample lines of one metric: "name{labels} value" → value, keyed by the labels text.
std::map<std::string, double> samples(const std::string& exposition, const std::string& name)
{
    std::map<std::string, double> found;
    std::istringstream lines(exposition);
    std::string line;
    const std::regex sample("^" + name + R"((\{[^}]*\})? (\S+)$)");
    std::smatch match;
    while (std::getline(lines, line))
        if (std::regex_match(line, match, sample))
            found[match[1]] = std::stod(match[2]);
    return found;
}

std::set<std::string> label_values(const std::string& exposition, const std::string& name, const std::string& label)
{
    std::set<std::string> values;
    const std::regex value(label + R"(="([^"]*)\")");
    for (const auto& [labels, _] : samples(exposition, name)) {
        std::smatch match;
        if (std::regex_search(labels, match, value))
            values.insert(match[1]);
    }
    return values;
}

std::string read_file(const std::filesystem::path& path)
{
    std::ifstream file(path, std::ios::binary);
    std::stringstream text;
    text << file.rdbuf();
    return text.str();
}

} // namespace

TEST_CASE("metric_table: names, types, labels and buckets follow the conventions", "[metrics]")
{
    std::set<std::string_view> declared_labels;
    for (const LabelSpec& label : label_table())
        declared_labels.insert(label.name);
    std::set<std::string_view> names;
    for (const MetricSpec& spec : metric_table()) {
        INFO(spec.name);
        CHECK(&metric_spec(spec.id) == &spec);
        CHECK(names.insert(spec.name).second);
        CHECK(spec.name.starts_with("connscope_"));
        CHECK(std::regex_match(std::string(spec.name), std::regex("[a-z_]+")));
        CHECK(spec.name.ends_with("_total") == (spec.type == MetricType::counter));
        CHECK_FALSE(spec.title.empty());
        CHECK_FALSE(spec.help.empty());
        CHECK(spec.help.find_first_of("\\\n") == std::string_view::npos);
        for (std::string_view label : spec.labels)
            CHECK(declared_labels.contains(label));
        if (spec.type == MetricType::histogram) {
            CHECK_FALSE(spec.buckets.empty());
            CHECK(std::is_sorted(spec.buckets.begin(), spec.buckets.end()));
        } else {
            CHECK(spec.buckets.empty());
        }
    }
}

TEST_CASE("BoundedLabel: kept values stay while active, idle ones make room", "[metrics]")
{
    constexpr uint64_t idle = 100;
    BoundedLabel label(2, idle);
    using A = BoundedLabel::Admission;
    auto admit = [&](const std::string& value, uint64_t now) {
        const A a = label.admit(value, now);
        return a.value + (a.evicted.empty() ? "" : " evicting " + a.evicted);
    };
    CHECK(admit("a", 0) == "a");
    CHECK(admit("b", 10) == "b");
    CHECK(admit("c", 20) == "other");
    CHECK(admit("a", 50) == "a");        // a is active again at 50
    CHECK(admit("c", 105) == "other");   // b idle for 95 < 100
    CHECK(admit("c", 110) == "c evicting b");
    CHECK(admit("b", 111) == "other");   // a and c are both recent
    CHECK(admit("d", 150) == "d evicting a");
    CHECK(admit("other", 1000) == "other");
}

TEST_CASE("peer_label: server address:port for clients, client address for servers", "[metrics]")
{
    CHECK(peer_label(conn("10.1.2.3", 443, "curl")) == "10.1.2.3:443");
    CHECK(peer_label(conn("2001:db8::1", 443, "curl")) == "[2001:db8::1]:443");
    CHECK(peer_label(conn("10.1.2.3", 51234, "nginx", Role::server)) == "10.1.2.3");
}

TEST_CASE("MetricsRegistry: --max-peers and --max-processes bound the series", "[metrics]")
{
    MetricsRegistry registry({3, 2}, "1.2.3");
    for (int i = 0; i < 10; ++i)
        registry.observe(conn("10.0.0." + std::to_string(i + 2), 80, "proc" + std::to_string(i % 4)));
    const std::string text = registry.exposition();
    const std::string closed = "connscope_connections_closed_total";
    CHECK(label_values(text, closed, "peer") == std::set<std::string>{"10.0.0.2:80", "10.0.0.3:80", "10.0.0.4:80", "other"});
    CHECK(label_values(text, closed, "process") == std::set<std::string>{"proc0", "proc1", "other"});
    double total = 0;
    for (const auto& [labels, value] : samples(text, closed))
        total += value;
    CHECK(total == 10);
    CHECK(samples(text, closed).size() <= (3 + 1) * (2 + 1));
    CHECK(samples(text, "connscope_build_info") == std::map<std::string, double>{{"{version=\"1.2.3\"}", 1}});
}

TEST_CASE("MetricsRegistry: connscope_http_sample says which share of connections the HTTP series count", "[metrics]")
{
    MetricsRegistry sampled({2, 10}, "v");
    sampled.observe_start(StartRecord{0, "v", {}, 16});
    CHECK(samples(sampled.exposition(), "connscope_http_sample") == std::map<std::string, double>{{"", 16}});
    MetricsRegistry without_http({2, 10}, "v");
    without_http.observe_start(StartRecord{0, "v", {}, std::nullopt});
    CHECK(samples(without_http.exposition(), "connscope_http_sample") == std::map<std::string, double>{{"", 0}});
}

TEST_CASE("MetricsRegistry: an idle peer's series give way to a new peer; other never decreases", "[metrics]")
{
    MetricsRegistry registry({2, 10}, "v");
    const uint64_t t = 1'000'000'000'000;
    registry.observe(conn("10.0.0.1", 80, "p", Role::client, t));
    registry.observe(conn("10.0.0.2", 80, "p", Role::client, t));
    registry.observe(conn("10.0.0.3", 80, "p", Role::client, t + 1));
    const std::string closed = "connscope_connections_closed_total";
    const std::string other = R"({peer="other",process="p",close="local_fin"})";
    CHECK(samples(registry.exposition(), closed).at(other) == 1);

    registry.observe(conn("10.0.0.2", 80, "p", Role::client, t + label_idle_ns));
    registry.observe(conn("10.0.0.4", 80, "p", Role::client, t + label_idle_ns + 1));
    const std::string text = registry.exposition();
    CHECK(label_values(text, closed, "peer") == std::set<std::string>{"10.0.0.2:80", "10.0.0.4:80", "other"});
    CHECK(label_values(text, "connscope_handshake_seconds_count", "peer") ==
          std::set<std::string>{"10.0.0.2:80", "10.0.0.4:80", "other"});
    CHECK(samples(text, closed).at(other) == 1);
    CHECK(samples(text, closed).at(R"({peer="10.0.0.2:80",process="p",close="local_fin"})") == 2);
}

TEST_CASE("MetricsRegistry: handshake histogram buckets are cumulative", "[metrics]")
{
    MetricsRegistry registry({}, "v");
    for (uint64_t handshake_us : {50, 700, 1'200'000}) {
        ConnRecord r = conn("10.0.0.2", 80, "curl");
        r.handshake_us = handshake_us;
        registry.observe(r);
    }
    ConnRecord unobserved = conn("10.0.0.2", 80, "curl");
    unobserved.observed_open = false;  // its handshake was before connscope started
    registry.observe(unobserved);
    const std::string text = registry.exposition();
    const std::string labels = "peer=\"10.0.0.2:80\",process=\"curl\",role=\"client\"";
    const auto buckets = samples(text, "connscope_handshake_seconds_bucket");
    CHECK(buckets.at("{" + labels + ",le=\"0.0001\"}") == 1);
    CHECK(buckets.at("{" + labels + ",le=\"0.001\"}") == 2);
    CHECK(buckets.at("{" + labels + ",le=\"1\"}") == 2);
    CHECK(buckets.at("{" + labels + ",le=\"2.5\"}") == 3);
    CHECK(buckets.at("{" + labels + ",le=\"+Inf\"}") == 3);
    CHECK(samples(text, "connscope_handshake_seconds_count").at("{" + labels + "}") == 3);
    CHECK(samples(text, "connscope_handshake_seconds_sum").at("{" + labels + "}") == Approx(1.20075));
    CHECK(samples(text, "connscope_time_wait_closes_total").at("{peer=\"10.0.0.2:80\",process=\"curl\"}") == 4);
}

TEST_CASE("MetricsRegistry: kernel totals become counters", "[metrics]")
{
    MetricsRegistry registry({}, "v");
    Totals totals;
    totals.connections_active = 7;
    totals.connections_passive = 5;
    totals.retransmits = 9;
    totals.syn_retransmits = 2;
    totals.resets_sent = 3;
    totals.resets_received = 1;
    totals.events_lost = 4;
    totals.connect_errors = {{"ECONNREFUSED", 6}};
    totals.fast_retransmits = 3;
    totals.timeouts = 1;
    totals.loss_probes = 1;
    totals.delayed_acks = 8;
    registry.set_totals(totals, 11, 2);
    const std::string text = registry.exposition();
    CHECK(samples(text, "connscope_connections_total") ==
          std::map<std::string, double>{{"{direction=\"active\"}", 7}, {"{direction=\"passive\"}", 5}});
    CHECK(samples(text, "connscope_retransmits_total") ==
          std::map<std::string, double>{{"{kind=\"fast\"}", 3},       {"{kind=\"loss_probe\"}", 1},
                                        {"{kind=\"other\"}", 2},      {"{kind=\"slow_start\"}", 0},
                                        {"{kind=\"syn\"}", 2},        {"{kind=\"timeout\"}", 1}});
    CHECK(samples(text, "connscope_delayed_acks_total").at("") == 8);
    CHECK(samples(text, "connscope_close_wait_connections").at("") == 2);
    CHECK(samples(text, "connscope_resets_total") ==
          std::map<std::string, double>{{"{direction=\"received\"}", 1}, {"{direction=\"sent\"}", 3}});
    CHECK(samples(text, "connscope_connect_errors_total").at("{errno=\"ECONNREFUSED\"}") == 6);
    CHECK(samples(text, "connscope_connections_open").at("") == 11);
    CHECK(samples(text, "connscope_events_lost_total").at("") == 4);
}

TEST_CASE("MetricsRegistry: client-held TIME_WAIT per destination, bounded and replaced per namespace", "[metrics]")
{
    MetricsRegistry registry({2, 10}, "v");
    TimeWaitRecord timewait;
    timewait.netns = 7;
    // Three destinations past a bound of two peers: the third and the record's "*" fold into other;
    // server-held entries are left to connscope_time_wait_sockets.
    timewait.by_destination = {{"10.0.0.1", 80, 30, TimeWaitHolder::client},
                               {"::1", 443, 20, TimeWaitHolder::client},
                               {"10.0.0.9", 0, 15, TimeWaitHolder::server},
                               {"10.0.0.3", 80, 5, TimeWaitHolder::client},
                               {"*", 0, 4, TimeWaitHolder::client},
                               {"*", 0, 3, TimeWaitHolder::server}};
    registry.observe(timewait);
    CHECK(samples(registry.exposition(), "connscope_time_wait_destination_sockets") ==
          std::map<std::string, double>{{R"({netns="7",peer="10.0.0.1:80"})", 30},
                                        {R"({netns="7",peer="[::1]:443"})", 20},
                                        {R"({netns="7",peer="other"})", 9}});

    // The next record of the namespace replaces the last: a destination it leaves out holds none.
    timewait.by_destination = {{"10.0.0.1", 80, 2, TimeWaitHolder::client}};
    registry.observe(timewait);
    CHECK(samples(registry.exposition(), "connscope_time_wait_destination_sockets") ==
          std::map<std::string, double>{{R"({netns="7",peer="10.0.0.1:80"})", 2}});
}

TEST_CASE("MetricsRegistry: timewait and ports records become gauges, port warnings a counter", "[metrics]")
{
    MetricsRegistry registry({2, 10}, "v");
    TimeWaitRecord timewait;
    timewait.netns = 4026531840;
    timewait.total = 7;
    timewait.client_side = 5;
    timewait.server_side = 2;
    registry.observe(timewait);

    PortsRecord ports;
    ports.netns = 4026531840;
    auto destination = [](const std::string& raddr, uint16_t rport, double utilization) {
        PortDestination d;
        d.local_address = raddr == "*" ? "*" : "127.0.0.1";
        d.remote_address = raddr;
        d.remote_port = rport;
        d.utilization = utilization;
        return d;
    };
    // Three destinations past a bound of two peers: the third and the record's "*" fold into other.
    ports.destinations = {destination("10.0.0.1", 80, 0.9), destination("::1", 443, 0.5),
                          destination("10.0.0.3", 80, 0.25), destination("*", 0, 0.75)};
    registry.observe(ports);
    registry.observe(PortWarningRecord{0, 4026531840, "127.0.0.1", "10.0.0.1", 80, 36, 4, 0.9, 0.8, false});
    registry.observe(PortWarningRecord{0, 4026531840, "127.0.0.1", "10.0.0.1", 80, 36, 4, 0.9, 0.8, false});

    std::string text = registry.exposition();
    CHECK(samples(text, "connscope_time_wait_sockets") ==
          std::map<std::string, double>{{R"({netns="4026531840",holder="client"})", 5},
                                        {R"({netns="4026531840",holder="server"})", 2}});
    CHECK(samples(text, "connscope_port_utilization_ratio") ==
          std::map<std::string, double>{{R"({netns="4026531840",peer="10.0.0.1:80"})", 0.9},
                                        {R"({netns="4026531840",peer="[::1]:443"})", 0.5},
                                        {R"({netns="4026531840",peer="other"})", 0.75}});
    CHECK(samples(text, "connscope_port_warnings_total") ==
          std::map<std::string, double>{{R"({netns="4026531840",peer="10.0.0.1:80"})", 2}});

    // The next record of the namespace replaces the last: a destination it leaves out holds no port.
    ports.destinations = {destination("10.0.0.1", 80, 0.1)};
    registry.observe(ports);
    text = registry.exposition();
    CHECK(samples(text, "connscope_port_utilization_ratio") ==
          std::map<std::string, double>{{R"({netns="4026531840",peer="10.0.0.1:80"})", 0.1}});
}

TEST_CASE("MetricsRegistry: listen records become listen drops and accept queues per port", "[metrics]")
{
    MetricsRegistry registry({2, 10}, "v");
    auto listen = [](uint64_t ts_ns, const std::string& laddr, uint16_t lport, uint32_t queue, uint32_t drops) {
        ListenRecord r;
        r.ts_ns = ts_ns;
        r.netns = 7;
        r.local = {laddr, lport};
        r.accept_queue = queue;
        r.accept_queue_max = 4;
        r.syn_queue = queue + 1;
        r.drops = drops;
        return r;
    };
    // IPv4 and IPv6 listeners on port 80 sum; past a bound of two ports, 9000 and 9001 fold into other.
    registry.start_listen_report();
    for (const ListenRecord& r : {listen(1, "0.0.0.0", 80, 4, 3), listen(1, "::", 80, 1, 2),
                                  listen(1, "127.0.0.1", 8080, 0, 1), listen(1, "127.0.0.1", 9000, 2, 5),
                                  listen(1, "127.0.0.1", 9001, 3, 6)})
        registry.observe(r);
    std::string text = registry.exposition();
    CHECK(samples(text, "connscope_listen_drops_total") ==
          std::map<std::string, double>{{R"({netns="7",port="80"})", 5},
                                        {R"({netns="7",port="8080"})", 1},
                                        {R"({netns="7",port="other"})", 11}});
    CHECK(samples(text, "connscope_accept_queue") ==
          std::map<std::string, double>{{R"({netns="7",port="80"})", 5},
                                        {R"({netns="7",port="8080"})", 0},
                                        {R"({netns="7",port="other"})", 5}});

    // The next report: the drops are the records' (cumulative, never summed twice); a listener it
    // leaves out has an empty queue.
    registry.start_listen_report();
    registry.observe(listen(2, "0.0.0.0", 80, 1, 4));
    text = registry.exposition();
    CHECK(samples(text, "connscope_listen_drops_total") ==
          std::map<std::string, double>{{R"({netns="7",port="80"})", 6},
                                        {R"({netns="7",port="8080"})", 1},
                                        {R"({netns="7",port="other"})", 11}});
    CHECK(samples(text, "connscope_accept_queue") ==
          std::map<std::string, double>{{R"({netns="7",port="80"})", 1},
                                        {R"({netns="7",port="8080"})", 0},
                                        {R"({netns="7",port="other"})", 0}});
    CHECK(samples(text, "connscope_syn_queue") ==
          std::map<std::string, double>{{R"({netns="7",port="80"})", 2},
                                        {R"({netns="7",port="8080"})", 0},
                                        {R"({netns="7",port="other"})", 0}});
}

TEST_CASE("MetricsRegistry: the retransmit kinds add up to TcpRetransSegs even when counts overlap", "[metrics]")
{
    MetricsRegistry registry({}, "v");
    Totals totals;
    totals.retransmits = 5;
    totals.syn_retransmits = 2;
    totals.fast_retransmits = 4;  // read a moment later than TcpRetransSegs
    registry.set_totals(totals, 0, 0);
    double sum = 0;
    for (const auto& [labels, value] : samples(registry.exposition(), "connscope_retransmits_total"))
        sum += value;
    CHECK(sum == 5);
}

TEST_CASE("MetricsRegistry: http records count by method and status class, with ttfb and duration", "[metrics]")
{
    MetricsRegistry registry({}, "v");
    HttpRecord r;
    r.comm = "curl";
    r.role = Role::client;
    r.remote = {"10.0.0.2", 80};
    r.method = "GET";
    r.status = 404;
    r.ttfb_us = 3000;
    r.duration_us = 4000;
    r.seq = 2;
    registry.observe(r);
    r.method = "BREW";
    r.status = 0;
    registry.observe(r);
    r.method = "";
    r.status = 200;
    r.seq = 1;
    r.new_connection = true;
    registry.observe(r);
    const std::string text = registry.exposition();
    const std::string base = "peer=\"10.0.0.2:80\",process=\"curl\",role=\"client\"";
    const auto requests = samples(text, "connscope_http_requests_total");
    CHECK(requests.at("{" + base + ",method=\"GET\",status_class=\"4xx\"}") == 1);
    CHECK(requests.at("{" + base + ",method=\"other\",status_class=\"none\"}") == 1);
    CHECK(requests.at("{" + base + ",method=\"none\",status_class=\"2xx\"}") == 1);
    // A transaction without a response has no time to first byte; new and reused apart.
    const auto ttfb_count = samples(text, "connscope_http_ttfb_seconds_count");
    CHECK(ttfb_count.at("{" + base + ",connection=\"reused\"}") == 1);
    CHECK(ttfb_count.at("{" + base + ",connection=\"new\"}") == 1);
    CHECK(samples(text, "connscope_http_ttfb_seconds_sum").at("{" + base + ",connection=\"new\"}") == Approx(0.003));
    CHECK(samples(text, "connscope_http_duration_seconds_sum").at("{" + base + "}") == Approx(0.008));
}

TEST_CASE("MetricsRegistry: findings, stalls, and one close_wait finding per connection", "[metrics]")
{
    MetricsRegistry registry({}, "v");
    registry.observe(HandshakeRecord{});
    StallRecord stall;
    stall.comm = "app";
    stall.kind = StallKind::nagle_delayed_ack;
    stall.side = StallSide::receiver;
    stall.stall_us = 41000;
    registry.observe(stall);
    registry.observe(IdleCloseRaceRecord{});
    CloseWaitRecord waiting;
    waiting.cookie = 7;
    registry.observe(waiting);
    registry.observe(waiting);  // the next interval's report of the same connection
    ConnRecord closed = conn("10.0.0.2", 80, "app");
    closed.cookie = 7;
    registry.observe(closed);
    const std::string text = registry.exposition();
    CHECK(samples(text, "connscope_findings_total") ==
          std::map<std::string, double>{{"{kind=\"close_wait\"}", 1},
                                        {"{kind=\"idle_close_race\"}", 1},
                                        {"{kind=\"slow_handshake\"}", 1},
                                        {"{kind=\"stall\"}", 1}});
    CHECK(samples(text, "connscope_delayed_ack_stalls_total")
              .at("{process=\"app\",kind=\"nagle_delayed_ack\",side=\"receiver\"}") == 1);
    CHECK(samples(text, "connscope_stall_seconds_bucket").at("{kind=\"nagle_delayed_ack\",le=\"0.05\"}") == 1);
    CHECK(samples(text, "connscope_stall_seconds_bucket").at("{kind=\"nagle_delayed_ack\",le=\"0.04\"}") == 0);
}

TEST_CASE("MetricsRegistry: every metric has HELP and TYPE, and promtool accepts the output", "[metrics]")
{
    MetricsRegistry registry({}, "v");
    registry.observe(conn("10.0.0.2", 80, "we\"ird\\\n\xff"));
    registry.observe(TimeWaitRecord{});
    registry.observe(PortsRecord{0, 1, 32768, 60999, 0, 0, 28232, 2, {PortDestination{"*", "*", 0}}});
    registry.observe(PortWarningRecord{});
    Totals totals;
    totals.connect_errors = {{"ETIMEDOUT", 1}};
    registry.set_totals(totals, 0, 0);
    const std::string text = registry.exposition();
    for (const MetricSpec& spec : metric_table()) {
        CHECK(text.find("# HELP " + std::string(spec.name) + " ") != std::string::npos);
        CHECK(text.find("# TYPE " + std::string(spec.name) + " ") != std::string::npos);
    }
    CHECK(text.find(R"(process="we\"ird\\__")") != std::string::npos);

    const std::filesystem::path path = std::filesystem::temp_directory_path() / "connscope_metrics_test.prom";
    std::ofstream(path) << text;
    const std::string command = "promtool check metrics < " + path.string() + " 2>&1";
    FILE* pipe = popen(command.c_str(), "r");
    REQUIRE(pipe);
    char buffer[4096];
    std::string output;
    while (const size_t n = fread(buffer, 1, sizeof buffer, pipe))
        output.append(buffer, n);
    const int status = pclose(pipe);
    std::filesystem::remove(path);
    INFO(output);
    CHECK(status == 0);  // promtool comes with Debian's prometheus package (setup.sh installs it)
}

TEST_CASE("docs/metrics.md is what `connscope metrics-doc` generates", "[metrics][docs]")
{
    INFO("regenerate it: build/connscope metrics-doc --out docs/metrics.md");
    CHECK(read_file(CONNSCOPE_SOURCE_DIR "/docs/metrics.md") == metrics_reference_markdown());
}

TEST_CASE("dashboards/ holds exactly what `connscope dashboards` generates", "[metrics][dashboards]")
{
    INFO("regenerate them: build/connscope dashboards --out dashboards");
    const std::filesystem::path dir = CONNSCOPE_SOURCE_DIR "/dashboards";
    std::set<std::string> committed;
    for (const auto& entry : std::filesystem::directory_iterator(dir))
        committed.insert(entry.path().filename().string());
    std::set<std::string> generated;
    for (const GeneratedFile& file : grafana_dashboards()) {
        generated.insert(file.name);
        CHECK(read_file(dir / file.name) == file.text);
    }
    CHECK(committed == generated);
}

TEST_CASE("dashboards: importable models that draw every metric", "[metrics][dashboards]")
{
    std::set<std::string> drawn;
    const auto dashboards = grafana_dashboards();
    CHECK(dashboards.size() == 5);
    for (const GeneratedFile& file : dashboards) {
        INFO(file.name);
        const auto model = nlohmann::json::parse(file.text);
        CHECK(model["__inputs"][0]["name"] == "DS_PROMETHEUS");
        std::set<std::string> variables;
        for (const auto& variable : model["templating"]["list"])
            variables.insert(variable["name"]);
        CHECK(variables == std::set<std::string>{"instance", "peer", "process"});
        std::set<int> ids;
        for (const auto& panel : model["panels"]) {
            CHECK(ids.insert(panel["id"].get<int>()).second);
            for (const auto& target : panel.value("targets", nlohmann::json::array())) {
                CHECK(target["datasource"]["uid"] == "${DS_PROMETHEUS}");
                const std::string expr = target["expr"];
                CHECK(expr.find("instance=~\"$instance\"") != std::string::npos);
                for (const MetricSpec& spec : metric_table())
                    if (std::regex_search(expr, std::regex(std::string(spec.name) + R"((_bucket)?\{)")))
                        drawn.insert(std::string(spec.name));
            }
        }
    }
    for (const MetricSpec& spec : metric_table())
        CHECK(drawn.contains(std::string(spec.name)));
}
