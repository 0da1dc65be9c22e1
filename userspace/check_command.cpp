#include "check_command.h"

#include <sys/utsname.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <optional>

#include <fmt/format.h>

#include "error.h"
#include "preflight.h"
#include "probes.h"
#include "reader_priority.h"
#include "tracefs_mount.h"
#include "version.h"

namespace connscope {
namespace {

using json = nlohmann::ordered_json;

struct FeatureLine {
    const char* name;
    bool available;
    const char* meaning;
};

// cpu_yield is this process's privilege, not the kernel's: reader_may_yield() tells.
std::vector<FeatureLine> feature_lines(const Features& f, bool cpu_yield)
{
    return {
        {"btf", f.btf, "kernel BTF at /sys/kernel/btf/vmlinux (required)"},
        {"ringbuf", f.ringbuf, "BPF ring buffer (required)"},
        {"tp_btf", f.tp_btf, "BTF-typed raw tracepoints (preferred)"},
        {"raw_tp", f.raw_tp, "raw tracepoints (fallback)"},
        {"tracepoint", f.tracepoint, "classic tracepoints, tracefs mounted (by connscope for its run, where nothing had)"},
        {"kprobe", f.kprobe, "kprobes (optional, not used)"},
        {"fentry", f.fentry, "fentry/fexit (optional, not used)"},
        {"uprobe", f.uprobe, "uprobes"},
        {"cgroup_v2", !f.cgroup_v2_path.empty(), "cgroup v2 mounted"},
        {"sockops", f.sockops, "sock_ops programs on cgroup v2"},
        {"rdonly_cast", f.rdonly_cast, "bpf_rdonly_cast kfunc: tp_btf HTTP capture loads fields directly (cheaper)"},
        {"cpu_yield", cpu_yield,
         "the event reader may yield the CPU while it keeps up (SCHED_IDLE and back: CAP_SYS_NICE, or "
         "CAP_SYS_RESOURCE to raise RLIMIT_NICE)"},
    };
}

std::string joined(const std::vector<std::string>& names)
{
    std::string text;
    for (const std::string& name : names) {
        if (!text.empty())
            text += ", ";
        text += name;
    }
    return text;
}

std::string kernel_release()
{
    utsname name{};
    uname(&name);
    return name.release;
}

}  // namespace

int check_command(const CheckOptions& options)
{
    require_root();
    const TracefsMount tracefs;
    const Features features = probe_features();
    const bool cpu_yield = reader_may_yield();
    std::vector<SignalMechanism> signals;
    std::string load_error;
    if (!features.bpf_permitted) {
        load_error = "not permitted to load BPF programs (needs CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN)";
    } else if (features.btf && features.ringbuf) {
        try {
            signals = ConnProbes(options.probes, features, Filters{}).signals();
        } catch (const UserError& e) {
            load_error = e.what();
        }
    } else {
        load_error = "the kernel lacks BTF or the BPF ring buffer";
    }

    const SignalMechanism* unserved = first_unserved_required(signals);
    const bool ok = load_error.empty() && !unserved;

    if (options.json) {
        json out{{"version", version}, {"kernel", kernel_release()}};
        json& feats = out["features"] = json::object();
        for (const FeatureLine& line : feature_lines(features, cpu_yield))
            feats[line.name] = line.available;
        feats["cgroup_v2_path"] = features.cgroup_v2_path;
        json& sigs = out["signals"] = json::array();
        for (const SignalMechanism& s : signals)
            sigs.push_back(json{{"signal", s.signal},
                                {"mechanism", s.mechanism},
                                {"hooks", s.hooks},
                                {"required", s.required()},
                                {"hooks_missing", s.hooks_missing},
                                {"lost", s.served() ? json(nullptr) : json(s.lost)}});
        out["ok"] = ok;
        out["error"] = load_error.empty() ? json(nullptr) : json(load_error);
        std::puts(out.dump().c_str());
    } else {
        std::string text = fmt::format("connscope {} on Linux {}\n\nkernel features:\n", version, kernel_release());
        for (const FeatureLine& line : feature_lines(features, cpu_yield))
            text += fmt::format("  {:<11} {:<4} {}\n", line.name, line.available ? "yes" : "no", line.meaning);
        text += "\nsignals:\n";
        for (const SignalMechanism& s : signals) {
            text += fmt::format("  {:<18} {:<10} {}\n", s.signal, s.mechanism, joined(s.hooks));
            if (!s.served())
                text += fmt::format("  {:<18} {:<10} this kernel lacks {}: {}\n", "", "", joined(s.hooks_missing),
                                    s.required() ? "required" : "no " + s.lost);
        }
        std::fputs(text.c_str(), stdout);
    }
    if (!load_error.empty())
        throw UserError(load_error);
    if (unserved)
        throw UserError("no mechanism for the required signal " + unserved->signal + " (this kernel lacks " +
                        joined(unserved->hooks_missing) + ")");
    if (!options.json)
        std::puts("\nevery required signal has a mechanism; connscope runs on this kernel");
    return 0;
}

}  // namespace connscope
