// Serves GET /metrics from a MetricsRegistry on its own thread, for as long as it lives.
#pragma once

#include <atomic>
#include <memory>
#include <thread>

#include "listen_address.h"
#include "metrics_registry.h"

namespace httplib {
class Server;
}

namespace connscope {

class MetricsServer {
public:
    // Listens before returning; throws UserError when the address cannot be bound.
    MetricsServer(const ListenAddress& address, const MetricsRegistry& registry);
    ~MetricsServer();
    MetricsServer(const MetricsServer&) = delete;
    MetricsServer& operator=(const MetricsServer&) = delete;

private:
    std::unique_ptr<httplib::Server> server_;
    std::atomic<bool> listening_done_ = false;
    std::thread thread_;
};

}  // namespace connscope
