#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <sys/socket.h>

#include <algorithm>

#include "event_builder.h"
#include "net_names.h"

using namespace connscope;
using connscope::test::parse_address;

namespace
{

std::string text_of(int family, const std::string& parse_as, int parse_family)
{
    uint8_t address[16] = {};
    parse_address(parse_as, parse_family, address);
    return address_text(static_cast<uint16_t>(family), address);
}

} // namespace

TEST_CASE("tcp_state_name: the kernel's TCP state numbers", "[net_names]")
{
    CHECK(tcp_state_name(1) == "ESTABLISHED");
    CHECK(tcp_state_name(2) == "SYN_SENT");
    CHECK(tcp_state_name(3) == "SYN_RECV");
    CHECK(tcp_state_name(4) == "FIN_WAIT1");
    CHECK(tcp_state_name(5) == "FIN_WAIT2");
    CHECK(tcp_state_name(6) == "TIME_WAIT");
    CHECK(tcp_state_name(7) == "CLOSE");
    CHECK(tcp_state_name(8) == "CLOSE_WAIT");
    CHECK(tcp_state_name(9) == "LAST_ACK");
    CHECK(tcp_state_name(10) == "LISTEN");
    CHECK(tcp_state_name(11) == "CLOSING");
    CHECK(tcp_state_name(12) == "NEW_SYN_RECV");
}

TEST_CASE("tcp_state_name: the enum and the names agree", "[net_names]")
{
    CHECK(tcp_state_name(static_cast<uint32_t>(TcpState::established)) == "ESTABLISHED");
    CHECK(tcp_state_name(static_cast<uint32_t>(TcpState::close)) == "CLOSE");
    CHECK(tcp_state_name(static_cast<uint32_t>(TcpState::closing)) == "CLOSING");
    CHECK(tcp_state_name(static_cast<uint32_t>(TcpState::new_syn_recv)) == "NEW_SYN_RECV");
}

TEST_CASE("tcp_state_name: a number outside the kernel's states is UNKNOWN", "[net_names]")
{
    CHECK(tcp_state_name(0) == "UNKNOWN");
    CHECK(tcp_state_name(13) == "UNKNOWN");
    CHECK(tcp_state_name(0xffffffff) == "UNKNOWN");
}

TEST_CASE("errno_name: the symbolic name of an errno", "[net_names]")
{
    CHECK(errno_name(111) == "ECONNREFUSED");
    CHECK(errno_name(99) == "EADDRNOTAVAIL");
    CHECK(errno_name(110) == "ETIMEDOUT");
    CHECK(errno_name(104) == "ECONNRESET");
    CHECK(errno_name(113) == "EHOSTUNREACH");
    CHECK(errno_name(4) == "EINTR");
}

TEST_CASE("errno_name: an errno without a name is E and its number", "[net_names]")
{
    CHECK(errno_name(4000) == "E4000");
    CHECK(errno_name(123456789) == "E123456789");
}

TEST_CASE("family_name", "[net_names]")
{
    CHECK(family_name(AF_INET) == "ipv4");
    CHECK(family_name(AF_INET6) == "ipv6");
    CHECK(family_name(AF_UNIX) == "unknown");
    CHECK(family_name(0) == "unknown");
}

TEST_CASE("address_text: IPv4 is read from the first 4 bytes", "[net_names]")
{
    CHECK(text_of(AF_INET, "192.0.2.17", AF_INET) == "192.0.2.17");
    CHECK(text_of(AF_INET, "0.0.0.0", AF_INET) == "0.0.0.0");

    uint8_t address[16] = {10, 1, 2, 3};
    std::fill(std::begin(address) + 4, std::end(address), uint8_t{0xaa}); // ignored
    CHECK(address_text(AF_INET, address) == "10.1.2.3");
}

TEST_CASE("address_text: IPv6 in its compressed form", "[net_names]")
{
    CHECK(text_of(AF_INET6, "2001:db8::1", AF_INET6) == "2001:db8::1");
    CHECK(text_of(AF_INET6, "::1", AF_INET6) == "::1");
    CHECK(text_of(AF_INET6, "::", AF_INET6) == "::");
    CHECK(text_of(AF_INET6, "fe80::1:2:3:4", AF_INET6) == "fe80::1:2:3:4");
}

TEST_CASE("address_text: an IPv4-mapped IPv6 address is shown as IPv4", "[net_names]")
{
    CHECK(text_of(AF_INET6, "::ffff:10.0.0.1", AF_INET6) == "10.0.0.1");
    CHECK(text_of(AF_INET6, "::ffff:127.0.0.1", AF_INET6) == "127.0.0.1");
    // Only the ::ffff:0:0/96 prefix maps: a near miss stays IPv6.
    CHECK(text_of(AF_INET6, "::fffe:a00:1", AF_INET6) == "::fffe:a00:1");
    CHECK(text_of(AF_INET6, "1::ffff:a00:1", AF_INET6) == "1::ffff:a00:1");
}
