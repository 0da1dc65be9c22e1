#include "detectors/listen_table.h"

#include <algorithm>

#include "net_names.h"

namespace connscope {

ListenTable::Key ListenTable::key_of(const listen_record& l)
{
    std::array<uint8_t, 16> address{};
    std::copy(std::begin(l.addr), std::end(l.addr), address.begin());
    return {l.netns, address, l.port};
}

void ListenTable::baseline(std::span<const listen_record> listeners)
{
    for (const listen_record& l : listeners)
        drops_at_start_[key_of(l)] = l.drops;
}

std::vector<Record> ListenTable::report(std::span<const listen_record> listeners, uint64_t ts_ns) const
{
    std::vector<Record> out;
    for (const listen_record& l : listeners) {
        auto start = drops_at_start_.find(key_of(l));
        // A listener opened after the start dropped all it counts since.
        const uint32_t before = start == drops_at_start_.end() ? 0 : start->second;
        const uint32_t drops = l.drops - std::min(l.drops, before);
        if (drops == 0 && l.accept_queue == 0 && l.syn_queue == 0)
            continue;
        ListenRecord r;
        r.ts_ns = ts_ns;
        r.netns = l.netns;
        r.family = l.family;
        r.local = {address_text(l.family, l.addr), l.port};
        r.accept_queue = l.accept_queue;
        r.accept_queue_max = l.accept_queue_max;
        r.syn_queue = l.syn_queue;
        r.drops = drops;
        out.push_back(std::move(r));
    }
    return out;
}

}  // namespace connscope
