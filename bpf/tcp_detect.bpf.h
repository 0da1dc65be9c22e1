/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* TCP detectors: delayed-ACK timer expiries, the peer's data that follows them, and small
 * sends held back until an ACK. Part of the connection probe object (included at the end of
 * conn.bpf.c, whose filters, counters and ring buffer it shares); events in tcp_detect_event.h. */
#ifndef CONNSCOPE_TCP_DETECT_BPF_H
#define CONNSCOPE_TCP_DETECT_BPF_H

#include "tcp_detect_event.h"

/* Address of the kernel's static tcp_delack_timer(), from /proc/kallsyms; 0 turns the
 * delayed-ACK probe off. */
const volatile __u64 delack_timer_fn = 0;

#define TCP_NAGLE_OFF 1
#define TCP_NAGLE_CORK 2
#define TCPHDR_FIN 0x01
#define TCPHDR_ACK 0x10

/* tcp_min_rtt(): the windowed minimum of the RTT samples. The smoothed RTT would not do:
 * samples taken from delayed ACKs inflate it towards the very delay being detected. */
static __always_inline __u32 min_rtt_us(const struct sock *sk)
{
	return BPF_CORE_READ((const struct tcp_sock *)sk, rtt_min.s[0].v);
}

static __always_inline bool detect_wanted(const struct sock *sk, __u64 key)
{
	struct flow flow = {};

	flow_from_sock(&flow, sk);
	if (!flow_wanted(&flow))
		return false;
	return !filter_pid || owner_wanted(bpf_map_lookup_elem(&conns, &key));
}

static __always_inline struct detect_state *detect_state_of(__u64 key)
{
	struct detect_state fresh = {};
	struct detect_state *st = bpf_map_lookup_elem(&detect, &key);

	if (st)
		return st;
	bpf_map_update_elem(&detect, &key, &fresh, BPF_NOEXIST);
	return bpf_map_lookup_elem(&detect, &key);
}

/* Mirrors tcp_delack_timer() and tcp_delack_timer_handler(): an ACK is sent and counted as
 * DelayedACKs when the socket is not owned by the application, not closed or listening, has
 * no compressed SACK pending, and has the delayed-ACK timer and an ACK scheduled. When the
 * application owns the socket the kernel counts DelayedACKLocked and sends the ACK later from
 * tcp_release_cb(), where no tracepoint sees it: those ACKs are counted as locked only. */
static __always_inline int handle_timer_expire(const struct timer_list *timer, bool btf)
{
	const struct inet_connection_sock *icsk;
	const struct sock *sk;
	struct delayed_ack_event *e;
	struct detect_state *st;
	__u8 pending, state;
	__u64 key;

	if (!delack_timer_fn || (__u64)BPF_CORE_READ(timer, function) != delack_timer_fn)
		return 0;
	icsk = (const void *)((unsigned long)timer -
			      bpf_core_field_offset(struct inet_connection_sock, icsk_delack_timer));
	sk = (const struct sock *)icsk;
	pending = BPF_CORE_READ(icsk, icsk_ack.pending);
	if (!(pending & ICSK_ACK_TIMER))
		return 0;
	key = stored_sock_key(sk, btf);
	if (!detect_wanted(sk, key))
		return 0;
	if (BPF_CORE_READ(sk, sk_lock.owned)) {
		count(COUNTER_DELAYED_ACKS_LOCKED, 1);
		return 0;
	}
	state = BPF_CORE_READ(sk, __sk_common.skc_state);
	if (state == TCP_CLOSE || state == TCP_LISTEN)
		return 0;
	if (BPF_CORE_READ((const struct tcp_sock *)sk, compressed_ack) || !(pending & ICSK_ACK_SCHED))
		return 0;
	count(COUNTER_DELAYED_ACKS, 1);
	if (!key)
		return 0;
	st = bpf_map_lookup_elem(&detect, &key);
	e = reserve(sizeof(*e), EVENT_DELAYED_ACK, key);
	if (!e)
		return 0;
	/* The peer's next data names this ACK by its time. */
	if (st)
		st->delayed_ack_ns = e->hdr.ts_ns;
	e->last_data_ns = st ? st->last_data_ns : 0;
	e->min_rtt_us = min_rtt_us(sk);
	bpf_ringbuf_submit(e, wakeup_flags());
	return 0;
}

SEC("tp_btf/timer_expire_entry")
int BPF_PROG(timer_expire_btf, const struct timer_list *timer, unsigned long baseclk)
{
	return handle_timer_expire(timer, true);
}

SEC("raw_tp/timer_expire_entry")
int BPF_PROG(timer_expire_raw, const struct timer_list *timer, unsigned long baseclk)
{
	return handle_timer_expire(timer, false);
}

static __always_inline void emit_data_after_delayed_ack(__u64 key, __u64 delayed_ack_ns)
{
	struct data_after_delayed_ack_event *e;

	e = reserve(sizeof(*e), EVENT_DATA_AFTER_DELAYED_ACK, key);
	if (!e)
		return;
	e->delayed_ack_ns = delayed_ack_ns;
	bpf_ringbuf_submit(e, wakeup_flags());
}

static __always_inline void emit_held_send_released(const struct sock *sk, __u64 key,
						    const struct detect_state *st)
{
	struct held_send_released_event *e;

	e = reserve(sizeof(*e), EVENT_HELD_SEND_RELEASED, key);
	if (!e)
		return;
	e->held_ns = st->held_ns;
	e->min_rtt_us = min_rtt_us(sk);
	e->nodelay = !!(st->flags & DETECT_NODELAY);
	bpf_ringbuf_submit(e, wakeup_flags());
}

/* A field of struct sock (not of tcp_sock, which tp_btf's struct sock pointer cannot reach):
 * loaded directly on tp_btf, read with a probe read for raw_tp. */
#define SK_FIELD(btf, sk, field) ((btf) ? (sk)->field : BPF_CORE_READ(sk, field))

/* The tcp_sock behind a hook's socket: on tp_btf a BTF pointer whose fields load directly
 * (bpf_skc_to_tcp_sock() is older than the cookie helper the tp_btf variants already need);
 * on raw_tp the plain address, read with TCP_FIELD's probe reads. The send hooks run for every
 * send, and a probe read is a helper call. */
static __always_inline const struct tcp_sock *tcp_sock_of(const struct sock *sk, bool btf)
{
	return btf ? bpf_skc_to_tcp_sock((void *)sk) : (const struct tcp_sock *)sk;
}

#define TCP_FIELD(btf, tp, field) ((btf) ? (tp)->field : BPF_CORE_READ(tp, field))

/* A field of a segment's TCP control block (skb->cb): loaded directly from tp_btf's BTF
 * pointer, the hook running for every segment received; read with a probe read for raw_tp. */
#define TCB_FIELD(btf, skb, field)                                                                    \
	((btf) ? ((const struct tcp_skb_cb *)(skb)->cb)->field                                        \
	       : BPF_CORE_READ((const struct tcp_skb_cb *)((void *)(skb) +                             \
							   bpf_core_field_offset(struct sk_buff, cb)), \
			       field))

/* Every segment an established socket receives, before it is processed (tcp_rcv_established). */
static __always_inline int handle_tcp_probe(const struct sock *sk, const struct sk_buff *skb,
					    bool btf)
{
	__u32 seq = TCB_FIELD(btf, skb, seq);
	__u32 end_seq = TCB_FIELD(btf, skb, end_seq);
	__u8 flags = TCB_FIELD(btf, skb, tcp_flags);
	bool data = end_seq - seq > ((flags & TCPHDR_FIN) ? 1 : 0);
	struct detect_state *st;
	__u64 key = btf ? sk->__sk_common.skc_cookie.counter : stored_sock_key(sk, false);
	/* Half the segments are bare ACKs: they need no clock read (not free in a VM). */
	__u64 now = data ? bpf_ktime_get_ns() : 0;

	if (!key)
		return 0;
	st = bpf_map_lookup_elem(&detect, &key);
	if (!st) {
		struct detect_state fresh = { .last_data_ns = now };

		if (data)
			bpf_map_update_elem(&detect, &key, &fresh, BPF_NOEXIST);
		return 0;
	}
	if (data) {
		if (st->delayed_ack_ns && detect_wanted(sk, key))
			emit_data_after_delayed_ack(key, st->delayed_ack_ns);
		st->delayed_ack_ns = 0;
		st->last_data_ns = now;
	}
	if (st->held_ns) {
		const struct tcp_sock *tp = tcp_sock_of(sk, btf);
		__u32 snd_nxt;

		if (!tp)
			return 0;
		snd_nxt = TCP_FIELD(btf, tp, snd_nxt);

		/* Sent meanwhile (by a window update, autocork, another ACK): nothing to report. */
		if (snd_nxt != st->held_snd_nxt) {
			st->held_ns = 0;
		} else if ((flags & TCPHDR_ACK) && (__s32)(TCB_FIELD(btf, skb, ack_seq) - snd_nxt) >= 0) {
			if (detect_wanted(sk, key))
				emit_held_send_released(sk, key, st);
			st->held_ns = 0;
		}
	}
	return 0;
}

SEC("tp_btf/tcp_probe")
int BPF_PROG(tcp_probe_btf, const struct sock *sk, const struct sk_buff *skb)
{
	return handle_tcp_probe(sk, skb, true);
}

SEC("raw_tp/tcp_probe")
int BPF_PROG(tcp_probe_raw, const struct sock *sk, const struct sk_buff *skb)
{
	return handle_tcp_probe(sk, skb, false);
}

/* After sendmsg(): data smaller than a segment left in the write queue while earlier data is
 * unacknowledged is what Nagle holds back (or cwnd, with TCP_NODELAY). Corked data is the
 * application's choice and not followed. */
static __always_inline int handle_send_length(const struct sock *sk, int ret, bool btf)
{
	const struct tcp_sock *tp;
	struct detect_state *st;
	__u32 snd_nxt, unsent;
	__u8 nonagle, state;
	__u64 key;

	if (ret <= 0 || !(btf ? sock_is_tcp_btf(sk) : sock_is_tcp(sk)))
		return 0;
	state = SK_FIELD(btf, sk, __sk_common.skc_state);
	if (state != TCP_ESTABLISHED && state != TCP_CLOSE_WAIT)
		return 0;
	tp = tcp_sock_of(sk, btf);
	if (!tp)
		return 0;
	snd_nxt = TCP_FIELD(btf, tp, snd_nxt);
	unsent = TCP_FIELD(btf, tp, write_seq) - snd_nxt;
	if (unsent == 0 || unsent >= TCP_FIELD(btf, tp, mss_cache) || !TCP_FIELD(btf, tp, packets_out))
		return 0;
	nonagle = btf ? BPF_CORE_READ_BITFIELD(tp, nonagle) : BPF_CORE_READ_BITFIELD_PROBED(tp, nonagle);
	if (nonagle & TCP_NAGLE_CORK)
		return 0;
	key = stored_sock_key(sk, btf);
	if (!key)
		return 0;
	st = detect_state_of(key);
	if (!st || st->held_ns)
		return 0;
	st->held_ns = bpf_ktime_get_ns();
	st->held_snd_nxt = snd_nxt;
	st->flags = (nonagle & TCP_NAGLE_OFF) ? DETECT_NODELAY : 0;
	return 0;
}

SEC("tp_btf/sock_send_length")
int BPF_PROG(send_length_btf, const struct sock *sk, int ret, int flags)
{
	return handle_send_length(sk, ret, true);
}

SEC("raw_tp/sock_send_length")
int BPF_PROG(send_length_raw, const struct sock *sk, int ret, int flags)
{
	return handle_send_length(sk, ret, false);
}

/* The first pass of tcp_sendmsg_locked(), before anything of this call is sent, sees the
 * state tcp_slow_start_after_idle_check() will test: the restart happens when the sysctl is
 * on, nothing is in flight, the congestion control has no cong_control hook (BBR has) and
 * the connection has not sent for longer than its RTO. Later passes of the same call see the
 * same lsndtime and are not reported again. */
static __always_inline int handle_sendmsg_locked(const struct sock *sk, bool btf)
{
	const struct tcp_sock *tp = tcp_sock_of(sk, btf);
	struct idle_restart_event *e;
	struct detect_state *st;
	__u32 lsndtime, idle, rto;
	__u64 key;

	const __u8 restart_after_idle = btf ? sk->__sk_common.skc_net.net->ipv4.sysctl_tcp_slow_start_after_idle
					    : BPF_CORE_READ(sk, __sk_common.skc_net.net, ipv4.sysctl_tcp_slow_start_after_idle);

	if (!tp || !restart_after_idle || TCP_FIELD(btf, tp, packets_out))
		return 0;
	if (btf ? !!tp->inet_conn.icsk_ca_ops->cong_control
		: !!BPF_CORE_READ(tp, inet_conn.icsk_ca_ops, cong_control))
		return 0;
	lsndtime = TCP_FIELD(btf, tp, lsndtime);
	idle = (__u32)bpf_jiffies64() - lsndtime;
	rto = TCP_FIELD(btf, tp, inet_conn.icsk_rto);
	if ((__s32)idle <= (__s32)rto)
		return 0;
	key = stored_sock_key(sk, btf);
	if (!key || !detect_wanted(sk, key))
		return 0;
	st = detect_state_of(key);
	if (!st || st->restart_lsndtime == lsndtime)
		return 0;
	st->restart_lsndtime = lsndtime;
	e = reserve(sizeof(*e), EVENT_IDLE_RESTART, key);
	if (!e)
		return 0;
	e->idle_us = jiffies_to_us(idle);
	e->rto_us = jiffies_to_us(rto);
	e->cwnd = TCP_FIELD(btf, tp, snd_cwnd);
	e->ssthresh = TCP_FIELD(btf, tp, snd_ssthresh);
	bpf_ringbuf_submit(e, wakeup_flags());
	return 0;
}

SEC("tp_btf/tcp_sendmsg_locked")
int BPF_PROG(sendmsg_locked_btf, const struct sock *sk)
{
	return handle_sendmsg_locked(sk, true);
}

SEC("raw_tp/tcp_sendmsg_locked")
int BPF_PROG(sendmsg_locked_raw, const struct sock *sk)
{
	return handle_sendmsg_locked(sk, false);
}

#endif /* CONNSCOPE_TCP_DETECT_BPF_H */
