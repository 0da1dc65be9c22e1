// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Connection lifecycle probes: state changes, retransmits, resets, accept() and connect().
 * Each signal has one body and two attach variants, tp_btf and raw_tp; user space keeps
 * one of them with bpf_program__set_autoload(). All variants of one run use the same kind,
 * because tp_btf keys sockets by cookie and raw_tp by an opaque id. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_endian.h>
#include "conn_event.h"
#include "maps.bpf.h"
#include "sock_read.bpf.h"
#include "filters.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* tcp_retransmit_skb gained an err argument in 6.18 and fires on failed attempts too. */
const volatile bool retransmit_reports_err = false;
/* Turns icsk_rto (jiffies) into microseconds; 0 (unknown) when libbpf finds no kernel config. */
extern int CONFIG_HZ __kconfig __weak;

#define ICSK_TIME_LOSS_PROBE 5

#define EINPROGRESS 115
#define EALREADY 114
#define EISCONN 106
#define EINTR 4
#define EBUSY 16
#define EINVAL 22
#define EADDRINUSE 98
#define EAGAIN 11
#define ENOMEM 12
#define EHOSTUNREACH 113
#define ERESTARTSYS 512
#define ERESTART_RESTARTBLOCK 516

/* x86_64 syscall numbers; the raw syscall tracepoints see them all. */
#define NR_CONNECT 42
#define NR_ACCEPT 43
#define NR_BIND 49
#define NR_ACCEPT4 288

static __always_inline void count_connect_error(__s32 err)
{
	__u32 slot = err > 0 && err < CONNECT_ERRNO_SLOTS ? err : CONNECT_ERRNO_SLOTS - 1;
	__u64 *value = bpf_map_lookup_elem(&connect_errors, &slot);

	if (value)
		*value += 1;
}

static __always_inline bool owner_wanted(const struct conn_info *conn)
{
	if (!filter_pid)
		return true;
	return conn && (conn->flags & STATE_FLAG_OWNER_KNOWN) && conn->owner.pid == filter_pid;
}

static __always_inline void *reserve(__u64 size, __u32 type, __u64 key)
{
	struct event_header *hdr = bpf_ringbuf_reserve(&events, size, 0);

	if (!hdr) {
		count(COUNTER_EVENTS_LOST, 1);
		return NULL;
	}
	stamp_header(hdr, type);
	hdr->cookie = key;
	return hdr;
}

static __always_inline void current_owner(struct owner *owner)
{
	owner->pid = bpf_get_current_pid_tgid() >> 32;
	bpf_get_current_comm(owner->comm, sizeof(owner->comm));
}

static __always_inline __u64 sock_key(const struct sock *sk, bool btf)
{
	if (btf)
		return bpf_get_socket_cookie((void *)sk);
	return (__u64)sk ^ key_salt;
}

/* An event on an established socket: is it TCP, kept by the filters, and its flow and key. */
static __always_inline bool tracked_sock(const struct sock *sk, bool btf, struct flow *flow, __u64 *key)
{
	if (!sock_is_tcp(sk))
		return false;
	flow_from_sock(flow, sk);
	if (!flow_wanted(flow))
		return false;
	*key = sock_key(sk, btf);
	return !filter_pid || owner_wanted(bpf_map_lookup_elem(&conns, key));
}

static __always_inline void emit_connect_error(const struct flow *flow, __u64 key, __s32 err,
					       bool async, __u32 syscall)
{
	struct connect_error_event *e;

	count_connect_error(err);
	e = reserve(sizeof(*e), EVENT_CONNECT_ERROR, key);
	if (!e)
		return;
	e->flow = *flow;
	current_owner(&e->owner);
	e->err = err;
	e->async = async;
	e->syscall = syscall;
	bpf_ringbuf_submit(e, wakeup_flags());
}

static __always_inline int handle_state(const struct sock *sk, int oldstate, int newstate, bool btf)
{
	bool opening_active = oldstate == TCP_CLOSE && newstate == TCP_SYN_SENT;
	bool opening_passive = oldstate == TCP_LISTEN && newstate == TCP_SYN_RECV;
	struct conn_info *conn;
	struct state_event *e;
	struct flow flow = {};
	__u64 key;

	if (!sock_is_tcp(sk))
		return 0;
	/* A listening socket is not a connection; its children are. */
	if (newstate == TCP_LISTEN || (oldstate == TCP_LISTEN && newstate == TCP_CLOSE))
		return 0;
	/* The detectors keep state for every socket, filtered or not; a raw_tp key (an address)
	 * comes back with the next socket allocated there. */
	if (newstate == TCP_CLOSE) {
		key = sock_key(sk, btf);
		bpf_map_delete_elem(&detect, &key);
	}
	flow_from_sock(&flow, sk);
	if (!flow_wanted(&flow))
		return 0;

	key = sock_key(sk, btf);
	if (opening_active || opening_passive) {
		struct conn_info fresh = { .start_ns = bpf_ktime_get_ns() };

		if (opening_active) {
			current_owner(&fresh.owner);
			fresh.flags = STATE_FLAG_OWNER_KNOWN;
		}
		bpf_map_update_elem(&conns, &key, &fresh, BPF_ANY);
	}
	conn = bpf_map_lookup_elem(&conns, &key);
	if (!owner_wanted(conn))
		goto out;

	/* Counted before the event is reserved: totals stay exact when the ring buffer is full. */
	if (opening_active)
		count(COUNTER_ACTIVE_OPENS, 1);
	if (opening_passive && !filter_pid)
		count(COUNTER_PASSIVE_OPENS, 1);
	if (oldstate == TCP_SYN_SENT && newstate == TCP_CLOSE) {
		const struct tcp_sock *tp = (const struct tcp_sock *)sk;
		__s32 err = BPF_CORE_READ(sk, sk_err);

		/* TcpActiveOpens counts in tcp_connect(): a connect() that failed before sending
		 * its SYN (no port left, no route) passed through SYN_SENT without being an open. */
		if (BPF_CORE_READ(tp, segs_out) == 0)
			count(COUNTER_ACTIVE_OPENS, -1);
		/* A blocking connect() reports its own failure at syscall exit. */
		if (err && sock_nonblocking(sk))
			emit_connect_error(&flow, key, err, true, ERROR_SYSCALL_CONNECT);
	}

	e = reserve(sizeof(*e), EVENT_STATE, key);
	if (!e)
		goto out;
	e->flow = flow;
	e->oldstate = oldstate;
	e->newstate = newstate;
	e->flags = sock_fin_received(sk) ? STATE_FLAG_FIN_RECEIVED : 0;
	/* tcp_v{4,6}_connect() enter SYN_SENT before they pick a port: one already there was bound. */
	if (opening_active && BPF_CORE_READ(sk, __sk_common.skc_num))
		e->flags |= STATE_FLAG_PORT_BOUND;
	if (conn) {
		e->owner = conn->owner;
		e->flags |= conn->flags & STATE_FLAG_OWNER_KNOWN;
	}
	read_tcp_counters(&e->tcp, sk);
	bpf_ringbuf_submit(e, wakeup_flags());
out:
	if (newstate == TCP_CLOSE)
		bpf_map_delete_elem(&conns, &key);
	return 0;
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(state_btf, const struct sock *sk, int oldstate, int newstate)
{
	return handle_state(sk, oldstate, newstate, true);
}

SEC("raw_tp/inet_sock_set_state")
int BPF_PROG(state_raw, const struct sock *sk, int oldstate, int newstate)
{
	return handle_state(sk, oldstate, newstate, false);
}

struct retransmit_info {
	__u32 state;
	__u32 segs;
	__u32 kind; /* enum retransmit_kind */
	__u32 rto_us;
	__u32 srtt_us;
};

static __always_inline void count_retransmit_kind(const struct retransmit_info *info)
{
	switch (info->kind) {
	case RETRANSMIT_FAST:
		count(COUNTER_RETRANS_FAST, info->segs);
		break;
	case RETRANSMIT_SLOW_START:
		count(COUNTER_RETRANS_SLOW_START, info->segs);
		break;
	case RETRANSMIT_TIMEOUT:
		count(COUNTER_RETRANS_TIMEOUT, 1);
		break;
	case RETRANSMIT_LOSS_PROBE:
		count(COUNTER_RETRANS_LOSS_PROBE, 1);
		break;
	}
}

static __always_inline int emit_retransmit(const struct flow *flow, __u64 key,
					   const struct retransmit_info *info)
{
	bool syn = info->kind == RETRANSMIT_SYN || info->kind == RETRANSMIT_SYNACK;
	struct retransmit_event *e;

	count(COUNTER_RETRANS_SEGS, info->segs);
	if (syn)
		count(COUNTER_SYN_RETRANS, 1);
	count_retransmit_kind(info);
	e = reserve(sizeof(*e), EVENT_RETRANSMIT, key);
	if (!e)
		return 0;
	e->flow = *flow;
	e->state = info->state;
	e->segs = info->segs;
	e->syn = syn;
	e->synack = info->kind == RETRANSMIT_SYNACK;
	e->kind = info->kind;
	e->rto_us = info->rto_us;
	e->srtt_us = info->srtt_us;
	bpf_ringbuf_submit(e, wakeup_flags());
	return 0;
}

/* The errors __tcp_retransmit_skb() returns before it counts TcpRetransSegs. ENOMEM can
 * also come from the transmit itself; it is rare enough to be taken as early. */
static __always_inline bool retransmit_not_counted(long err)
{
	return err == -EBUSY || err == -EINVAL || err == -EAGAIN || err == -ENOMEM ||
	       err == -EHOSTUNREACH;
}

/* icsk_pending names the armed retransmit-family timer. While that timer's handler runs, the
 * timer is no longer queued (timer_pending() is false): tcp_write_timer_handler() has cleared
 * icsk_pending before the RTO handler, and leaves ICSK_TIME_LOSS_PROBE set for the tail-loss
 * probe. A retransmit driven by an ACK finds its timer still queued. */
static __always_inline __u32 retransmit_kind(const struct sock *sk, bool syn)
{
	const struct inet_connection_sock *icsk = (const struct inet_connection_sock *)sk;
	bool from_timer = !BPF_CORE_READ(icsk, icsk_retransmit_timer.entry.pprev);
	__u8 pending = BPF_CORE_READ(icsk, icsk_pending);
	__u8 ca_state = BPF_CORE_READ_BITFIELD_PROBED(icsk, icsk_ca_state);

	if (syn)
		return RETRANSMIT_SYN;
	if (ca_state == TCP_CA_Loss)
		return from_timer && pending == 0 ? RETRANSMIT_TIMEOUT : RETRANSMIT_SLOW_START;
	if (from_timer && pending == ICSK_TIME_LOSS_PROBE)
		return RETRANSMIT_LOSS_PROBE;
	return RETRANSMIT_FAST;
}

static __always_inline __u32 jiffies_to_us(__u64 jiffies)
{
	return CONFIG_HZ > 0 ? jiffies * 1000000 / CONFIG_HZ : 0;
}

static __always_inline int handle_retransmit(const struct sock *sk, const struct sk_buff *skb,
					     long err, bool btf)
{
	const struct inet_connection_sock *icsk = (const struct inet_connection_sock *)sk;
	struct retransmit_info info = {};
	struct tcp_skb_cb *tcb;
	struct flow flow = {};
	__u64 key;

	if (retransmit_not_counted(err) || !tracked_sock(sk, btf, &flow, &key))
		return 0;
	tcb = (void *)skb + bpf_core_field_offset(struct sk_buff, cb);
	info.state = BPF_CORE_READ(sk, __sk_common.skc_state);
	info.segs = BPF_CORE_READ(tcb, tcp_gso_segs);
	info.kind = retransmit_kind(sk, BPF_CORE_READ(tcb, tcp_flags) & TCPHDR_SYN);
	info.rto_us = jiffies_to_us(BPF_CORE_READ(icsk, icsk_rto));
	info.srtt_us = BPF_CORE_READ((const struct tcp_sock *)sk, srtt_us) >> 3;
	return emit_retransmit(&flow, key, &info);
}

SEC("tp_btf/tcp_retransmit_skb")
int BPF_PROG(retransmit_btf, const struct sock *sk, const struct sk_buff *skb)
{
	return handle_retransmit(sk, skb, retransmit_reports_err ? (long)ctx[2] : 0, true);
}

SEC("raw_tp/tcp_retransmit_skb")
int BPF_PROG(retransmit_raw, const struct sock *sk, const struct sk_buff *skb)
{
	return handle_retransmit(sk, skb, retransmit_reports_err ? (long)ctx[2] : 0, false);
}

/* The SYN-ACK of a request socket; the connection's own socket does not exist yet, so user
 * space joins this to it by flow. The listener's owner is not the connection's owner. */
static __always_inline int handle_synack(const struct request_sock *req)
{
	struct retransmit_info info = { .state = TCP_SYN_RECV, .segs = 1, .kind = RETRANSMIT_SYNACK };
	struct flow flow = {};

	flow_from_sock_common(&flow, &req->__req_common);
	if (!flow_wanted(&flow) || filter_pid)
		return 0;
	return emit_retransmit(&flow, 0, &info);
}

SEC("tp_btf/tcp_retransmit_synack")
int BPF_PROG(synack_btf, const struct sock *listener, const struct request_sock *req)
{
	return handle_synack(req);
}

SEC("raw_tp/tcp_retransmit_synack")
int BPF_PROG(synack_raw, const struct sock *listener, const struct request_sock *req)
{
	return handle_synack(req);
}

static __always_inline struct reset_event *emit_reset(const struct flow *flow, __u64 key,
						     __u32 direction, __u32 state)
{
	struct reset_event *e;

	count(direction == RESET_SENT ? COUNTER_RESETS_SENT : COUNTER_RESETS_RECEIVED, 1);
	e = reserve(sizeof(*e), EVENT_RESET, key);
	if (!e)
		return NULL;
	e->flow = *flow;
	e->direction = direction;
	e->state = state;
	return e;
}

/* sk is NULL for a reset answering a packet no socket owned (a refused SYN), and may be
 * a timewait or request socket; only sock_common is read from it. */
static __always_inline int handle_reset_sent(const struct sock *sk, const struct sk_buff *skb,
					     bool btf)
{
	struct reset_event *e;
	struct flow flow = {};
	__u32 state = 0;
	__u64 key = 0;

	if (sk) {
		state = BPF_CORE_READ(sk, __sk_common.skc_state);
		if (state == TCP_TIME_WAIT || state == TCP_NEW_SYN_RECV) {
			flow_from_sock_common(&flow, &sk->__sk_common);
		} else {
			flow_from_sock(&flow, sk);
			key = stored_sock_key(sk, btf);
		}
	} else if (!skb || flow_from_incoming_skb(&flow, skb)) {
		return 0;
	}
	if (!flow_wanted(&flow))
		return 0;
	if (filter_pid && !owner_wanted(key ? bpf_map_lookup_elem(&conns, &key) : NULL))
		return 0;
	e = emit_reset(&flow, key, RESET_SENT, state);
	if (e)
		bpf_ringbuf_submit(e, wakeup_flags());
	return 0;
}

SEC("tp_btf/tcp_send_reset")
int BPF_PROG(reset_sent_btf, const struct sock *sk, const struct sk_buff *skb)
{
	return handle_reset_sent(sk, skb, true);
}

SEC("raw_tp/tcp_send_reset")
int BPF_PROG(reset_sent_raw, const struct sock *sk, const struct sk_buff *skb)
{
	return handle_reset_sent(sk, skb, false);
}

static __always_inline int handle_reset_received(const struct sock *sk, bool btf)
{
	const struct tcp_sock *tp = (const struct tcp_sock *)sk;
	struct reset_event *e;
	struct flow flow = {};
	__u64 key;

	if (!tracked_sock(sk, btf, &flow, &key))
		return 0;
	e = emit_reset(&flow, key, RESET_RECEIVED, BPF_CORE_READ(sk, __sk_common.skc_state));
	if (!e)
		return 0;
	e->bytes_received = BPF_CORE_READ(tp, bytes_received);
	e->since_send_us = jiffies_to_us((__u32)bpf_jiffies64() - BPF_CORE_READ(tp, lsndtime));
	e->srtt_us = BPF_CORE_READ(tp, srtt_us) >> 3;
	e->fin_received = sock_fin_received(sk);
	bpf_ringbuf_submit(e, wakeup_flags());
	return 0;
}

SEC("tp_btf/tcp_receive_reset")
int BPF_PROG(reset_received_btf, const struct sock *sk)
{
	return handle_reset_received(sk, true);
}

SEC("raw_tp/tcp_receive_reset")
int BPF_PROG(reset_received_raw, const struct sock *sk)
{
	return handle_reset_received(sk, false);
}

/* connect() or bind() begins: its fd and address, until it returns. */
static __always_inline int handle_address_enter(int fd, const void *uaddr, int addrlen)
{
	struct connect_args args = {};
	__u64 pid_tgid = bpf_get_current_pid_tgid();

	if (!current_pid_wanted())
		return 0;
	args.fd = fd;
	args.addrlen = addrlen;
	/* A sockaddr_in near the end of a page cannot be read as a sockaddr_in6. */
	if (bpf_probe_read_user(args.addr, sizeof(args.addr), uaddr) &&
	    bpf_probe_read_user(args.addr, sizeof(struct sockaddr_in), uaddr))
		return 0;
	if (*(__u16 *)args.addr != AF_INET && *(__u16 *)args.addr != AF_INET6)
		return 0;
	bpf_map_update_elem(&connects, &pid_tgid, &args, BPF_ANY);
	return 0;
}

static __always_inline int handle_sys_enter(const struct pt_regs *regs, long id)
{
	if (id != NR_CONNECT && id != NR_BIND)
		return 0;
	return handle_address_enter(PT_REGS_PARM1_CORE(regs), (const void *)PT_REGS_PARM2_CORE(regs),
				    PT_REGS_PARM3_CORE(regs));
}

static __always_inline bool connect_in_progress(long ret)
{
	return ret == 0 || ret == -EINPROGRESS || ret == -EALREADY || ret == -EISCONN;
}

static __always_inline int handle_connect_exit(long ret, bool btf)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct connect_args *args = bpf_map_lookup_elem(&connects, &pid_tgid);
	struct flow flow = {};
	struct sock *sk;
	__s32 err;

	if (!args)
		return 0;
	if (connect_in_progress(ret))
		goto out;
	sk = sock_from_fd(args->fd);
	if (!sock_is_tcp(sk))
		goto out;
	flow_from_sock(&flow, sk);
	/* A failed connect() has already cleared the socket's destination. */
	address_from_sockaddr(args->addr, flow.daddr, &flow.dport);
	if (!flow_wanted(&flow))
		goto out;
	err = -ret;
	if (err >= ERESTARTSYS && err <= ERESTART_RESTARTBLOCK)
		err = EINTR;
	emit_connect_error(&flow, stored_sock_key(sk, btf), err, false, ERROR_SYSCALL_CONNECT);
out:
	bpf_map_delete_elem(&connects, &pid_tgid);
	return 0;
}

/* Only EADDRINUSE: the port pool is full (bind() to port 0) or the port is taken. */
static __always_inline int handle_bind_exit(long ret, bool btf)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct connect_args *args = bpf_map_lookup_elem(&connects, &pid_tgid);
	struct flow flow = {};
	struct sock *sk;

	if (!args)
		return 0;
	if (ret != -EADDRINUSE)
		goto out;
	sk = sock_from_fd(args->fd);
	if (!sock_is_tcp(sk))
		goto out;
	flow.family = BPF_CORE_READ(sk, __sk_common.skc_family);
	flow.netns = sock_netns(sk);
	address_from_sockaddr(args->addr, flow.saddr, &flow.sport);
	if (!flow_wanted(&flow))
		goto out;
	emit_connect_error(&flow, stored_sock_key(sk, btf), EADDRINUSE, false, ERROR_SYSCALL_BIND);
out:
	bpf_map_delete_elem(&connects, &pid_tgid);
	return 0;
}

static __always_inline int handle_accept_exit(long ret, bool btf)
{
	struct conn_info *conn;
	struct accept_event *e;
	struct flow flow = {};
	struct sock *sk;
	__u64 key;

	if (ret < 0)
		return 0;
	sk = sock_from_fd(ret);
	if (!sock_is_tcp(sk))
		return 0;
	flow_from_sock(&flow, sk);
	if (!flow_wanted(&flow))
		return 0;
	if (!current_pid_wanted())
		return 0;
	key = stored_sock_key(sk, btf);
	conn = bpf_map_lookup_elem(&conns, &key);
	if (conn) {
		current_owner(&conn->owner);
		conn->flags |= STATE_FLAG_OWNER_KNOWN;
		/* With a pid filter, an accepted connection counts when its process takes it. */
		if (filter_pid)
			count(COUNTER_PASSIVE_OPENS, 1);
	}
	e = reserve(sizeof(*e), EVENT_ACCEPT, key);
	if (!e)
		return 0;
	e->flow = flow;
	current_owner(&e->owner);
	bpf_ringbuf_submit(e, wakeup_flags());
	return 0;
}

static __always_inline int handle_sys_exit(const struct pt_regs *regs, long ret, bool btf)
{
	long id = SYSCALL_NR(btf, regs);

	if (id == NR_CONNECT)
		return handle_connect_exit(ret, btf);
	if (id == NR_BIND)
		return handle_bind_exit(ret, btf);
	if (id == NR_ACCEPT || id == NR_ACCEPT4)
		return handle_accept_exit(ret, btf);
	return 0;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(sys_enter_btf, const struct pt_regs *regs, long id)
{
	return handle_sys_enter(regs, id);
}

SEC("raw_tp/sys_enter")
int BPF_PROG(sys_enter_raw, const struct pt_regs *regs, long id)
{
	return handle_sys_enter(regs, id);
}

SEC("tp_btf/sys_exit")
int BPF_PROG(sys_exit_btf, const struct pt_regs *regs, long ret)
{
	return handle_sys_exit(regs, ret, true);
}

SEC("raw_tp/sys_exit")
int BPF_PROG(sys_exit_raw, const struct pt_regs *regs, long ret)
{
	return handle_sys_exit(regs, ret, false);
}

/* The per-syscall tracepoints (tracefs): programs run for these syscalls only, where the raw
 * ones above run for every syscall of every process. Used with tp_btf socket keys. */
SEC("tracepoint/syscalls/sys_enter_connect")
int connect_enter_tp(const struct trace_event_raw_sys_enter *ctx)
{
	return handle_address_enter(ctx->args[0], (const void *)ctx->args[1], ctx->args[2]);
}

SEC("tracepoint/syscalls/sys_exit_connect")
int connect_exit_tp(const struct trace_event_raw_sys_exit *ctx)
{
	return handle_connect_exit(ctx->ret, true);
}

SEC("tracepoint/syscalls/sys_enter_bind")
int bind_enter_tp(const struct trace_event_raw_sys_enter *ctx)
{
	return handle_address_enter(ctx->args[0], (const void *)ctx->args[1], ctx->args[2]);
}

SEC("tracepoint/syscalls/sys_exit_bind")
int bind_exit_tp(const struct trace_event_raw_sys_exit *ctx)
{
	return handle_bind_exit(ctx->ret, true);
}

SEC("tracepoint/syscalls/sys_exit_accept")
int accept_exit_tp(const struct trace_event_raw_sys_exit *ctx)
{
	return handle_accept_exit(ctx->ret, true);
}

SEC("tracepoint/syscalls/sys_exit_accept4")
int accept4_exit_tp(const struct trace_event_raw_sys_exit *ctx)
{
	return handle_accept_exit(ctx->ret, true);
}

#include "tcp_detect.bpf.h"
#include "listen_iter.bpf.h"
