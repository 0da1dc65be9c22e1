#include <catch2/catch.hpp>

#include "conn_table.h"
#include "event_builder.h"

using namespace connscope;
using namespace connscope::test;

// The detector events (retransmit kinds, delayed ACKs, held sends) as ConnTable folds them
// into conn records, stall, retransmit and close_wait records.

namespace
{

const Socket client{7, make_flow("10.0.0.1", 40000, "10.0.0.2", 80), make_owner(4242, "curl")};
const Socket server{8, make_flow("10.0.0.2", 80, "10.0.0.1", 40000), make_owner(777, "nginx")};

void opened(ConnTable& table, const Socket& s)
{
    using enum TcpState;
    table.apply(s.state(t0, close, syn_sent));
    table.apply(s.state(t0 + 1 * ms, syn_sent, established));
}

template <typename R>
std::vector<R> only(const std::vector<Record>& records)
{
    std::vector<R> out;
    for (const Record& record : records)
        if (const auto* r = std::get_if<R>(&record))
            out.push_back(*r);
    return out;
}

} // namespace

TEST_CASE("ConnTable: retransmits counted by kind", "[conn_table][detectors]")
{
    using enum TcpState;
    ConnTable table;
    opened(table, client);
    table.apply(client.classified_retransmit(t0 + 10 * ms, RETRANSMIT_FAST, 3));
    table.apply(client.classified_retransmit(t0 + 20 * ms, RETRANSMIT_LOSS_PROBE, 1));
    table.apply(client.classified_retransmit(t0 + 220 * ms, RETRANSMIT_TIMEOUT, 1));
    table.apply(client.classified_retransmit(t0 + 221 * ms, RETRANSMIT_SLOW_START, 2));

    const TcpCounters during = *table.tcp_counters(client.cookie);
    CHECK(during.last_event_ns == t0 + 221 * ms);
    table.apply(client.state(t0 + 1 * sec, established, fin_wait1));
    table.apply(client.state(t0 + 1 * sec, fin_wait1, close));
    CHECK_FALSE(table.tcp_counters(client.cookie));

    const auto records = table.take_all_finished();
    CHECK(only<RetransmitRecord>(records).empty());  // not verbose
    const auto conns = only<ConnRecord>(records);
    REQUIRE(conns.size() == 1);
    const TcpCounters& c = conns[0].tcp;
    CHECK(conns[0].retransmits == 7);
    CHECK(c.fast_retransmits == 3);
    CHECK(c.loss_probes == 1);
    CHECK(c.timeouts == 1);
    CHECK(c.slow_start_retransmits == 2);
}

TEST_CASE("ConnTable: --verbose-events makes a retransmit record per event", "[conn_table][detectors]")
{
    ConnTable table(1'000);
    table.set_verbose_events(true);
    opened(table, client);
    table.apply(client.classified_retransmit(t0 + 220 * ms, RETRANSMIT_TIMEOUT, 1));
    const auto records = only<RetransmitRecord>(table.take_all_finished());
    REQUIRE(records.size() == 1);
    const RetransmitRecord& r = records[0];
    CHECK(r.ts_ns == t0 + 220 * ms + 1'000);
    CHECK(r.kind == RetransmitKind::timeout);
    CHECK(r.state == "ESTABLISHED");
    CHECK(r.pid == 4242);
    CHECK(r.comm == "curl");
    CHECK(r.local.port == 40000);
    CHECK(r.remote.address == "10.0.0.2");
    CHECK(r.rto_us == 204'000);
    CHECK(r.srtt_us == 40);
}

TEST_CASE("ConnTable: a receiver stall becomes a stall record and conn counts", "[conn_table][detectors]")
{
    using enum TcpState;
    ConnTable table;
    opened(table, server);
    table.apply(server.delayed_ack(t0 + 50 * ms, t0 + 10 * ms, 40));
    table.apply(server.data_after(t0 + 50 * ms + 30 * us, t0 + 50 * ms));
    // A second delayed ACK that held nothing back: counted, no stall.
    table.apply(server.delayed_ack(t0 + 500 * ms, t0 + 460 * ms, 40));
    table.apply(server.data_after(t0 + 900 * ms, t0 + 500 * ms));
    table.apply(server.state(t0 + 1 * sec, established, fin_wait1));
    table.apply(server.state(t0 + 1 * sec, fin_wait1, close));

    const auto records = table.take_all_finished();
    const auto stalls = only<StallRecord>(records);
    REQUIRE(stalls.size() == 1);
    CHECK(stalls[0].side == StallSide::receiver);
    CHECK(stalls[0].stall_us == 40'000);
    CHECK(stalls[0].local.port == 80);
    const auto conns = only<ConnRecord>(records);
    REQUIRE(conns.size() == 1);
    CHECK(conns[0].tcp.delayed_acks == 2);
    CHECK(conns[0].tcp.stalls == 1);
    CHECK(conns[0].tcp.stall_us == 40'000);
}

TEST_CASE("ConnTable: a sender stall, and a prompt release that is none", "[conn_table][detectors]")
{
    ConnTable table;
    opened(table, client);
    table.apply(client.released(t0 + 100 * ms, t0 + 100 * ms - 80 * us, 40, false));
    table.apply(client.released(t0 + 200 * ms, t0 + 160 * ms, 40, false));
    const TcpCounters c = *table.tcp_counters(client.cookie);
    CHECK(c.stalls == 1);
    CHECK(c.stall_us == 40'000);
    const auto stalls = only<StallRecord>(table.take_all_finished());
    REQUIRE(stalls.size() == 1);
    CHECK(stalls[0].kind == StallKind::nagle_delayed_ack);
    CHECK(stalls[0].nodelay == false);
    CHECK(stalls[0].comm == "curl");
}

TEST_CASE("ConnTable: detector events of unknown sockets are ignored", "[conn_table][detectors]")
{
    ConnTable table;
    table.apply(server.delayed_ack(t0 + 50 * ms, t0 + 10 * ms, 40));
    table.apply(server.data_after(t0 + 50 * ms + 30 * us, t0 + 50 * ms));
    table.apply(client.released(t0 + 200 * ms, t0 + 160 * ms, 40, false));
    table.apply(client.classified_retransmit(t0, RETRANSMIT_FAST, 1));
    CHECK(table.take_all_finished().empty());
}

TEST_CASE("ConnTable: connections in CLOSE_WAIT are listed with their age", "[conn_table][detectors]")
{
    using enum TcpState;
    ConnTable table(1'000);
    opened(table, server);
    opened(table, client);
    CHECK(table.close_waits(t0 + 1 * sec).empty());
    table.apply(server.state(t0 + 2 * sec, established, close_wait));

    const auto waits = only<CloseWaitRecord>(table.close_waits(t0 + 5 * sec));
    REQUIRE(waits.size() == 1);
    CHECK(waits[0].cookie == server.cookie);
    CHECK(waits[0].age_us == 3'000'000);
    CHECK(waits[0].ts_ns == t0 + 5 * sec + 1'000);
    CHECK(waits[0].comm == "nginx");

    table.apply(server.state(t0 + 6 * sec, close_wait, last_ack));
    CHECK(table.close_waits(t0 + 7 * sec).empty());
}

TEST_CASE("ConnTable: a handshake record for a slow handshake only", "[conn_table][detectors]")
{
    using enum TcpState;
    ConnTable table;
    table.set_slow_handshake_us(200'000);
    const Socket slow{9, make_flow("10.0.0.1", 40001, "10.0.0.2", 80), make_owner(4242, "curl")};
    table.apply(slow.state(t0, close, syn_sent));
    table.apply(slow.syn_retransmit(t0 + 1 * sec));
    table.apply(slow.state(t0 + 1 * sec + 300 * us, syn_sent, established));
    table.apply(client.state(t0, close, syn_sent));
    table.apply(client.state(t0 + 199 * ms, syn_sent, established));

    const auto records = only<HandshakeRecord>(table.take_finished(t0, 0));
    REQUIRE(records.size() == 1);
    CHECK(records[0].cookie == slow.cookie);
    CHECK(records[0].role == Role::client);
    CHECK(records[0].handshake_us == 1'000'300);
    CHECK(records[0].syn_retransmits == 1);
    CHECK(records[0].comm == "curl");
}

TEST_CASE("ConnTable: no handshake records when the threshold is 0", "[conn_table][detectors]")
{
    using enum TcpState;
    ConnTable table;
    table.apply(client.state(t0, close, syn_sent));
    table.apply(client.state(t0 + 5 * sec, syn_sent, established));
    CHECK(table.take_finished(t0, 0).empty());
}

TEST_CASE("ConnTable: half-close, data after the first FIN", "[conn_table][detectors]")
{
    using enum TcpState;
    ConnTable table;
    opened(table, client);
    opened(table, server);
    // The client sends its request and its FIN; the server answers after it.
    state_event client_fin = client.state(t0 + 10 * ms, established, fin_wait1);
    client_fin.tcp = make_counters(300, 0, 0, 50);
    table.apply(client_fin);
    state_event server_sees_fin = server.state(t0 + 10 * ms, established, close_wait);
    server_sees_fin.tcp = make_counters(0, 0, 301, 50);
    server_sees_fin.flags = STATE_FLAG_FIN_RECEIVED;
    table.apply(server_sees_fin);
    state_event server_done = server.state(t0 + 20 * ms, last_ack, close);
    server_done.tcp = make_counters(50'000, 1'000, 301, 50);
    server_done.flags = STATE_FLAG_FIN_RECEIVED;
    table.apply(server_done);
    state_event client_done = client.state(t0 + 20 * ms, fin_wait2, close);
    client_done.tcp = make_counters(300, 0, 49'001, 50);
    client_done.flags = STATE_FLAG_FIN_RECEIVED;
    table.apply(client_done);

    const auto conns = only<ConnRecord>(table.take_all_finished());
    REQUIRE(conns.size() == 2);
    for (const ConnRecord& c : conns) {
        INFO("cookie " << c.cookie);
        CHECK(c.bytes_after_fin == 49'000);
    }
}

TEST_CASE("ConnTable: idle restarts and the window at close", "[conn_table][detectors]")
{
    using enum TcpState;
    ConnTable table;
    opened(table, server);
    table.apply(server.idle_restart(t0 + 1 * sec, 40));
    table.apply(server.idle_restart(t0 + 3 * sec, 25));
    CHECK(table.tcp_counters(server.cookie)->last_event_ns == t0 + 3 * sec);
    state_event closed = server.state(t0 + 4 * sec, fin_wait1, close);
    closed.tcp = make_counters(0, 0, 0, 50);
    closed.tcp.snd_cwnd = 12;
    closed.tcp.snd_ssthresh = 0x7fffffff;
    table.apply(closed);

    const auto conns = only<ConnRecord>(table.take_all_finished());
    REQUIRE(conns.size() == 1);
    CHECK(conns[0].tcp.idle_restarts == 2);
    CHECK(conns[0].tcp.last_restart_cwnd == 25);
    CHECK(conns[0].cwnd == 12);
    CHECK_FALSE(conns[0].ssthresh);
}
