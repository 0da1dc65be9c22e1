// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* HTTP capture: the start (and last bytes) of every read and write on a TCP socket, seen
 * inside the application's own syscall, so process and message boundaries are its own.
 * The maps of maps.bpf.h are shared with conn.bpf.c (user space reuses their fds): events
 * arrive in one ring buffer, in order with the connection events.
 *
 * Two sets of hooks. Where the kernel has them, the socket tracepoints (sock_send_length,
 * sock_recv_length, tcp_sendmsg_locked) run only for socket I/O; the buffer comes from the
 * syscall's saved registers. Otherwise the syscall tracepoints run for every syscall of every
 * process and map the fd to its socket. Like conn.bpf.c, those have a tp_btf and a raw_tp
 * variant sharing one body, and a third, tp_btf with direct loads, for kernels with
 * bpf_rdonly_cast (enum read_mode); the socket hooks always load directly. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_endian.h>
#include "http_event.h"
#include "maps.bpf.h"
#include "sock_read.bpf.h"
#include "filters.bpf.h"
#include "http_head_scan.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Set through skel->rodata before load. */
const volatile __u32 capture_bytes = 512; /* at most HTTP_CAPTURE_MAX */
const volatile __u32 sample_every = 1; /* --http-sample: one connection in this many */

/* x86_64 syscall numbers. */
#define NR_READ 0
#define NR_WRITE 1
#define NR_READV 19
#define NR_WRITEV 20
#define NR_SENDFILE 40
#define NR_SENDTO 44
#define NR_RECVFROM 45
#define NR_SENDMSG 46
#define NR_RECVMSG 47

/* A peek leaves the data queued: it will be read again. */
#define MSG_PEEK 2
/* A TCP receive with it discards the data: none reaches the buffer. */
#define MSG_TRUNC 0x20

/* task_struct flags: threads with no syscall of their own behind a socket hook. */
#define PF_IO_WORKER 0x00000010
#define PF_KTHREAD 0x00200000

/* iovecs past this many are counted, not captured (nginx writes up to 64 at once). */
#define HTTP_IOV_MAX 64

enum buffer_kind {
	BUFFER_PLAIN = 1,
	BUFFER_IOVEC = 2,
	BUFFER_NONE = 3, /* sendfile, MSG_TRUNC: the data never passes through user memory */
};

/* A read or write on a TCP socket in progress, until the syscall returns. */
struct http_args {
	__u64 sk; /* 0: none in progress (task storage keeps the slot) */
	__u64 buffer; /* the data, or its struct iovec array */
	__u64 enter_ns;
	__u32 iovcnt;
	__u32 kind; /* enum buffer_kind */
	__u32 direction; /* enum http_direction */
	__u32 sock_ino;
	/* The window at entry: a send's data may be acknowledged (on loopback) before it returns. */
	__u32 snd_cwnd;
	__u32 snd_ssthresh;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, __u64);
	__type(value, struct http_args);
} http_args SEC(".maps");

/* The same, for the direct variant: in the thread itself. A hash lookup, update and delete
 * per syscall showed at nginx saturation; for a thread that never touched a TCP socket the
 * exit's lookup ends at an empty pointer. User space does not create it for the others. */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct http_args);
} http_task_args SEC(".maps");

/* A send in progress on the socket hooks, from the first pass of tcp_sendmsg_locked() (before
 * anything of the call is sent) to sock_send_length at its end. */
struct send_start {
	__u64 enter_ns; /* 0: none in progress */
	__u64 msg; /* the call's struct msghdr: every pass of one call sees the same */
	__u32 snd_cwnd;
	__u32 snd_ssthresh;
	__u32 sock_ino; /* user_sock_ino() then: the send's end need not look it up again */
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct send_start);
} http_send_start SEC(".maps");

/* Where each direction of a socket stands in a body of known length, from the head the socket
 * hooks last saw start a message. Reads and writes wholly inside such a body are counted here
 * and not sent: user space counts their bytes from the jump in sequence numbers, as it counts
 * lost events, against the body length it parsed itself. */
struct body_progress {
	__u32 end_seq; /* the body ends just before this sequence number */
	__u32 skipped_end_seq; /* just past the last read or write left out */
	__u8 active; /* end_seq holds a body's end */
	__u8 response; /* a response head declared it */
	__u8 skipped; /* data left out since this direction's last event */
	__u8 pad;
};

struct http_bodies {
	struct body_progress direction[2]; /* sent, received */
	/* A HEAD or CONNECT request went by: a response's Content-Length may then be of no body. */
	__u8 bodiless_answers;
	__u8 pad[7];
};

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct http_bodies);
} http_bodies SEC(".maps");

static __always_inline struct body_progress *body_of(struct http_bodies *bodies, __u32 direction)
{
	return &bodies->direction[direction == HTTP_SENT ? 0 : 1];
}

/* Sockets user space found not to speak HTTP/1.x (TLS, HTTP/2, anything else), by socket
 * inode: inode numbers are not reused the way socket addresses are. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, __u8);
} http_skip SEC(".maps");

/* The head scan loads data[] a word at a time. */
_Static_assert(__builtin_offsetof(struct http_data_event, data) % 8 == 0, "http_data_event.data is not 8-byte aligned");

/* The event is built here: too big for the stack. The spill lets offsets and lengths be
 * masked rather than proved (the verifier sees off < MAX and len < 2 * MAX). */
struct http_scratch {
	struct http_data_event e;
	__u8 spill[2 * HTTP_CAPTURE_MAX];
	struct head_scan scan;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct http_scratch);
} http_scratch SEC(".maps");

/* The socket behind fd, when it is a TCP socket worth capturing. */
static __always_inline struct sock *wanted_sock(int fd, __u32 *ino)
{
	struct file *file = file_from_fd(fd);
	struct inode *inode;
	struct socket *sock;
	struct sock *sk;

	if (!file)
		return NULL;
	inode = BPF_CORE_READ(file, f_inode);
	if ((BPF_CORE_READ(inode, i_mode) & S_IFMT) != S_IFSOCK)
		return NULL;
	*ino = BPF_CORE_READ(inode, i_ino);
	if (bpf_map_lookup_elem(&http_skip, ino))
		return NULL;
	sock = BPF_CORE_READ(file, private_data);
	sk = BPF_CORE_READ(sock, sk);
	return sock_is_tcp(sk) ? sk : NULL;
}

/* Since 6.2. Weak: on an older kernel the programs that call it are not loaded. */
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym __weak;

/* A socket as the tcp_sock it is, for direct loads. */
static __always_inline struct tcp_sock *tcp_sk_btf(const void *sk)
{
	return bpf_rdonly_cast(sk, bpf_core_type_id_kernel(struct tcp_sock));
}

/* How a variant reads kernel memory. A probe read is a helper call, and the enter hook runs
 * for every read and write of every process: where the kernel can cast to BTF types
 * (bpf_rdonly_cast), the direct variant loads fields straight from memory. */
enum read_mode {
	READ_RAW_TP = 1, /* probe reads; raw_tp socket keys */
	READ_BTF = 2, /* probe reads; tp_btf socket keys (cookies) */
	READ_DIRECT = 3, /* direct loads; tp_btf socket keys */
};

/* wanted_sock() with direct loads. */
static __always_inline struct sock *wanted_sock_btf(int fd, __u32 *ino)
{
	struct fdtable *fdt = bpf_get_current_task_btf()->files->fdt;
	const struct kiocb *slot;
	struct file *file;
	struct socket *sock;
	struct sock *sk;

	if (fd < 0 || (unsigned int)fd >= fdt->max_fds)
		return NULL;
	/* The fd array holds plain pointers, which BTF cannot type: its slot is read as the
	 * first field of a struct that starts with a struct file pointer (kiocb's ki_filp), a
	 * direct load where a probe read cost 12 % of a syscall that touches no socket. */
	slot = bpf_rdonly_cast(&fdt->fd[fd], bpf_core_type_id_kernel(struct kiocb));
	file = slot->ki_filp;
	if (!file || (file->f_inode->i_mode & S_IFMT) != S_IFSOCK)
		return NULL;
	*ino = file->f_inode->i_ino;
	if (bpf_map_lookup_elem(&http_skip, ino))
		return NULL;
	sock = bpf_rdonly_cast(file->private_data, bpf_core_type_id_kernel(struct socket));
	sk = sock->sk;
	return sock_is_tcp_btf(sk) ? sk : NULL;
}

/* Whether --http-sample picks this connection: by a hash of its addresses and ports that is
 * the same from either end, so both ends of a loopback connection are picked alike. */
static __always_inline bool flow_sampled(const struct flow *flow)
{
	const __u32 *s = (const __u32 *)flow->saddr;
	const __u32 *d = (const __u32 *)flow->daddr;
	__u32 h = ((__u32)(flow->sport ^ flow->dport) << 16) | (__u16)(flow->sport + flow->dport);

	h ^= s[0] ^ d[0] ^ s[1] ^ d[1] ^ s[2] ^ d[2] ^ s[3] ^ d[3];
	h *= 0x9e3779b1; /* Knuth's multiplicative hash; its high bits are the well-mixed ones */
	return (h ^ (h >> 16)) % sample_every == 0;
}

/* The --netns and --port filters and --http-sample, for a socket about to be captured. */
static __always_inline bool sock_flow_wanted(struct sock *sk, enum read_mode mode)
{
	struct flow flow = {};

	if (!filter_netns && !filter_port && sample_every <= 1)
		return true;
	if (mode == READ_DIRECT)
		flow_from_sock_btf(&flow, bpf_rdonly_cast(sk, bpf_core_type_id_kernel(struct inet_sock)));
	else
		flow_from_sock(&flow, sk);
	return flow_wanted(&flow) && (sample_every <= 1 || flow_sampled(&flow));
}

/* The direction of a syscall that moves data, or 0 for any other. */
static __always_inline __u32 data_direction(long id)
{
	switch (id) {
	case NR_READ:
	case NR_RECVFROM:
	case NR_READV:
	case NR_RECVMSG:
		return HTTP_RECEIVED;
	case NR_WRITE:
	case NR_SENDTO:
	case NR_WRITEV:
	case NR_SENDMSG:
	case NR_SENDFILE:
		return HTTP_SENT;
	default:
		return 0;
	}
}

/* Where the data of syscall id is, from its second and third arguments and a receive's flags. */
static __always_inline bool locate_buffer(struct http_args *args, long id, __u64 arg2, __u64 arg3,
					  __u64 flags)
{
	args->buffer = arg2;
	args->kind = BUFFER_PLAIN;
	if (id == NR_READV || id == NR_WRITEV) {
		args->kind = BUFFER_IOVEC;
		args->iovcnt = arg3;
	} else if (id == NR_SENDMSG || id == NR_RECVMSG) {
		struct user_msghdr msg;

		if (bpf_probe_read_user(&msg, sizeof(msg), (void *)arg2))
			return false;
		args->kind = BUFFER_IOVEC;
		args->buffer = (__u64)msg.msg_iov;
		args->iovcnt = msg.msg_iovlen;
	}
	if (id == NR_SENDFILE || (flags & MSG_TRUNC))
		args->kind = BUFFER_NONE;
	return true;
}

static __always_inline int handle_enter(const struct pt_regs *regs, long id, enum read_mode mode)
{
	const bool btf = mode != READ_RAW_TP;
	struct http_args args = {};
	struct sock *sk;
	__u64 flags;

	args.direction = data_direction(id);
	if (!args.direction)
		return 0;
	flags = id == NR_RECVFROM ? SYSCALL_ARG4(btf, regs) : id == NR_RECVMSG ? SYSCALL_ARG3(btf, regs) : 0;
	if (flags & MSG_PEEK)
		return 0;
	if (!current_pid_wanted())
		return 0;
	sk = mode == READ_DIRECT ? wanted_sock_btf(SYSCALL_ARG1(btf, regs), &args.sock_ino)
				 : wanted_sock(SYSCALL_ARG1(btf, regs), &args.sock_ino);
	if (!sk || !sock_flow_wanted(sk, mode))
		return 0;
	if (mode == READ_DIRECT) {
		args.snd_cwnd = tcp_sk_btf(sk)->snd_cwnd;
		args.snd_ssthresh = tcp_sk_btf(sk)->snd_ssthresh;
	} else {
		args.snd_cwnd = BPF_CORE_READ((struct tcp_sock *)sk, snd_cwnd);
		args.snd_ssthresh = BPF_CORE_READ((struct tcp_sock *)sk, snd_ssthresh);
	}
	args.sk = (__u64)sk;
	/* A received byte reaches the application at the exit: only sends need their entry
	 * time, and reading the clock is not free in a VM. */
	if (args.direction == HTTP_SENT)
		args.enter_ns = bpf_ktime_get_ns();
	if (!locate_buffer(&args, id, SYSCALL_ARG2(btf, regs), SYSCALL_ARG3(btf, regs), flags))
		return 0;
	if (mode == READ_DIRECT) {
		struct http_args *slot = bpf_task_storage_get(&http_task_args, bpf_get_current_task_btf(), 0,
							      BPF_LOCAL_STORAGE_GET_F_CREATE);

		if (slot)
			*slot = args;
	} else {
		__u64 pid_tgid = bpf_get_current_pid_tgid();

		bpf_map_update_elem(&http_args, &pid_tgid, &args, BPF_ANY);
	}
	return 0;
}

/* Copies what falls in the prefix or the tail from one segment [seen, seen + len) of a
 * buffer of total bytes; returns the bytes it put in the prefix. */
static __always_inline __u32 copy_segment(struct http_scratch *s, const __u8 *base, __u64 len,
					  __u64 seen, __u64 total, __u32 prefix)
{
	struct http_data_event *e = &s->e;
	__u64 tail_start = total - e->tail_len;
	__u32 copied = 0;

	if (seen < prefix) {
		__u64 n = prefix - seen < len ? prefix - seen : len;

		if (bpf_probe_read_user(e->data + (seen & (HTTP_CAPTURE_MAX - 1)),
					n & (2 * HTTP_CAPTURE_MAX - 1), base))
			return 0;
		copied = n;
	}
	/* The tail may span segments: nginx ends each chunk with a 2-byte CRLF buffer. */
	if (e->tail_len && seen + len > tail_start) {
		__u64 from = seen > tail_start ? seen : tail_start;

		if (bpf_probe_read_user(e->tail + ((from - tail_start) & (HTTP_TAIL_LEN - 1)),
					(seen + len - from) & (HTTP_TAIL_LEN * 2 - 1), base + (from - seen)))
			e->tail_len = 0;
	}
	return copied;
}

struct iov_walk {
	struct http_scratch *s;
	const struct iovec *iov;
	__u64 iovcnt;
	__u64 total;
	__u64 seen;
	__u32 prefix;
	__u32 copied;
};

/* One iovec per bpf_loop() step: an unrolled loop over 64 would not pass the verifier. */
static long iov_step(__u64 index, struct iov_walk *walk)
{
	struct iovec segment;
	__u64 len;

	if (index >= walk->iovcnt || walk->seen >= walk->total)
		return 1;
	if (bpf_probe_read_user(&segment, sizeof(segment), &walk->iov[index]))
		return 1;
	len = segment.iov_len < walk->total - walk->seen ? segment.iov_len : walk->total - walk->seen;
	if (walk->seen < walk->prefix && walk->copied != walk->seen)
		return 1; /* a segment failed to copy: what follows would not be contiguous */
	/* Only the segments holding the prefix or the tail are read. */
	if (walk->seen < walk->prefix || walk->seen + len > walk->total - walk->s->e.tail_len)
		walk->copied += copy_segment(walk->s, segment.iov_base, len, walk->seen, walk->total,
					     walk->prefix);
	walk->seen += len;
	return 0;
}

static __always_inline __u32 copy_buffer(struct http_scratch *s, const struct http_args *args,
					 __u64 total, __u32 prefix)
{
	struct iov_walk walk = {
		.s = s,
		.iov = (const struct iovec *)args->buffer,
		.iovcnt = args->iovcnt,
		.total = total,
		.prefix = prefix,
	};

	if (args->kind == BUFFER_PLAIN)
		return copy_segment(s, (const __u8 *)args->buffer, total, 0, total, prefix);
	bpf_loop(HTTP_IOV_MAX, iov_step, &walk, 0);
	if (walk.seen < total)
		s->e.tail_len = 0;
	return walk.copied;
}

/* The sequence number just past a socket's data in one direction. The read that takes the
 * last data may take the peer's FIN with it, and copied_seq counts the FIN too. */
static __always_inline __u32 data_seq_end(const struct tcp_sock *tp, __u32 direction)
{
	const unsigned long fin_received = 1UL << bpf_core_enum_value(enum sock_flags, SOCK_DONE);

	if (direction == HTTP_SENT)
		return tp->write_seq;
	if ((tp->inet_conn.icsk_inet.sk.__sk_common.skc_flags & fin_received) && tp->copied_seq == tp->rcv_nxt)
		return tp->copied_seq - 1;
	return tp->copied_seq;
}

/* data_seq_end() with probe reads. */
static __always_inline __u32 data_seq_end_core(const struct sock *sk, __u32 direction)
{
	const struct tcp_sock *tp = (const struct tcp_sock *)sk;
	__u32 copied;

	if (direction == HTTP_SENT)
		return BPF_CORE_READ(tp, write_seq);
	copied = BPF_CORE_READ(tp, copied_seq);
	return sock_fin_received(sk) && copied == BPF_CORE_READ(tp, rcv_nxt) ? copied - 1 : copied;
}

/* The socket's key and flow into e (direct loads); false for an untracked socket: a connection
 * whose cookie was never made opened before connscope. */
static __always_inline bool sock_identity_btf(struct http_data_event *e, const struct tcp_sock *tp)
{
	e->hdr.cookie = tp->inet_conn.icsk_inet.sk.__sk_common.skc_cookie.counter;
	if (!e->hdr.cookie)
		return false;
	flow_from_sock_btf(&e->flow, &tp->inet_conn.icsk_inet);
	return true;
}

/* The socket's key, flow, sequence number and window into e; false for an untracked socket.
 * A send's window was read at its entry: loopback ACKs the data before the send returns. */
static __always_inline bool read_sock_state(struct http_data_event *e, const struct http_args *args,
					   enum read_mode mode)
{
	const bool sent = args->direction == HTTP_SENT;

	if (mode == READ_DIRECT) {
		const struct tcp_sock *tp = tcp_sk_btf((void *)args->sk);

		if (!sock_identity_btf(e, tp))
			return false;
		e->seq_end = data_seq_end(tp, args->direction);
		e->snd_cwnd = args->snd_cwnd;
		e->snd_ssthresh = args->snd_ssthresh;
		/* Kept apart from the loads above: the verifier rejects one load instruction
		 * serving two kinds of pointer (map value, socket), which a select would make. */
		barrier();
		if (!sent) {
			e->snd_cwnd = tp->snd_cwnd;
			e->snd_ssthresh = tp->snd_ssthresh;
		}
		return true;
	}
	const struct sock *sk = (const struct sock *)args->sk;
	const struct tcp_sock *tp = (const struct tcp_sock *)args->sk;

	e->hdr.cookie = stored_sock_key(sk, mode == READ_BTF);
	if (!e->hdr.cookie)
		return false;
	flow_from_sock(&e->flow, sk);
	e->seq_end = data_seq_end_core(sk, args->direction);
	e->snd_cwnd = sent ? args->snd_cwnd : BPF_CORE_READ(tp, snd_cwnd);
	e->snd_ssthresh = sent ? args->snd_ssthresh : BPF_CORE_READ(tp, snd_ssthresh);
	return true;
}

/* The event for a read or write that returned ret > 0 bytes, in the scratch space it was built
 * in; NULL when none was sent. */
static __always_inline struct http_scratch *emit_data(const struct http_args *args, long ret,
						       enum read_mode mode)
{
	struct http_scratch *s;
	struct http_data_event *e;
	__u32 zero = 0;
	__u32 prefix;

	s = bpf_map_lookup_elem(&http_scratch, &zero);
	if (!s)
		return NULL;
	e = &s->e;
	stamp_header(&e->hdr, EVENT_HTTP_DATA);
	/* A connection whose cookie was never made opened before connscope: not tracked. */
	if (!read_sock_state(e, args, mode))
		return NULL;
	e->owner.pid = bpf_get_current_pid_tgid() >> 32;
	bpf_get_current_comm(e->owner.comm, sizeof(e->owner.comm));
	e->enter_ns = args->enter_ns;
	e->bytes = ret;
	e->sock_ino = args->sock_ino;
	e->direction = args->direction;
	e->sendfile = args->kind == BUFFER_NONE;
	e->captured = 0;
	e->tail_len = 0;
	if (args->kind != BUFFER_NONE) {
		prefix = capture_bytes < ret ? capture_bytes : ret;
		e->tail_len = ret - prefix < HTTP_TAIL_LEN ? ret - prefix : HTTP_TAIL_LEN;
		e->captured = copy_buffer(s, args, ret, prefix);
	}
	if (bpf_ringbuf_output(&events, e,
			       offsetof(struct http_data_event, data) +
				       (e->captured & (2 * HTTP_CAPTURE_MAX - 1)),
			       wakeup_flags())) {
		count(COUNTER_EVENTS_LOST, 1);
		return NULL;
	}
	return s;
}

static __always_inline int handle_exit(const struct pt_regs *regs, long ret, enum read_mode mode)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct http_args *args;

	/* Most syscalls move no data: they are sent away before the map lookup. */
	if (!data_direction(SYSCALL_NR(mode != READ_RAW_TP, regs)))
		return 0;
	if (mode == READ_DIRECT) {
		args = bpf_task_storage_get(&http_task_args, bpf_get_current_task_btf(), 0, 0);
		if (!args || !args->sk)
			return 0;
	} else {
		args = bpf_map_lookup_elem(&http_args, &pid_tgid);
		if (!args)
			return 0;
	}
	if (ret > 0)
		emit_data(args, ret, mode);
	if (mode == READ_DIRECT)
		args->sk = 0;
	else
		bpf_map_delete_elem(&http_args, &pid_tgid);
	return 0;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(http_enter_direct, const struct pt_regs *regs, long id)
{
	return handle_enter(regs, id, READ_DIRECT);
}

SEC("tp_btf/sys_enter")
int BPF_PROG(http_enter_btf, const struct pt_regs *regs, long id)
{
	return handle_enter(regs, id, READ_BTF);
}

SEC("raw_tp/sys_enter")
int BPF_PROG(http_enter_raw, const struct pt_regs *regs, long id)
{
	return handle_enter(regs, id, READ_RAW_TP);
}

SEC("tp_btf/sys_exit")
int BPF_PROG(http_exit_direct, const struct pt_regs *regs, long ret)
{
	return handle_exit(regs, ret, READ_DIRECT);
}

SEC("tp_btf/sys_exit")
int BPF_PROG(http_exit_btf, const struct pt_regs *regs, long ret)
{
	return handle_exit(regs, ret, READ_BTF);
}

SEC("raw_tp/sys_exit")
int BPF_PROG(http_exit_raw, const struct pt_regs *regs, long ret)
{
	return handle_exit(regs, ret, READ_RAW_TP);
}

/* Whether the socket hooks capture sk (a BTF pointer) at all: TCP, and kept by the filters and
 * --http-sample. First in each hook, before anything that misses the cache: with sampling, most
 * sockets stop here. */
static __always_inline bool captured_sock(struct sock *sk)
{
	return sock_is_tcp_btf(sk) && sock_flow_wanted(sk, READ_DIRECT);
}

/* The inode of the user socket behind a captured sk, or 0: kernel sockets (NFS, iSCSI) have no
 * file and no user buffer, and sockets found not to speak HTTP/1.x are skipped. */
static __always_inline __u32 user_sock_ino(struct sock *sk)
{
	struct socket *sock = sk->sk_socket;
	struct file *file;
	__u32 ino;

	if (!sock)
		return 0;
	file = sock->file;
	if (!file)
		return 0;
	ino = file->f_inode->i_ino;
	return bpf_map_lookup_elem(&http_skip, &ino) ? 0 : ino;
}

/* Whether a read or write may start a response: "HTTP/", or its first bytes are out of reach. */
static __always_inline bool may_start_response(const struct http_args *args)
{
	const void *data = (const void *)args->buffer;
	__u8 first[8];

	if (args->kind == BUFFER_NONE)
		return false; /* sendfile() sends file contents: a body */
	if (args->kind == BUFFER_IOVEC) {
		struct iovec iov;

		if (bpf_probe_read_user(&iov, sizeof(iov), data) || iov.iov_len < 5)
			return true;
		data = iov.iov_base;
	}
	return bpf_probe_read_user(first, 5, data) || status_line_at(first, 0);
}

/* A read or write that falls wholly inside a body of known length is counted, not sent. */
static __always_inline bool counted_inside_body(struct sock *sk, struct http_bodies *bodies,
						const struct http_args *args)
{
	struct body_progress *body;
	__u32 seq_end;

	if (!bodies)
		return false;
	body = body_of(bodies, args->direction);
	if (!body->active)
		return false;
	seq_end = data_seq_end(tcp_sk_btf(sk), args->direction);
	/* The read or write that reaches the body's end is sent: it dates the last byte. */
	if ((__s32)(seq_end - body->end_seq) >= 0)
		return false;
	/* The answer to a HEAD has a Content-Length and no body: the next response starts at once,
	 * and is never left out. */
	if (body->response && bodies->bodiless_answers && may_start_response(args))
		return false;
	body->skipped = 1;
	body->skipped_end_seq = seq_end;
	count(COUNTER_HTTP_BODY_IO_COUNTED, 1);
	return true;
}

/* head_body_end() of the event in s. A global function: the verifier checks it once, not once
 * for every path of each program that reaches it (that took 0.7 s at every start). */
__noinline __u64 event_body_end(struct http_scratch *s, __u32 response)
{
	if (!s)
		return 0;
	return head_body_end(s->e.data, s->e.captured, response, &s->scan);
}

/* After an event: where its direction's body now ends. An event that starts a head sets it
 * anew (or to none: the head may run past the prefix). bodies: the socket's, if it has any. */
static __always_inline void note_event(struct sock *sk, struct http_bodies *bodies, struct http_scratch *s)
{
	const struct http_data_event *e = &s->e;
	bool response = false;
	const bool starts = e->captured >= 16 && head_starts(e->data, &response);
	struct body_progress *body;
	__u64 end;

	if (bodies) {
		body = body_of(bodies, e->direction);
		body->skipped = 0;
		if (starts || (__s32)(e->seq_end - body->end_seq) >= 0)
			body->active = 0;
	}
	if (starts && !response && answered_without_body(e->data)) {
		if (!bodies)
			bodies = bpf_sk_storage_get(&http_bodies, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
		if (bodies)
			bodies->bodiless_answers = 1;
	}
	/* Scanning a head costs: not when its message cannot go on past this event. */
	if (!starts || bodiless_request(e->data) ||
	    (e->bytes == e->captured && !ends_with_head_end(e->data, e->captured)))
		return;
	end = event_body_end(s, response);
	if (end <= e->bytes)
		return; /* no body of known length, or it ended within this event */
	if (!bodies)
		bodies = bpf_sk_storage_get(&http_bodies, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (!bodies)
		return;
	body = body_of(bodies, e->direction);
	body->end_seq = e->seq_end - (__u32)e->bytes + (__u32)end;
	body->response = response;
	body->active = 1;
}

/* The socket hooks' common part: the syscall behind them, from its saved registers, says
 * where the data is. io_uring workers and kernel threads run no syscall of their own. */
static __always_inline int handle_socket_data(struct sock *sk, int ret, int flags, __u32 direction)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct http_scratch *sent_event;
	struct http_bodies *bodies;
	struct http_args args = {};
	struct send_start *start;
	struct pt_regs *regs;
	long id;

	if (!captured_sock(sk))
		return 0;
	/* Taken even from a send that failed, so the next one does not inherit its start. */
	if (direction == HTTP_SENT) {
		start = bpf_sk_storage_get(&http_send_start, sk, 0, 0);
		if (start && start->enter_ns) {
			args.enter_ns = start->enter_ns;
			args.snd_cwnd = start->snd_cwnd;
			args.snd_ssthresh = start->snd_ssthresh;
			args.sock_ino = start->sock_ino;
			start->enter_ns = 0;
		}
	}
	if (ret <= 0 || (flags & MSG_PEEK) || (task->flags & (PF_KTHREAD | PF_IO_WORKER)))
		return 0;
	if (!current_pid_wanted())
		return 0;
	regs = (struct pt_regs *)bpf_task_pt_regs(task);
	id = regs->orig_ax;
	if (data_direction(id) != direction)
		return 0;
	args.direction = direction;
	if (!locate_buffer(&args, id, PT_REGS_PARM2(regs), PT_REGS_PARM3(regs), flags))
		return 0;
	/* Before the socket's other checks: a body's state exists only where they passed. */
	bodies = bpf_sk_storage_get(&http_bodies, sk, 0, 0);
	if (counted_inside_body(sk, bodies, &args))
		return 0;
	if (!args.sock_ino)
		args.sock_ino = user_sock_ino(sk);
	if (!args.sock_ino)
		return 0;
	args.sk = (__u64)sk;
	if (direction == HTTP_SENT && !args.enter_ns) {
		/* Not through tcp_sendmsg_locked(): nothing was sent before now. */
		args.enter_ns = bpf_ktime_get_ns();
		args.snd_cwnd = tcp_sk_btf(sk)->snd_cwnd;
		args.snd_ssthresh = tcp_sk_btf(sk)->snd_ssthresh;
	}
	sent_event = emit_data(&args, ret, READ_DIRECT);
	if (sent_event)
		note_event(sk, bodies, sent_event);
	return 0;
}

/* A send that will end before the end of the body it is in is counted, not sent: its start is
 * not needed. (Where a response may start inside the body, the send is checked at its end.) */
static __always_inline bool send_inside_body(struct sock *sk, const struct msghdr *msg)
{
	struct http_bodies *bodies = bpf_sk_storage_get(&http_bodies, sk, 0, 0);
	const struct body_progress *body;

	if (!bodies)
		return false;
	body = body_of(bodies, HTTP_SENT);
	if (!body->active || (body->response && bodies->bodiless_answers))
		return false;
	return (__s32)(tcp_sk_btf(sk)->write_seq + (__u32)msg->msg_iter.count - body->end_seq) < 0;
}

SEC("tp_btf/tcp_sendmsg_locked")
int BPF_PROG(http_send_begin, struct sock *sk, const struct msghdr *msg)
{
	struct send_start *start;
	__u32 ino;

	if (!captured_sock(sk) || !current_pid_wanted() || send_inside_body(sk, msg))
		return 0;
	ino = user_sock_ino(sk);
	if (!ino)
		return 0;
	start = bpf_sk_storage_get(&http_send_start, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (!start || (start->enter_ns && start->msg == (__u64)msg))
		return 0;
	start->enter_ns = bpf_ktime_get_ns();
	start->msg = (__u64)msg;
	start->sock_ino = ino;
	start->snd_cwnd = tcp_sk_btf(sk)->snd_cwnd;
	start->snd_ssthresh = tcp_sk_btf(sk)->snd_ssthresh;
	return 0;
}

SEC("tp_btf/sock_send_length")
int BPF_PROG(http_sent, struct sock *sk, int ret, int flags)
{
	return handle_socket_data(sk, ret, flags, HTTP_SENT);
}

SEC("tp_btf/sock_recv_length")
int BPF_PROG(http_received, struct sock *sk, int ret, int flags)
{
	return handle_socket_data(sk, ret, flags, HTTP_RECEIVED);
}

/* Sent as an event with no data: the data left out since a direction's last event, which
 * user space counts from its sequence number. Dated now: a clock read for every read left out
 * would cost more than all the rest of leaving it out, and the close follows the last of it. */
static __always_inline void flush_body(const struct sock *sk, struct body_progress *body, __u32 direction)
{
	const struct tcp_sock *tp = tcp_sk_btf(sk);
	struct http_data_event *e;
	struct http_scratch *s;
	__u32 zero = 0;

	if (!body->skipped)
		return;
	body->skipped = 0;
	s = bpf_map_lookup_elem(&http_scratch, &zero);
	if (!s)
		return;
	e = &s->e;
	__builtin_memset(e, 0, offsetof(struct http_data_event, tail));
	stamp_header(&e->hdr, EVENT_HTTP_DATA);
	if (!sock_identity_btf(e, tp))
		return;
	e->enter_ns = e->hdr.ts_ns;
	e->direction = direction;
	e->seq_end = body->skipped_end_seq;
	if (bpf_ringbuf_output(&events, e, offsetof(struct http_data_event, data), wakeup_flags()))
		count(COUNTER_EVENTS_LOST, 1);
}

/* A body cut short by the close (or by shutdown()) still counts to its last byte. */
SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(http_body_flush, struct sock *sk, int oldstate, int newstate)
{
	struct http_bodies *bodies;

	if (newstate != TCP_FIN_WAIT1 && newstate != TCP_LAST_ACK && newstate != TCP_CLOSE)
		return 0;
	bodies = bpf_sk_storage_get(&http_bodies, sk, 0, 0);
	if (!bodies)
		return 0;
	flush_body(sk, body_of(bodies, HTTP_SENT), HTTP_SENT);
	flush_body(sk, body_of(bodies, HTTP_RECEIVED), HTTP_RECEIVED);
	return 0;
}
