/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The kernel's reading of an HTTP/1.x head: only enough to know where a body of known length
 * ends, so that the reads and writes wholly inside it can be counted instead of sent. User
 * space parses every head itself; what this gets wrong costs events, or at worst shows there
 * as lost capture, never as a wrong record. Anything unusual is left alone: bare LF line
 * ends, Transfer-Encoding, two Content-Length lines, a head not whole in the prefix. */
#ifndef CONNSCOPE_HTTP_HEAD_SCAN_BPF_H
#define CONNSCOPE_HTTP_HEAD_SCAN_BPF_H

#include "http_event.h"

#define HEAD_MASK (HTTP_CAPTURE_MAX - 1)

/* Lower-cased with | 0x20 and read little-endian: "content-", "length:" and "transfer". */
#define WORD_CONTENT_ 0x2d746e65746e6f63ULL
#define WORD_LENGTH_COLON 0x3a6874676e656cULL
#define WORD_TRANSFER 0x726566736e617274ULL
#define LOWER_CASE 0x2020202020202020ULL
#define BYTES_1 0x0101010101010101ULL
#define BYTES_80 0x8080808080808080ULL
#define BYTES_LF 0x0a0a0a0a0a0a0a0aULL

/* Kept in map memory, not on the stack: the verifier then tracks none of these values across
 * bpf_loop() steps, and checks a step once instead of once per distinct state. */
struct head_scan {
	__u32 captured; /* data's bytes that were captured */
	__u32 line_start;
	__u32 head_len; /* 0 until the empty line */
	__u32 length_at; /* Content-Length's value: [length_at, length_end); 0 when none */
	__u32 length_end;
	__u8 response;
	__u8 give_up;
	__u8 pad[2];
};

struct head_scan_step {
	const __u8 *data; /* 8-byte aligned, HTTP_CAPTURE_MAX + 16 readable bytes */
	struct head_scan *scan;
};

/* "HTTP/" at data[at]. */
static __always_inline bool status_line_at(const __u8 *data, __u32 at)
{
	return data[at & HEAD_MASK] == 'H' && data[(at + 1) & HEAD_MASK] == 'T' &&
	       data[(at + 2) & HEAD_MASK] == 'T' && data[(at + 3) & HEAD_MASK] == 'P' &&
	       data[(at + 4) & HEAD_MASK] == '/';
}

/* s is a string literal: the loop unrolls into compares with constants. */
static __always_inline bool starts_with(const __u8 *d, const char *s, int n)
{
	for (int k = 0; k < n; k++)
		if (d[k] != s[k])
			return false;
	return true;
}

/* HEAD and CONNECT requests: answers whose Content-Length is not of a body that follows. */
static __always_inline bool answered_without_body(const __u8 *d)
{
	return starts_with(d, "HEAD ", 5) || starts_with(d, "CONNECT ", 8);
}

/* A request line's method (3 to 7 capital letters and a space) or a status line's "HTTP/". */
static __always_inline bool head_starts(const __u8 *d, bool *response)
{
	if (status_line_at(d, 0)) {
		*response = true;
		return true;
	}
	for (int k = 0; k < 8; k++) {
		if (d[k] == ' ')
			return k >= 3;
		if (d[k] < 'A' || d[k] > 'Z')
			return false;
	}
	return false;
}

/* GET and HEAD requests carry no body: their heads are not worth scanning. */
static __always_inline bool bodiless_request(const __u8 *d)
{
	return starts_with(d, "GET ", 4) || starts_with(d, "HEAD ", 5);
}

/* Whether a message may go on past captured bytes of data that were all of a read or write:
 * only if they end with a head's end (CRLF CRLF), its body to come in later ones. */
static __always_inline bool ends_with_head_end(const __u8 *data, __u32 captured)
{
	return captured >= 4 && data[(captured - 4) & HEAD_MASK] == '\r' && data[(captured - 3) & HEAD_MASK] == '\n' &&
	       data[(captured - 2) & HEAD_MASK] == '\r' && data[(captured - 1) & HEAD_MASK] == '\n';
}

/* Eight bytes from anywhere in data, for the few lines whose first letter may start a name
 * looked for. */
static __always_inline __u64 load_word(const __u8 *data, __u32 at)
{
	__u64 word;

	__builtin_memcpy(&word, data + (at & HEAD_MASK), sizeof(word));
	return word;
}

/* The line [line_start, lf] ended; true once scanning is over. */
static __always_inline bool end_line(const __u8 *data, struct head_scan *scan, __u32 lf)
{
	__u32 start = scan->line_start;
	__u8 first;

	if (lf <= start || data[(lf - 1) & HEAD_MASK] != '\r') {
		scan->give_up = true;
		return true;
	}
	if (lf == start + 1) {
		scan->head_len = lf + 1;
		return true;
	}
	scan->line_start = lf + 1;
	if (start == 0) {
		/* "HTTP/1.1 204": 1xx, 204 and 304 have no body whatever their head says. */
		const __u8 *status = data + 9;

		if (scan->response && (lf < 12 || status[0] == '1' ||
				       (status[1] == '0' && status[2] == '4' && (status[0] == '2' || status[0] == '3'))))
			scan->give_up = true;
		return scan->give_up;
	}
	first = data[start & HEAD_MASK] | 0x20;
	if (first == 't' && (load_word(data, start) | LOWER_CASE) == WORD_TRANSFER &&
	    data[(start + 8) & HEAD_MASK] == '-') {
		scan->give_up = true;
		return true;
	}
	if (first == 'c' && lf - start > 16 && (load_word(data, start) | LOWER_CASE) == WORD_CONTENT_ &&
	    ((load_word(data, start + 8) | LOWER_CASE) & 0xffffffffffffffULL) == WORD_LENGTH_COLON) {
		scan->give_up = scan->length_at != 0;
		scan->length_at = start + 15;
		scan->length_end = lf - 1;
	}
	return scan->give_up;
}

/* The line feeds of the word at base; true once scanning is over. A function of its own: only
 * the words that hold a line feed (a few in a head) pay for the call. */
static __noinline bool scan_line_feeds(const __u8 *data, struct head_scan *scan, __u32 base, __u64 word)
{
	/* Each byte's top bit set where the byte is a line feed (exactly: no borrow between bytes). */
	__u64 x = word ^ BYTES_LF;
	__u64 feeds = ~(((x & ~BYTES_80) + ~BYTES_80) | x | ~BYTES_80);

	for (int n = 0; n < 8 && feeds; n++) {
		/* The lowest one's byte: its bit is 8k + 7; (1 << 8k) * 0x0001020304050607 has k on top. */
		__u32 lf = base + ((((feeds & -feeds) >> 7) * 0x0001020304050607ULL) >> 56);

		feeds &= feeds - 1;
		if (lf >= scan->captured || end_line(data, scan, lf))
			return true;
	}
	return false;
}

#define SCAN_STEP_WORDS 8

/* SCAN_STEP_WORDS aligned words per bpf_loop() step; a word without a line feed costs a few
 * instructions. */
static long scan_words(__u64 index, struct head_scan_step *step)
{
	struct head_scan *scan = step->scan;
	const __u32 captured = scan->captured;

	for (int w = 0; w < SCAN_STEP_WORDS; w++) {
		__u32 base = (index * SCAN_STEP_WORDS + w) * 8;
		__u64 word, x;

		if (base >= captured)
			return 1;
		word = *(const __u64 *)(step->data + (base & (HEAD_MASK & ~7)));
		x = word ^ BYTES_LF;
		if (((x - BYTES_1) & ~x & BYTES_80) && scan_line_feeds(step->data, scan, base, word))
			return 1;
	}
	return 0;
}

/* Content-Length's value: optional blanks, up to 9 digits, optional blanks. -1 when not one. */
static __always_inline __s64 length_value(const __u8 *data, const struct head_scan *scan)
{
	__s64 value = -1;
	bool digits_done = false;

	for (int k = 0; k < 24; k++) {
		__u32 at = scan->length_at + k;
		__u8 c;

		if (at >= scan->length_end)
			break;
		c = data[at & HEAD_MASK];
		if (c == ' ' || c == '\t') {
			digits_done = value >= 0;
			continue;
		}
		if (c < '0' || c > '9' || digits_done || value >= 100000000)
			return -1;
		value = (value < 0 ? 0 : value * 10) + (c - '0');
	}
	return value;
}

/* Where the body of the message whose head data starts with (head_starts()) ends, counted from
 * data's start; 0 when there is no body of known length, or the head is not for this reading. */
static __always_inline __u64 head_body_end(const __u8 *data, __u32 captured, bool response,
					   struct head_scan *scan)
{
	struct head_scan_step step = { .data = data, .scan = scan };
	__s64 length;

	__builtin_memset(scan, 0, sizeof(*scan));
	scan->captured = captured;
	scan->response = response;
	bpf_loop(HTTP_CAPTURE_MAX / 8 / SCAN_STEP_WORDS, scan_words, &step, 0);
	if (scan->give_up || !scan->head_len || !scan->length_at)
		return 0;
	length = length_value(data, scan);
	if (length <= 0)
		return 0;
	/* A response straight after a response head: that one had no body (a HEAD's answer). */
	if (response && scan->head_len + 5 <= captured && status_line_at(data, scan->head_len))
		return 0;
	return scan->head_len + length;
}

#endif /* CONNSCOPE_HTTP_HEAD_SCAN_BPF_H */
