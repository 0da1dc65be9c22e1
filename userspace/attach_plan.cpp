#include "attach_plan.h"

#include <algorithm>
#include <array>

namespace connscope {
namespace {

bool uses_fallback(const SignalHooks& signal, AttachKind kind, const std::set<std::string>& hooks_missing,
                   const std::set<std::string>& fallback_forced)
{
    if (signal.fallback.empty())
        return false;
    if (fallback_forced.contains(std::string(signal.signal)) || kind == AttachKind::raw_tp)
        return true;
    for (std::string_view hook : signal.hooks)
        if (hooks_missing.contains(std::string(hook)))
            return true;
    return false;
}

}  // namespace

std::span<const HookPrograms> hook_programs()
{
    static constexpr std::array<HookPrograms, 11> table{{
        {"inet_sock_set_state", "state_btf", "state_raw"},
        {"tcp_retransmit_skb", "retransmit_btf", "retransmit_raw"},
        {"tcp_retransmit_synack", "synack_btf", "synack_raw"},
        {"tcp_send_reset", "reset_sent_btf", "reset_sent_raw"},
        {"tcp_receive_reset", "reset_received_btf", "reset_received_raw"},
        {"sys_enter", "sys_enter_btf", "sys_enter_raw"},
        {"sys_exit", "sys_exit_btf", "sys_exit_raw"},
        {"timer_expire_entry", "timer_expire_btf", "timer_expire_raw"},
        {"tcp_probe", "tcp_probe_btf", "tcp_probe_raw"},
        {"sock_send_length", "send_length_btf", "send_length_raw"},
        {"tcp_sendmsg_locked", "sendmsg_locked_btf", "sendmsg_locked_raw"},
    }};
    return table;
}

std::span<const SignalHooks> signal_hooks()
{
    // Required: every kernel from 5.10 has their hooks. The others degrade where a kernel lacks one.
    static const std::vector<SignalHooks> table{
        {"active_open", {"inet_sock_set_state"}},
        {"passive_open", {"inet_sock_set_state"}},
        {"state_change", {"inet_sock_set_state"}},
        {"retransmit", {"tcp_retransmit_skb"}},
        {"synack_retransmit", {"tcp_retransmit_synack"}},
        {"reset_sent", {"tcp_send_reset"}},
        {"reset_received", {"tcp_receive_reset"}},
        // The syscalls, for what only they know: the accepting process and the accept-queue
        // wait, the errno a blocking connect() or a bind() returned (a non-blocking connect()
        // fails later, in a state change). The per-syscall tracepoints (tracefs) run a program
        // for these syscalls alone; the raw ones, the fallback, for every syscall.
        {"accept", {"syscalls/sys_exit_accept", "syscalls/sys_exit_accept4"}, "tracepoint", {"sys_exit"}},
        {"connect_error", {"syscalls/sys_enter_connect", "syscalls/sys_exit_connect"}, "tracepoint",
         {"sys_enter", "sys_exit"}},
        {"bind_error", {"syscalls/sys_enter_bind", "syscalls/sys_exit_bind"}, "tracepoint",
         {"sys_enter", "sys_exit"}},
        // The delayed-ACK timer is recognised by its function, tcp_delack_timer (kallsyms).
        {"delayed_ack", {"timer_expire_entry"}},
        // sock_send_length (6.3) and tcp_sendmsg_locked (6.10) are newer than most servers' kernels.
        {"delayed_ack_stall",
         {"timer_expire_entry", "tcp_probe", "sock_send_length"},
         {},
         {},
         "stalls seen from the sending side (a small write Nagle held until a delayed ACK); the "
         "receiving side's stalls are still seen"},
        {"idle_restart", {"tcp_sendmsg_locked"}, {}, {}, "congestion windows restarted after an idle period"},
        // bpf/http.bpf.c: the data of reads, writes and sendfile() on TCP sockets. The socket
        // tracepoints run only for socket I/O (tp_btf only: they load fields directly).
        {"http_data",
         {"sock_send_length", "sock_recv_length", "tcp_sendmsg_locked"},
         {},
         {"sys_enter", "sys_exit"},
         "http records"},
        // No tracepoint sees a SYN dropped for a full accept queue; the listener's sk_drops
        // does, read through the TCP socket iterator (iter/tcp).
        {"listen_drops", {"tcp"}, "iter"},
    };
    return table;
}

std::string_view attach_kind_name(AttachKind kind)
{
    return kind == AttachKind::tp_btf ? "tp_btf" : "raw_tp";
}

std::string_view program_for(const HookPrograms& hook, AttachKind kind)
{
    return kind == AttachKind::tp_btf ? hook.tp_btf_program : hook.raw_tp_program;
}

bool http_on_socket_hooks(const std::vector<SignalMechanism>& signals)
{
    const auto& table = signal_hooks();
    const auto preferred = std::find_if(table.begin(), table.end(),
                                        [](const SignalHooks& s) { return s.signal == "http_data"; });
    for (const SignalMechanism& signal : signals)
        if (signal.signal == "http_data")
            return std::equal(signal.hooks.begin(), signal.hooks.end(), preferred->hooks.begin(),
                              preferred->hooks.end());
    return false;
}

std::vector<SignalMechanism> signal_mechanisms(AttachKind kind, const std::set<std::string>& hooks_missing,
                                               const std::set<std::string>& fallback_forced)
{
    std::vector<SignalMechanism> out;
    for (const SignalHooks& signal : signal_hooks()) {
        const bool fallback = uses_fallback(signal, kind, hooks_missing, fallback_forced);
        // A fixed mechanism (iter) is not a tracepoint, and its hooks are not in the list of
        // missing ones; a fallback is always a tracepoint of the attach kind.
        const std::string_view fixed = fallback ? std::string_view() : signal.mechanism;
        SignalMechanism mechanism{std::string(signal.signal),
                                  std::string(fixed.empty() ? attach_kind_name(kind) : fixed),
                                  {},
                                  {},
                                  std::string(signal.lost)};
        for (std::string_view hook : fallback ? signal.fallback : signal.hooks) {
            mechanism.hooks.emplace_back(hook);
            if (fixed.empty() && hooks_missing.contains(std::string(hook))) {
                mechanism.mechanism = "none";
                mechanism.hooks_missing.emplace_back(hook);
            }
        }
        out.push_back(std::move(mechanism));
    }
    return out;
}

const SignalMechanism* first_unserved_required(const std::vector<SignalMechanism>& signals)
{
    for (const SignalMechanism& signal : signals)
        if (signal.required() && !signal.served())
            return &signal;
    return nullptr;
}

bool signal_served(const std::vector<SignalMechanism>& signals, std::string_view name)
{
    return std::any_of(signals.begin(), signals.end(),
                       [&](const SignalMechanism& s) { return s.signal == name && s.served(); });
}

std::span<const TracepointProgram> tracepoint_programs()
{
    static constexpr std::array<TracepointProgram, 6> table{{
        {"syscalls/sys_enter_connect", "connect_enter_tp"},
        {"syscalls/sys_exit_connect", "connect_exit_tp"},
        {"syscalls/sys_enter_bind", "bind_enter_tp"},
        {"syscalls/sys_exit_bind", "bind_exit_tp"},
        {"syscalls/sys_exit_accept", "accept_exit_tp"},
        {"syscalls/sys_exit_accept4", "accept4_exit_tp"},
    }};
    return table;
}

std::set<std::string> conn_hooks_in_use(const std::vector<SignalMechanism>& signals)
{
    std::set<std::string> hooks;
    for (const SignalMechanism& signal : signals)
        if (signal.signal != "http_data")
            hooks.insert(signal.hooks.begin(), signal.hooks.end());
    return hooks;
}

}  // namespace connscope
