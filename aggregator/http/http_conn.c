/*
 * The API's connections from accept to close (http_conn.h): the cap, the
 * request deadline and the idle timeout.
 */
#include "http_conn.h"

#include "ff_log.h"
#include "ff_time.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/socket.h>

/* How often deadlines are looked at: a deadline is kept within this much. */
#define FF_HTTP_CONN_SWEEP_MS 250
/*
 * Connections being closed still hold their descriptor until evhttp frees
 * them, a loop turn later: accepting stops while this many more than the
 * cap are open, so a burst of connections cannot exhaust descriptors.
 */
#define FF_HTTP_CONN_SLACK 32
/* At most one log line a minute for each kind of close. */
#define FF_HTTP_CONN_LOG_MS 60000

enum ff_http_conn_state {
	FF_HTTP_CONN_IDLE,    /* waiting for a request (none in progress) */
	FF_HTTP_CONN_READING, /* a request's first byte arrived, not all of it */
	FF_HTTP_CONN_BUSY,    /* a request is being answered */
};

enum ff_http_conn_close { FF_HTTP_CLOSE_REFUSED, FF_HTTP_CLOSE_EVICTED, FF_HTTP_CLOSE_IDLE,
			  FF_HTTP_CLOSE_SLOW, FF_HTTP_CLOSE_N };

typedef struct ff_http_conn ff_http_conn;

/* One connection, from its bufferevent's making to evhttp's close callback. */
struct ff_http_conn {
	ff__http_conns *owner;
	struct bufferevent *bev;
	struct evhttp_connection *evcon; /* NULL until hooked (ff_http_conn_hook) */
	struct event *hook;		 /* the next loop turn, when evhttp has made evcon */
	struct evbuffer_cb_entry *watch; /* on the input buffer: a request starts */
	enum ff_http_conn_state state;
	uint64_t since_ms; /* when the state began (monotonic) */
	bool closing, shut; /* shut: shutdown(2) done (the socket is set after the accept) */
	ff_http_conn *prev, *next;
};

struct ff__http_conns {
	struct event_base *base;
	ff__http_tls *tls;
	struct event *sweep;
	struct evconnlistener *listener; /* paused past max + FF_HTTP_CONN_SLACK; may be NULL */
	bool paused;
	size_t max, open, live; /* live: open and not being closed */
	uint64_t request_ms, idle_ms;
	uint64_t closed[FF_HTTP_CLOSE_N];
	uint64_t logged_ms[FF_HTTP_CLOSE_N], held[FF_HTTP_CLOSE_N];
	ff_http_conn *head;
};

static const char *const ff_http_close_why[FF_HTTP_CLOSE_N] = {
    [FF_HTTP_CLOSE_REFUSED] = "a new connection refused: --http-max-connections are open and "
			      "none is idle",
    [FF_HTTP_CLOSE_EVICTED] = "the connection idle longest closed to admit a new one: "
			      "--http-max-connections are open",
    [FF_HTTP_CLOSE_IDLE] = "a connection closed: idle past --http-idle-timeout",
    [FF_HTTP_CLOSE_SLOW] = "a connection closed: its request not received whole within "
			   "--http-request-timeout",
};

/* Counts a close and logs it, at most once a minute for each kind. */
static void ff_http_conn_count(ff__http_conns *c, enum ff_http_conn_close why)
{
	uint64_t now = ff_time_mono_ms();
	c->closed[why]++;
	if (c->logged_ms[why] != 0 && now - c->logged_ms[why] < FF_HTTP_CONN_LOG_MS) {
		c->held[why]++;
		return;
	}
	ff_log_warn("http: %s (%llu so far, %llu not logged since the last line; %zu open)",
		    ff_http_close_why[why], (unsigned long long)c->closed[why],
		    (unsigned long long)c->held[why], c->open);
	c->logged_ms[why] = now;
	c->held[why] = 0;
}

/* Shuts the socket down once evhttp has set it. */
static void ff_http_conn_shut(ff_http_conn *k)
{
	evutil_socket_t fd = bufferevent_getfd(k->bev);
	if (!k->shut && fd >= 0) {
		shutdown(fd, SHUT_RDWR);
		k->shut = true;
	}
}

/*
 * Ends a connection: evhttp reads the end of the stream and frees it. The
 * one being accepted has no socket yet: its hook shuts it down.
 */
static void ff_http_conn_close(ff_http_conn *k, enum ff_http_conn_close why)
{
	if (k->closing)
		return;
	k->closing = true;
	k->owner->live--;
	ff_http_conn_count(k->owner, why);
	ff_http_conn_shut(k);
}

static void ff_http_conn_unlink(ff__http_conns *c, ff_http_conn *k)
{
	if (k->prev != NULL)
		k->prev->next = k->next;
	else
		c->head = k->next;
	if (k->next != NULL)
		k->next->prev = k->prev;
	c->open--;
	if (!k->closing)
		c->live--;
	if (c->paused && c->open < c->max + FF_HTTP_CONN_SLACK) {
		c->paused = false;
		if (evconnlistener_enable(c->listener) != 0)
			ff_log_error("http: cannot resume accepting connections");
	}
}

/* evhttp's close callback: the connection is gone (its bufferevent goes next). */
static void ff_http_conn_closed(struct evhttp_connection *evcon, void *arg)
{
	(void)evcon;
	ff_http_conn *k = arg;
	if (k->watch != NULL)
		evbuffer_remove_cb_entry(bufferevent_get_input(k->bev), k->watch);
	ff_http_conn_unlink(k->owner, k);
	free(k);
}

/* Bytes arrived: the first of a request starts its deadline. */
static void ff_http_conn_input(struct evbuffer *buf, const struct evbuffer_cb_info *info,
			       void *arg)
{
	(void)buf;
	ff_http_conn *k = arg;
	if (info->n_added > 0 && k->state == FF_HTTP_CONN_IDLE) {
		k->state = FF_HTTP_CONN_READING;
		k->since_ms = ff_time_mono_ms();
	}
}

/*
 * The loop turn after the accept: evhttp has made the connection around
 * the bufferevent, and (with the reference taken in ff_http_conn_bev) the
 * bufferevent is still there even if evhttp dropped it meanwhile.
 */
static void ff_http_conn_hook(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	ff_http_conn *k = arg;
	bufferevent_event_cb ecb = NULL;
	void *evcon = NULL;
	bufferevent_getcb(k->bev, NULL, NULL, &ecb, &evcon);
	event_free(k->hook);
	k->hook = NULL;
	struct bufferevent *bev = k->bev;
	/* Freed callbacks: evhttp already closed it. */
	if (ecb == NULL || evcon == NULL || evhttp_connection_get_bufferevent(evcon) != bev) {
		ff_http_conn_unlink(k->owner, k);
		free(k);
	} else {
		k->evcon = evcon;
		evhttp_connection_set_closecb(k->evcon, ff_http_conn_closed, k);
		k->watch = evbuffer_add_cb(bufferevent_get_input(bev), ff_http_conn_input, k);
		/* Bytes read before the hook (in the accept's loop turn) start a request too. */
		if (evbuffer_get_length(bufferevent_get_input(bev)) > 0 &&
		    k->state == FF_HTTP_CONN_IDLE)
			k->state = FF_HTTP_CONN_READING;
		if (k->closing)
			ff_http_conn_shut(k);
	}
	bufferevent_decref(bev);
}

/* The connection idle longest, or NULL when none is idle. */
static ff_http_conn *ff_http_conn_idlest(ff__http_conns *c)
{
	ff_http_conn *best = NULL;
	for (ff_http_conn *k = c->head; k != NULL; k = k->next)
		if (!k->closing && k->state == FF_HTTP_CONN_IDLE &&
		    (best == NULL || k->since_ms < best->since_ms))
			best = k;
	return best;
}

/* Makes room for a new connection; false when it must be refused. */
static bool ff_http_conn_admit(ff__http_conns *c)
{
	if (c->live < c->max)
		return true;
	ff_http_conn *idle = ff_http_conn_idlest(c);
	if (idle == NULL)
		return false;
	ff_http_conn_close(idle, FF_HTTP_CLOSE_EVICTED);
	return true;
}

static struct bufferevent *ff_http_conn_transport(ff__http_conns *c)
{
	if (c->tls != NULL)
		return ff__http_tls_bev(c->tls, c->base);
	return bufferevent_socket_new(c->base, -1, BEV_OPT_CLOSE_ON_FREE);
}

/* evhttp's bufferevent for each accepted connection (evhttp_set_bevcb). */
static struct bufferevent *ff_http_conn_bev(struct event_base *base, void *arg)
{
	ff__http_conns *c = arg;
	ff_http_conn *k = calloc(1, sizeof *k);
	struct bufferevent *bev = k != NULL ? ff_http_conn_transport(c) : NULL;
	struct event *hook = bev != NULL ? evtimer_new(base, ff_http_conn_hook, k) : NULL;
	struct timeval next_turn = {0, 0};
	if (hook == NULL || evtimer_add(hook, &next_turn) != 0) {
		/* evhttp then makes a plain bufferevent: that connection goes unwatched. */
		ff_log_error("http: out of memory setting up a connection; it is not watched");
		if (hook != NULL)
			event_free(hook);
		if (bev != NULL)
			bufferevent_free(bev);
		free(k);
		return NULL;
	}
	bool admitted = ff_http_conn_admit(c);
	*k = (ff_http_conn){
	    .owner = c, .bev = bev, .hook = hook, .since_ms = ff_time_mono_ms(), .next = c->head};
	bufferevent_incref(bev);
	if (c->head != NULL)
		c->head->prev = k;
	c->head = k;
	c->open++;
	c->live++;
	if (c->listener != NULL && !c->paused && c->open >= c->max + FF_HTTP_CONN_SLACK) {
		c->paused = true;
		evconnlistener_disable(c->listener);
	}
	if (!admitted)
		ff_http_conn_close(k, FF_HTTP_CLOSE_REFUSED);
	return bev;
}

static void ff_http_conn_sweep(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	ff__http_conns *c = arg;
	uint64_t now = ff_time_mono_ms();
	for (ff_http_conn *k = c->head; k != NULL; k = k->next) {
		if (k->closing || k->evcon == NULL)
			continue;
		if (k->state == FF_HTTP_CONN_READING && now - k->since_ms >= c->request_ms)
			ff_http_conn_close(k, FF_HTTP_CLOSE_SLOW);
		else if (k->state == FF_HTTP_CONN_IDLE && now - k->since_ms >= c->idle_ms)
			ff_http_conn_close(k, FF_HTTP_CLOSE_IDLE);
	}
}

ff__http_conns *ff__http_conns_new(struct event_base *base, struct evhttp *http,
				   ff__http_tls *tls, size_t max, uint64_t request_ms,
				   uint64_t idle_ms)
{
	ff__http_conns *c = calloc(1, sizeof *c);
	if (c == NULL)
		return NULL;
	*c = (ff__http_conns){.base = base, .tls = tls, .max = max ? max : 1,
			      .request_ms = request_ms, .idle_ms = idle_ms};
	c->sweep = event_new(base, -1, EV_PERSIST, ff_http_conn_sweep, c);
	struct timeval every = {0, FF_HTTP_CONN_SWEEP_MS * 1000};
	if (c->sweep == NULL || event_add(c->sweep, &every) != 0) {
		ff__http_conns_free(c);
		return NULL;
	}
	evhttp_set_bevcb(http, ff_http_conn_bev, c);
	return c;
}

void ff__http_conns_set_listener(ff__http_conns *c, struct evconnlistener *listener)
{
	c->listener = listener;
}

/* The tracked connection of `req`, or NULL. */
static ff_http_conn *ff_http_conn_of(ff__http_conns *c, struct evhttp_request *req)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	for (ff_http_conn *k = c->head; k != NULL && evcon != NULL; k = k->next)
		if (k->evcon == evcon)
			return k;
	return NULL;
}

void ff__http_conns_answered(ff__http_conns *c, struct evhttp_request *req)
{
	ff_http_conn *k = ff_http_conn_of(c, req);
	if (k == NULL)
		return;
	/* Bytes of a pipelined request already read start its deadline now. */
	bool more = evbuffer_get_length(bufferevent_get_input(k->bev)) > 0;
	k->state = more ? FF_HTTP_CONN_READING : FF_HTTP_CONN_IDLE;
	k->since_ms = ff_time_mono_ms();
}

void ff__http_conns_request(ff__http_conns *c, struct evhttp_request *req)
{
	ff_http_conn *k = ff_http_conn_of(c, req);
	if (k == NULL)
		return;
	k->state = FF_HTTP_CONN_BUSY;
	k->since_ms = ff_time_mono_ms();
}

void ff__http_conns_get_stats(const ff__http_conns *c, ff__http_conn_stats *out)
{
	*out = (ff__http_conn_stats){.open = c->open,
				     .max = c->max,
				     .refused = c->closed[FF_HTTP_CLOSE_REFUSED],
				     .evicted_idle = c->closed[FF_HTTP_CLOSE_EVICTED],
				     .closed_idle = c->closed[FF_HTTP_CLOSE_IDLE],
				     .closed_slow = c->closed[FF_HTTP_CLOSE_SLOW]};
}

json_t *ff__http_conns_stats_json(const ff__http_conns *c)
{
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}", "open", (json_int_t)c->open, "max",
			 (json_int_t)c->max, "refused", (json_int_t)c->closed[FF_HTTP_CLOSE_REFUSED],
			 "evicted_idle", (json_int_t)c->closed[FF_HTTP_CLOSE_EVICTED],
			 "closed_idle", (json_int_t)c->closed[FF_HTTP_CLOSE_IDLE], "closed_slow",
			 (json_int_t)c->closed[FF_HTTP_CLOSE_SLOW]);
}

void ff__http_conns_free(ff__http_conns *c)
{
	if (c == NULL)
		return;
	/* evhttp frees the connections next: they are let go without a callback. */
	for (ff_http_conn *k = c->head, *next; k != NULL; k = next) {
		next = k->next;
		if (k->evcon != NULL) {
			evhttp_connection_set_closecb(k->evcon, NULL, NULL);
			if (k->watch != NULL)
				evbuffer_remove_cb_entry(bufferevent_get_input(k->bev), k->watch);
		} else {
			event_free(k->hook);
			bufferevent_decref(k->bev);
		}
		free(k);
	}
	if (c->sweep != NULL)
		event_free(c->sweep);
	free(c);
}
