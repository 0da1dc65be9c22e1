#include "kernel_features.h"

#include "attach_plan.h"
#include "tracefs_mount.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <memory>
#include <sstream>

namespace connscope {
namespace {

using BtfPtr = std::unique_ptr<btf, decltype(&btf__free)>;

// Loads "r0 = 0; exit" as a program of the given kind: 0 when the kernel accepts it, else errno.
int program_load_error(bpf_prog_type type, bpf_attach_type attach = bpf_attach_type(0),
                       uint32_t attach_btf_id = 0)
{
    const bpf_insn insns[] = {
        {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .src_reg = 0, .off = 0, .imm = 0},
        {.code = BPF_JMP | BPF_EXIT, .dst_reg = 0, .src_reg = 0, .off = 0, .imm = 0},
    };
    LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = attach, .attach_btf_id = attach_btf_id);
    const int fd = bpf_prog_load(type, nullptr, "GPL", insns, 2, &opts);
    if (fd < 0)
        return errno;
    close(fd);
    return 0;
}

bool program_loads(bpf_prog_type type, bpf_attach_type attach, uint32_t attach_btf_id)
{
    return program_load_error(type, attach, attach_btf_id) == 0;
}

bool path_exists(const char* path) { return access(path, F_OK) == 0; }

std::string cgroup2_mount()
{
    std::ifstream mounts("/proc/mounts");
    std::string line;
    while (std::getline(mounts, line)) {
        std::istringstream fields(line);
        std::string source, target, fstype;
        fields >> source >> target >> fstype;
        if (fstype == "cgroup2")
            return target;
    }
    return {};
}

int btf_id(const btf* vmlinux, const char* name, uint32_t kind)
{
    return vmlinux ? btf__find_by_name_kind(vmlinux, name, kind) : -1;
}

// The typedef btf_trace_X points at a prototype whose first parameter is the context.
int tracepoint_arguments(const btf* vmlinux, const char* typedef_name)
{
    const int id = btf_id(vmlinux, typedef_name, BTF_KIND_TYPEDEF);
    if (id < 0)
        return -1;
    const btf_type* type = btf__type_by_id(vmlinux, btf__resolve_type(vmlinux, id));
    if (!type || !btf_is_ptr(type))
        return -1;
    const btf_type* proto = btf__type_by_id(vmlinux, type->type);
    return proto && btf_is_func_proto(proto) ? btf_vlen(proto) - 1 : -1;
}

}  // namespace

Features probe_features()
{
    Features f;
    BtfPtr vmlinux(btf__load_vmlinux_btf(), &btf__free);
    f.btf = vmlinux != nullptr;
    // Without the capabilities every probe below fails as if the kernel lacked the feature.
    f.bpf_permitted = program_load_error(BPF_PROG_TYPE_RAW_TRACEPOINT) != EPERM;
    f.ringbuf = libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, nullptr) == 1;
    f.raw_tp = libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_RAW_TRACEPOINT, nullptr) == 1;
    const int state_tp = btf_id(vmlinux.get(), "btf_trace_inet_sock_set_state", BTF_KIND_TYPEDEF);
    f.tp_btf = state_tp > 0 && program_loads(BPF_PROG_TYPE_TRACING, BPF_TRACE_RAW_TP, state_tp);
    const int connect_fn = btf_id(vmlinux.get(), "tcp_connect", BTF_KIND_FUNC);
    f.fentry = connect_fn > 0 && program_loads(BPF_PROG_TYPE_TRACING, BPF_TRACE_FENTRY, connect_fn);
    const std::string events = tracefs_events();
    f.tracepoint = !events.empty() && libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_TRACEPOINT, nullptr) == 1;
    const bool kprobe_type = libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_KPROBE, nullptr) == 1;
    f.kprobe = kprobe_type && path_exists("/sys/bus/event_source/devices/kprobe");
    f.uprobe = kprobe_type && path_exists("/sys/bus/event_source/devices/uprobe");
    f.cgroup_v2_path = cgroup2_mount();
    f.sockops = !f.cgroup_v2_path.empty() && libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_SOCK_OPS, nullptr) == 1;
    f.retransmit_reports_err = tracepoint_arguments(vmlinux.get(), "btf_trace_tcp_retransmit_skb") >= 3;
    f.rdonly_cast = btf_id(vmlinux.get(), "bpf_rdonly_cast", BTF_KIND_FUNC) > 0;
    // A raw tracepoint's prototype is the typedef btf_trace_<hook>; a per-syscall tracepoint
    // is there when tracefs lists it (CONFIG_FTRACE_SYSCALLS). An iterator's hooks are not
    // tracepoints.
    auto note_missing = [&](const std::vector<std::string_view>& hooks, bool classic) {
        for (std::string_view hook : hooks) {
            const bool present =
                classic ? f.tracepoint && path_exists((events + "/" + std::string(hook) + "/id").c_str())
                        : btf_id(vmlinux.get(), ("btf_trace_" + std::string(hook)).c_str(), BTF_KIND_TYPEDEF) >= 0;
            if (!present)
                f.hooks_missing.emplace(hook);
        }
    };
    for (const SignalHooks& signal : signal_hooks()) {
        if (signal.mechanism.empty() || signal.mechanism == "tracepoint")
            note_missing(signal.hooks, signal.mechanism == "tracepoint");
        note_missing(signal.fallback, false);
    }
    return f;
}

}  // namespace connscope
