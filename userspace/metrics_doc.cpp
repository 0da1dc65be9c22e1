#include "metrics_doc.h"

#include <fmt/format.h>

#include "metrics_registry.h"
#include "metrics_table.h"

namespace connscope {
namespace {

std::string code_list(const std::vector<std::string_view>& names)
{
    std::string text;
    for (std::string_view name : names)
        text += fmt::format("{}`{}`", text.empty() ? "" : ", ", name);
    return text.empty() ? "none" : text;
}

std::string bucket_list(const std::vector<double>& buckets)
{
    std::string text;
    for (double bound : buckets)
        text += fmt::format("{}{}", text.empty() ? "" : ", ", bound);
    return text;
}

}  // namespace

std::string metrics_reference_markdown()
{
    std::string text = R"(# connscope metrics (Prometheus)

<!-- Generated from userspace/metrics_table.cpp by `connscope metrics-doc --out docs/metrics.md`;
     a unit test fails when this file and the table differ. Do not edit by hand. -->

`connscope run --metrics-addr HOST:PORT` serves these at `http://HOST:PORT/metrics` in the
Prometheus text format (0.0.4). `--metrics-addr 9917` or `:9917` listens on 127.0.0.1 only.
Counters from *kernel totals* are counted in the kernel with the same filters as the records
(`--netns`, `--pid`, `--port`), so they are exact even when events are lost; counters from
*conn records* grow when a connection's record is written (when it closes).

## Metrics

| metric | type | labels | meaning | source |
|---|---|---|---|---|
)";
    for (const MetricSpec& spec : metric_table())
        text += fmt::format("| `{}` | {} | {} | {} | {} |\n", spec.name, metric_type_name(spec.type), code_list(spec.labels),
                            spec.help, spec.source);
    text += "\nHistogram buckets (upper bounds, in seconds):\n\n";
    for (const MetricSpec& spec : metric_table())
        if (spec.type == MetricType::histogram)
            text += fmt::format("- `{}`: {}\n", spec.name, bucket_list(spec.buckets));
    text += R"(
## Labels

Every series also carries the `instance` and `job` labels that Prometheus adds when it scrapes.

| label | values |
|---|---|
)";
    for (const LabelSpec& label : label_table())
        text += fmt::format("| `{}` | {} |\n", label.name, label.meaning);
    const LabelLimits defaults;
    text += fmt::format(R"(
## Cardinality

`peer`, `process` and `port` are the only labels whose values come from the traffic (`netns` has one
value per network namespace connscope reads: the host's containers, not their traffic). Each is bounded:
at most `--max-peers` (default {}) peers, as many listening ports, and `--max-processes` (default {}) process
names have series of their own; connections of any other are counted under `other`. A value keeps
its series while it is active, because a counter's series must never move from one label value
to another (Prometheus would read a reset on one and a jump on the other). A value idle for
{} minutes gives its place, and its series, up to the next new value, so the values with
series of their own are the recently active ones.
)",
                        defaults.max_peers, defaults.max_processes, label_idle_ns / 60'000'000'000);
    return text;
}

}  // namespace connscope
