// Listen drops per listening socket: the kernel's per-listener drop counters (read through the
// socket iterator, listen_event.h), reported as drops since connscope started. Pure.
#pragma once

#include <linux/types.h>

#include <array>
#include <cstdint>
#include <map>
#include <span>
#include <tuple>
#include <vector>

extern "C" {
#include "listen_event.h"
}
#include "records.h"

namespace connscope {

class ListenTable {
public:
    // The listeners as connscope starts: their drops so far are not ours to report.
    void baseline(std::span<const listen_record> listeners);

    // A listen record for every listener that dropped connections since the start or has
    // connections waiting to be accepted. ts_ns is unix time.
    std::vector<Record> report(std::span<const listen_record> listeners, uint64_t ts_ns) const;

private:
    using Key = std::tuple<uint32_t, std::array<uint8_t, 16>, uint16_t>;  // netns, address, port
    static Key key_of(const listen_record& l);
    std::map<Key, uint32_t> drops_at_start_;
};

}  // namespace connscope
