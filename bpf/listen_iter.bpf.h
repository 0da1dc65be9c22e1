/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Listening sockets, read on demand through a TCP socket iterator. No tracepoint fires when
 * tcp_conn_request() drops a SYN because the accept queue is full (the SYN is consumed, not
 * freed with a drop reason), but every listen drop is counted in the listener's sk_drops by
 * tcp_listendrop(): reading it per listener gives the drops per listening port. Included at
 * the end of conn.bpf.c, whose filters it shares. */
#ifndef CONNSCOPE_LISTEN_ITER_BPF_H
#define CONNSCOPE_LISTEN_ITER_BPF_H

#include "listen_event.h"

SEC("iter/tcp")
int listeners(struct bpf_iter__tcp *ctx)
{
	struct sock_common *skc = ctx->sk_common;
	struct listen_record r = {};
	struct flow flow = {};
	struct sock *sk;

	if (!skc || BPF_CORE_READ(skc, skc_state) != TCP_LISTEN)
		return 0;
	flow_from_sock_common(&flow, skc);
	if (!flow_wanted(&flow))
		return 0;
	sk = (struct sock *)skc;
	__builtin_memcpy(r.addr, flow.saddr, sizeof(r.addr));
	r.netns = flow.netns;
	r.family = flow.family;
	r.port = flow.sport;
	r.drops = BPF_CORE_READ(sk, sk_drops.counter);
	r.accept_queue = BPF_CORE_READ(sk, sk_ack_backlog);
	r.accept_queue_max = BPF_CORE_READ(sk, sk_max_ack_backlog);
	r.syn_queue = BPF_CORE_READ((struct inet_connection_sock *)sk, icsk_accept_queue.qlen.counter);
	bpf_seq_write(ctx->meta->seq, &r, sizeof(r));
	return 0;
}

#endif /* CONNSCOPE_LISTEN_ITER_BPF_H */
