#ifndef FF_UDP_LISTENER_H
#define FF_UDP_LISTENER_H

/*
 * One UDP socket receiving flow exports, read with recvmmsg() in batches
 * into a slab allocated once, so the receive path allocates nothing per
 * datagram. The socket buffer is made as large as allowed (SO_RCVBUFFORCE
 * when privileged, else SO_RCVBUF up to net.core.rmem_max; a shortfall is
 * logged with the sysctl that lifts it) and the kernel's drop count
 * (SO_RXQ_OVFL) is added to counters->udp_drops. The listener runs on the
 * thread that dispatches `base`.
 */

#include "agent_counters.h"
#include "ff_flow.h"

#include <event2/event.h>
#include <pthread.h>
#include <stdbool.h>
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

typedef struct ff_udp_listener_opts {
	const char *addr_port;
	uint64_t rcvbuf; /* socket buffer to ask for */
	/*
	 * Set SO_REUSEPORT so several sockets (one per receive thread) share
	 * the address; the kernel hashes each sender's 4-tuple to one of them.
	 */
	bool reuseport;
	/*
	 * NULL: this socket starts its group (with reuseport, the address is
	 * first checked to be unused, so a second agent on the port fails
	 * instead of silently sharing its traffic). Else the group's first
	 * socket: this one joins it, on its bound port, and logs less.
	 */
	const struct ff_udp_listener *group;
	/* Held while each batch of datagrams is counted and delivered; may be NULL. */
	pthread_mutex_t *lock;
	ff_udp_datagram_fn cb;
	void *arg;
	ff_agent_counters *counters; /* borrowed; counted under `lock` */
} ff_udp_listener_opts;

/*
 * Binds the address, asks for the socket buffer and starts reading on
 * `base`. Returns NULL with a message in `err` on failure.
 */
ff_udp_listener *ff_udp_listener_new(struct event_base *base, const ff_udp_listener_opts *o,
				     char *err, size_t err_len);

/*
 * Whether this kernel lets several sockets share a UDP address
 * (SO_REUSEPORT on an IPv4 socket).
 */
bool ff_udp_reuseport_supported(void);

/* The address as given, e.g. "127.0.0.1:2055" (borrowed). */
const char *ff_udp_listener_name(const ff_udp_listener *l);

/* Stops reading and closes the socket. */
void ff_udp_listener_free(ff_udp_listener *l);

#endif
