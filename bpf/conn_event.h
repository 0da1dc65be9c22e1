/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The connection event family: the contract between conn.bpf.c and user space.
 * Fixed-width fields only; every record starts with struct event_header. */
#ifndef CONNSCOPE_CONN_EVENT_H
#define CONNSCOPE_CONN_EVENT_H

#include "event_types.h"

#define COMM_LEN 16

/* Indexes of the per-CPU totals the kernel keeps; exact even when events are lost. */
enum counter_index {
	COUNTER_ACTIVE_OPENS = 0,
	COUNTER_PASSIVE_OPENS,
	COUNTER_RETRANS_SEGS,
	COUNTER_SYN_RETRANS,
	COUNTER_RESETS_SENT,
	COUNTER_RESETS_RECEIVED,
	COUNTER_EVENTS_LOST,
	COUNTER_RETRANS_FAST, /* segments; equals TcpExtTCPFastRetrans */
	COUNTER_RETRANS_SLOW_START, /* segments after a timeout; equals TcpExtTCPSlowStartRetrans */
	COUNTER_RETRANS_TIMEOUT, /* RTO expiries that retransmitted data */
	COUNTER_RETRANS_LOSS_PROBE, /* tail-loss probes that retransmitted */
	COUNTER_DELAYED_ACKS, /* equals TcpExtDelayedACKs (but see tcp_detect.bpf.h) */
	COUNTER_DELAYED_ACKS_LOCKED, /* equals TcpExtDelayedACKLocked */
	COUNTER_HTTP_BODY_IO_COUNTED, /* reads and writes inside an HTTP body, counted and not sent */
	COUNTER_MAX,
};

/* connect() errors are counted per errno; larger errnos share the last slot. */
#define CONNECT_ERRNO_SLOTS 256

struct event_header {
	__u32 type;
	__u32 cpu;
	__u64 ts_ns; /* CLOCK_MONOTONIC (bpf_ktime_get_ns) */
	__u64 cookie; /* socket cookie (tp_btf) or an opaque per-socket id (raw_tp) */
};

/* Addresses are 16 bytes; an IPv4 address sits in the first 4 (family AF_INET). */
struct flow {
	__u8 saddr[16];
	__u8 daddr[16];
	__u16 sport; /* host byte order */
	__u16 dport; /* host byte order */
	__u16 family;
	__u16 pad;
	__u32 netns;
};

/* The process that owned the socket when the event was made (0 when unknown). */
struct owner {
	__u32 pid;
	__u32 pad;
	char comm[COMM_LEN];
};

/* Snapshot of struct tcp_sock counters, taken on every state change. */
struct tcp_counters {
	__u64 bytes_sent; /* tcpEStatsPerfHCDataOctetsOut, retransmissions included */
	__u64 bytes_retrans;
	__u64 bytes_received;
	__u32 srtt_us;
	__u32 total_retrans;
	__u32 segs_out;
	__s32 sk_err;
	__u32 snd_cwnd; /* segments */
	__u32 snd_ssthresh; /* TCP_INFINITE_SSTHRESH (0x7fffffff) until the first loss */
};

enum state_flags {
	STATE_FLAG_OWNER_KNOWN = 1,
	STATE_FLAG_FIN_RECEIVED = 2, /* the peer's FIN has arrived (its sequence number is in bytes_received) */
	STATE_FLAG_PORT_BOUND = 4, /* CLOSE→SYN_SENT of a socket that already had a local port: bind() before connect() */
};

struct state_event {
	struct event_header hdr;
	struct flow flow;
	struct owner owner;
	struct tcp_counters tcp;
	__u32 oldstate;
	__u32 newstate;
	__u32 flags;
	__u32 pad;
};

/* Why a segment was sent again, from the socket's state at the time. */
enum retransmit_kind {
	RETRANSMIT_SYN = 1, /* SYN, or the SYN-ACK of a fast-open child */
	RETRANSMIT_SYNACK, /* SYN-ACK of a request socket */
	RETRANSMIT_TIMEOUT, /* the head of the queue, from the RTO timer */
	RETRANSMIT_SLOW_START, /* the rest of the queue after a timeout (CA_Loss) */
	RETRANSMIT_FAST, /* fast retransmit or RACK (not CA_Loss) */
	RETRANSMIT_LOSS_PROBE, /* tail-loss probe */
};

struct retransmit_event {
	struct event_header hdr;
	struct flow flow;
	__u32 state;
	__u32 segs; /* tcp_skb_pcount() of the retransmitted skb: TcpRetransSegs adds this */
	__u32 syn; /* 1 for a SYN or SYN-ACK */
	__u32 synack; /* 1 when retransmitted by tcp_retransmit_synack (request socket) */
	__u32 kind; /* enum retransmit_kind */
	__u32 rto_us; /* icsk_rto before this retransmit's backoff; 0 when unknown */
	__u32 srtt_us;
	__u32 pad;
};

enum reset_direction {
	RESET_SENT = 1,
	RESET_RECEIVED = 2,
};

struct reset_event {
	struct event_header hdr; /* cookie 0 when no full socket owned the packet */
	struct flow flow;
	__u32 direction;
	__u32 state; /* state of the socket, 0 when there is none */
	/* Received resets only: what the idle-close race detector needs. */
	__u64 bytes_received; /* the peer's FIN counts one */
	__u32 since_send_us; /* since this side last sent data (lsndtime: jiffies resolution) */
	__u32 srtt_us;
	__u32 fin_received; /* 1 when the peer's FIN had arrived before the reset */
	__u32 pad;
};

struct accept_event {
	struct event_header hdr;
	struct flow flow;
	struct owner owner;
};

enum error_syscall {
	ERROR_SYSCALL_CONNECT = 0,
	ERROR_SYSCALL_BIND = 1, /* flow holds the address bind() was given as saddr/sport */
};

struct connect_error_event {
	struct event_header hdr; /* cookie 0 when the socket could not be resolved */
	struct flow flow;
	struct owner owner;
	__s32 err; /* positive errno */
	__u32 async; /* 1 when a non-blocking connect failed after returning EINPROGRESS */
	__u32 syscall; /* enum error_syscall */
	__u32 pad;
};

#endif /* CONNSCOPE_CONN_EVENT_H */
