#include "generate_command.h"

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "dashboards.h"
#include "error.h"
#include "metrics_doc.h"

namespace connscope {
namespace {

void write_file(const std::filesystem::path& path, const std::string& text)
{
    std::ofstream file(path, std::ios::binary | std::ios::trunc);
    file << text;
    file.close();
    if (!file)
        throw UserError("cannot write " + path.string());
}

}  // namespace

int dashboards_command(const DashboardsCommand& command)
{
    const std::filesystem::path dir(command.out_dir);
    std::error_code error;
    std::filesystem::create_directories(dir, error);
    if (error)
        throw UserError("cannot create " + dir.string() + ": " + error.message());
    for (const GeneratedFile& file : grafana_dashboards()) {
        write_file(dir / file.name, file.text);
        std::printf("%s\n", (dir / file.name).c_str());
    }
    return 0;
}

int metrics_doc_command(const MetricsDocCommand& command)
{
    const std::string text = metrics_reference_markdown();
    if (command.out_file.empty())
        std::fputs(text.c_str(), stdout);
    else
        write_file(command.out_file, text);
    return 0;
}

}  // namespace connscope
