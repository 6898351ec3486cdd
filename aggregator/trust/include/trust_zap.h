#ifndef FF_TRUST_ZAP_H
#define FF_TRUST_ZAP_H

/*
 * The ZAP handler (ZeroMQ RFC 27) of the aggregator's CURVE socket, on a
 * thread of its own so that a slow store never delays a handshake: a REP
 * socket on inproc://zeromq.zap.01 of the daemon's ZeroMQ context answers
 * every CURVE handshake of domain "flowfleet" with 200 and User-Id = the
 * client's public key in Z85, unless the trust refuses the key (400).
 * Any other domain or mechanism gets 400.
 *
 * The same thread reads the ROUTER socket's monitor (when one is given) and
 * counts every failed handshake as "handshake_failed", logged at most once
 * a minute.
 */

#include "trust.h"

#include <zmq.h>

#define FF_TRUST_ZAP_DOMAIN "flowfleet"

typedef struct ff_trust_zap ff_trust_zap;

/* Where the CURVE socket's monitor publishes (zmq_socket_monitor), for the handler to read. */
#define FF_TRUST_ZAP_MONITOR "inproc://flowfleet-ingest-monitor"

/* The monitor events that mean a failed handshake. */
#define FF_TRUST_ZAP_MONITOR_EVENTS                                                                \
	(ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |              \
	 ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)

/*
 * Binds the handler in `zmq_ctx`, connects to FF_TRUST_ZAP_MONITOR and
 * starts the thread; must run before the CURVE socket binds. `trust` is
 * borrowed. Returns NULL with the reason logged.
 */
ff_trust_zap *ff_trust_zap_start(void *zmq_ctx, ff_trust *trust);

/* Stops and joins the thread, closes its sockets. NULL is accepted. */
void ff_trust_zap_stop(ff_trust_zap *z);

#endif
