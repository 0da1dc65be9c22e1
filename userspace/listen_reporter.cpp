#include "listen_reporter.h"

#include <cstdio>

#include "error.h"

namespace connscope {

ListenReporter::ListenReporter(const ConnProbes& probes, std::string netns_path)
    : probes_(probes), netns_path_(std::move(netns_path))
{
    table_.baseline(read());
    counters_at_start_ = read_listen_counters(netns_path_);
}

std::vector<listen_record> ListenReporter::read()
{
    if (!readable_)
        return {};
    try {
        return probes_.read_listeners(netns_path_);
    } catch (const UserError& e) {
        readable_ = false;
        std::fprintf(stderr, "connscope: %s: no listen records\n", e.what());
        return {};
    }
}

std::vector<Record> ListenReporter::report(const std::vector<listen_record>& listening, uint64_t ts_ns) const
{
    return table_.report(listening, ts_ns);
}

void ListenReporter::fill(SummaryRecord& summary) const
{
    const std::optional<ListenCounters> now = read_listen_counters(netns_path_);
    if (!counters_at_start_ || !now)
        return;
    summary.listen_overflows = now->overflows - counters_at_start_->overflows;
    summary.listen_drops = now->drops - counters_at_start_->drops;
}

}  // namespace connscope
