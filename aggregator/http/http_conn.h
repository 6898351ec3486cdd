#ifndef FF_HTTP_CONN_H
#define FF_HTTP_CONN_H

/*
 * The API's connections, each watched from accept to close: at most
 * `max` are open (a new one past the cap takes the slot of the one idle
 * longest, or is closed at once when none is idle), a request must arrive
 * whole within `request_ms` of its first byte (a client sending a byte
 * every few seconds is closed, whatever evhttp's per-read timeout), and a
 * connection idle (no request in progress) for `idle_ms` is closed.
 *
 * libevent 2.1's evhttp has no callback for a new connection, so the
 * tracker makes each connection's bufferevent (evhttp_set_bevcb) and, on
 * the next loop turn, finds the evhttp_connection evhttp made around it
 * (the argument of the bufferevent's callbacks) to register a close
 * callback (evhttp_connection_set_closecb) and watch its input buffer for
 * the first byte of a request. A connection is closed by shutdown(2) of its
 * socket: evhttp then sees the end of the stream and frees it as it would
 * any other. Everything runs on the event loop's thread.
 */

#include "http_tls.h"

#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ff__http_conns ff__http_conns;

/*
 * Tracks the connections of `http`, made over TLS when `tls` is set
 * (borrowed, outlives the tracker). NULL when out of memory.
 */
ff__http_conns *ff__http_conns_new(struct event_base *base, struct evhttp *http,
				   ff__http_tls *tls, size_t max, uint64_t request_ms,
				   uint64_t idle_ms);

/*
 * The listener of the connections: paused while the cap and a few more are
 * open (those being closed hold their descriptor a loop turn longer).
 */
void ff__http_conns_set_listener(ff__http_conns *c, struct evconnlistener *listener);

/* A request of `req`'s connection is complete: it is busy until answered. */
void ff__http_conns_request(ff__http_conns *c, struct evhttp_request *req);

/*
 * `req` was answered (from evhttp's on-complete callback, which the server
 * sets): its connection waits for its next request.
 */
void ff__http_conns_answered(ff__http_conns *c, struct evhttp_request *req);

typedef struct ff__http_conn_stats {
	uint64_t open, max;
	uint64_t refused;      /* closed at once: the cap, none idle */
	uint64_t evicted_idle; /* closed to admit a new one */
	uint64_t closed_idle;  /* past the idle timeout */
	uint64_t closed_slow;  /* past the request deadline */
} ff__http_conn_stats;

/* The counters now. */
void ff__http_conns_get_stats(const ff__http_conns *c, ff__http_conn_stats *out);

/* {"open", "max", "refused", "evicted_idle", "closed_idle", "closed_slow"} (new reference). */
json_t *ff__http_conns_stats_json(const ff__http_conns *c);

/*
 * Stops watching and frees: before evhttp_free(), which then frees the
 * connections without calling back. NULL is accepted.
 */
void ff__http_conns_free(ff__http_conns *c);

#endif
