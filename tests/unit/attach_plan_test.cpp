#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "attach_plan.h"

using namespace connscope;

namespace
{

// The connection probe object: conn.bpf.c and the program families it includes.
const char* const bpf_sources[] = {CONNSCOPE_SOURCE_DIR "/bpf/conn.bpf.c",
                                   CONNSCOPE_SOURCE_DIR "/bpf/tcp_detect.bpf.h",
                                   CONNSCOPE_SOURCE_DIR "/bpf/listen_iter.bpf.h"};

std::string read_file(const char* path)
{
    std::ifstream file(path);
    INFO("reading " << path);
    REQUIRE(file.is_open());
    std::ostringstream text;
    text << file.rdbuf();
    return text.str();
}

// (kind, hook) → program, for every `SEC("<kind>/<hook>")` directly followed by
// `int BPF_PROG(<program>, ...` in a BPF source.
std::map<std::pair<std::string, std::string>, std::string> sec_programs(const std::string& source)
{
    static const std::regex sec_then_prog(R"re(SEC\("(tp_btf|raw_tp)/(\w+)"\)\s*int\s+BPF_PROG\((\w+),)re");
    std::map<std::pair<std::string, std::string>, std::string> programs;
    for (auto it = std::sregex_iterator(source.begin(), source.end(), sec_then_prog);
         it != std::sregex_iterator(); ++it)
        programs[{(*it)[1], (*it)[2]}] = (*it)[3];
    return programs;
}

const SignalMechanism& signal_named(const std::vector<SignalMechanism>& signals, const std::string& name)
{
    for (const SignalMechanism& signal : signals)
        if (signal.signal == name)
            return signal;
    FAIL("no signal " << name);
    throw std::logic_error("unreachable");
}

std::set<std::string> signals_with(const std::vector<SignalMechanism>& signals, const std::string& mechanism)
{
    std::set<std::string> names;
    for (const SignalMechanism& signal : signals)
        if (signal.mechanism == mechanism)
            names.insert(signal.signal);
    return names;
}

std::string probe_object_source()
{
    std::string source;
    for (const char* path : bpf_sources)
        source += read_file(path);
    return source;
}

const SignalHooks& signal_hooks_of(std::string_view signal)
{
    for (const SignalHooks& entry : signal_hooks())
        if (entry.signal == signal)
            return entry;
    FAIL("no signal " << signal);
    throw std::logic_error("unreachable");
}

// The mechanism a signal has when nothing is missing: its fixed one, or the attach kind; raw_tp
// takes a signal with a fallback to it.
std::string expected_mechanism(std::string_view signal, AttachKind kind)
{
    const SignalHooks& entry = signal_hooks_of(signal);
    if (entry.mechanism.empty() || (kind == AttachKind::raw_tp && !entry.fallback.empty()))
        return std::string(attach_kind_name(kind));
    return std::string(entry.mechanism);
}

} // namespace

TEST_CASE("attach plan: every hook a signal needs has programs", "[attach_plan]")
{
    std::set<std::string_view> hooks;
    for (const HookPrograms& entry : hook_programs())
        hooks.insert(entry.hook);
    const std::string source = probe_object_source();
    const auto http_programs = sec_programs(read_file(CONNSCOPE_SOURCE_DIR "/bpf/http.bpf.c"));

    REQUIRE_FALSE(signal_hooks().empty());
    for (const SignalHooks& signal : signal_hooks()) {
        INFO("signal " << signal.signal);
        CHECK_FALSE(signal.hooks.empty());
        if (signal.signal == "http_data") {
            // bpf/http.bpf.c: its preferred hooks are tp_btf only; its fallback has both kinds.
            for (std::string_view hook : signal.hooks) {
                INFO("hook " << hook);
                CHECK(http_programs.contains({"tp_btf", std::string(hook)}));
            }
            for (std::string_view hook : signal.fallback) {
                INFO("fallback hook " << hook);
                CHECK(http_programs.contains({"tp_btf", std::string(hook)}));
                CHECK(http_programs.contains({"raw_tp", std::string(hook)}));
            }
            continue;
        }
        for (std::string_view hook : signal.hooks) {
            INFO("hook " << hook);
            if (signal.mechanism.empty())
                CHECK(hooks.contains(hook));
            else  // one program, SEC("<mechanism>/<hook>"), for every attach kind
                CHECK_THAT(source, Catch::Contains("SEC(\"" + std::string(signal.mechanism) + "/" +
                                                   std::string(hook) + "\")"));
        }
        for (std::string_view hook : signal.fallback) {
            INFO("fallback hook " << hook);
            CHECK(hooks.contains(hook));
        }
    }
}

TEST_CASE("attach plan: the per-syscall tracepoint programs are the ones the object has", "[attach_plan]")
{
    const std::string source = probe_object_source();
    std::set<std::string_view> named;
    for (const SignalHooks& signal : signal_hooks())
        if (signal.mechanism == "tracepoint")
            named.insert(signal.hooks.begin(), signal.hooks.end());
    std::set<std::string_view> listed;
    for (const TracepointProgram& entry : tracepoint_programs()) {
        INFO("hook " << entry.hook);
        CHECK(listed.insert(entry.hook).second);
        CHECK_THAT(source, Catch::Contains("SEC(\"tracepoint/" + std::string(entry.hook) + "\")\nint " +
                                           std::string(entry.program) + "("));
    }
    CHECK(listed == named);
}

TEST_CASE("attach plan: every hook serves some signal", "[attach_plan]")
{
    std::set<std::string_view> used;
    for (const SignalHooks& signal : signal_hooks()) {
        used.insert(signal.hooks.begin(), signal.hooks.end());
        used.insert(signal.fallback.begin(), signal.fallback.end());
    }
    for (const HookPrograms& entry : hook_programs()) {
        INFO("hook " << entry.hook);
        CHECK(used.contains(entry.hook));
    }
}

TEST_CASE("attach plan: hook, program and signal names are unique", "[attach_plan]")
{
    std::set<std::string_view> hooks;
    std::set<std::string_view> programs;
    size_t program_count = 0;
    for (const HookPrograms& entry : hook_programs()) {
        INFO("hook " << entry.hook);
        CHECK(hooks.insert(entry.hook).second);
        CHECK(programs.insert(entry.tp_btf_program).second);
        CHECK(programs.insert(entry.raw_tp_program).second);
        program_count += 2;
    }
    CHECK(programs.size() == program_count);

    std::set<std::string_view> signals;
    for (const SignalHooks& signal : signal_hooks()) {
        INFO("signal " << signal.signal);
        CHECK(signals.insert(signal.signal).second);
    }
}

TEST_CASE("attach plan: the probe object has each program under its SEC", "[attach_plan]")
{
    const auto in_source = sec_programs(probe_object_source());
    REQUIRE_FALSE(in_source.empty());

    for (const HookPrograms& entry : hook_programs()) {
        const std::string hook(entry.hook);
        INFO("hook " << hook);
        const auto tp_btf = in_source.find({"tp_btf", hook});
        const auto raw_tp = in_source.find({"raw_tp", hook});
        REQUIRE(tp_btf != in_source.end());
        REQUIRE(raw_tp != in_source.end());
        CHECK(tp_btf->second == entry.tp_btf_program);
        CHECK(raw_tp->second == entry.raw_tp_program);
    }
}

TEST_CASE("attach plan: the probe object has no tracepoint program the table does not list", "[attach_plan]")
{
    const auto in_source = sec_programs(probe_object_source());
    std::set<std::string> listed;
    for (const HookPrograms& entry : hook_programs())
        listed.insert(std::string(entry.hook));

    for (const auto& [kind_and_hook, program] : in_source) {
        INFO("SEC(\"" << kind_and_hook.first << "/" << kind_and_hook.second << "\") " << program);
        CHECK(listed.contains(kind_and_hook.second));
    }
    CHECK(in_source.size() == 2 * listed.size());
}

TEST_CASE("sec_programs: only a SEC directly followed by its BPF_PROG counts", "[attach_plan]")
{
    const auto programs =
        sec_programs("SEC(\"tp_btf/a\")\nint BPF_PROG(prog_a, const struct sock *sk)\n"
                     "SEC(\"raw_tp/b\")\nstatic int helper(void);\nint BPF_PROG(prog_b, int x)\n");

    CHECK(programs.size() == 1);
    CHECK(programs.at({"tp_btf", "a"}) == "prog_a");
}

TEST_CASE("program_for and attach_kind_name pick the kind's column", "[attach_plan]")
{
    const HookPrograms& state = hook_programs().front();
    CHECK(program_for(state, AttachKind::tp_btf) == state.tp_btf_program);
    CHECK(program_for(state, AttachKind::raw_tp) == state.raw_tp_program);
    CHECK(state.tp_btf_program != state.raw_tp_program);
    CHECK(attach_kind_name(AttachKind::tp_btf) == "tp_btf");
    CHECK(attach_kind_name(AttachKind::raw_tp) == "raw_tp");
}

TEST_CASE("signal_mechanisms: with every hook present, each signal uses the attach kind", "[attach_plan]")
{
    for (AttachKind kind : {AttachKind::tp_btf, AttachKind::raw_tp}) {
        const std::string name(attach_kind_name(kind));
        INFO("kind " << name);
        const auto signals = signal_mechanisms(kind, {});
        REQUIRE(signals.size() == signal_hooks().size());
        for (size_t i = 0; i < signals.size(); ++i) {
            INFO("signal " << signals[i].signal);
            CHECK(signals[i].signal == signal_hooks()[i].signal);
            CHECK(signals[i].mechanism == expected_mechanism(signals[i].signal, kind));
            const auto& hooks = kind == AttachKind::raw_tp && !signal_hooks()[i].fallback.empty()
                                    ? signal_hooks()[i].fallback
                                    : signal_hooks()[i].hooks;
            CHECK(signals[i].hooks == std::vector<std::string>(hooks.begin(), hooks.end()));
        }
    }
}

TEST_CASE("signal_mechanisms: HTTP data takes the syscall hooks without the socket ones, on raw_tp, or when told",
          "[attach_plan]")
{
    const std::vector<std::string> socket{"sock_send_length", "sock_recv_length", "tcp_sendmsg_locked"};
    const std::vector<std::string> syscall{"sys_enter", "sys_exit"};
    auto http = [](const std::vector<SignalMechanism>& signals) { return signal_named(signals, "http_data"); };

    CHECK(http(signal_mechanisms(AttachKind::tp_btf, {})).hooks == socket);
    CHECK(http_on_socket_hooks(signal_mechanisms(AttachKind::tp_btf, {})));
    for (const std::string& missing : socket) {
        INFO("missing " << missing);
        const auto signals = signal_mechanisms(AttachKind::tp_btf, {missing});
        CHECK(http(signals).hooks == syscall);
        CHECK(http(signals).mechanism == "tp_btf");
        CHECK_FALSE(http_on_socket_hooks(signals));
    }
    CHECK(http(signal_mechanisms(AttachKind::raw_tp, {})).hooks == syscall);
    const auto told = signal_mechanisms(AttachKind::tp_btf, {}, {"http_data"});
    CHECK(http(told).hooks == syscall);
    CHECK_FALSE(http_on_socket_hooks(told));
    // Forcing the fallback moves no other signal.
    const auto by_default = signal_mechanisms(AttachKind::tp_btf, {});
    for (const SignalMechanism& signal : told)
        if (signal.signal != "http_data")
            CHECK(signal.hooks == signal_named(by_default, signal.signal).hooks);
    // Without both sets, nothing is left.
    CHECK(http(signal_mechanisms(AttachKind::tp_btf, {"sock_recv_length", "sys_exit"})).mechanism == "none");
}

TEST_CASE("signal_mechanisms: a missing hook turns off exactly the signals that need it", "[attach_plan]")
{
    SECTION("tcp_retransmit_synack")
    {
        const auto signals = signal_mechanisms(AttachKind::tp_btf, {"tcp_retransmit_synack"});
        CHECK(signals_with(signals, "none") == std::set<std::string>{"synack_retransmit"});
        CHECK(signal_named(signals, "retransmit").mechanism == "tp_btf");
    }
    SECTION("sys_exit")
    {
        const auto signals = signal_mechanisms(AttachKind::raw_tp, {"sys_exit"});
        CHECK(signals_with(signals, "none") ==
              std::set<std::string>{"accept", "connect_error", "bind_error", "http_data"});
        // With tp_btf, only the HTTP programs' fallback needs it.
        CHECK(signals_with(signal_mechanisms(AttachKind::tp_btf, {"sys_exit"}), "none").empty());
        CHECK(signal_named(signals, "active_open").mechanism == "raw_tp");
    }
    SECTION("inet_sock_set_state")
    {
        const auto signals = signal_mechanisms(AttachKind::tp_btf, {"inet_sock_set_state"});
        CHECK(signals_with(signals, "none") == std::set<std::string>{"active_open", "passive_open", "state_change"});
    }
    SECTION("a hook nobody uses changes nothing")
    {
        const auto signals = signal_mechanisms(AttachKind::tp_btf, {"no_such_tracepoint"});
        CHECK(signals_with(signals, "none").empty());
    }
    SECTION("every hook, one at a time")
    {
        for (const HookPrograms& entry : hook_programs()) {
            const std::string hook(entry.hook);
            INFO("missing " << hook);
            const auto signals = signal_mechanisms(AttachKind::raw_tp, {hook});
            for (const SignalMechanism& signal : signals) {
                INFO("signal " << signal.signal);
                const bool needs =
                    std::find(signal.hooks.begin(), signal.hooks.end(), hook) != signal.hooks.end();
                CHECK(signal.mechanism == (needs ? "none" : expected_mechanism(signal.signal, AttachKind::raw_tp)));
            }
            CHECK_FALSE(signals_with(signals, "none").empty());
        }
    }
}

TEST_CASE("signal_mechanisms: what only syscalls know takes the raw syscall tracepoints without tracefs's",
          "[attach_plan]")
{
    const auto by_default = signal_mechanisms(AttachKind::tp_btf, {});
    CHECK(signal_named(by_default, "accept").mechanism == "tracepoint");
    CHECK(signal_named(by_default, "accept").hooks ==
          std::vector<std::string>{"syscalls/sys_exit_accept", "syscalls/sys_exit_accept4"});

    const auto no_accept4 = signal_mechanisms(AttachKind::tp_btf, {"syscalls/sys_exit_accept4"});
    CHECK(signal_named(no_accept4, "accept").mechanism == "tp_btf");
    CHECK(signal_named(no_accept4, "accept").hooks == std::vector<std::string>{"sys_exit"});
    CHECK(signal_named(no_accept4, "connect_error").mechanism == "tracepoint");

    // The connection probes attach to no raw syscall tracepoint unless a signal falls back.
    const std::set<std::string> in_use = conn_hooks_in_use(by_default);
    CHECK_FALSE(in_use.contains("sys_enter"));
    CHECK_FALSE(in_use.contains("sys_exit"));
    CHECK(in_use.contains("syscalls/sys_exit_accept4"));
    CHECK_FALSE(in_use.contains("sock_recv_length")); // the HTTP object's own
    CHECK(in_use.contains("sock_send_length"));       // the detectors'
    CHECK(conn_hooks_in_use(no_accept4).contains("sys_exit"));
    CHECK_FALSE(conn_hooks_in_use(no_accept4).contains("sys_enter"));
    CHECK(conn_hooks_in_use(signal_mechanisms(AttachKind::raw_tp, {})).contains("sys_enter"));
}

TEST_CASE("signal_mechanisms: a kernel before the 6.3 and 6.10 socket tracepoints degrades, it is not refused",
          "[attach_plan]")
{
    // Debian 12 and Amazon Linux 2023 (6.1), Ubuntu 22.04 (5.15), RHEL 9 (5.14).
    const std::set<std::string> older{"sock_send_length", "sock_recv_length", "tcp_sendmsg_locked"};
    for (AttachKind kind : {AttachKind::tp_btf, AttachKind::raw_tp}) {
        INFO("kind " << attach_kind_name(kind));
        const auto signals = signal_mechanisms(kind, older);
        CHECK(first_unserved_required(signals) == nullptr);
        CHECK(signals_with(signals, "none") == std::set<std::string>{"delayed_ack_stall", "idle_restart"});
        const SignalMechanism& stall = signal_named(signals, "delayed_ack_stall");
        CHECK(stall.hooks_missing == std::vector<std::string>{"sock_send_length"});
        CHECK_FALSE(stall.required());
        CHECK_FALSE(stall.lost.empty());
        CHECK(signal_served(signals, "http_data"));
        CHECK_FALSE(signal_served(signals, "idle_restart"));
    }
}

TEST_CASE("signal_mechanisms: only signals every supported kernel has hooks for are required", "[attach_plan]")
{
    std::set<std::string> optional;
    for (const SignalMechanism& signal : signal_mechanisms(AttachKind::tp_btf, {}))
        if (!signal.required())
            optional.insert(signal.signal);
    CHECK(optional == std::set<std::string>{"delayed_ack_stall", "idle_restart", "http_data"});

    const auto signals = signal_mechanisms(AttachKind::tp_btf, {"tcp_retransmit_synack"});
    const SignalMechanism* unserved = first_unserved_required(signals);
    REQUIRE(unserved != nullptr);
    CHECK(unserved->signal == "synack_retransmit");
    CHECK(unserved->hooks_missing == std::vector<std::string>{"tcp_retransmit_synack"});
}
