/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Every map of the connection probes, in one place. Sizes are settings: user space
 * resizes them with bpf_map__set_max_entries() between open and load. */
#ifndef CONNSCOPE_MAPS_BPF_H
#define CONNSCOPE_MAPS_BPF_H

#include "conn_event.h"
#include "tcp_detect_event.h"

/* Events to user space. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20);
} events SEC(".maps");

/* Set through skel->rodata before load: a fraction of the ring buffer's size. */
const volatile __u32 wakeup_bytes = 1 << 20;

/* Flags for every event put in the ring: user space is woken only once a batch has built up.
 * A wakeup per event cost each traced syscall an irq_work and connscope a context switch;
 * user space polls with a short timeout, so a trickle of events is read within it. */
static __always_inline __u64 wakeup_flags(void)
{
	return bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wakeup_bytes ? BPF_RB_FORCE_WAKEUP
									     : BPF_RB_NO_WAKEUP;
}

/* Every event's type, CPU and time, which user space decodes and orders it by. */
static __always_inline void stamp_header(struct event_header *hdr, __u32 type)
{
	hdr->type = type;
	hdr->cpu = bpf_get_smp_processor_id();
	hdr->ts_ns = bpf_ktime_get_ns();
}

/* Totals by enum counter_index, per CPU so the hot path never contends. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, COUNTER_MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

/* connect() failures by errno, including asynchronous ones. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, CONNECT_ERRNO_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} connect_errors SEC(".maps");

/* What the kernel remembers of each connection it has seen open, by socket key.
 * LRU: a connection whose close was missed is evicted rather than leaking. */
struct conn_info {
	__u64 start_ns;
	struct owner owner;
	__u32 flags; /* enum state_flags */
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, struct conn_info);
} conns SEC(".maps");

/* Arguments of a connect() or bind() in progress, by pid_tgid, until the syscall returns. */
struct connect_args {
	__s32 fd;
	__u32 addrlen;
	__u8 addr[28]; /* struct sockaddr_in6 is the largest we read */
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, __u64);
	__type(value, struct connect_args);
} connects SEC(".maps");

/* What the detectors (tcp_detect.bpf.h) remember of each socket that received data or held
 * a send back, by socket key. LRU: closed sockets age out. */
enum detect_flags {
	DETECT_NODELAY = 1, /* TCP_NODELAY was on when the held send was seen */
};

struct detect_state {
	__u64 last_data_ns; /* the peer's last data segment */
	__u64 delayed_ack_ns; /* a delayed ACK not yet followed by data; 0 when none */
	__u64 held_ns; /* a small send left unsent behind data in flight; 0 when none */
	__u32 held_snd_nxt; /* snd_nxt then: the held data has gone once snd_nxt moves */
	__u32 flags; /* enum detect_flags */
	__u32 restart_lsndtime; /* lsndtime of the idle period last reported as a restart */
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, struct detect_state);
} detect SEC(".maps");

#endif /* CONNSCOPE_MAPS_BPF_H */
