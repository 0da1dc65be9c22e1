#include "dashboards.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <stdexcept>

#include "metrics_table.h"

namespace connscope {
namespace {

using json = nlohmann::ordered_json;

struct DashboardInfo {
    Dashboard id;
    std::string_view slug;
    std::string_view title;
    std::string_view description;
};

const std::array<DashboardInfo, 5> dashboard_infos{{
    {Dashboard::overview, "overview", "Overview", "connscope at a glance: connections, errors, retransmits, resets"},
    {Dashboard::handshakes, "handshakes-connections", "Handshakes and connections",
     "Connections opened and closed, handshake times, connect() errors"},
    {Dashboard::stalls, "stalls-retransmits", "Stalls and retransmits",
     "Retransmitted segments by kind, resets, delayed ACKs and the stalls they cause, TCP findings, CLOSE_WAIT"},
    {Dashboard::time_wait, "time-wait-ports", "TIME_WAIT and ports",
     "TIME_WAIT sockets and source-port headroom per destination"},
    {Dashboard::http, "http", "HTTP", "HTTP/1.x requests by method and status class, time to first byte, duration"},
}};

// Label values the dashboards' variables choose; a panel filters on those its metric has.
constexpr std::array<std::string_view, 2> variable_labels{"peer", "process"};
constexpr std::array<double, 3> quantiles{0.5, 0.9, 0.99};
constexpr int panel_width = 12;
constexpr int panel_height = 8;

const json datasource{{"type", "prometheus"}, {"uid", "${DS_PROMETHEUS}"}};

bool has_label(const MetricSpec& spec, std::string_view label)
{
    return std::find(spec.labels.begin(), spec.labels.end(), label) != spec.labels.end();
}

std::string selector(const MetricSpec& spec)
{
    std::string text = "instance=~\"$instance\"";
    for (std::string_view label : variable_labels)
        if (has_label(spec, label))
            text += fmt::format(",{}=~\"${}\"", label, label);
    return "{" + text + "}";
}

// The labels a panel keeps apart: all but the bounded ones, which the variables select.
std::vector<std::string_view> split_labels(const MetricSpec& spec)
{
    std::vector<std::string_view> kept;
    for (std::string_view label : spec.labels)
        if (std::find(variable_labels.begin(), variable_labels.end(), label) == variable_labels.end())
            kept.push_back(label);
    return kept;
}

std::string joined(const std::vector<std::string_view>& labels, std::string_view separator)
{
    std::string text;
    for (std::string_view label : labels) {
        if (!text.empty())
            text += separator;
        text += label;
    }
    return text;
}

std::string legend(const std::vector<std::string_view>& labels, std::string_view fallback)
{
    std::string text;
    for (std::string_view label : labels)
        text += fmt::format("{}{{{{{}}}}}", text.empty() ? "" : " ", label);
    return text.empty() ? std::string(fallback) : text;
}

std::string quantile_legend(double q, const std::vector<std::string_view>& by)
{
    const std::string name = fmt::format("p{}", q * 100);
    return by.empty() ? name : name + " " + legend(by, "");
}

// A ratio's series are not parts of one whole: the panel draws the worst of them.
bool is_ratio(const MetricSpec& spec) { return spec.type == MetricType::gauge && spec.name.ends_with("_ratio"); }

struct Target {
    std::string expr;
    std::string legend;
};

std::vector<Target> targets(const MetricSpec& spec, const std::vector<std::string_view>& by)
{
    const std::string sel = selector(spec);
    const std::string by_clause = by.empty() ? "" : fmt::format(" by ({})", joined(by, ", "));
    switch (spec.type) {
    case MetricType::counter:
        return {{fmt::format("sum{} (rate({}{}[$__rate_interval]))", by_clause, spec.name, sel),
                 legend(by, spec.title)}};
    case MetricType::gauge:
        return {{fmt::format("{}{} ({}{})", is_ratio(spec) ? "max" : "sum", by_clause, spec.name, sel),
                 legend(by, spec.title)}};
    case MetricType::histogram: {
        std::vector<std::string_view> by_le = by;
        by_le.push_back("le");
        std::vector<Target> result;
        for (double q : quantiles)
            result.push_back({fmt::format("histogram_quantile({}, sum by ({}) (rate({}_bucket{}[$__rate_interval])))",
                                          q, joined(by_le, ", "), spec.name, sel),
                              quantile_legend(q, by)});
        return result;
    }
    }
    return {};
}

std::string_view unit(const MetricSpec& spec)
{
    switch (spec.type) {
    case MetricType::counter:
        return "ops";
    case MetricType::gauge:
        return is_ratio(spec) ? "percentunit" : "short";
    case MetricType::histogram:
        return "s";
    }
    return "short";
}

json panel(int id, std::string title, std::string description, std::string_view unit_name,
           const std::vector<Target>& panel_targets)
{
    json target_list = json::array();
    char ref = 'A';
    for (const Target& t : panel_targets)
        target_list.push_back({{"datasource", datasource},
                               {"expr", t.expr},
                               {"legendFormat", t.legend},
                               {"refId", std::string(1, ref++)}});
    const int index = id - 1;
    return json{
        {"id", id},
        {"type", "timeseries"},
        {"title", title},
        {"description", description},
        {"datasource", datasource},
        {"gridPos", {{"h", panel_height}, {"w", panel_width}, {"x", (index % 2) * panel_width}, {"y", (index / 2) * panel_height}}},
        {"fieldConfig", {{"defaults", {{"unit", unit_name}}}, {"overrides", json::array()}}},
        {"options", {{"legend", {{"displayMode", "list"}, {"placement", "bottom"}}}, {"tooltip", {{"mode", "multi"}}}}},
        {"targets", target_list},
    };
}

std::vector<json> metric_panels(const MetricSpec& spec, bool with_peer_panel, int& next_id)
{
    std::vector<json> panels;
    const std::string description = fmt::format("{} ({}, from {})", spec.help, spec.name, spec.source);
    panels.push_back(panel(next_id++, std::string(spec.title), description, unit(spec), targets(spec, split_labels(spec))));
    if (with_peer_panel && has_label(spec, "peer")) {
        std::vector<Target> by_peer = targets(spec, {"peer"});
        if (spec.type == MetricType::histogram)
            by_peer = {by_peer[1]};  // p90 per peer
        panels.push_back(panel(next_id++, fmt::format("{} by peer", spec.title), description, unit(spec), by_peer));
    }
    return panels;
}

// Every series carries instance; build_info is the one every connscope exports.
const MetricSpec& first_with_label(std::string_view label)
{
    if (label == "instance")
        return metric_spec(MetricId::build_info);
    for (const MetricSpec& spec : metric_table())
        if (has_label(spec, label))
            return spec;
    throw std::logic_error(fmt::format("no metric has the label {}", label));
}

json variable(std::string_view name, std::string_view label_text)
{
    const MetricSpec& spec = first_with_label(name);
    const std::string filter = name == "instance" ? "" : "{instance=~\"$instance\"}";
    const std::string query = fmt::format("label_values({}{}, {})", spec.name, filter, name);
    return json{{"name", name},
                {"label", label_text},
                {"type", "query"},
                {"datasource", datasource},
                {"definition", query},
                {"query", {{"query", query}, {"refId", name}}},
                {"includeAll", true},
                {"multi", true},
                {"allValue", ".*"},
                {"current", json::object()},
                {"options", json::array()},
                {"refresh", 2},
                {"regex", ""},
                {"sort", 1},
                {"hide", 0}};
}

json dashboard(const DashboardInfo& info)
{
    json panels = json::array();
    int next_id = 1;
    for (const MetricSpec& spec : metric_table()) {
        const bool here = info.id == Dashboard::overview ? spec.on_overview || spec.dashboard == Dashboard::overview
                                                         : spec.dashboard == info.id;
        if (!here)
            continue;
        for (json& p : metric_panels(spec, info.id != Dashboard::overview, next_id))
            panels.push_back(std::move(p));
    }
    if (panels.empty())
        throw std::logic_error(fmt::format("no metric of the table is drawn on the {} dashboard", info.slug));
    return json{
        {"__inputs",
         {{{"name", "DS_PROMETHEUS"},
           {"label", "Prometheus"},
           {"description", "The Prometheus that scrapes connscope's --metrics-addr"},
           {"type", "datasource"},
           {"pluginId", "prometheus"},
           {"pluginName", "Prometheus"}}}},
        {"__requires",
         {{{"type", "grafana"}, {"id", "grafana"}, {"name", "Grafana"}, {"version", "9.0.0"}},
          {{"type", "datasource"}, {"id", "prometheus"}, {"name", "Prometheus"}, {"version", "1.0.0"}},
          {{"type", "panel"}, {"id", "timeseries"}, {"name", "Time series"}, {"version", ""}}}},
        {"annotations", {{"list", json::array()}}},
        {"description", info.description},
        {"editable", true},
        {"graphTooltip", 1},
        {"links", json::array()},
        {"panels", panels},
        {"refresh", "30s"},
        {"schemaVersion", 36},
        {"tags", {"connscope"}},
        {"templating",
         {{"list", {variable("instance", "Instance"), variable("peer", "Peer"), variable("process", "Process")}}}},
        {"time", {{"from", "now-1h"}, {"to", "now"}}},
        {"timepicker", json::object()},
        {"timezone", ""},
        {"title", fmt::format("connscope / {}", info.title)},
        {"uid", fmt::format("connscope-{}", info.slug)},
        {"version", 1},
    };
}

}  // namespace

std::vector<GeneratedFile> grafana_dashboards()
{
    std::vector<GeneratedFile> files;
    for (const DashboardInfo& info : dashboard_infos)
        files.push_back({fmt::format("connscope-{}.json", info.slug), dashboard(info).dump(2) + "\n"});
    return files;
}

}  // namespace connscope
