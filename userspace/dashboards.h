// The metrics table → Grafana dashboards (JSON models ready for import). Pure.
#pragma once

#include <string>
#include <vector>

namespace connscope {

struct GeneratedFile {
    std::string name;  // file name, no directory
    std::string text;
};

std::vector<GeneratedFile> grafana_dashboards();

}  // namespace connscope
