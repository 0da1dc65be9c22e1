// What the running kernel offers, learned by loading tiny programs, not by version numbers.
#pragma once

#include <set>
#include <string>

namespace connscope {

struct Features {
    bool btf = false;             // /sys/kernel/btf/vmlinux loads
    bool bpf_permitted = false;   // this process may load tracing programs (CAP_BPF + CAP_PERFMON)
    bool ringbuf = false;         // BPF_MAP_TYPE_RINGBUF (5.8)
    bool tp_btf = false;          // BTF-typed raw tracepoints (5.5)
    bool raw_tp = false;          // raw tracepoints (4.17)
    bool tracepoint = false;      // classic tracepoints: program type and a mounted tracefs
    bool kprobe = false;          // kprobe programs and the kprobe PMU (CONFIG_KPROBES)
    bool fentry = false;          // fentry/fexit trampolines (5.5)
    bool uprobe = false;          // uprobe PMU
    bool sockops = false;         // BPF_PROG_TYPE_SOCK_OPS, needs cgroup v2
    std::string cgroup_v2_path;   // where cgroup2 is mounted, empty when it is not
    bool retransmit_reports_err = false;  // tcp_retransmit_skb has its err argument (6.18)
    bool rdonly_cast = false;             // the bpf_rdonly_cast kfunc: direct loads in tp_btf (6.2)
    std::set<std::string> hooks_missing;  // hooks of the attach plan this kernel lacks
};

Features probe_features();

}  // namespace connscope
