#include <catch2/catch.hpp>

#include <cstring>

#include <set>

#include "event_builder.h"
#include "event_type_list.h"
#include "events.h"
#include "http_events.h"

using namespace connscope;
using namespace connscope::test;

namespace
{

const flow sample_flow = make_flow("2001:db8::1", 443, "2001:db8::2", 51234, 4026532001);
const owner sample_owner = make_owner(31337, "curl");

// One record of each type with every field set to something other than zero.
state_event sample(const state_event*)
{
    state_event e =
        Socket{0xc00c1e, sample_flow, sample_owner}.state(t0, TcpState::fin_wait2, TcpState::close);
    e.flags |= STATE_FLAG_FIN_RECEIVED;
    e.tcp = {.bytes_sent = 1300,
             .bytes_retrans = 300,
             .bytes_received = 5001,
             .srtt_us = 1700,
             .total_retrans = 2,
             .segs_out = 12,
             .sk_err = 104};
    return e;
}

retransmit_event sample(const retransmit_event*)
{
    retransmit_event e = Socket{0xc00c1e, sample_flow, {}}.retransmit(t0 + 1, TcpState::established, 3);
    e.syn = 1;
    e.synack = 1;
    return e;
}

reset_event sample(const reset_event*)
{
    return Socket{0xc00c1e, sample_flow, {}}.reset(t0 + 2, RESET_RECEIVED, TcpState::established);
}

accept_event sample(const accept_event*)
{
    return Socket{0xc00c1e, sample_flow, {}}.accept(t0 + 3, sample_owner);
}

connect_error_event sample(const connect_error_event*)
{
    return connect_error(0xc00c1e, t0 + 4, sample_flow, sample_owner, 111, true);
}

template <typename Record> Record sample_of()
{
    return sample(static_cast<const Record*>(nullptr));
}

// Field by field: the structs have padding (after the flow, at the end) whose bytes a copy
// need not keep. The parts compared whole have none.
template <typename Part> bool same_part(const Part& a, const Part& b)
{
    return std::memcmp(&a, &b, sizeof(Part)) == 0;
}

bool same_fields(const state_event& a, const state_event& b)
{
    return same_part(a.hdr, b.hdr) && same_part(a.flow, b.flow) && same_part(a.owner, b.owner) &&
           same_part(a.tcp, b.tcp) && a.oldstate == b.oldstate && a.newstate == b.newstate &&
           a.flags == b.flags;
}

bool same_fields(const retransmit_event& a, const retransmit_event& b)
{
    return same_part(a.hdr, b.hdr) && same_part(a.flow, b.flow) && a.state == b.state && a.segs == b.segs &&
           a.syn == b.syn && a.synack == b.synack;
}

bool same_fields(const reset_event& a, const reset_event& b)
{
    return same_part(a.hdr, b.hdr) && same_part(a.flow, b.flow) && a.direction == b.direction &&
           a.state == b.state;
}

bool same_fields(const accept_event& a, const accept_event& b)
{
    return same_part(a.hdr, b.hdr) && same_part(a.flow, b.flow) && same_part(a.owner, b.owner);
}

bool same_fields(const connect_error_event& a, const connect_error_event& b)
{
    return same_part(a.hdr, b.hdr) && same_part(a.flow, b.flow) && same_part(a.owner, b.owner) &&
           a.err == b.err && a.async == b.async;
}

} // namespace

TEMPLATE_TEST_CASE("decode_event: a whole record becomes its own alternative, field for field", "[events]",
                   state_event, retransmit_event, reset_event, accept_event, connect_error_event)
{
    const TestType sent = sample_of<TestType>();
    const std::vector<std::byte> bytes = bytes_of(sent);

    const std::optional<Event> event = decode_event(bytes);

    REQUIRE(event.has_value());
    REQUIRE(std::holds_alternative<TestType>(*event));
    const TestType& got = std::get<TestType>(*event);
    CHECK(got.hdr.type == sent.hdr.type);
    CHECK(got.hdr.ts_ns == sent.hdr.ts_ns);
    CHECK(got.hdr.cookie == 0xc00c1e);
    CHECK(got.flow.sport == sent.flow.sport);
    CHECK(got.flow.dport == sent.flow.dport);
    CHECK(got.flow.netns == 4026532001);
    CHECK(same_fields(got, sent));
}

TEST_CASE("decode_event: the fields that differ per type arrive intact", "[events]")
{
    SECTION("state_event")
    {
        const auto event = decode_event(bytes_of(sample_of<state_event>()));
        REQUIRE(event);
        const auto& e = std::get<state_event>(*event);
        CHECK(e.oldstate == 5);
        CHECK(e.newstate == 7);
        CHECK(e.flags == (STATE_FLAG_OWNER_KNOWN | STATE_FLAG_FIN_RECEIVED));
        CHECK(e.owner.pid == 31337);
        CHECK(std::string(e.owner.comm) == "curl");
        CHECK(e.tcp.bytes_sent == 1300);
        CHECK(e.tcp.bytes_retrans == 300);
        CHECK(e.tcp.bytes_received == 5001);
        CHECK(e.tcp.srtt_us == 1700);
        CHECK(e.tcp.total_retrans == 2);
        CHECK(e.tcp.segs_out == 12);
        CHECK(e.tcp.sk_err == 104);
    }
    SECTION("retransmit_event")
    {
        const auto event = decode_event(bytes_of(sample_of<retransmit_event>()));
        REQUIRE(event);
        const auto& e = std::get<retransmit_event>(*event);
        CHECK(e.state == 1);
        CHECK(e.segs == 3);
        CHECK(e.syn == 1);
        CHECK(e.synack == 1);
    }
    SECTION("reset_event")
    {
        const auto event = decode_event(bytes_of(sample_of<reset_event>()));
        REQUIRE(event);
        const auto& e = std::get<reset_event>(*event);
        CHECK(e.direction == RESET_RECEIVED);
        CHECK(e.state == 1);
    }
    SECTION("accept_event")
    {
        const auto event = decode_event(bytes_of(sample_of<accept_event>()));
        REQUIRE(event);
        const auto& e = std::get<accept_event>(*event);
        CHECK(e.owner.pid == 31337);
        CHECK(std::string(e.owner.comm) == "curl");
    }
    SECTION("connect_error_event")
    {
        const auto event = decode_event(bytes_of(sample_of<connect_error_event>()));
        REQUIRE(event);
        const auto& e = std::get<connect_error_event>(*event);
        CHECK(e.err == 111);
        CHECK(e.async == 1);
        CHECK(e.owner.pid == 31337);
    }
}

TEMPLATE_TEST_CASE("decode_event: a record shorter than its type's struct is rejected", "[events]",
                   state_event, retransmit_event, reset_event, accept_event, connect_error_event)
{
    std::vector<std::byte> bytes = bytes_of(sample_of<TestType>());
    bytes.pop_back();
    CHECK_FALSE(decode_event(bytes).has_value());

    bytes.resize(sizeof(event_header)); // the header alone names the type
    CHECK_FALSE(decode_event(bytes).has_value());
}

TEST_CASE("decode_event: a record longer than its struct is read (the ring buffer pads to 8 bytes)",
          "[events]")
{
    const reset_event sent = sample_of<reset_event>();
    std::vector<std::byte> bytes = bytes_of(sent);
    bytes.resize(bytes.size() + 8, std::byte{0xee});

    const auto event = decode_event(bytes);

    REQUIRE(event);
    REQUIRE(std::holds_alternative<reset_event>(*event));
    CHECK(same_fields(std::get<reset_event>(*event), sent));
}

TEST_CASE("decode_event: a record shorter than the header is rejected", "[events]")
{
    const std::vector<std::byte> whole = bytes_of(sample_of<state_event>());
    for (size_t size : {size_t{0}, size_t{4}, sizeof(event_header) - 1}) {
        INFO("size " << size);
        CHECK_FALSE(decode_event(std::span(whole).first(size)).has_value());
    }
}

TEST_CASE("decode_event: an unknown type is rejected, whatever its size", "[events]")
{
    for (uint32_t type : {0u, uint32_t(EVENT_HTTP_DATA) + 1, 0xffffffffu}) {
        INFO("type " << type);
        state_event e = sample_of<state_event>();
        e.hdr.type = type;
        CHECK_FALSE(decode_event(bytes_of(e)).has_value());
    }
}

TEST_CASE("Each decoder takes its own family's types and rejects the others'", "[events]")
{
    // Room for the largest record, all zeros but the type: every size check passes.
    std::vector<std::byte> bytes(sizeof(http_data_event));
    http_data_event http{};
    std::set<size_t> alternatives;
    for (event_type type : event_types) {
        INFO("type " << type);
        const uint32_t id = type;
        std::memcpy(bytes.data(), &id, sizeof(id));
        const bool is_http = type == EVENT_HTTP_DATA;
        CHECK(decode_http_event(bytes, http) == is_http);
        const std::optional<Event> event = decode_event(bytes);
        CHECK(event.has_value() == !is_http);
        if (event)
            alternatives.insert(event->index());
    }
    // And each connection type became an alternative of its own.
    CHECK(alternatives.size() == std::variant_size_v<Event>);
    CHECK(alternatives.size() == event_types.size() - 1);
}
