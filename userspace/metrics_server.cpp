#include "metrics_server.h"

#include <httplib.h>

#include "error.h"

namespace connscope {

MetricsServer::MetricsServer(const ListenAddress& address, const MetricsRegistry& registry)
    : server_(std::make_unique<httplib::Server>())
{
    server_->Get("/metrics", [&registry](const httplib::Request&, httplib::Response& response) {
        response.set_content(registry.exposition(), "text/plain; version=0.0.4; charset=utf-8");
    });
    server_->Get("/", [](const httplib::Request&, httplib::Response& response) {
        response.set_content("connscope: metrics at /metrics\n", "text/plain");
    });
    if (!server_->bind_to_port(address.host, address.port))
        throw UserError("--metrics-addr: cannot listen on " + address.host + ":" + std::to_string(address.port) +
                        " (address in use, or not an address of this host)");
    thread_ = std::thread([this] {
        server_->listen_after_bind();
        listening_done_ = true;
    });
}

MetricsServer::~MetricsServer()
{
    // stop() does nothing to a server that has not started listening yet.
    while (!server_->is_running() && !listening_done_)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    server_->stop();
    thread_.join();
}

}  // namespace connscope
