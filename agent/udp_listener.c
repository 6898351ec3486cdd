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
static void ff_udp_set_rcvbuf(int fd, const char *name, uint64_t want)
{
	int v = want > INT32_MAX / 2 ? INT32_MAX / 2 : (int)want;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof v) != 0 &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof v) != 0)
		ff_log_errno(FF_LOG_WARN, errno, "setsockopt(SO_RCVBUF, %d) on %s failed, ignored",
			     v, name);
	int got = 0;
	socklen_t len = sizeof got;
	getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &got, &len);
	/* Linux reports double the usable size (it counts its bookkeeping). */
	if ((uint64_t)got / 2 < want)
		ff_log_warn("%s: socket buffer is %d bytes, asked for %" PRIu64
			    " (raise net.core.rmem_max or run with CAP_NET_ADMIN)",
			    name, got / 2, want);
	else
		ff_log_info("udp %s: socket buffer %d bytes", name, got / 2);
}

static int ff_udp_open(ff_udp_listener *l, const char *addr_port, uint64_t rcvbuf, char *err,
		       size_t err_len)
{
	struct sockaddr_storage ss;
	unsigned ss_len;
	if (ff_udp_parse_addr(addr_port, &ss, &ss_len) != 0) {
		snprintf(err, err_len, "listen address '%s': expected ADDR:PORT", addr_port);
		return -1;
	}
	l->fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1;
	if (l->fd < 0 || setsockopt(l->fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof one) != 0 ||
	    bind(l->fd, (struct sockaddr *)&ss, ss_len) != 0) {
		snprintf(err, err_len, "listen on udp %s: %s", addr_port, strerror(errno));
		return -1;
	}
	ff_udp_set_rcvbuf(l->fd, addr_port, rcvbuf);
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

static void ff_udp_on_read(evutil_socket_t fd, short what, void *arg)
{
	ff_udp_listener *l = arg;
	for (int round = 0; round < FF_UDP_MAX_ROUNDS; round++) {
		ff_udp_reset_msgs(l);
		int n = recvmmsg(l->fd, l->msgs, FF_UDP_BATCH, MSG_DONTWAIT, NULL);
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
				l->c->udp_errors++;
				ff_log_errno(FF_LOG_WARN, errno, "recvmmsg on %s failed", l->name);
			}
			return;
		}
		ff_udp_deliver(l, n, ff_time_now_ms());
		if (n < FF_UDP_BATCH)
			return;
	}
}

ff_udp_listener *ff_udp_listener_new(struct event_base *base, const char *addr_port,
				     uint64_t rcvbuf, ff_udp_datagram_fn cb, void *arg,
				     ff_agent_counters *counters, char *err, size_t err_len)
{
	ff_udp_listener *l = calloc(1, sizeof *l);
	if (l == NULL) {
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	l->fd = -1;
	l->cb = cb;
	l->arg = arg;
	l->c = counters;
	l->name = strdup(addr_port);
	l->slab = malloc((size_t)FF_UDP_BATCH * FF_UDP_SLOT);
	if (l->name == NULL || l->slab == NULL) {
		snprintf(err, err_len, "out of memory");
		goto fail;
	}
	if (ff_udp_open(l, addr_port, rcvbuf, err, err_len) != 0)
		goto fail;
	l->ev = event_new(base, l->fd, EV_READ | EV_PERSIST, ff_udp_on_read, l);
	if (l->ev == NULL || event_add(l->ev, NULL) != 0) {
		snprintf(err, err_len, "cannot register udp %s with the event loop", addr_port);
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
