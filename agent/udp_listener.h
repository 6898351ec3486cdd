#ifndef FF_UDP_LISTENER_H
#define FF_UDP_LISTENER_H

/*
 * One UDP socket receiving flow exports, read with recvmmsg() in batches
 * into a slab allocated once, so the receive path allocates nothing per
 * datagram. The socket buffer is made as large as allowed (SO_RCVBUFFORCE
 * when privileged, else SO_RCVBUF up to net.core.rmem_max) and the kernel's
 * drop count (SO_RXQ_OVFL) is added to counters->udp_drops.
 */

#include "agent_counters.h"
#include "ff_flow.h"

#include <event2/event.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Called for every datagram: `pkt` is borrowed until the callback returns;
 * `exporter` is the sender's address (v4-mapped for IPv4); `now_ms` is the
 * receive batch's wall-clock time in unix ms.
 */
typedef void (*ff_udp_datagram_fn)(void *arg, const uint8_t *pkt, size_t len,
				   const uint8_t exporter[FF_ADDR_LEN], uint64_t now_ms);

typedef struct ff_udp_listener ff_udp_listener;

/*
 * Parses "ADDR:PORT" ("[v6addr]:PORT" for IPv6) into `ss`. Returns 0 or -1.
 * Exposed for option validation.
 */
struct sockaddr_storage;
int ff_udp_parse_addr(const char *text, struct sockaddr_storage *ss, unsigned *ss_len);

/*
 * Binds `addr_port`, asks for `rcvbuf` bytes of socket buffer and starts
 * reading on `base`. Borrows `counters`. Returns NULL with a message in
 * `err` on failure.
 */
ff_udp_listener *ff_udp_listener_new(struct event_base *base, const char *addr_port,
				     uint64_t rcvbuf, ff_udp_datagram_fn cb, void *arg,
				     ff_agent_counters *counters, char *err, size_t err_len);

/* The address as given, e.g. "127.0.0.1:2055" (borrowed). */
const char *ff_udp_listener_name(const ff_udp_listener *l);

/* Stops reading and closes the socket. */
void ff_udp_listener_free(ff_udp_listener *l);

#endif
