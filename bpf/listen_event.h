/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The listening-socket family: what listen_iter.bpf.h writes, one record per listener, each
 * time user space reads the iterator. */
#ifndef CONNSCOPE_LISTEN_EVENT_H
#define CONNSCOPE_LISTEN_EVENT_H

struct listen_record {
	__u8 addr[16]; /* an IPv4 address sits in the first 4 (family AF_INET) */
	__u32 netns;
	__u16 family;
	__u16 port;
	__u32 drops; /* sk_drops: tcp_listendrop() counts every TcpExtListenDrops here */
	__u32 accept_queue; /* sk_ack_backlog: established, not yet accepted */
	__u32 accept_queue_max; /* sk_max_ack_backlog: listen()'s backlog, also the SYN queue's limit */
	__u32 syn_queue; /* icsk_accept_queue.qlen: handshakes waiting for their final ACK */
};

#endif /* CONNSCOPE_LISTEN_EVENT_H */
