#include "port_text.h"

#include <fmt/format.h>

#include <cmath>

namespace connscope {
namespace {

constexpr int bar_width = 20;

// "[########------------]  40%"
std::string bar(double fraction)
{
    const int filled = std::clamp(int(std::lround(fraction * bar_width)), 0, bar_width);
    return fmt::format("[{}{}] {:>3.0f}%", std::string(filled, '#'), std::string(bar_width - filled, '-'),
                       fraction * 100);
}

std::string host_port(const std::string& address, uint16_t port)
{
    const bool v6 = address.find(':') != std::string::npos;
    return (v6 ? "[" + address + "]" : address) + ":" + std::to_string(port);
}

std::string timewait_text(const TimeWaitRecord& r)
{
    std::string text = fmt::format(
        "── TIME_WAIT in netns {}: {} ({} client side, {} server side), entering {:.1f}/s "
        "(closed first: {} client, {} server) ──\n",
        r.netns, r.total, r.client_side, r.server_side, r.entering_per_s, r.entered_client, r.entered_server);
    for (const AddressCount& d : r.by_destination) {
        if (d.holder == TimeWaitHolder::server)
            text += fmt::format("  from {:<38} {:>8}\n", d.address, d.count);
        else
            text += fmt::format("  to {:<40} {:>8}\n", host_port(d.address, d.port), d.count);
    }
    return text;
}

std::string ports_text(const PortsRecord& r)
{
    std::string text = fmt::format("── source ports in netns {}: range {}-{}, {} usable, tcp_tw_reuse={} ──\n",
                                   r.netns, r.range_low, r.range_high, r.pool, r.tw_reuse);
    for (const PortDestination& d : r.destinations) {
        const std::string exhaustion =
            d.exhaustion_in_s ? fmt::format("full in {:.0f}s", *d.exhaustion_in_s) : std::string("not filling");
        text += fmt::format("  {:>15} → {:<28} {} {:>6} used {:>6} free {:>5} TW reusable {:>8.1f} opens/s  {}{}\n",
                            d.local_address, host_port(d.remote_address, d.remote_port), bar(d.utilization),
                            d.in_use, d.available, d.reusable, d.opens_per_s, exhaustion,
                            d.shared_pool ? "  SHARED POOL (bind before connect)" : "");
    }
    return text;
}

std::string port_warning_text(const PortWarningRecord& r)
{
    return fmt::format("!! source ports to {} from {} {:.0f}% used ({} used, {} free{}) in netns {}\n",
                       host_port(r.remote_address, r.remote_port), r.local_address, r.utilization * 100,
                       r.in_use, r.available, r.shared_pool ? ", pool shared by bind before connect" : "",
                       r.netns);
}

}  // namespace

std::string port_record_text(const Record& record)
{
    if (const auto* r = std::get_if<TimeWaitRecord>(&record))
        return timewait_text(*r);
    if (const auto* r = std::get_if<PortsRecord>(&record))
        return ports_text(*r);
    if (const auto* r = std::get_if<PortWarningRecord>(&record))
        return port_warning_text(*r);
    return {};
}

}  // namespace connscope
