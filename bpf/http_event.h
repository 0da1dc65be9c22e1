/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The HTTP data event family: the contract between http.bpf.c and user space. It shares the
 * connection probes' ring buffer (and so struct event_header and its ordering). */
#ifndef CONNSCOPE_HTTP_EVENT_H
#define CONNSCOPE_HTTP_EVENT_H

#include "conn_event.h"

/* Upper bound of --http-capture-bytes; a power of two (the kernel masks offsets with it). */
#define HTTP_CAPTURE_MAX 1024
/* The last bytes of a buffer beyond the captured prefix: where a chunked body's end shows. */
#define HTTP_TAIL_LEN 16

enum http_direction {
	HTTP_SENT = 1,
	HTTP_RECEIVED = 2,
};

/* One read or write of a TCP socket that returned data: its start, its end, its size. The
 * record is variable-length: only `captured` bytes of data[] travel. */
struct http_data_event {
	struct event_header hdr; /* ts_ns: the data has moved (the socket call's or syscall's end) */
	struct flow flow;
	struct owner owner;
	__u64 enter_ns; /* the send's start (syscall entry, or before its first byte left); 0 for receives */
	__u64 bytes; /* what moved: the syscall's return, or one sendfile() pass's */
	__u32 sock_ino; /* inode of the socket file: the key user space uses to stop capture */
	__u32 direction; /* enum http_direction */
	__u32 captured; /* data[] holds bytes [0, captured) */
	__u32 tail_len; /* tail[] holds bytes [bytes - tail_len, bytes), none of them in data[] */
	__u32 sendfile; /* 1: the data never passed through user memory (sendfile(), a MSG_TRUNC receive) */
	/* The TCP sequence number just past this data (write_seq after a send, copied_seq after
	 * a receive): a jump from the previous event's says events were lost in between. */
	__u32 seq_end;
	/* The socket's congestion window (segments) and slow-start threshold (TCP_INFINITE_SSTHRESH
	 * until the first loss) when the data's first byte moved: a send's entry, a receive's exit. */
	__u32 snd_cwnd;
	__u32 snd_ssthresh;
	__u8 tail[HTTP_TAIL_LEN];
	__u8 data[HTTP_CAPTURE_MAX];
};

#endif /* CONNSCOPE_HTTP_EVENT_H */
