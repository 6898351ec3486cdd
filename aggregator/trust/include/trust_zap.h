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
 * Failed handshakes are counted ("handshake_failed") by the ingest, which
 * monitors the socket (ingest_conns.h).
 */

#include "trust.h"

#include <zmq.h>

#define FF_TRUST_ZAP_DOMAIN "flowfleet"

typedef struct ff_trust_zap ff_trust_zap;

/*
 * Binds the handler in `zmq_ctx` and starts the thread; must run before
 * the CURVE socket binds. `trust` is
 * borrowed. Returns NULL with the reason logged.
 */
ff_trust_zap *ff_trust_zap_start(void *zmq_ctx, ff_trust *trust);

/* Stops and joins the thread, closes its sockets. NULL is accepted. */
void ff_trust_zap_stop(ff_trust_zap *z);

#endif
