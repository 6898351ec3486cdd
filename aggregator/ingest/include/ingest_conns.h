#ifndef FF_INGEST_CONNS_H
#define FF_INGEST_CONNS_H

/*
 * The agents' connections to the ROUTER socket, followed through its
 * monitor (zmq_socket_monitor: accepted and disconnected, with the
 * connection's descriptor; failed handshakes) and the descriptor of each
 * message (ZMQ_SRCFD). At most `max` are open: one more takes the place of
 * the oldest that has sent nothing yet, or is cut at once when every open
 * one has (an agent sends its Hello as soon as it connects; a connection
 * that never sends is what a flood of idle connections is). Connections
 * that never finish their handshake are dropped by ZeroMQ itself
 * (ZMQ_HANDSHAKE_IVL) and counted here. A connection is cut by
 * shutdown(2) of its descriptor, as revoking a key does; ZeroMQ then drops
 * it. Failed handshakes are counted (with a trust, as its
 * "handshake_failed") and logged at most once a minute, as are cuts.
 *
 * The monitor's events arrive after the fact: a descriptor closed and
 * reused before its events are read could be cut in another connection's
 * place; only a descriptor that is a socket on the ingest port is ever
 * shut down. Runs on the ingest thread; the counters are read from any.
 */

#include "trust.h"

#include <stddef.h>
#include <stdint.h>

typedef struct ff_ingest_conns ff_ingest_conns;

typedef struct ff_ingest_conn_stats {
	uint64_t open;		     /* connections open now */
	uint64_t max;		     /* --max-connections */
	uint64_t accepted;	     /* since the start */
	uint64_t refused;	     /* cut at once: the cap was reached, every open one heard */
	uint64_t evicted;	     /* cut before sending anything, to admit a new one */
	uint64_t dropped_silent;     /* gone before sending anything (handshake timeouts too) */
	uint64_t handshake_failed;   /* handshakes ZeroMQ reports as failed */
	uint64_t accept_failed;	     /* accept() errors (out of descriptors) */
} ff_ingest_conn_stats;

/*
 * Monitors `router` (a socket of `zmq_ctx`, not yet bound) and allows it
 * `max` connections; `trust` (may be NULL) counts failed handshakes.
 * Returns NULL with the reason logged.
 */
ff_ingest_conns *ff_ingest_conns_new(void *zmq_ctx, void *router, size_t max, ff_trust *trust);

/* The ingest port, once bound: only sockets on it are ever shut down. */
void ff_ingest_conns_set_port(ff_ingest_conns *c, uint16_t port);

/* The monitor's socket, to poll for ZMQ_POLLIN beside the ROUTER. */
void *ff_ingest_conns_socket(ff_ingest_conns *c);

/* A message came on connection `fd` (ZMQ_SRCFD): it is no longer silent. */
void ff_ingest_conns_heard(ff_ingest_conns *c, int fd);

/* Handles every event waiting on the monitor. */
void ff_ingest_conns_drain(ff_ingest_conns *c);

/* A snapshot of the counters; callable from any thread. */
void ff_ingest_conns_get_stats(const ff_ingest_conns *c, ff_ingest_conn_stats *out);

/* Closes the monitor. NULL is accepted. */
void ff_ingest_conns_free(ff_ingest_conns *c);

#endif
