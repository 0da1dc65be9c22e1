// The one table of what connscope attaches: each kernel hook with its program for every
// attach kind, and each signal with the hooks it needs.
#pragma once

#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace connscope {

enum class AttachKind { tp_btf, raw_tp };

struct HookPrograms {
    std::string_view hook;  // tracepoint name; btf_trace_<hook> names it in the kernel's BTF
    std::string_view tp_btf_program;
    std::string_view raw_tp_program;
};

struct SignalHooks {
    std::string_view signal;
    std::vector<std::string_view> hooks;
    // A fixed mechanism: "iter", or "tracepoint" (classic, through tracefs); empty: the attach kind.
    std::string_view mechanism = {};
    // Hooks used instead when the attach kind is raw_tp or the kernel lacks one of `hooks`.
    std::vector<std::string_view> fallback = {};
    // What a kernel without a mechanism for it loses; empty for a required signal, one that every
    // supported kernel has hooks for: connscope does not start without it.
    std::string_view lost = {};
};

struct SignalMechanism {
    std::string signal;
    std::string mechanism;  // the attach kind, or "none" when the kernel lacks a hook it needs
    std::vector<std::string> hooks;
    std::vector<std::string> hooks_missing;  // those of `hooks` this kernel lacks
    std::string lost;  // as SignalHooks::lost: empty when required
    bool required() const { return lost.empty(); }
    bool served() const { return mechanism != "none"; }
};

std::span<const HookPrograms> hook_programs();

// A per-syscall tracepoint ("syscalls/sys_exit_accept4", SEC("tracepoint/<hook>")) and its
// program in the connection probe object: one program, for the tp_btf attach kind's keys.
struct TracepointProgram {
    std::string_view hook;
    std::string_view program;
};
std::span<const TracepointProgram> tracepoint_programs();
// The hooks the connection probes attach to for these mechanisms (HTTP's are its own object's).
std::set<std::string> conn_hooks_in_use(const std::vector<SignalMechanism>& signals);
std::span<const SignalHooks> signal_hooks();
std::string_view attach_kind_name(AttachKind kind);
std::string_view program_for(const HookPrograms& hook, AttachKind kind);
// Which hooks each signal uses: its fallback with raw_tp, when the kernel lacks one of its
// hooks, or when fallback_forced names it.
std::vector<SignalMechanism> signal_mechanisms(AttachKind kind, const std::set<std::string>& hooks_missing,
                                               const std::set<std::string>& fallback_forced = {});
// The first required signal no mechanism serves, or none: connscope cannot run without it.
const SignalMechanism* first_unserved_required(const std::vector<SignalMechanism>& signals);
bool signal_served(const std::vector<SignalMechanism>& signals, std::string_view name);
// Whether HTTP data comes from the socket tracepoints rather than the syscall ones.
bool http_on_socket_hooks(const std::vector<SignalMechanism>& signals);

}  // namespace connscope
