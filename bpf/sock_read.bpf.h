/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Reading sockets, packets and file descriptors. Every read goes through CO-RE probe
 * reads so the same code serves tp_btf (BTF pointers) and raw_tp (plain pointers). */
#ifndef CONNSCOPE_SOCK_READ_BPF_H
#define CONNSCOPE_SOCK_READ_BPF_H

#include "conn_event.h"

#define AF_INET 2
#define AF_INET6 10
#define O_NONBLOCK 04000
#define S_IFMT 00170000
#define S_IFSOCK 0140000
#define TCPHDR_SYN 0x02

/* A syscall's number and arguments (x86_64: the fourth is in r10). tp_btf programs hold
 * pt_regs as a BTF pointer and load them directly: these run for every syscall. raw_tp ones
 * read them with probe reads. */
#define SYSCALL_NR(btf, regs) ((btf) ? (regs)->orig_ax : BPF_CORE_READ(regs, orig_ax))
#define SYSCALL_ARG1(btf, regs) ((btf) ? PT_REGS_PARM1(regs) : PT_REGS_PARM1_CORE(regs))
#define SYSCALL_ARG2(btf, regs) ((btf) ? PT_REGS_PARM2(regs) : PT_REGS_PARM2_CORE(regs))
#define SYSCALL_ARG3(btf, regs) ((btf) ? PT_REGS_PARM3(regs) : PT_REGS_PARM3_CORE(regs))
#define SYSCALL_ARG4(btf, regs) ((btf) ? (regs)->r10 : BPF_CORE_READ(regs, r10))

/* Mixed into raw_tp socket keys so the NDJSON never carries a kernel address. */
const volatile __u64 key_salt = 0;

static __always_inline __u32 sock_netns(const struct sock *sk)
{
	return BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
}

/* Works on full, request and timewait sockets alike: only sock_common is read. */
static __always_inline void flow_from_sock_common(struct flow *flow, const struct sock_common *skc)
{
	flow->family = BPF_CORE_READ(skc, skc_family);
	flow->sport = BPF_CORE_READ(skc, skc_num);
	flow->dport = bpf_ntohs(BPF_CORE_READ(skc, skc_dport));
	flow->netns = BPF_CORE_READ(skc, skc_net.net, ns.inum);
	if (flow->family == AF_INET) {
		bpf_core_read(flow->saddr, 4, &skc->skc_rcv_saddr);
		bpf_core_read(flow->daddr, 4, &skc->skc_daddr);
	} else {
		bpf_core_read(flow->saddr, 16, &skc->skc_v6_rcv_saddr);
		bpf_core_read(flow->daddr, 16, &skc->skc_v6_daddr);
	}
}

/* A full socket moving to CLOSE has already given its port back (inet_num is 0), but
 * inet_sport still holds it. */
static __always_inline void flow_from_sock(struct flow *flow, const struct sock *sk)
{
	flow_from_sock_common(flow, &sk->__sk_common);
	if (!flow->sport)
		flow->sport = bpf_ntohs(BPF_CORE_READ((struct inet_sock *)sk, inet_sport));
}

/* flow_from_sock() with direct loads, for inet, a BTF pointer of the socket as an inet_sock. */
static __always_inline void flow_from_sock_btf(struct flow *flow, const struct inet_sock *inet)
{
	const struct sock_common *skc = &inet->sk.__sk_common;

	flow->family = skc->skc_family;
	flow->sport = skc->skc_num ? skc->skc_num : bpf_ntohs(inet->inet_sport);
	flow->dport = bpf_ntohs(skc->skc_dport);
	flow->netns = skc->skc_net.net->ns.inum;
	if (flow->family == AF_INET) {
		__builtin_memcpy(flow->saddr, &skc->skc_rcv_saddr, 4);
		__builtin_memcpy(flow->daddr, &skc->skc_daddr, 4);
	} else {
		__builtin_memcpy(flow->saddr, &skc->skc_v6_rcv_saddr, 16);
		__builtin_memcpy(flow->daddr, &skc->skc_v6_daddr, 16);
	}
}

/* SOCK_DONE is set by tcp_fin() when the peer's FIN arrives. */
static __always_inline bool sock_fin_received(const struct sock *sk)
{
	unsigned long flags = BPF_CORE_READ(sk, __sk_common.skc_flags);

	return flags & (1UL << bpf_core_enum_value(enum sock_flags, SOCK_DONE));
}

/* The flow of the reply to an incoming packet: its destination is our source. */
static __always_inline int flow_from_incoming_skb(struct flow *flow, const struct sk_buff *skb)
{
	unsigned char *head = BPF_CORE_READ(skb, head);
	__u16 network = BPF_CORE_READ(skb, network_header);
	__u16 transport = BPF_CORE_READ(skb, transport_header);
	struct tcphdr th;
	__u8 version;

	if (bpf_probe_read_kernel(&version, 1, head + network))
		return -1;
	if ((version >> 4) == 4) {
		struct iphdr ip;
		if (bpf_probe_read_kernel(&ip, sizeof(ip), head + network))
			return -1;
		flow->family = AF_INET;
		__builtin_memcpy(flow->saddr, &ip.daddr, 4);
		__builtin_memcpy(flow->daddr, &ip.saddr, 4);
	} else {
		struct ipv6hdr ip6;
		if (bpf_probe_read_kernel(&ip6, sizeof(ip6), head + network))
			return -1;
		flow->family = AF_INET6;
		__builtin_memcpy(flow->saddr, &ip6.daddr, 16);
		__builtin_memcpy(flow->daddr, &ip6.saddr, 16);
	}
	if (bpf_probe_read_kernel(&th, sizeof(th), head + transport))
		return -1;
	flow->sport = bpf_ntohs(th.dest);
	flow->dport = bpf_ntohs(th.source);
	flow->netns = BPF_CORE_READ(skb, dev, nd_net.net, ns.inum);
	return 0;
}

/* The key of a socket whose cookie, if any, was made earlier: the state probe makes it
 * when the connection opens, so every connection we track has one. */
static __always_inline __u64 stored_sock_key(const struct sock *sk, bool btf)
{
	if (btf)
		return BPF_CORE_READ(sk, __sk_common.skc_cookie.counter);
	return (__u64)sk ^ key_salt;
}

/* The address and port (host byte order) of a sockaddr_in or sockaddr_in6 read from user space. */
static __always_inline void address_from_sockaddr(const __u8 *sockaddr, __u8 *address, __u16 *port)
{
	if (*(const __u16 *)sockaddr == AF_INET) {
		const struct sockaddr_in *sin = (const void *)sockaddr;

		__builtin_memset(address, 0, 16);
		__builtin_memcpy(address, &sin->sin_addr, 4);
		*port = bpf_ntohs(sin->sin_port);
	} else {
		const struct sockaddr_in6 *sin6 = (const void *)sockaddr;

		__builtin_memcpy(address, &sin6->sin6_addr, 16);
		*port = bpf_ntohs(sin6->sin6_port);
	}
}

/* The open file behind a file descriptor of the current task, or NULL. */
static __always_inline struct file *file_from_fd(int fd)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct file **fds;
	struct file *file = NULL;

	if (fd < 0 || !fdt || (unsigned int)fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	fds = BPF_CORE_READ(fdt, fd);
	if (bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]))
		return NULL;
	return file;
}

/* The socket behind a file descriptor of the current task, or NULL. */
static __always_inline struct sock *sock_from_fd(int fd)
{
	struct file *file = file_from_fd(fd);
	struct socket *sock;

	if (!file || (BPF_CORE_READ(file, f_inode, i_mode) & S_IFMT) != S_IFSOCK)
		return NULL;
	sock = BPF_CORE_READ(file, private_data);
	return BPF_CORE_READ(sock, sk);
}

static __always_inline bool sock_is_tcp(const struct sock *sk)
{
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);

	return sk && BPF_CORE_READ(sk, sk_protocol) == IPPROTO_TCP &&
	       (family == AF_INET || family == AF_INET6);
}

/* sock_is_tcp() with direct loads, for a BTF pointer. */
static __always_inline bool sock_is_tcp_btf(const struct sock *sk)
{
	__u16 family = sk->__sk_common.skc_family;

	return sk->sk_protocol == IPPROTO_TCP && (family == AF_INET || family == AF_INET6);
}

static __always_inline bool sock_nonblocking(const struct sock *sk)
{
	return BPF_CORE_READ(sk, sk_socket, file, f_flags) & O_NONBLOCK;
}

static __always_inline void read_tcp_counters(struct tcp_counters *c, const struct sock *sk)
{
	const struct tcp_sock *tp = (const struct tcp_sock *)sk;

	c->bytes_sent = BPF_CORE_READ(tp, bytes_sent);
	c->bytes_retrans = BPF_CORE_READ(tp, bytes_retrans);
	c->bytes_received = BPF_CORE_READ(tp, bytes_received);
	c->srtt_us = BPF_CORE_READ(tp, srtt_us) >> 3;
	c->total_retrans = BPF_CORE_READ(tp, total_retrans);
	c->segs_out = BPF_CORE_READ(tp, segs_out);
	c->sk_err = BPF_CORE_READ(sk, sk_err);
	c->snd_cwnd = BPF_CORE_READ(tp, snd_cwnd);
	c->snd_ssthresh = BPF_CORE_READ(tp, snd_ssthresh);
}

#endif /* CONNSCOPE_SOCK_READ_BPF_H */
