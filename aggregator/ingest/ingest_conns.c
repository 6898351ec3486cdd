/*
 * The agents' connections, followed through the ROUTER socket's monitor
 * (ingest_conns.h): the cap, and the count of handshakes that never finish.
 */
#include "ingest_conns.h"

#include "ff_log.h"
#include "ff_time.h"

#include <inttypes.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <zmq.h>

#define FF_INGEST_MONITOR "inproc://flowfleet-ingest-monitor"
#define FF_INGEST_MONITOR_EVENTS                                                                   \
	(ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_ACCEPT_FAILED | ZMQ_EVENT_DISCONNECTED |                   \
	 ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL |                                                    \
	 ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)
/* Descriptors above this are not followed (no process holds that many). */
#define FF_INGEST_CONNS_MAX_FD (1 << 24)
/* At most one log line a minute for each kind. */
#define FF_INGEST_CONNS_LOG_MS 60000

/* SILENT: no message yet (in its handshake, or past it and idle); HEARD: a message came. */
enum ff_conn_state { FF_CONN_FREE, FF_CONN_SILENT, FF_CONN_HEARD, FF_CONN_CUT };

typedef struct ff_conn_slot {
	uint8_t state;
	uint32_t gen; /* which connection of this descriptor the state is about */
} ff_conn_slot;

/* A silent connection, oldest first (entries whose slot moved on are skipped). */
typedef struct ff_conn_entry {
	int fd;
	uint32_t gen;
} ff_conn_entry;

enum ff_conn_log { FF_CONN_LOG_CUT, FF_CONN_LOG_HANDSHAKE, FF_CONN_LOG_ACCEPT, FF_CONN_LOG_N };

typedef struct ff_conn_counters {
	_Atomic uint64_t open, accepted, refused, evicted, dropped_silent, handshake_failed,
	    accept_failed;
} ff_conn_counters;

struct ff_ingest_conns {
	void *mon;
	ff_trust *trust;
	size_t max, cut; /* cut: shut down, their disconnection not yet seen */
	uint16_t port;
	ff_conn_slot *slots;
	size_t n_slots;
	ff_conn_entry *ring;
	size_t ring_cap, ring_head, ring_len;
	uint32_t gen;
	uint64_t log_ms[FF_CONN_LOG_N], held[FF_CONN_LOG_N];
	ff_conn_counters n;
};

static void ff_conn_bump(_Atomic uint64_t *c)
{
	atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

static uint64_t ff_conn_read(const _Atomic uint64_t *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

/* True when a line of this kind may be logged now; *held says how many were not. */
static bool ff_conn_may_log(ff_ingest_conns *c, enum ff_conn_log k, uint64_t *held)
{
	uint64_t now = ff_time_mono_ms();
	if (c->log_ms[k] != 0 && now - c->log_ms[k] < FF_INGEST_CONNS_LOG_MS) {
		c->held[k]++;
		return false;
	}
	*held = c->held[k];
	c->log_ms[k] = now;
	c->held[k] = 0;
	return true;
}

/* The slot of `fd`, grown as needed; NULL for a descriptor out of range or no memory. */
static ff_conn_slot *ff_conn_slot_of(ff_ingest_conns *c, int fd)
{
	if (fd < 0 || fd >= FF_INGEST_CONNS_MAX_FD)
		return NULL;
	if ((size_t)fd >= c->n_slots) {
		size_t n = c->n_slots ? c->n_slots : 1024;
		while (n <= (size_t)fd)
			n *= 2;
		ff_conn_slot *s = realloc(c->slots, n * sizeof *s);
		if (s == NULL)
			return NULL;
		memset(s + c->n_slots, 0, (n - c->n_slots) * sizeof *s);
		c->slots = s;
		c->n_slots = n;
	}
	return &c->slots[fd];
}

static bool ff_conn_entry_live(const ff_ingest_conns *c, ff_conn_entry e)
{
	const ff_conn_slot *s = &c->slots[e.fd];
	return s->state == FF_CONN_SILENT && s->gen == e.gen;
}

/* Drops the entries at the front whose connection is no longer silent. */
static void ff_conn_ring_prune(ff_ingest_conns *c)
{
	while (c->ring_len > 0 && !ff_conn_entry_live(c, c->ring[c->ring_head])) {
		c->ring_head = (c->ring_head + 1) % c->ring_cap;
		c->ring_len--;
	}
}

static int ff_conn_ring_push(ff_ingest_conns *c, ff_conn_entry e)
{
	ff_conn_ring_prune(c);
	if (c->ring_len == c->ring_cap) {
		size_t cap = c->ring_cap ? c->ring_cap * 2 : 256;
		ff_conn_entry *r = malloc(cap * sizeof *r);
		if (r == NULL)
			return -1;
		for (size_t i = 0; i < c->ring_len; i++)
			r[i] = c->ring[(c->ring_head + i) % c->ring_cap];
		free(c->ring);
		c->ring = r;
		c->ring_cap = cap;
		c->ring_head = 0;
	}
	c->ring[(c->ring_head + c->ring_len) % c->ring_cap] = e;
	c->ring_len++;
	return 0;
}

/* The oldest silent connection, taken off the ring; -1 when none. */
static int ff_conn_ring_pop(ff_ingest_conns *c)
{
	ff_conn_ring_prune(c);
	if (c->ring_len == 0)
		return -1;
	int fd = c->ring[c->ring_head].fd;
	c->ring_head = (c->ring_head + 1) % c->ring_cap;
	c->ring_len--;
	return fd;
}

/* True when `fd` is a TCP socket on the ingest port (not a descriptor reused since). */
static bool ff_conn_is_ours(const ff_ingest_conns *c, int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
		return false;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port) == c->port;
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port) == c->port;
	return false;
}

static void ff_conn_cut(ff_ingest_conns *c, int fd, bool evicted)
{
	c->slots[fd].state = FF_CONN_CUT;
	c->cut++;
	ff_conn_bump(evicted ? &c->n.evicted : &c->n.refused);
	if (ff_conn_is_ours(c, fd))
		shutdown(fd, SHUT_RDWR);
	uint64_t held;
	if (ff_conn_may_log(c, FF_CONN_LOG_CUT, &held))
		ff_log_warn("ingest: %" PRIu64 " agent connections open (--max-connections %zu): %s "
			    "(%" PRIu64 " refused, %" PRIu64 " silent ones cut so far; %" PRIu64
			    " such not logged since the last line)",
			    ff_conn_read(&c->n.open), c->max,
			    evicted ? "the oldest one that sent nothing yet was cut to admit a new one"
				    : "a new one was cut at once, every open one has sent a message",
			    ff_conn_read(&c->n.refused), ff_conn_read(&c->n.evicted), held);
}

static void ff_conn_accepted(ff_ingest_conns *c, int fd)
{
	ff_conn_slot *s = ff_conn_slot_of(c, fd);
	if (s == NULL)
		return;
	ff_conn_bump(&c->n.accepted);
	if (s->state == FF_CONN_FREE)
		atomic_fetch_add_explicit(&c->n.open, 1, memory_order_relaxed);
	else if (s->state == FF_CONN_CUT)
		c->cut--; /* its disconnection was not seen: the descriptor is reused */
	s->state = FF_CONN_SILENT;
	s->gen = ++c->gen;
	if (ff_conn_read(&c->n.open) - c->cut > c->max) {
		int victim = ff_conn_ring_pop(c);
		if (victim >= 0)
			ff_conn_cut(c, victim, true);
		else
			ff_conn_cut(c, fd, false);
	}
	if (s->state == FF_CONN_SILENT && ff_conn_ring_push(c, (ff_conn_entry){fd, s->gen}) != 0)
		ff_log_error("ingest: out of memory following a connection; it cannot be evicted");
}

static void ff_conn_disconnected(ff_ingest_conns *c, int fd)
{
	ff_conn_slot *s = ff_conn_slot_of(c, fd);
	if (s == NULL || s->state == FF_CONN_FREE)
		return;
	if (s->state == FF_CONN_SILENT)
		ff_conn_bump(&c->n.dropped_silent);
	if (s->state == FF_CONN_CUT)
		c->cut--;
	s->state = FF_CONN_FREE;
	atomic_fetch_sub_explicit(&c->n.open, 1, memory_order_relaxed);
}

static void ff_conn_handshake_failed(ff_ingest_conns *c, uint16_t event)
{
	ff_conn_bump(&c->n.handshake_failed);
	if (c->trust != NULL)
		ff_trust_count(c->trust, FF_TRUST_R_HANDSHAKE_FAILED);
	uint64_t held;
	if (!ff_conn_may_log(c, FF_CONN_LOG_HANDSHAKE, &held))
		return;
	const char *why = event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH	  ? "authentication refused"
			  : event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL ? "protocol error"
									  : "timed out or cut short";
	ff_log_warn("ingest: an agent connection's handshake failed (%s; %" PRIu64
		    " more since the last report)%s",
		    why, held,
		    c->trust != NULL ? ": a client without the server key, or a refused key" : "");
}

static void ff_conn_accept_failed(ff_ingest_conns *c, int err)
{
	ff_conn_bump(&c->n.accept_failed);
	uint64_t held;
	if (ff_conn_may_log(c, FF_CONN_LOG_ACCEPT, &held))
		ff_log_warn("ingest: accept() of an agent connection failed (%s; %" PRIu64
			    " more since the last report)",
			    strerror(err), held);
}

static void ff_conn_event(ff_ingest_conns *c, uint16_t event, int32_t value)
{
	if (event == ZMQ_EVENT_ACCEPTED)
		ff_conn_accepted(c, value);
	else if (event == ZMQ_EVENT_DISCONNECTED)
		ff_conn_disconnected(c, value);
	else if (event == ZMQ_EVENT_ACCEPT_FAILED)
		ff_conn_accept_failed(c, value);
	else
		ff_conn_handshake_failed(c, event);
}

void ff_ingest_conns_heard(ff_ingest_conns *c, int fd)
{
	ff_conn_slot *s = fd >= 0 && (size_t)fd < c->n_slots ? &c->slots[fd] : NULL;
	if (s != NULL && s->state == FF_CONN_SILENT)
		s->state = FF_CONN_HEARD;
}

/* Reads one event: [uint16 event, uint32 value][endpoint]. Returns false when none waits. */
static bool ff_conn_read_event(ff_ingest_conns *c)
{
	zmq_msg_t m;
	zmq_msg_init(&m);
	if (zmq_msg_recv(&m, c->mon, ZMQ_DONTWAIT) < 0) {
		zmq_msg_close(&m);
		return false;
	}
	bool more = zmq_msg_more(&m);
	if (zmq_msg_size(&m) >= 6) {
		uint16_t event;
		int32_t value;
		memcpy(&event, zmq_msg_data(&m), sizeof event);
		memcpy(&value, (const uint8_t *)zmq_msg_data(&m) + 2, sizeof value);
		ff_conn_event(c, event, value);
	}
	zmq_msg_close(&m);
	while (more) {
		zmq_msg_init(&m);
		if (zmq_msg_recv(&m, c->mon, 0) < 0) {
			zmq_msg_close(&m);
			break;
		}
		more = zmq_msg_more(&m);
		zmq_msg_close(&m);
	}
	return true;
}

void ff_ingest_conns_drain(ff_ingest_conns *c)
{
	while (ff_conn_read_event(c))
		;
}

ff_ingest_conns *ff_ingest_conns_new(void *zmq_ctx, void *router, size_t max, ff_trust *trust)
{
	ff_ingest_conns *c = calloc(1, sizeof *c);
	if (c == NULL) {
		ff_log_error("ingest: out of memory");
		return NULL;
	}
	c->max = max ? max : 1;
	c->trust = trust;
	if (zmq_socket_monitor(router, FF_INGEST_MONITOR, FF_INGEST_MONITOR_EVENTS) != 0 ||
	    (c->mon = zmq_socket(zmq_ctx, ZMQ_PAIR)) == NULL ||
	    zmq_connect(c->mon, FF_INGEST_MONITOR) != 0) {
		ff_log_error("ingest: cannot monitor the agents' connections (%s)",
			     zmq_strerror(zmq_errno()));
		ff_ingest_conns_free(c);
		return NULL;
	}
	return c;
}

void ff_ingest_conns_set_port(ff_ingest_conns *c, uint16_t port)
{
	c->port = port;
}

void *ff_ingest_conns_socket(ff_ingest_conns *c)
{
	return c->mon;
}

void ff_ingest_conns_get_stats(const ff_ingest_conns *c, ff_ingest_conn_stats *out)
{
	out->open = ff_conn_read(&c->n.open);
	out->max = c->max;
	out->accepted = ff_conn_read(&c->n.accepted);
	out->refused = ff_conn_read(&c->n.refused);
	out->evicted = ff_conn_read(&c->n.evicted);
	out->dropped_silent = ff_conn_read(&c->n.dropped_silent);
	out->handshake_failed = ff_conn_read(&c->n.handshake_failed);
	out->accept_failed = ff_conn_read(&c->n.accept_failed);
}

void ff_ingest_conns_free(ff_ingest_conns *c)
{
	if (c == NULL)
		return;
	if (c->mon != NULL) {
		int zero = 0;
		zmq_setsockopt(c->mon, ZMQ_LINGER, &zero, sizeof zero);
		zmq_close(c->mon);
	}
	free(c->ring);
	free(c->slots);
	free(c);
}
