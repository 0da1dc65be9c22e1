#include <catch2/catch.hpp>

#include <sys/socket.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "json_sink.h"

using namespace connscope;
using json = nlohmann::ordered_json;

namespace
{

const char* const records_doc = CONNSCOPE_SOURCE_DIR "/docs/records.md";

// docs/records.md: a `## <type>` heading per record type, then a markdown table whose first
// column is the field name in backticks. Returns type → documented fields.
std::map<std::string, std::set<std::string>> documented_fields(std::istream& doc)
{
    std::map<std::string, std::set<std::string>> fields;
    std::string section;
    std::string line;
    while (std::getline(doc, line)) {
        if (line.rfind("## ", 0) == 0) {
            section = line.substr(3);
            section.erase(section.find_last_not_of(" \t\r") + 1);
            fields[section];
            continue;
        }
        if (line.rfind("# ", 0) == 0) {
            section.clear();
            continue;
        }
        const size_t first = line.find_first_not_of(" \t");
        if (section.empty() || first == std::string::npos || line[first] != '|')
            continue;
        const size_t cell_end = line.find('|', first + 1);
        const std::string cell = line.substr(first + 1, cell_end - first - 1);
        const size_t open = cell.find('`');
        const size_t close = open == std::string::npos ? open : cell.find('`', open + 1);
        if (close == std::string::npos)
            continue; // the header row or the |---| row
        fields[section].insert(cell.substr(open + 1, close - open - 1));
    }
    return fields;
}

std::set<std::string> keys_of(const json& object)
{
    std::set<std::string> keys;
    for (const auto& item : object.items())
        keys.insert(item.key());
    return keys;
}

std::string joined(const std::set<std::string>& names)
{
    std::string text;
    for (const auto& name : names)
        text += (text.empty() ? "" : ", ") + name;
    return text;
}

ConnRecord sample_conn()
{
    ConnRecord r;
    r.ts_ns = 1'700'000'000'123'456'789;
    r.cookie = 0xc00c1e;
    r.pid = 4242;
    r.comm = "curl";
    r.netns = 4026531840;
    r.family = AF_INET;
    r.role = Role::server;
    r.observed_open = false;
    r.local = {"10.0.0.2", 80};
    r.remote = {"10.0.0.1", 40000};
    r.start_ts_ns = 1'700'000'000'000'000'000;
    r.duration_us = 123'456;
    r.handshake_us = 1500;
    r.accept_wait_us = 4800;
    r.syn_retransmits = 2;
    r.retransmits = 5;
    r.rtt_us = 1700;
    r.bytes_sent = 1000;
    r.bytes_received = 5000;
    r.bytes_retransmitted = 300;
    r.close = CloseKind::peer_fin;
    r.close_state = "LAST_ACK";
    r.error = "ECONNRESET";
    r.time_wait = true;
    return r;
}

ConnectErrorRecord sample_connect_error()
{
    ConnectErrorRecord r;
    r.ts_ns = 1'700'000'000'000'000'001;
    r.cookie = 7;
    r.pid = 4242;
    r.comm = "curl";
    r.netns = 4026531840;
    r.family = AF_INET6;
    r.local = {"::", 0};
    r.remote = {"2001:db8::9", 443};
    r.error = "ECONNREFUSED";
    r.async = true;
    return r;
}

TimeWaitRecord sample_timewait()
{
    return TimeWaitRecord{1'700'000'000'000'000'002, 4026531840, 3, 2, 1, {{"10.0.0.9", 443, 3, TimeWaitHolder::client}}, {{"10.0.0.2", 0, 3}},
                          1.5, 2, 1};
}

PortsRecord sample_ports()
{
    PortDestination d;
    d.local_address = "10.0.0.2";
    d.remote_address = "10.0.0.9";
    d.remote_port = 443;
    d.in_use = 30;
    d.exhaustion_in_s = 12.5;
    return PortsRecord{1'700'000'000'000'000'003, 4026531840, 40000, 40039, 0, 0, 40, 2, {d}};
}

PortWarningRecord sample_port_warning()
{
    return PortWarningRecord{1'700'000'000'000'000'004, 4026531840, "10.0.0.2", "10.0.0.9", 443, 32, 8, 0.8, 0.8, false};
}

HttpRecord sample_http()
{
    HttpRecord r;
    r.ts_ns = 1'700'000'000'000'000'002;
    r.cookie = 0xc00c1e;
    r.pid = 4242;
    r.comm = "curl";
    r.local = {"10.0.0.1", 40000};
    r.remote = {"10.0.0.2", 80};
    r.method = "GET";
    r.path = "/index.html";
    r.host = "example.test";
    r.version = "HTTP/1.1";
    r.status = 200;
    r.req_bytes = 80;
    r.resp_bytes = 5000;
    r.seq = 1;
    r.new_connection = true;
    r.handshake_us = 1500;
    r.ttfb_us = 900;
    r.duration_us = 1200;
    r.keep_alive = true;
    return r;
}

template <typename R>
R sample_about()
{
    R r{};
    r.ts_ns = 1'700'000'000'000'000'002;
    r.cookie = 9;
    r.pid = 4242;
    r.comm = "curl";
    r.netns = 4026531840;
    r.family = AF_INET;
    r.local = {"10.0.0.1", 40000};
    r.remote = {"10.0.0.2", 80};
    return r;
}

StartRecord sample_start()
{
    return StartRecord{
        1'700'000'000'000'000'000, "0.1.0", {{"state_change", "tp_btf"}, {"synack_retransmit", "none"}}, {}};
}

SummaryRecord sample_summary(bool final)
{
    SummaryRecord s;
    s.ts_ns = 1'700'000'010'000'000'000;
    s.final = final;
    s.elapsed_us = 10'000'000;
    s.totals = Totals{3, 4, 5, 1, 2, 1, 0, {{"ECONNREFUSED", 2}, {"ETIMEDOUT", 1}}};
    s.connections_open = 1;
    s.connections_closed = 6;
    return s;
}

} // namespace

TEST_CASE("JSON fields are exactly the ones docs/records.md documents", "[json_sink][docs]")
{
    std::ifstream doc(records_doc);
    INFO("reading " << records_doc);
    REQUIRE(doc.is_open());
    const auto documented = documented_fields(doc);

    const std::map<std::string, json> emitted{
        {"conn", record_json(sample_conn())},
        {"connect_error", record_json(sample_connect_error())},
        {"timewait", record_json(sample_timewait())},
        {"ports", record_json(sample_ports())},
        {"port_warning", record_json(sample_port_warning())},
        {"http", record_json(sample_http())},
        {"stall", record_json(sample_about<StallRecord>())},
        {"retransmit", record_json(sample_about<RetransmitRecord>())},
        {"close_wait", record_json(sample_about<CloseWaitRecord>())},
        {"handshake", record_json(sample_about<HandshakeRecord>())},
        {"idle_close_race", record_json(sample_about<IdleCloseRaceRecord>())},
        {"listen", record_json(ListenRecord{})},
        {"start", start_json(sample_start())},
        {"summary", summary_json(sample_summary(true))},
        {"interval", summary_json(sample_summary(false))},
    };
    for (const auto& [type, object] : emitted) {
        INFO("## " << type);
        CHECK(object.at("type") == type);
        REQUIRE(documented.contains(type));
        const std::set<std::string> keys = keys_of(object);
        const std::set<std::string>& fields = documented.at(type);
        std::set<std::string> undocumented;
        std::set<std::string> missing;
        std::set_difference(keys.begin(), keys.end(), fields.begin(), fields.end(),
                            std::inserter(undocumented, undocumented.end()));
        std::set_difference(fields.begin(), fields.end(), keys.begin(), keys.end(),
                            std::inserter(missing, missing.end()));
        INFO("emitted but not documented: " << joined(undocumented));
        INFO("documented but not emitted: " << joined(missing));
        CHECK(keys == fields);
    }
}

TEST_CASE("documented_fields reads the tables under each heading", "[json_sink][docs]")
{
    std::istringstream doc("# Records\n"
                           "Intro with a `code` word.\n"
                           "## conn\n"
                           "| Field | Type | Meaning |\n"
                           "|-------|------|---------|\n"
                           "| `type` | string | \"conn\" |\n"
                           "| `ts` | integer | unix ns, with a `|`-free note |\n"
                           "\n"
                           "## summary\n"
                           "| Field | Meaning |\n"
                           "| --- | --- |\n"
                           "| `connect_errors` | errno name → count |\n");

    const auto fields = documented_fields(doc);

    CHECK(fields.at("conn") == std::set<std::string>{"type", "ts"});
    CHECK(fields.at("summary") == std::set<std::string>{"connect_errors"});
    CHECK(fields.size() == 2);
}

TEST_CASE("JsonSink: every line is one JSON object starting with type and ts", "[json_sink]")
{
    JsonSink sink;
    const std::vector<std::pair<std::string, std::string>> lines{
        {"start", sink.start(sample_start())},
        {"conn", sink.record(sample_conn())},
        {"connect_error", sink.record(sample_connect_error())},
        {"interval", sink.summary(sample_summary(false))},
        {"summary", sink.summary(sample_summary(true))},
    };
    for (const auto& [type, line] : lines) {
        INFO(line);
        REQUIRE_FALSE(line.empty());
        CHECK(line.back() == '\n');
        CHECK(std::count(line.begin(), line.end(), '\n') == 1);
        const json object = json::parse(line);
        REQUIRE(object.is_object());
        REQUIRE(object.size() >= 2);
        auto it = object.begin();
        CHECK(it.key() == "type");
        CHECK(it.value() == type);
        ++it;
        CHECK(it.key() == "ts");
        CHECK(it.value().is_number_unsigned());
    }
}

TEST_CASE("record_json: a conn record's values", "[json_sink]")
{
    const json j = record_json(sample_conn());

    CHECK(j.at("ts") == 1'700'000'000'123'456'789u);
    CHECK(j.at("cookie") == 0xc00c1eu);
    CHECK(j.at("pid") == 4242);
    CHECK(j.at("comm") == "curl");
    CHECK(j.at("netns") == 4026531840u);
    CHECK(j.at("family") == "ipv4");
    CHECK(j.at("role") == "server");
    CHECK(j.at("laddr") == "10.0.0.2");
    CHECK(j.at("lport") == 80);
    CHECK(j.at("raddr") == "10.0.0.1");
    CHECK(j.at("rport") == 40000);
    CHECK(j.at("start_ts") == 1'700'000'000'000'000'000u);
    CHECK(j.at("duration_us") == 123'456);
    CHECK(j.at("handshake_us") == 1500);
    CHECK(j.at("accept_wait_us") == 4800);
    CHECK(j.at("syn_retransmits") == 2);
    CHECK(j.at("retransmits") == 5);
    CHECK(j.at("rtt_us") == 1700);
    CHECK(j.at("bytes_sent") == 1000);
    CHECK(j.at("bytes_received") == 5000);
    CHECK(j.at("bytes_retransmitted") == 300);
    CHECK(j.at("close") == "peer_fin");
    CHECK(j.at("close_state") == "LAST_ACK");
    CHECK(j.at("error") == "ECONNRESET");
    CHECK(j.at("time_wait") == true);
    CHECK(j.at("observed_open") == false);
}

TEST_CASE("record_json: a connect error's values", "[json_sink]")
{
    const json j = record_json(sample_connect_error());

    CHECK(j.at("type") == "connect_error");
    CHECK(j.at("errno") == "ECONNREFUSED");
    CHECK(j.at("family") == "ipv6");
    CHECK(j.at("raddr") == "2001:db8::9");
    CHECK(j.at("rport") == 443);
    CHECK(j.at("async") == true);
    CHECK(j.at("pid") == 4242);
}

TEST_CASE("record_json: close kinds by name", "[json_sink]")
{
    const std::vector<std::pair<CloseKind, std::string>> kinds{
        {CloseKind::local_fin, "local_fin"},
        {CloseKind::peer_fin, "peer_fin"},
        {CloseKind::reset_sent, "reset_sent"},
        {CloseKind::reset_received, "reset_received"},
        {CloseKind::never_established, "never_established"},
        {CloseKind::aborted, "aborted"},
    };
    for (const auto& [kind, name] : kinds) {
        ConnRecord r = sample_conn();
        r.close = kind;
        CHECK(record_json(r).at("close") == name);
    }
}

TEST_CASE("record_json: an empty error is null", "[json_sink]")
{
    ConnRecord r = sample_conn();
    r.error.clear();
    const json j = record_json(r);
    REQUIRE(j.contains("error"));
    CHECK(j.at("error").is_null());

    r.error = "ETIMEDOUT";
    CHECK(record_json(r).at("error") == "ETIMEDOUT");
}

TEST_CASE("JsonSink: a comm that is not UTF-8 does not throw", "[json_sink]")
{
    JsonSink sink;
    ConnRecord conn = sample_conn();
    conn.comm = std::string("ab\xff\xfe\xc3", 5); // a truncated comm can end mid-character
    ConnectErrorRecord error = sample_connect_error();
    error.comm = conn.comm;

    std::string conn_line;
    std::string error_line;
    REQUIRE_NOTHROW(conn_line = sink.record(conn));
    REQUIRE_NOTHROW(error_line = sink.record(error));
    for (const std::string& line : {conn_line, error_line}) {
        const json j = json::parse(line); // the replacement character is valid UTF-8
        CHECK(j.at("comm").get<std::string>().rfind("ab", 0) == 0);
        CHECK(j.at("pid") == 4242); // the rest of the record is there
    }
}

TEST_CASE("start_json: version and the hook of each signal", "[json_sink]")
{
    const json j = start_json(sample_start());

    CHECK(j.at("version") == "0.1.0");
    REQUIRE(j.at("hooks").is_array());
    REQUIRE(j.at("hooks").size() == 2);
    CHECK(j.at("hooks")[0].at("signal") == "state_change");
    CHECK(j.at("hooks")[0].at("mechanism") == "tp_btf");
    CHECK(j.at("hooks")[1].at("signal") == "synack_retransmit");
    CHECK(j.at("hooks")[1].at("mechanism") == "none");
    CHECK(j.at("http_sample").is_null());
}

TEST_CASE("start_json: http_sample, when HTTP is captured", "[json_sink]")
{
    StartRecord start = sample_start();
    start.http_sample = 10;
    CHECK(start_json(start).at("http_sample") == 10);
}

TEST_CASE("summary_json: totals and connect errors by errno", "[json_sink]")
{
    const json j = summary_json(sample_summary(true));

    CHECK(j.at("elapsed_us") == 10'000'000);
    CHECK(j.at("connections_active") == 3);
    CHECK(j.at("connections_passive") == 4);
    CHECK(j.at("retransmits") == 5);
    CHECK(j.at("syn_retransmits") == 1);
    CHECK(j.at("resets_sent") == 2);
    CHECK(j.at("resets_received") == 1);
    CHECK(j.at("events_lost") == 0);
    CHECK(j.at("connections_open") == 1);
    CHECK(j.at("connections_closed") == 6);
    CHECK(j.at("connect_errors") == json{{"ECONNREFUSED", 2}, {"ETIMEDOUT", 1}});

    SummaryRecord none = sample_summary(false);
    none.totals.connect_errors.clear();
    const json empty = summary_json(none).at("connect_errors");
    CHECK(empty.is_object());
    CHECK(empty.empty());
}

TEST_CASE("JSON: stall, retransmit and close_wait records", "[json_sink]")
{
    StallRecord stall = sample_about<StallRecord>();
    stall.kind = StallKind::delayed_ack;
    stall.side = StallSide::receiver;
    stall.stall_us = 40'123;
    json j = record_json(stall);
    CHECK(j.at("kind") == "delayed_ack");
    CHECK(j.at("side") == "receiver");
    CHECK(j.at("stall_us") == 40'123);
    CHECK(j.at("nodelay").is_null());
    stall.nodelay = true;
    CHECK(record_json(stall).at("nodelay") == true);

    RetransmitRecord retransmit = sample_about<RetransmitRecord>();
    retransmit.kind = RetransmitKind::loss_probe;
    retransmit.state = "ESTABLISHED";
    j = record_json(retransmit);
    CHECK(j.at("kind") == "loss_probe");
    CHECK(j.at("lport") == 40000);

    CloseWaitRecord wait = sample_about<CloseWaitRecord>();
    wait.age_us = 3'000'000;
    CHECK(record_json(wait).at("age_us") == 3'000'000);
}
