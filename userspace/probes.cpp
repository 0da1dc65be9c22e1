#include "probes.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstring>
#include <random>

#include "conn.skel.h"
#include "events.h"
#include "error.h"
#include "kernel_symbols.h"
#include "net_names.h"
#include "netns_handle.h"

namespace connscope {
namespace {

// libbpf explains a failed load in its log; the last lines make the error message.
std::string libbpf_log;

int capture_libbpf_log(enum libbpf_print_level level, const char* format, va_list args)
{
    if (level == LIBBPF_DEBUG)
        return 0;
    char line[1024];
    const int n = vsnprintf(line, sizeof(line), format, args);
    libbpf_log += line;
    if (libbpf_log.size() > 16384)
        libbpf_log.erase(0, libbpf_log.size() - 16384);
    return n;
}

std::string last_log_line()
{
    std::string log = libbpf_log;
    while (!log.empty() && log.back() == '\n')
        log.pop_back();
    const auto start = log.rfind('\n');
    return start == std::string::npos ? log : log.substr(start + 1);
}

bpf_program* find_program(conn_bpf* skel, std::string_view name)
{
    return bpf_object__find_program_by_name(skel->obj, std::string(name).c_str());
}

uint64_t random_salt()
{
    std::random_device device;
    return (uint64_t(device()) << 32) | device();
}

uint64_t sum_percpu(int map_fd, uint32_t key, std::vector<uint64_t>& buffer)
{
    uint64_t total = 0;
    if (bpf_map_lookup_elem(map_fd, &key, buffer.data()) == 0)
        for (uint64_t value : buffer)
            total += value;
    return total;
}

}  // namespace

std::vector<AttachKind> attach_kinds_to_try(Mechanism requested, const Features& features)
{
    switch (requested) {
    case Mechanism::tp_btf:
        return {AttachKind::tp_btf};
    case Mechanism::raw_tp:
        return {AttachKind::raw_tp};
    case Mechanism::automatic:
        break;
    }
    std::vector<AttachKind> kinds;
    if (features.tp_btf)
        kinds.push_back(AttachKind::tp_btf);
    if (features.raw_tp)
        kinds.push_back(AttachKind::raw_tp);
    return kinds;
}

void ConnProbes::SkeletonDeleter::operator()(conn_bpf* skel) const { conn_bpf__destroy(skel); }

ConnProbes::ConnProbes(const ProbeSettings& settings, const Features& features, const Filters& filters)
{
    libbpf_set_print(capture_libbpf_log);
    const std::vector<AttachKind> kinds = attach_kinds_to_try(settings.mechanism, features);
    std::string failure = "this kernel offers neither tp_btf nor raw_tp programs";
    // The delayed-ACK timer is told from other timers by its callback, a static function.
    const std::optional<uint64_t> delack_timer = kernel_symbol("tcp_delack_timer");
    if (!delack_timer)
        throw UserError("cannot find tcp_delack_timer in /proc/kallsyms (needed to count delayed ACKs)");
    for (AttachKind kind : kinds) {
        libbpf_log.clear();
        std::unique_ptr<conn_bpf, SkeletonDeleter> skel(conn_bpf__open());
        if (!skel)
            throw UserError("cannot open the BPF object: " + std::string(strerror(errno)));
        skel->rodata->filter_netns = filters.netns;
        skel->rodata->filter_pid = filters.pid;
        skel->rodata->filter_port = filters.port;
        skel->rodata->key_salt = kind == AttachKind::raw_tp ? random_salt() : 0;
        skel->rodata->retransmit_reports_err = features.retransmit_reports_err;
        skel->rodata->delack_timer_fn = *delack_timer;
        bpf_map__set_max_entries(skel->maps.events, settings.ring_buffer_kib * 1024);
        skel->rodata->wakeup_bytes = settings.ring_buffer_kib * 1024 / 16;
        bpf_map__set_max_entries(skel->maps.conns, settings.max_connections);
        bpf_map__set_max_entries(skel->maps.detect, settings.max_connections);
        std::set<std::string> forced;
        if (settings.http_syscall_hooks)
            forced.insert("http_data");
        std::vector<SignalMechanism> signals = signal_mechanisms(kind, features.hooks_missing, forced);
        const std::set<std::string> in_use = conn_hooks_in_use(signals);
        for (const HookPrograms& hook : hook_programs()) {
            const bool used = in_use.contains(std::string(hook.hook)) &&
                              !features.hooks_missing.contains(std::string(hook.hook));
            bpf_program__set_autoload(find_program(skel.get(), hook.tp_btf_program),
                                      used && kind == AttachKind::tp_btf);
            bpf_program__set_autoload(find_program(skel.get(), hook.raw_tp_program),
                                      used && kind == AttachKind::raw_tp);
        }
        for (const TracepointProgram& tracepoint : tracepoint_programs())
            bpf_program__set_autoload(find_program(skel.get(), tracepoint.program),
                                      in_use.contains(std::string(tracepoint.hook)));
        const int err = conn_bpf__load(skel.get());
        if (err == 0) {
            skel_ = std::move(skel);
            kind_ = kind;
            signals_ = std::move(signals);
            break;
        }
        failure = std::string(attach_kind_name(kind)) + " programs did not load (" +
                  strerror(-err) + "): " + last_log_line();
    }
    if (!skel_)
        throw UserError("cannot load the connection probes: " + failure);
}

ConnProbes::~ConnProbes() = default;

void ConnProbes::attach()
{
    if (const SignalMechanism* signal = first_unserved_required(signals_))
        throw UserError("this kernel has no hook for the " + signal->signal + " signal (it lacks " +
                        signal->hooks_missing.front() + "); see connscope check");
    libbpf_log.clear();
    const int err = conn_bpf__attach(skel_.get());
    if (err)
        throw UserError("cannot attach the connection probes (" + std::string(strerror(-err)) +
                        "): " + last_log_line());
}

void ConnProbes::detach() { conn_bpf__detach(skel_.get()); }

std::vector<listen_record> ConnProbes::read_listeners(const std::string& netns_path) const
{
    std::vector<listen_record> listeners;
    int fd = -1;
    const auto create = [&] { fd = bpf_iter_create(bpf_link__fd(skel_->links.listeners)); };
    if (netns_path.empty())
        create();
    else
        NetnsHandle(netns_path).run_inside(create);
    if (fd < 0)
        throw UserError("cannot read the listening sockets: " + std::string(strerror(errno)));
    listen_record record;
    ssize_t n;
    while ((n = read(fd, &record, sizeof(record))) == sizeof(record))
        listeners.push_back(record);
    const int err = n < 0 ? errno : 0;
    close(fd);
    if (err)
        throw UserError("cannot read the listening sockets: " + std::string(strerror(err)));
    return listeners;
}

int ConnProbes::events_fd() const { return bpf_map__fd(skel_->maps.events); }

int ConnProbes::map_fd(const char* name) const
{
    const bpf_map* map = bpf_object__find_map_by_name(skel_->obj, name);
    return map ? bpf_map__fd(map) : -1;
}

uint64_t ConnProbes::key_salt() const { return skel_->rodata->key_salt; }

uint32_t ConnProbes::wakeup_bytes() const { return skel_->rodata->wakeup_bytes; }

Totals ConnProbes::read_totals() const
{
    const int cpus = libbpf_num_possible_cpus();
    std::vector<uint64_t> buffer(cpus > 0 ? cpus : 1);
    const int counters = bpf_map__fd(skel_->maps.counters);
    Totals t;
    t.connections_active = sum_percpu(counters, COUNTER_ACTIVE_OPENS, buffer);
    t.connections_passive = sum_percpu(counters, COUNTER_PASSIVE_OPENS, buffer);
    t.retransmits = sum_percpu(counters, COUNTER_RETRANS_SEGS, buffer);
    t.syn_retransmits = sum_percpu(counters, COUNTER_SYN_RETRANS, buffer);
    t.resets_sent = sum_percpu(counters, COUNTER_RESETS_SENT, buffer);
    t.resets_received = sum_percpu(counters, COUNTER_RESETS_RECEIVED, buffer);
    t.events_lost = sum_percpu(counters, COUNTER_EVENTS_LOST, buffer);
    t.fast_retransmits = sum_percpu(counters, COUNTER_RETRANS_FAST, buffer);
    t.slow_start_retransmits = sum_percpu(counters, COUNTER_RETRANS_SLOW_START, buffer);
    t.timeouts = sum_percpu(counters, COUNTER_RETRANS_TIMEOUT, buffer);
    t.loss_probes = sum_percpu(counters, COUNTER_RETRANS_LOSS_PROBE, buffer);
    t.delayed_acks = sum_percpu(counters, COUNTER_DELAYED_ACKS, buffer);
    t.delayed_acks_locked = sum_percpu(counters, COUNTER_DELAYED_ACKS_LOCKED, buffer);
    t.http_body_io_counted = sum_percpu(counters, COUNTER_HTTP_BODY_IO_COUNTED, buffer);
    const int errors = bpf_map__fd(skel_->maps.connect_errors);
    for (uint32_t err = 1; err < CONNECT_ERRNO_SLOTS; ++err)
        if (const uint64_t n = sum_percpu(errors, err, buffer))
            t.connect_errors[err == CONNECT_ERRNO_SLOTS - 1 ? "other" : errno_name(int(err))] += n;
    return t;
}

}  // namespace connscope
