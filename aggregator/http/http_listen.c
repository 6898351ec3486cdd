/*
 * The API's listening socket, bound by us rather than by evhttp_bind_socket()
 * so that a failing accept() backs off: out of descriptors (EMFILE, ENFILE)
 * the socket stays readable, and libevent's default would retry at once and
 * log a line each time (a busy loop and hundreds of MB of log in seconds).
 * Here the listener is paused for 100 ms, doubling to 2 s while the error
 * lasts, and the error is logged once a minute with how often it happened.
 */
#include "http_impl.h"

#include "ff_log.h"
#include "ff_time.h"

#include <errno.h>
#include <event2/listener.h>
#include <event2/util.h>
#include <stdio.h>
#include <string.h>

#define FF_HTTP_ACCEPT_PAUSE_MIN_MS 100
#define FF_HTTP_ACCEPT_PAUSE_MAX_MS 2000
/*
 * Connections the kernel completes before we accept them: a burst of
 * connections beyond it has its SYNs dropped, and a client then waits a
 * second for its retry, /healthz too (the kernel caps it at somaxconn).
 */
#define FF_HTTP_LISTEN_BACKLOG 1024

/*
 * evhttp gives its listener its own callback argument (the evhttp), and the
 * error callback receives that argument: the server it belongs to is looked
 * up here. Written when a server binds and when it is freed, both on the
 * event loop's thread, which is also the only reader; a process runs one or
 * two servers (tests), so a few slots suffice.
 */
#define FF_HTTP_LISTEN_SLOTS 8
static struct {
	const struct evhttp *http;
	ff_http *h;
} ff_http_listening[FF_HTTP_LISTEN_SLOTS];

static ff_http *ff_http_listening_find(const void *http)
{
	for (size_t i = 0; i < FF_HTTP_LISTEN_SLOTS; i++)
		if (ff_http_listening[i].http == http && http != NULL)
			return ff_http_listening[i].h;
	return NULL;
}

static int ff_http_listening_add(ff_http *h)
{
	for (size_t i = 0; i < FF_HTTP_LISTEN_SLOTS; i++)
		if (ff_http_listening[i].http == NULL) {
			ff_http_listening[i].http = h->http;
			ff_http_listening[i].h = h;
			return 0;
		}
	return -1;
}

void ff__http_unlisten(ff_http *h)
{
	for (size_t i = 0; i < FF_HTTP_LISTEN_SLOTS; i++)
		if (ff_http_listening[i].h == h)
			ff_http_listening[i].http = NULL, ff_http_listening[i].h = NULL;
}

static void ff_http_accept_resume(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	ff_http *h = arg;
	if (evconnlistener_enable(h->listener) != 0)
		ff_log_error("http: cannot resume accepting connections");
}

static void ff_http_accept_error(struct evconnlistener *lev, void *arg)
{
	int err = EVUTIL_SOCKET_ERROR();
	ff_http *h = ff_http_listening_find(arg);
	if (h == NULL) {
		/* Not ours (cannot happen): at least stop the spin. */
		evconnlistener_disable(lev);
		return;
	}
	uint64_t now = ff_time_mono_ms();
	/* A success since the last pause (the listener ran meanwhile) starts over. */
	if (now - h->accept_last_error_ms > 2 * FF_HTTP_ACCEPT_PAUSE_MAX_MS)
		h->accept_pause_ms = FF_HTTP_ACCEPT_PAUSE_MIN_MS;
	h->accept_last_error_ms = now;
	h->accept_errors++;
	if (h->accept_log_ms == 0 || now - h->accept_log_ms >= 60000) {
		ff_log_warn("http: accept() failed (%s; %llu times so far): not accepting for %llu ms%s",
			    evutil_socket_error_to_string(err), (unsigned long long)h->accept_errors,
			    (unsigned long long)h->accept_pause_ms,
			    err == EMFILE || err == ENFILE ? "; out of descriptors" : "");
		h->accept_log_ms = now;
	}
	evconnlistener_disable(lev);
	struct timeval tv = {.tv_sec = (time_t)(h->accept_pause_ms / 1000),
			     .tv_usec = (suseconds_t)(h->accept_pause_ms % 1000) * 1000};
	evtimer_add(h->accept_timer, &tv);
	h->accept_pause_ms *= 2;
	if (h->accept_pause_ms > FF_HTTP_ACCEPT_PAUSE_MAX_MS)
		h->accept_pause_ms = FF_HTTP_ACCEPT_PAUSE_MAX_MS;
}

int ff__http_listen(ff_http *h, struct event_base *base, const char *addr, uint16_t port)
{
	char text[300];
	snprintf(text, sizeof text, strchr(addr, ':') != NULL ? "[%s]:%u" : "%s:%u", addr,
		 (unsigned)port);
	struct sockaddr_storage ss;
	int len = (int)sizeof ss;
	if (evutil_parse_sockaddr_port(text, (struct sockaddr *)&ss, &len) != 0) {
		errno = EINVAL;
		return -1;
	}
	h->accept_timer = evtimer_new(base, ff_http_accept_resume, h);
	if (h->accept_timer == NULL)
		return -1;
	h->listener = evconnlistener_new_bind(
	    base, NULL, NULL, LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC | LEV_OPT_CLOSE_ON_FREE,
	    FF_HTTP_LISTEN_BACKLOG,
	    (struct sockaddr *)&ss, len);
	if (h->listener == NULL)
		return -1;
	h->accept_pause_ms = FF_HTTP_ACCEPT_PAUSE_MIN_MS;
	if (evhttp_bind_listener(h->http, h->listener) == NULL) {
		evconnlistener_free(h->listener);
		h->listener = NULL;
		return -1;
	}
	if (ff_http_listening_add(h) != 0) {
		errno = ENOSPC;
		return -1;
	}
	/* Set after evhttp took the listener over: it sets only the accept callback. */
	evconnlistener_set_error_cb(h->listener, ff_http_accept_error);
	return 0;
}
