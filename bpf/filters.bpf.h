/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The filters and totals every probe family applies the same way. */
#ifndef CONNSCOPE_FILTERS_BPF_H
#define CONNSCOPE_FILTERS_BPF_H

#include "maps.bpf.h"

/* Filters, 0 = off; set through skel->rodata before load. */
const volatile __u32 filter_netns = 0;
const volatile __u32 filter_pid = 0;
const volatile __u16 filter_port = 0;

static __always_inline void count(__u32 index, __s64 delta)
{
	__u64 *value = bpf_map_lookup_elem(&counters, &index);

	if (value)
		*value += delta;
}

/* --pid, for work done in the process itself (its syscalls). */
static __always_inline bool current_pid_wanted(void)
{
	return !filter_pid || (bpf_get_current_pid_tgid() >> 32) == filter_pid;
}

static __always_inline bool flow_wanted(const struct flow *flow)
{
	if (filter_netns && flow->netns != filter_netns)
		return false;
	if (filter_port && flow->sport != filter_port && flow->dport != filter_port)
		return false;
	return true;
}

#endif /* CONNSCOPE_FILTERS_BPF_H */
