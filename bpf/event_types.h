/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The type of every record on the shared event ring buffer, for all event families: one list,
 * so that no two families can share an id (events.h checks it at compile time). */
#ifndef CONNSCOPE_EVENT_TYPES_H
#define CONNSCOPE_EVENT_TYPES_H

enum event_type {
	/* conn_event.h */
	EVENT_STATE = 1,
	EVENT_RETRANSMIT = 2,
	EVENT_RESET = 3,
	EVENT_ACCEPT = 4,
	EVENT_CONNECT_ERROR = 5,
	/* tcp_detect_event.h */
	EVENT_DELAYED_ACK = 6,
	EVENT_DATA_AFTER_DELAYED_ACK = 7,
	EVENT_HELD_SEND_RELEASED = 8,
	EVENT_IDLE_RESTART = 9,
	/* http_event.h */
	EVENT_HTTP_DATA = 10,
};

#endif /* CONNSCOPE_EVENT_TYPES_H */
