/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The TCP detector event family (tcp_detect.bpf.h → user space): delayed ACKs and what
 * happened around them. The kernel reports what it saw; user space decides what is a stall.
 * Every record starts with struct event_header (conn_event.h); its cookie is the socket key. */
#ifndef CONNSCOPE_TCP_DETECT_EVENT_H
#define CONNSCOPE_TCP_DETECT_EVENT_H

#include "conn_event.h"

/* The delayed-ACK timer sent an ACK (tcp_delack_timer_handler, counted as DelayedACKs). */
struct delayed_ack_event {
	struct event_header hdr;
	__u64 last_data_ns; /* when the last data segment before it arrived; 0 when unknown */
	__u32 min_rtt_us; /* the path's minimum RTT (windowed); srtt is inflated by delayed ACKs */
	__u32 pad;
};

/* The first data segment from the peer after a delayed ACK. */
struct data_after_delayed_ack_event {
	struct event_header hdr;
	__u64 delayed_ack_ns; /* the delayed ACK it followed */
};

/* A small segment that sendmsg() left unsent while data was in flight (Nagle, or cwnd when
 * TCP_NODELAY is on) was released by an ACK that acknowledged everything in flight. */
struct held_send_released_event {
	struct event_header hdr;
	__u64 held_ns; /* when sendmsg() returned with it unsent */
	__u32 min_rtt_us;
	__u32 nodelay; /* 1 when TCP_NODELAY was on */
};

/* sendmsg() on a connection idle for longer than its RTO, nothing in flight, with
 * net.ipv4.tcp_slow_start_after_idle on: the kernel restarts the congestion window. */
struct idle_restart_event {
	struct event_header hdr;
	__u32 idle_us; /* since the last send (jiffies resolution) */
	__u32 rto_us;
	__u32 cwnd; /* before the restart, in segments */
	__u32 ssthresh;
};

#endif /* CONNSCOPE_TCP_DETECT_EVENT_H */
