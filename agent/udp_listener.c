#include "udp_listener.h"

#include "ff_log.h"
#include "ff_time.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <unistd.h>

/*
 * 64 datagrams per recvmmsg() call amortise the syscall; each slot holds
 * the largest UDP payload so no export (IPFIX over loopback can exceed the
 * MTU) is cut. Reading stops after FF_UDP_MAX_ROUNDS calls per wakeup so
 * one busy socket cannot starve the timers and the sender.
 */
#define FF_UDP_BATCH	  64
#define FF_UDP_SLOT	  65535
#define FF_UDP_MAX_ROUNDS 16

#ifndef SO_RXQ_OVFL
#define SO_RXQ_OVFL 40
#endif

struct ff_udp_listener {
	int fd;
	struct event *ev;
	char *name;
	ff_udp_datagram_fn cb;
	void *arg;
	ff_agent_counters *c;
	pthread_mutex_t *lock;
	uint32_t last_ovfl; /* SO_RXQ_OVFL is a running total per socket */
	uint8_t *slab;	    /* FF_UDP_BATCH * FF_UDP_SLOT bytes */
	struct mmsghdr msgs[FF_UDP_BATCH];
	struct iovec iov[FF_UDP_BATCH];
	struct sockaddr_storage from[FF_UDP_BATCH];
	/* Control buffers, aligned as cmsg requires. */
	union {
		char buf[CMSG_SPACE(sizeof(uint32_t))];
		struct cmsghdr align;
	} ctrl[FF_UDP_BATCH];
};

int ff_udp_parse_addr(const char *text, struct sockaddr_storage *ss, unsigned *ss_len)
{
	char host[64];
	const char *colon = strrchr(text, ':');
	if (colon == NULL || colon == text || (size_t)(colon - text) >= sizeof host)
		return -1;
	memcpy(host, text, (size_t)(colon - text));
	host[colon - text] = '\0';
	char *end;
	errno = 0;
	unsigned long port = strtoul(colon + 1, &end, 10);
	if (colon[1] == '\0' || *end != '\0' || errno != 0 || port > 65535)
		return -1;
	memset(ss, 0, sizeof *ss);
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	size_t hl = strlen(host);
	if (host[0] == '[' && hl > 2 && host[hl - 1] == ']') {
		host[hl - 1] = '\0';
		if (inet_pton(AF_INET6, host + 1, &s6->sin6_addr) != 1)
			return -1;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		*ss_len = sizeof *s6;
		return 0;
	}
	if (inet_pton(AF_INET, host, &s4->sin_addr) != 1)
		return -1;
	s4->sin_family = AF_INET;
	s4->sin_port = htons((uint16_t)port);
	*ss_len = sizeof *s4;
	return 0;
}

static void ff_udp_exporter(const struct sockaddr_storage *ss, uint8_t out[FF_ADDR_LEN])
{
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
		ff_addr_from_v4(out, ntohl(s4->sin_addr.s_addr));
	} else if (ss->ss_family == AF_INET6) {
		memcpy(out, &((const struct sockaddr_in6 *)ss)->sin6_addr, FF_ADDR_LEN);
	} else {
		memset(out, 0, FF_ADDR_LEN);
	}
}

/* Asks for `want` bytes: SO_RCVBUFFORCE passes rmem_max when privileged. */
static void ff_udp_set_rcvbuf(int fd, const char *name, uint64_t want, bool quiet)
{
	int v = want > INT32_MAX / 2 ? INT32_MAX / 2 : (int)want;
	bool forced = setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof v) == 0;
	if (!forced && setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof v) != 0)
		ff_log_errno(FF_LOG_WARN, errno, "setsockopt(SO_RCVBUF, %d) on %s failed, ignored",
			     v, name);
	int got = 0;
	socklen_t len = sizeof got;
	if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &got, &len) != 0) {
		ff_log_errno(FF_LOG_WARN, errno, "getsockopt(SO_RCVBUF) on %s failed", name);
		return;
	}
	/* Linux reports double the usable size (it counts its bookkeeping). */
	if ((uint64_t)got / 2 < (uint64_t)v)
		ff_log_warn("udp %s: SO_RCVBUF %d asked, kernel gave %d: set sysctl -w "
			    "net.core.rmem_max=%d (or run with CAP_NET_ADMIN)",
			    name, v, got / 2, v);
	else if (!quiet)
		ff_log_info("udp %s: socket buffer %d bytes%s", name, got / 2,
			    forced ? " (SO_RCVBUFFORCE)" : "");
}

bool ff_udp_reuseport_supported(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), one = 1;
	if (fd < 0)
		return false;
	bool ok = setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) == 0;
	close(fd);
	return ok;
}

/*
 * SO_REUSEPORT would let us share a port another process (of our user)
 * already holds, splitting its traffic: a plain bind first fails as
 * before. UDP leaves nothing behind once the probe is closed.
 */
static int ff_udp_probe_unused(const struct sockaddr_storage *ss, unsigned ss_len)
{
	int fd = socket(ss->ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	int rc = bind(fd, (const struct sockaddr *)ss, ss_len) != 0 ? -errno : 0;
	close(fd);
	return rc;
}

/* A group member binds the port its first socket got (which differs when asked for port 0). */
static void ff_udp_group_port(struct sockaddr_storage *ss, const ff_udp_listener *first)
{
	struct sockaddr_storage bound;
	socklen_t len = sizeof bound;
	if (getsockname(first->fd, (struct sockaddr *)&bound, &len) != 0)
		return;
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = ((struct sockaddr_in *)&bound)->sin_port;
	else
		((struct sockaddr_in6 *)ss)->sin6_port = ((struct sockaddr_in6 *)&bound)->sin6_port;
}

static int ff_udp_open(ff_udp_listener *l, const ff_udp_listener_opts *o, char *err,
		       size_t err_len)
{
	struct sockaddr_storage ss;
	unsigned ss_len;
	if (ff_udp_parse_addr(o->addr_port, &ss, &ss_len) != 0) {
		snprintf(err, err_len, "listen address '%s': expected ADDR:PORT", o->addr_port);
		return -1;
	}
	if (o->group != NULL)
		ff_udp_group_port(&ss, o->group);
	int rc = o->reuseport && o->group == NULL ? ff_udp_probe_unused(&ss, ss_len) : 0;
	if (rc != 0) {
		snprintf(err, err_len, "listen on udp %s: %s", o->addr_port, strerror(-rc));
		return -1;
	}
	l->fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1;
	if (l->fd < 0 || setsockopt(l->fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof one) != 0 ||
	    (o->reuseport &&
	     setsockopt(l->fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) ||
	    bind(l->fd, (struct sockaddr *)&ss, ss_len) != 0) {
		snprintf(err, err_len, "listen on udp %s: %s", o->addr_port, strerror(errno));
		return -1;
	}
	ff_udp_set_rcvbuf(l->fd, o->addr_port, o->rcvbuf, o->group != NULL);
	return 0;
}

/* Points every mmsghdr at its slot again: recvmmsg overwrites the lengths. */
static void ff_udp_reset_msgs(ff_udp_listener *l)
{
	for (size_t i = 0; i < FF_UDP_BATCH; i++) {
		l->iov[i] = (struct iovec){l->slab + i * FF_UDP_SLOT, FF_UDP_SLOT};
		l->msgs[i].msg_hdr = (struct msghdr){
		    .msg_name = &l->from[i],
		    .msg_namelen = sizeof l->from[i],
		    .msg_iov = &l->iov[i],
		    .msg_iovlen = 1,
		    .msg_control = l->ctrl[i].buf,
		    .msg_controllen = sizeof l->ctrl[i].buf,
		};
		l->msgs[i].msg_len = 0;
	}
}

static void ff_udp_account_drops(ff_udp_listener *l, struct msghdr *h)
{
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(h); cm != NULL; cm = CMSG_NXTHDR(h, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SO_RXQ_OVFL)
			continue;
		uint32_t total;
		memcpy(&total, CMSG_DATA(cm), sizeof total);
		l->c->udp_drops += (uint32_t)(total - l->last_ovfl);
		l->last_ovfl = total;
	}
}

static void ff_udp_deliver(ff_udp_listener *l, int n, uint64_t now_ms)
{
	for (int i = 0; i < n; i++) {
		struct msghdr *h = &l->msgs[i].msg_hdr;
		ff_udp_account_drops(l, h);
		if (h->msg_flags & MSG_TRUNC) {
			l->c->udp_errors++;
			continue;
		}
		uint8_t exporter[FF_ADDR_LEN];
		ff_udp_exporter(&l->from[i], exporter);
		l->c->udp_datagrams++;
		l->c->udp_bytes += l->msgs[i].msg_len;
		l->cb(l->arg, l->iov[i].iov_base, l->msgs[i].msg_len, exporter, now_ms);
	}
}

/*
 * A busy socket read a few datagrams at a time costs a sleep and a wake-up
 * (of this thread, and of the main thread it hands records to) per few
 * datagrams: more CPU than the datagrams themselves. When a read found more
 * than one datagram but fewer than a batch, the exporter is sending steadily:
 * waiting FF_UDP_COALESCE_US lets the next read take a fuller batch, at the
 * price of that much latency, while the socket buffer (megabytes) holds far
 * more than arrives meanwhile. A lone datagram (a quiet exporter) is not
 * delayed.
 */
#define FF_UDP_COALESCE_US 200

static void ff_udp_coalesce(int n)
{
	if (n < 2)
		return;
	struct timespec ts = {.tv_sec = 0, .tv_nsec = FF_UDP_COALESCE_US * 1000L};
	nanosleep(&ts, NULL);
}

static void ff_udp_on_read(evutil_socket_t fd, short what, void *arg)
{
	ff_udp_listener *l = arg;
	for (int round = 0; round < FF_UDP_MAX_ROUNDS; round++) {
		ff_udp_reset_msgs(l);
		int n = recvmmsg(l->fd, l->msgs, FF_UDP_BATCH, MSG_DONTWAIT, NULL);
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
				if (l->lock != NULL)
					pthread_mutex_lock(l->lock);
				l->c->udp_errors++;
				if (l->lock != NULL)
					pthread_mutex_unlock(l->lock);
				ff_log_errno(FF_LOG_WARN, errno, "recvmmsg on %s failed", l->name);
			}
			return;
		}
		if (l->lock != NULL)
			pthread_mutex_lock(l->lock);
		ff_udp_deliver(l, n, ff_time_now_ms());
		if (l->lock != NULL)
			pthread_mutex_unlock(l->lock);
		if (n < FF_UDP_BATCH) {
			ff_udp_coalesce(n);
			return;
		}
	}
}

ff_udp_listener *ff_udp_listener_new(struct event_base *base, const ff_udp_listener_opts *o,
				     char *err, size_t err_len)
{
	ff_udp_listener *l = calloc(1, sizeof *l);
	if (l == NULL) {
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	l->fd = -1;
	l->cb = o->cb;
	l->arg = o->arg;
	l->c = o->counters;
	l->lock = o->lock;
	l->name = strdup(o->addr_port);
	l->slab = malloc((size_t)FF_UDP_BATCH * FF_UDP_SLOT);
	if (l->name == NULL || l->slab == NULL) {
		snprintf(err, err_len, "out of memory");
		goto fail;
	}
	if (ff_udp_open(l, o, err, err_len) != 0)
		goto fail;
	l->ev = event_new(base, l->fd, EV_READ | EV_PERSIST, ff_udp_on_read, l);
	if (l->ev == NULL || event_add(l->ev, NULL) != 0) {
		snprintf(err, err_len, "cannot register udp %s with the event loop", o->addr_port);
		goto fail;
	}
	return l;
fail:
	ff_udp_listener_free(l);
	return NULL;
}

const char *ff_udp_listener_name(const ff_udp_listener *l)
{
	return l->name;
}

void ff_udp_listener_free(ff_udp_listener *l)
{
	if (l == NULL)
		return;
	if (l->ev != NULL)
		event_free(l->ev);
	if (l->fd >= 0)
		close(l->fd);
	free(l->slab);
	free(l->name);
	free(l);
}
