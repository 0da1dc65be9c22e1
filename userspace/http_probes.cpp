#include "http_probes.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <cstring>
#include <string>

#include "error.h"
#include "http.skel.h"

namespace connscope
{

void HttpProbes::SkeletonDeleter::operator()(http_bpf* skel) const
{
    http_bpf__destroy(skel);
}

HttpProbes::HttpProbes(const ConnProbes& conn, const Features& features, const HttpOptions& options,
                       const Filters& filters)
{
    skel_.reset(http_bpf__open());
    if (!skel_)
        throw UserError("cannot open the HTTP BPF object: " + std::string(strerror(errno)));
    skel_->rodata->filter_netns = filters.netns;
    skel_->rodata->filter_pid = filters.pid;
    skel_->rodata->filter_port = filters.port;
    skel_->rodata->capture_bytes = options.capture_bytes;
    skel_->rodata->sample_every = options.sample_every;
    skel_->rodata->key_salt = conn.key_salt();
    skel_->rodata->wakeup_bytes = conn.wakeup_bytes();
    // Every map both objects declare (maps.bpf.h) is the connection probes' own.
    bpf_map* map;
    bpf_object__for_each_map(map, skel_->obj)
    {
        const int fd = conn.map_fd(bpf_map__name(map));
        if (fd >= 0 && bpf_map__reuse_fd(map, fd))
            throw UserError("cannot share the map " + std::string(bpf_map__name(map)) +
                            " with the HTTP probes");
    }
    const bool socket = http_on_socket_hooks(conn.signals());
    const bool btf = conn.kind() == AttachKind::tp_btf && !socket;
    const bool direct = btf && features.rdonly_cast;
    bpf_map__set_autocreate(skel_->maps.http_send_start, socket);
    bpf_map__set_autocreate(skel_->maps.http_bodies, socket);
    bpf_program__set_autoload(skel_->progs.http_body_flush, socket);
    bpf_program__set_autoload(skel_->progs.http_send_begin, socket);
    bpf_program__set_autoload(skel_->progs.http_sent, socket);
    bpf_program__set_autoload(skel_->progs.http_received, socket);
    bpf_map__set_autocreate(skel_->maps.http_task_args, direct);
    bpf_map__set_autocreate(skel_->maps.http_args, !socket && !direct);
    bpf_program__set_autoload(skel_->progs.http_enter_direct, direct);
    bpf_program__set_autoload(skel_->progs.http_exit_direct, direct);
    bpf_program__set_autoload(skel_->progs.http_enter_btf, btf && !direct);
    bpf_program__set_autoload(skel_->progs.http_exit_btf, btf && !direct);
    bpf_program__set_autoload(skel_->progs.http_enter_raw, !btf && !socket);
    bpf_program__set_autoload(skel_->progs.http_exit_raw, !btf && !socket);
    if (const int err = http_bpf__load(skel_.get()))
        throw UserError("cannot load the HTTP probes (" + std::string(strerror(-err)) +
                        "); --no-http runs without them");
}

HttpProbes::~HttpProbes() = default;

void HttpProbes::attach()
{
    if (const int err = http_bpf__attach(skel_.get()))
        throw UserError("cannot attach the HTTP probes (" + std::string(strerror(-err)) + ")");
}

void HttpProbes::detach()
{
    http_bpf__detach(skel_.get());
}

void HttpProbes::stop_capture(std::span<const uint32_t> inodes)
{
    const int fd = bpf_map__fd(skel_->maps.http_skip);
    const uint8_t yes = 1;
    for (uint32_t inode : inodes)
        bpf_map_update_elem(fd, &inode, &yes, BPF_ANY);
}

} // namespace connscope
