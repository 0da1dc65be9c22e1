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
    std::string_view mechanism = {};  // a fixed mechanism (not a tracepoint); empty: the attach kind
};

struct SignalMechanism {
    std::string signal;
    std::string mechanism;  // the attach kind, or "none" when the kernel lacks a hook it needs
    std::vector<std::string> hooks;
};

std::span<const HookPrograms> hook_programs();
std::span<const SignalHooks> signal_hooks();
std::string_view attach_kind_name(AttachKind kind);
std::string_view program_for(const HookPrograms& hook, AttachKind kind);
std::vector<SignalMechanism> signal_mechanisms(AttachKind kind, const std::set<std::string>& hooks_missing);

}  // namespace connscope
