#include <catch2/catch.hpp>

#include <sys/socket.h>

#include <algorithm>

#include "conn_table.h"
#include "event_builder.h"

using namespace connscope;
using namespace connscope::test;

// The sequences below are the ones the kernel makes (inet_sock_set_state and friends), in
// the order the ring buffer delivers them.

namespace
{

const owner curl = make_owner(4242, "curl");
const owner nginx = make_owner(777, "nginx");

// A client at 10.0.0.1:40000 talking to a server at 10.0.0.2:80, from each side.
const flow client_view = make_flow("10.0.0.1", 40000, "10.0.0.2", 80);
const flow server_view = make_flow("10.0.0.2", 80, "10.0.0.1", 40000);

std::vector<ConnRecord> conns_of(const std::vector<Record>& records)
{
    std::vector<ConnRecord> conns;
    for (const Record& record : records)
        if (const auto* conn = std::get_if<ConnRecord>(&record))
            conns.push_back(*conn);
    return conns;
}

ConnRecord only_conn(const std::vector<Record>& records)
{
    REQUIRE(records.size() == 1);
    REQUIRE(std::holds_alternative<ConnRecord>(records.front()));
    return std::get<ConnRecord>(records.front());
}

ConnRecord conn_with_cookie(const std::vector<Record>& records, uint64_t cookie)
{
    for (const ConnRecord& conn : conns_of(records))
        if (conn.cookie == cookie)
            return conn;
    FAIL("no conn record with cookie " << cookie);
    return {};
}

// CLOSE→SYN_SENT (no local port yet) and SYN_SENT→ESTABLISHED, `handshake` apart.
void client_opens(ConnTable& table, const Socket& client, uint64_t at, uint64_t handshake)
{
    using enum TcpState;
    table.apply(without_local_port(client.state(at, close, syn_sent)));
    table.apply(client.state(at + handshake, syn_sent, established));
}

// LISTEN→SYN_RECV and SYN_RECV→ESTABLISHED for a child socket; its owner is not known yet.
void server_opens(ConnTable& table, const Socket& child, uint64_t at)
{
    using enum TcpState;
    table.apply(child.state(at, listen, syn_recv));
    state_event established_event = child.state(at + 10 * us, syn_recv, established);
    established_event.tcp.srtt_us = 180;
    table.apply(established_event);
}

} // namespace

TEST_CASE("ConnTable: a client that closes first", "[conn_table]")
{
    using enum TcpState;
    ConnTable table;
    const Socket client{7, client_view, curl};

    table.apply(without_local_port(client.state(t0, close, syn_sent)));
    state_event established_event = client.state(t0 + 1500 * us, syn_sent, established);
    established_event.tcp.srtt_us = 1500;
    table.apply(established_event);
    table.apply(client.state(t0 + 100 * ms, established, fin_wait1));
    table.apply(client.state(t0 + 101 * ms, fin_wait1, fin_wait2));
    CHECK(table.open_connections() == 1);
    CHECK(table.take_all_finished().empty());

    state_event last = client.state(t0 + 102 * ms, fin_wait2, close);
    last.flags |= STATE_FLAG_FIN_RECEIVED;
    last.tcp = make_counters(1300, 300, 5001, 1700);
    table.apply(last);
    CHECK(table.open_connections() == 0);

    const ConnRecord r = only_conn(table.take_all_finished());
    CHECK(r.cookie == 7);
    CHECK(r.role == Role::client);
    CHECK(r.observed_open);
    CHECK(r.pid == 4242);
    CHECK(r.comm == "curl");
    CHECK(r.netns == host_netns);
    CHECK(r.family == AF_INET);
    CHECK(r.local.address == "10.0.0.1");
    CHECK(r.local.port == 40000);
    CHECK(r.remote.address == "10.0.0.2");
    CHECK(r.remote.port == 80);
    CHECK(r.start_ts_ns == t0);
    CHECK(r.ts_ns == t0 + 102 * ms);
    CHECK(r.duration_us == 102'000);
    CHECK(r.handshake_us == 1500);
    CHECK(r.accept_wait_us == 0);
    CHECK(r.syn_retransmits == 0);
    CHECK(r.retransmits == 0);
    CHECK(r.rtt_us == 1700);
    CHECK(r.bytes_sent == 1000);     // 1300 sent, of which 300 were retransmissions
    CHECK(r.bytes_received == 5000); // the peer's FIN counts one
    CHECK(r.bytes_retransmitted == 300);
    CHECK(r.close == CloseKind::local_fin);
    CHECK(r.close_state == "FIN_WAIT2");
    CHECK(r.error.empty());
    CHECK(r.time_wait);

    CHECK(table.take_all_finished().empty()); // taken once
}

TEST_CASE("ConnTable: bytes_received keeps every byte when no FIN arrived", "[conn_table]")
{
    using enum TcpState;
    ConnTable table;
    const Socket client{7, client_view, curl};
    client_opens(table, client, t0, 1 * ms);

    state_event last = client.state(t0 + 5 * ms, established, close);
    last.tcp = make_counters(10, 0, 5001, 900);
    table.apply(last);

    const ConnRecord r = only_conn(table.take_all_finished());
    CHECK(r.bytes_received == 5001);
    CHECK(r.bytes_sent == 10);
    CHECK(r.close == CloseKind::aborted);
    CHECK(r.close_state == "ESTABLISHED");
    CHECK_FALSE(r.time_wait);
}

TEST_CASE("ConnTable: a server whose peer closes first", "[conn_table]")
{
    using enum TcpState;
    ConnTable table;
    Socket child{9, server_view, {}};

    table.apply(child.state(t0, listen, syn_recv));
    state_event established_event = child.state(t0 + 200 * us, syn_recv, established);
    established_event.tcp.srtt_us = 180;
    table.apply(established_event);
    table.apply(child.accept(t0 + 5 * ms, nginx));
    child.owner = nginx; // conn.bpf.c's accept() probe records the owner for later events
    state_event peer_fin = child.state(t0 + 50 * ms, established, close_wait);
    peer_fin.flags |= STATE_FLAG_FIN_RECEIVED;
    table.apply(peer_fin);
    table.apply(child.state(t0 + 51 * ms, close_wait, last_ack));
    state_event last = child.state(t0 + 52 * ms, last_ack, close);
    last.flags |= STATE_FLAG_FIN_RECEIVED;
    last.tcp = make_counters(4096, 0, 301, 210);
    table.apply(last);

    const ConnRecord r = only_conn(table.take_all_finished());
    CHECK(r.cookie == 9);
    CHECK(r.role == Role::server);
    CHECK(r.observed_open);
    CHECK(r.pid == 777);
    CHECK(r.comm == "nginx");
    CHECK(r.local.address == "10.0.0.2");
    CHECK(r.local.port == 80);
    CHECK(r.remote.address == "10.0.0.1");
    CHECK(r.remote.port == 40000);
    CHECK(r.start_ts_ns == t0);
    CHECK(r.duration_us == 52'000);
    CHECK(r.accept_wait_us == 4'800);
    // No SYN-ACK was retransmitted: the handshake is the SYN-ACK's round trip, the first RTT sample.
    CHECK(r.handshake_us == 180);
    CHECK(r.rtt_us == 210);
    CHECK(r.bytes_sent == 4096);
    CHECK(r.bytes_received == 300);
    CHECK(r.close == CloseKind::peer_fin);
    CHECK(r.close_state == "LAST_ACK");
    CHECK(r.error.empty());
    CHECK_FALSE(r.time_wait);
}

TEST_CASE("ConnTable: the accept() event names the server's process", "[conn_table]")
{
    using enum TcpState;
    ConnTable table;
    const Socket child{9, server_view, {}};
    server_opens(table, child, t0);

    SECTION("without accept() the process stays unknown")
    {
        table.apply(child.state(t0 + 1 * ms, established, close));
        const ConnRecord r = only_conn(table.take_all_finished());
        CHECK(r.pid == 0);
        CHECK(r.comm.empty());
        CHECK(r.accept_wait_us == 0);
    }
    SECTION("accept() sets pid, comm and the accept wait")
    {
        table.apply(child.accept(t0 + 2 * ms + 10 * us, nginx));
        table.apply(child.state(t0 + 3 * ms, established, close));
        const ConnRecord r = only_conn(table.take_all_finished());
        CHECK(r.pid == 777);
        CHECK(r.comm == "nginx");
        CHECK(r.accept_wait_us == 2'000);
    }
    SECTION("an accept() of another socket changes nothing")
    {
        table.apply(Socket{10, server_view, {}}.accept(t0 + 2 * ms, nginx));
        table.apply(child.state(t0 + 3 * ms, established, close));
        const ConnRecord r = only_conn(table.take_all_finished());
        CHECK(r.pid == 0);
    }
}

TEST_CASE("ConnTable: the peer closed first, then the connection timed out in CLOSE_WAIT", "[conn_table]")
{
    using enum TcpState;
    ConnTable table;
    const Socket client{7, client_view, curl};
    client_opens(table, client, t0, 1 * ms);

    state_event peer_fin = client.state(t0 + 10 * ms, established, close_wait);
    peer_fin.flags |= STATE_FLAG_FIN_RECEIVED;
    table.apply(peer_fin);
    // Unacknowledged data retransmitted until tcp_write_err(): CLOSE_WAIT→CLOSE, ETIMEDOUT.
    state_event timeout = client.state(t0 + 900 * sec, close_wait, close);
    timeout.flags |= STATE_FLAG_FIN_RECEIVED;
    timeout.tcp.sk_err = 110;
    table.apply(timeout);

    const ConnRecord r = only_conn(table.take_all_finished());
    CHECK(r.close == CloseKind::peer_fin);
    CHECK(r.close_state == "CLOSE_WAIT");
    CHECK(r.error == "ETIMEDOUT");
    CHECK_FALSE(r.time_wait);
}

TEST_CASE("ConnTable: a refused connect", "[conn_table]")
{
    using enum TcpState;
    ConnTable table;
    const Socket client{7, client_view, curl};

    table.apply(without_local_port(client.state(t0, close, syn_sent)));
    table.apply(client.reset(t0 + 100 * us, RESET_RECEIVED, syn_sent));
    state_event refused = client.state(t0 + 100 * us, syn_sent, close);
    refused.tcp.sk_err = 111;
    table.apply(refused);

    const ConnRecord r = only_conn(table.take_all_finished());
    CHECK(r.role == Role::client);
    CHECK(r.close == CloseKind::never_established);
    CHECK(r.error == "ECONNREFUSED");
    CHECK(r.close_state == "SYN_SENT");
    CHECK_FALSE(r.time_wait);
    CHECK(r.handshake_us == 0);
    CHECK(r.duration_us == 100);
    CHECK(r.local.port == 40000);
    CHECK(r.remote.port == 80);
    CHECK(r.pid == 4242);
}

TEST_CASE("ConnTable: a reset received ends an established connection", "[conn_table]")
{
    using enum TcpState;
    ConnTable table;
    const Socket client{7, client_view, curl};
    client_opens(table, client, t0, 1 * ms);

    table.apply(client.reset(t0 + 20 * ms, RESET_RECEIVED, established));
    state_event reset = client.state(t0 + 20 * ms, established, close);
    reset.tcp.sk_err = 104;
    table.apply(reset);

    const ConnRecord r = only_conn(table.take_all_finished());
    CHECK(r.close == CloseKind::reset_received);
    CHECK(r.error == "ECONNRESET");
    CHECK(r.close_state == "ESTABLISHED");
    CHECK_FALSE(r.time_wait);
}

TEST_CASE("ConnTable: a reset received while closing: no TIME_WAIT", "[conn_table]")
{
    using enum TcpState;
    ConnTable table;
    const Socket client{7, client_view, curl};
    client_opens(table, client, t0, 1 * ms);

    table.apply(client.state(t0 + 10 * ms, established, fin_wait1));
    table.apply(client.reset(t0 + 11 * ms, RESET_RECEIVED, fin_wait1));
    state_event reset = client.state(t0 + 11 * ms, fin_wait1, close);
    reset.tcp.sk_err = 104;
    table.apply(reset);

    const ConnRecord r = only_conn(table.take_all_finished());
    CHECK(r.close == CloseKind::reset_received);
    CHECK(r.error == "ECONNRESET");
    CHECK(r.close_state == "FIN_WAIT1");
    CHECK_FALSE(r.time_wait);
}

TEST_CASE("ConnTable: a reset sent after the close joins its record within the grace", "[conn_table]")
{
    using enum TcpState;
    constexpr uint64_t grace = 50 * ms;
    ConnTable table;
    const Socket client{7, client_view, curl};
    client_opens(table, client, t0, 1 * ms);

    // tcp_close() with unread data: the socket moves to CLOSE, then the RST goes out.
    const uint64_t closed_at = t0 + 30 * ms;
    table.apply(client.state(closed_at, established, close));
    CHECK(table.take_finished(closed_at + 5 * us, grace).empty());
    table.apply(client.reset(closed_at + 20 * us, RESET_SENT, close));

    CHECK(table.take_finished(closed_at + grace - 1, grace).empty());
    const ConnRecord r = only_conn(table.take_finished(closed_at + grace, grace));
    CHECK(r.close == CloseKind::reset_sent);
    CHECK_FALSE(r.time_wait);
    CHECK(r.ts_ns == closed_at); // the record keeps the close time, not the time it was taken

    CHECK(table.take_finished(closed_at + 10 * grace, grace).empty());
}

TEST_CASE("ConnTable: without the grace, a reset sent after the close is too late", "[conn_table]")
{
    using enum TcpState;
    ConnTable table;
    const Socket client{7, client_view, curl};
    client_opens(table, client, t0, 1 * ms);
    table.apply(client.state(t0 + 30 * ms, established, close));

    const ConnRecord r = only_conn(table.take_finished(t0 + 30 * ms, 0));
    CHECK(r.close == CloseKind::aborted);

    table.apply(client.reset(t0 + 30 * ms + 20 * us, RESET_SENT, close)); // ignored, no crash
    CHECK(table.take_all_finished().empty());
}

TEST_CASE("ConnTable: take_finished releases connections oldest first, each after its grace", "[conn_table]")
{
    using enum TcpState;
    constexpr uint64_t grace = 50 * ms;
    ConnTable table;
    const Socket first{1, client_view, curl};
    const Socket second{2, make_flow("10.0.0.1", 40001, "10.0.0.2", 80), curl};
    const Socket third{3, make_flow("10.0.0.1", 40002, "10.0.0.2", 80), curl};
    client_opens(table, first, t0, 1 * ms);
    client_opens(table, second, t0, 1 * ms);
    client_opens(table, third, t0, 1 * ms);
    table.apply(third.state(t0 + 10 * ms, established, close));
    table.apply(first.state(t0 + 20 * ms, established, close));
    table.apply(second.state(t0 + 30 * ms, established, close));

    const auto taken = conns_of(table.take_finished(t0 + 20 * ms + grace, grace));
    REQUIRE(taken.size() == 2);
    CHECK(taken[0].cookie == 3);
    CHECK(taken[1].cookie == 1);
    CHECK(table.open_connections() == 0);

    const auto rest = conns_of(table.take_all_finished());
    REQUIRE(rest.size() == 1);
    CHECK(rest[0].cookie == 2);
}

TEST_CASE("ConnTable: a simultaneous close leaves both sides in TIME_WAIT", "[conn_table]")
{
    using enum TcpState;
    ConnTable table;
    const Socket client{7, client_view, curl};
    Socket server{9, server_view, {}};
    client_opens(table, client, t0, 1 * ms);
    server_opens(table, server, t0 + 500 * us);
    table.apply(server.accept(t0 + 2 * ms, nginx));
    server.owner = nginx;

    // Both send their FIN before receiving the other's.
    table.apply(client.state(t0 + 10 * ms, established, fin_wait1));
    table.apply(server.state(t0 + 10 * ms + 1 * us, established, fin_wait1));
    table.apply(client.state(t0 + 10 * ms + 40 * us, fin_wait1, closing));
    table.apply(server.state(t0 + 10 * ms + 41 * us, fin_wait1, closing));
    state_event client_last = client.state(t0 + 10 * ms + 80 * us, closing, close);
    client_last.flags |= STATE_FLAG_FIN_RECEIVED;
    state_event server_last = server.state(t0 + 10 * ms + 81 * us, closing, close);
    server_last.flags |= STATE_FLAG_FIN_RECEIVED;
    table.apply(client_last);
    table.apply(server_last);

    const auto records = table.take_all_finished();
    REQUIRE(records.size() == 2);
    const ConnRecord c = conn_with_cookie(records, 7);
    const ConnRecord s = conn_with_cookie(records, 9);
    CHECK(c.role == Role::client);
    CHECK(s.role == Role::server);
    for (const ConnRecord& r : {c, s}) {
        INFO("cookie " << r.cookie);
        CHECK(r.close == CloseKind::local_fin);
        CHECK(r.close_state == "CLOSING");
        CHECK(r.time_wait);
    }
}

TEST_CASE("ConnTable: a connect that times out after SYN retransmits", "[conn_table]")
{
    using enum TcpState;
    ConnTable table;
    const Socket client{7, client_view, curl};

    table.apply(without_local_port(client.state(t0, close, syn_sent)));
    // tcp_syn_retries = 6: the SYN goes again after 1, 3, 7, 15, 31 and 63 s.
    for (uint64_t at : {1, 3, 7, 15, 31, 63})
        table.apply(client.syn_retransmit(t0 + at * sec));
    state_event timeout = client.state(t0 + 127 * sec, syn_sent, close);
    timeout.tcp.sk_err = 110;
    table.apply(timeout);

    const ConnRecord r = only_conn(table.take_all_finished());
    CHECK(r.syn_retransmits == 6);
    CHECK(r.retransmits == 6);
    CHECK(r.close == CloseKind::never_established);
    CHECK(r.error == "ETIMEDOUT");
    CHECK(r.handshake_us == 0);
    CHECK(r.duration_us == 127'000'000);
    CHECK_FALSE(r.time_wait);
}

TEST_CASE("ConnTable: a SYN retransmitted once, then established", "[conn_table]")
{
    using enum TcpState;
    ConnTable table;
    const Socket client{7, client_view, curl};

    table.apply(without_local_port(client.state(t0, close, syn_sent)));
    table.apply(client.syn_retransmit(t0 + 1 * sec));
    table.apply(client.state(t0 + 1 * sec + 300 * us, syn_sent, established));
    table.apply(client.state(t0 + 2 * sec, established, close));

    const ConnRecord r = only_conn(table.take_all_finished());
    CHECK(r.syn_retransmits == 1);
    CHECK(r.retransmits == 1);
    CHECK(r.handshake_us >= 1'000'000);
    CHECK(r.handshake_us == 1'000'300);
    CHECK(r.close != CloseKind::never_established);
}

TEST_CASE("ConnTable: a SYN-ACK retransmit joins the server connection by flow", "[conn_table]")
{
    using enum TcpState;
    ConnTable table;
    const Socket child{9, server_view, {}};

    SECTION("same flow: counted")
    {
        table.apply(synack_retransmit(t0 + 1 * sec, server_view));
        table.apply(child.state(t0 + 1 * sec + 200 * us, listen, syn_recv));
        table.apply(child.state(t0 + 1 * sec + 210 * us, syn_recv, established));
        table.apply(child.state(t0 + 2 * sec, established, close));

        const ConnRecord r = only_conn(table.take_all_finished());
        CHECK(r.role == Role::server);
        CHECK(r.syn_retransmits == 1);
        CHECK(r.retransmits == 1);
        // The first SYN-ACK left one initial RTO (1 s) before its retransmit.
        CHECK(r.handshake_us >= 1'000'000);
    }
    SECTION("another flow: not counted")
    {
        const std::vector<flow> others{
            make_flow("10.0.0.2", 80, "10.0.0.1", 40001),                 // another client port
            make_flow("10.0.0.2", 80, "10.0.0.3", 40000),                 // another client
            make_flow("10.0.0.2", 8080, "10.0.0.1", 40000),               // another server port
            make_flow("10.0.0.2", 80, "10.0.0.1", 40000, host_netns + 1), // another netns
        };
        for (const flow& other : others)
            table.apply(synack_retransmit(t0 + 1 * sec, other));
        server_opens(table, child, t0 + 1 * sec + 200 * us);
        table.apply(child.state(t0 + 2 * sec, established, close));

        const ConnRecord r = only_conn(table.take_all_finished());
        CHECK(r.syn_retransmits == 0);
        CHECK(r.retransmits == 0);
        CHECK(r.handshake_us == 180);
    }
    SECTION("counted once: a second connection on the same flow has none")
    {
        table.apply(synack_retransmit(t0 + 1 * sec, server_view));
        server_opens(table, child, t0 + 1 * sec + 200 * us);
        table.apply(child.state(t0 + 2 * sec, established, close));
        const Socket reused{10, server_view, {}};
        server_opens(table, reused, t0 + 3 * sec);
        table.apply(reused.state(t0 + 4 * sec, established, close));

        const auto records = table.take_all_finished();
        CHECK(conn_with_cookie(records, 9).syn_retransmits == 1);
        CHECK(conn_with_cookie(records, 10).syn_retransmits == 0);
    }
}

TEST_CASE("ConnTable: SYN-ACK retransmits on a dual-stack listener join an IPv4 client", "[conn_table]")
{
    using enum TcpState;
    // An AF_INET6 listener: the request socket and the child both carry v4-mapped addresses.
    const flow mapped = make_flow("::ffff:10.0.0.2", 80, "::ffff:10.0.0.1", 40000);
    ConnTable table;
    const Socket child{9, mapped, {}};

    table.apply(synack_retransmit(t0, mapped));
    table.apply(synack_retransmit(t0 + 2 * sec, mapped));
    server_opens(table, child, t0 + 2 * sec + 100 * us);
    table.apply(child.state(t0 + 3 * sec, established, close));

    const ConnRecord r = only_conn(table.take_all_finished());
    CHECK(r.syn_retransmits == 2);
    CHECK(r.retransmits == 2);
    CHECK(r.local.address == "10.0.0.2");
}

TEST_CASE("ConnTable: data retransmits add their segment counts", "[conn_table]")
{
    using enum TcpState;
    ConnTable table;
    const Socket client{7, client_view, curl};
    client_opens(table, client, t0, 1 * ms);

    table.apply(client.retransmit(t0 + 10 * ms, established, 3)); // a GSO skb of 3 segments
    table.apply(client.retransmit(t0 + 20 * ms, established, 1));
    table.apply(Socket{8, client_view, curl}.retransmit(t0 + 20 * ms, established, 5)); // not ours
    table.apply(client.state(t0 + 30 * ms, established, close));

    const ConnRecord r = only_conn(table.take_all_finished());
    CHECK(r.retransmits == 4);
    CHECK(r.syn_retransmits == 0);
}

TEST_CASE("ConnTable: a connection seen first when established was opened before connscope", "[conn_table]")
{
    using enum TcpState;
    ConnTable table;
    const Socket client{7, client_view, curl};

    table.apply(client.state(t0, established, fin_wait1));
    table.apply(client.state(t0 + 1 * ms, fin_wait1, fin_wait2));
    state_event last = client.state(t0 + 2 * ms, fin_wait2, close);
    last.flags |= STATE_FLAG_FIN_RECEIVED;
    table.apply(last);

    const ConnRecord r = only_conn(table.take_all_finished());
    CHECK_FALSE(r.observed_open);
    CHECK(r.handshake_us == 0);
    CHECK(r.start_ts_ns == t0); // the first time connscope saw it
    CHECK(r.close == CloseKind::local_fin);
    CHECK(r.time_wait);
    CHECK(r.pid == 4242);
    CHECK(r.local.port == 40000);
}

TEST_CASE("ConnTable: a connection seen first on its way to CLOSE keeps the close its old state implies",
          "[conn_table]")
{
    using enum TcpState;
    ConnTable table;
    // A FIN_WAIT2 orphan that outlived connscope's start, and a LAST_ACK one.
    const Socket local_closer{7, client_view, curl};
    const Socket peer_closer{8, make_flow("10.0.0.1", 40001, "10.0.0.2", 80), curl};
    state_event fin_wait2_to_close = local_closer.state(t0, fin_wait2, close);
    fin_wait2_to_close.flags |= STATE_FLAG_FIN_RECEIVED;
    state_event last_ack_to_close = peer_closer.state(t0, last_ack, close);
    last_ack_to_close.flags |= STATE_FLAG_FIN_RECEIVED;
    table.apply(fin_wait2_to_close);
    table.apply(last_ack_to_close);

    const auto records = table.take_all_finished();
    const ConnRecord local = conn_with_cookie(records, 7);
    const ConnRecord peer = conn_with_cookie(records, 8);
    CHECK_FALSE(local.observed_open);
    CHECK(local.time_wait);
    CHECK(local.close == CloseKind::local_fin);
    CHECK(peer.close == CloseKind::peer_fin);
}

TEST_CASE("ConnTable: a connect in progress when connscope started is not taken as established",
          "[conn_table]")
{
    using enum TcpState;
    ConnTable table;
    const Socket client{7, client_view, curl};
    // The SYN went out before connscope started; all it sees is the last retransmit and the timeout.
    table.apply(client.syn_retransmit(t0));
    state_event timeout = client.state(t0 + 64 * sec, syn_sent, close);
    timeout.tcp.sk_err = 110;
    table.apply(timeout);

    const ConnRecord r = only_conn(table.take_all_finished());
    CHECK_FALSE(r.observed_open);
    CHECK(r.error == "ETIMEDOUT");
    CHECK(r.close == CloseKind::never_established);
    CHECK(r.role == Role::client); // only a client is ever in SYN_SENT
    CHECK(r.handshake_us == 0);
}

TEST_CASE("ConnTable: a passive open in progress when connscope started is a server", "[conn_table]")
{
    using enum TcpState;
    ConnTable table;
    // A high local port, so the port heuristic alone would say client.
    const Socket child{9, make_flow("10.0.0.2", 50000, "10.0.0.1", 80), {}};
    table.apply(child.state(t0, syn_recv, established));
    table.apply(child.state(t0 + 5 * ms, established, close));

    const ConnRecord r = only_conn(table.take_all_finished());
    CHECK_FALSE(r.observed_open);
    CHECK(r.role == Role::server);
    CHECK(r.handshake_us == 0);
    CHECK(r.close == CloseKind::aborted);
}

TEST_CASE("ConnTable: a socket key reused within the grace completes the connection that had it",
          "[conn_table]")
{
    using enum TcpState;
    constexpr uint64_t grace = 50 * ms;
    ConnTable table;
    // raw_tp keys sockets by address; the slab hands a freed socket's memory to the next one.
    const Socket first{7, client_view, curl};
    const Socket second{7, make_flow("10.0.0.1", 40001, "10.0.0.2", 80), curl};

    table.apply(without_local_port(first.state(t0, close, syn_sent)));
    state_event refused = first.state(t0 + 100 * us, syn_sent, close);
    refused.tcp.sk_err = 111;
    table.apply(refused);
    CHECK(table.take_finished(t0 + 200 * us, grace).empty()); // still in its grace

    // The key opens again: the first connection is over, its record need not wait.
    table.apply(without_local_port(second.state(t0 + 1 * ms, close, syn_sent)));
    const ConnRecord earlier = only_conn(table.take_finished(t0 + 1 * ms, grace));
    CHECK(earlier.close == CloseKind::never_established);
    CHECK(earlier.error == "ECONNREFUSED");
    CHECK(earlier.local.port == 40000);
    CHECK(earlier.ts_ns == t0 + 100 * us);

    table.apply(second.state(t0 + 2 * ms, syn_sent, established));
    table.apply(second.state(t0 + 3 * ms, established, close));
    const ConnRecord later = only_conn(table.take_finished(t0 + 3 * ms + grace, grace));
    CHECK(later.local.port == 40001);
    CHECK(later.close == CloseKind::aborted);
    CHECK(later.error.empty()); // nothing carried over from the first
    CHECK(later.start_ts_ns == t0 + 1 * ms);
}

TEST_CASE("ConnTable: a socket key reused while the close is pending keeps both records", "[conn_table]")
{
    using enum TcpState;
    ConnTable table;
    const Socket first{7, client_view, curl};
    const Socket second{7, make_flow("10.0.0.1", 40001, "10.0.0.2", 80), curl};

    client_opens(table, first, t0, 1 * ms);
    table.apply(first.state(t0 + 2 * ms, established, close));
    // The second connection is seen first when established (its opening event was lost).
    table.apply(second.state(t0 + 3 * ms, established, close));

    const auto conns = conns_of(table.take_all_finished());
    REQUIRE(conns.size() == 2);
    CHECK(conns[0].local.port == 40000);
    CHECK(conns[1].local.port == 40001);
}

TEST_CASE("ConnTable: a connect error becomes a ConnectErrorRecord", "[conn_table]")
{
    ConnTable table;
    const flow attempted = make_flow("10.0.0.1", 0, "192.0.2.9", 8080);

    table.apply(connect_error(7, t0, attempted, curl, 111, true));
    table.apply(connect_error(8, t0 + 1 * ms, make_flow("::", 0, "2001:db8::9", 443), curl, 99, false));

    // Errors need no grace: they are taken at once.
    const auto records = table.take_finished(t0, 50 * ms);
    REQUIRE(records.size() == 2);
    REQUIRE(std::holds_alternative<ConnectErrorRecord>(records[0]));
    REQUIRE(std::holds_alternative<ConnectErrorRecord>(records[1]));
    const auto& refused = std::get<ConnectErrorRecord>(records[0]);
    CHECK(refused.ts_ns == t0);
    CHECK(refused.cookie == 7);
    CHECK(refused.pid == 4242);
    CHECK(refused.comm == "curl");
    CHECK(refused.netns == host_netns);
    CHECK(refused.family == AF_INET);
    CHECK(refused.error == "ECONNREFUSED");
    CHECK(refused.async);
    CHECK(refused.local.address == "10.0.0.1");
    CHECK(refused.remote.address == "192.0.2.9");
    CHECK(refused.remote.port == 8080);

    const auto& no_address = std::get<ConnectErrorRecord>(records[1]);
    CHECK(no_address.error == "EADDRNOTAVAIL");
    CHECK_FALSE(no_address.async);
    CHECK(no_address.family == AF_INET6);
    CHECK(no_address.remote.address == "2001:db8::9");
    CHECK(no_address.remote.port == 443);

    CHECK(table.take_all_finished().empty());
    CHECK(table.open_connections() == 0);
}

TEST_CASE("ConnTable: addresses as text, IPv4-mapped shown as IPv4", "[conn_table]")
{
    using enum TcpState;
    SECTION("IPv4-mapped")
    {
        ConnTable table;
        const Socket client{7, make_flow("::ffff:10.0.0.1", 40000, "::ffff:10.0.0.2", 80), curl};
        client_opens(table, client, t0, 1 * ms);
        table.apply(client.state(t0 + 2 * ms, established, close));

        const ConnRecord r = only_conn(table.take_all_finished());
        CHECK(r.local.address == "10.0.0.1");
        CHECK(r.remote.address == "10.0.0.2");
        CHECK(r.family == AF_INET6);
    }
    SECTION("IPv6")
    {
        ConnTable table;
        const Socket client{7, make_flow("2001:db8::1", 40000, "2001:db8::2", 443), curl};
        client_opens(table, client, t0, 1 * ms);
        table.apply(client.state(t0 + 2 * ms, established, close));

        const ConnRecord r = only_conn(table.take_all_finished());
        CHECK(r.local.address == "2001:db8::1");
        CHECK(r.local.port == 40000);
        CHECK(r.remote.address == "2001:db8::2");
        CHECK(r.remote.port == 443);
        CHECK(r.family == AF_INET6);
    }
    SECTION("a connect error's flow too")
    {
        ConnTable table;
        table.apply(
            connect_error(7, t0, make_flow("::ffff:10.0.0.1", 0, "::ffff:10.0.0.2", 80), curl, 111, false));
        const auto records = table.take_all_finished();
        REQUIRE(records.size() == 1);
        CHECK(std::get<ConnectErrorRecord>(records[0]).remote.address == "10.0.0.2");
    }
}

TEST_CASE("ConnTable: the realtime offset turns monotonic times into unix times", "[conn_table]")
{
    using enum TcpState;
    constexpr int64_t offset = 1'700'000'000'000'000'000;
    ConnTable table(offset);
    const Socket client{7, client_view, curl};
    client_opens(table, client, t0, 1 * ms);
    table.apply(client.state(t0 + 2 * ms, established, close));
    table.apply(connect_error(8, t0 + 3 * ms, client_view, curl, 111, false));

    const auto records = table.take_all_finished();
    REQUIRE(records.size() == 2);
    const ConnectErrorRecord& error = std::get<ConnectErrorRecord>(records[0]);
    const ConnRecord& conn = std::get<ConnRecord>(records[1]);
    CHECK(conn.start_ts_ns == t0 + offset);
    CHECK(conn.ts_ns == t0 + 2 * ms + offset);
    CHECK(conn.duration_us == 2'000); // durations do not move
    CHECK(conn.handshake_us == 1'000);
    CHECK(error.ts_ns == t0 + 3 * ms + offset);
}

TEST_CASE("ConnTable: take_finished's grace is measured against monotonic times, not unix ones",
          "[conn_table]")
{
    using enum TcpState;
    ConnTable table(1'700'000'000'000'000'000);
    const Socket client{7, client_view, curl};
    client_opens(table, client, t0, 1 * ms);
    table.apply(client.state(t0 + 2 * ms, established, close));

    CHECK(table.take_finished(t0 + 2 * ms + 49 * ms, 50 * ms).empty());
    CHECK(conns_of(table.take_finished(t0 + 2 * ms + 50 * ms, 50 * ms)).size() == 1);
}
