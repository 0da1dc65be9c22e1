#include <catch2/catch.hpp>

#include <linux/netlink.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "error.h"
#include "net_names.h"
#include "sock_diag.h"

using namespace connscope;

namespace
{

// tests/unit/data/inet_diag_dump.hex: the datagrams of one AF_INET dump, one per line, recorded
// in a namespace holding a listener on 127.0.0.1:8080, a connection from port 40000 that the
// client closed (its TIME_WAIT socket and nothing else left) and one from port 40001, open.
std::vector<std::vector<std::byte>> recorded_datagrams()
{
    std::ifstream file(CONNSCOPE_SOURCE_DIR "/tests/unit/data/inet_diag_dump.hex");
    REQUIRE(file.is_open());
    std::vector<std::vector<std::byte>> datagrams;
    std::string line;
    while (std::getline(file, line)) {
        std::vector<std::byte> bytes;
        for (size_t i = 0; i + 1 < line.size(); i += 2)
            bytes.push_back(std::byte(std::stoi(line.substr(i, 2), nullptr, 16)));
        datagrams.push_back(bytes);
    }
    return datagrams;
}

std::string describe(const DiagSocket& s)
{
    return std::string(tcp_state_name(s.state)) + " " + address_text(s.family, s.local_address) + ":" +
           std::to_string(s.local_port) + " " + address_text(s.family, s.remote_address) + ":" +
           std::to_string(s.remote_port);
}

} // namespace

TEST_CASE("sock_diag: a recorded dump gives every socket, TIME_WAIT included", "[sock_diag]")
{
    const auto datagrams = recorded_datagrams();
    REQUIRE(datagrams.size() == 2);
    std::vector<DiagSocket> sockets;
    CHECK(parse_inet_diag(datagrams[0], sockets) == DiagParse::more);
    CHECK(parse_inet_diag(datagrams[1], sockets) == DiagParse::done);

    std::vector<std::string> seen;
    for (const DiagSocket& s : sockets) {
        CHECK(s.family == AF_INET);
        seen.push_back(describe(s));
    }
    std::sort(seen.begin(), seen.end());
    CHECK(seen == std::vector<std::string>{
                      "ESTABLISHED 127.0.0.1:40001 127.0.0.1:8080",
                      "ESTABLISHED 127.0.0.1:8080 127.0.0.1:40001",
                      "LISTEN 127.0.0.1:8080 0.0.0.0:0",
                      "TIME_WAIT 127.0.0.1:40000 127.0.0.1:8080",
                  });
}

TEST_CASE("sock_diag: malformed or refused dumps are errors, never crashes", "[sock_diag]")
{
    const auto datagrams = recorded_datagrams();
    std::vector<DiagSocket> sockets;

    SECTION("a message cut short")
    {
        const std::span<const std::byte> cut(datagrams[0].data(), datagrams[0].size() - 10);
        CHECK_THROWS_AS(parse_inet_diag(cut, sockets), UserError);
    }
    SECTION("a length smaller than the header")
    {
        std::vector<std::byte> bad = datagrams[0];
        bad[0] = std::byte(8);
        bad[1] = bad[2] = bad[3] = std::byte(0);
        CHECK_THROWS_AS(parse_inet_diag(bad, sockets), UserError);
    }
    SECTION("an error from the kernel")
    {
        struct {
            nlmsghdr header;
            int error;
        } message{{sizeof(message), NLMSG_ERROR, 0, 1, 0}, -EPERM};
        const std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(&message), sizeof(message));
        CHECK_THROWS_WITH(parse_inet_diag(bytes, sockets), Catch::Contains("Operation not permitted"));
    }
    SECTION("an inet_diag message shorter than struct inet_diag_msg")
    {
        nlmsghdr header{sizeof(nlmsghdr) + 4, 20, 0, 1, 0};
        std::vector<std::byte> bytes(sizeof(header) + 4);
        std::memcpy(bytes.data(), &header, sizeof(header));
        CHECK_THROWS_AS(parse_inet_diag(bytes, sockets), UserError);
    }
    SECTION("trailing bytes")
    {
        std::vector<std::byte> bytes = datagrams[0];
        bytes.push_back(std::byte(0));
        bytes.push_back(std::byte(0));
        bytes.push_back(std::byte(0));
        CHECK_THROWS_AS(parse_inet_diag(bytes, sockets), UserError);
    }
}
