#include "trust_zap.h"

#include "ff_curve_key.h"
#include "ff_log.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define FF_ZAP_ENDPOINT "inproc://zeromq.zap.01"
#define FF_ZAP_POLL_MS	100
/* A request is 6 frames plus one credential for CURVE; more is not a request. */
#define FF_ZAP_MAX_FRAMES  8

struct ff_trust_zap {
	ff_trust *trust;
	void *rep;
	pthread_t thread;
	atomic_bool stop;
};

/* Receives every frame of one message into f[] (at most FF_ZAP_MAX_FRAMES kept). */
static int ff_zap_recv(void *sock, zmq_msg_t f[FF_ZAP_MAX_FRAMES], int *kept)
{
	int n = 0, total = 0;
	for (;;) {
		zmq_msg_t extra;
		zmq_msg_t *m = n < FF_ZAP_MAX_FRAMES ? &f[n] : &extra;
		zmq_msg_init(m);
		if (zmq_msg_recv(m, sock, total == 0 ? ZMQ_DONTWAIT : 0) < 0) {
			zmq_msg_close(m);
			break;
		}
		total++;
		bool more = zmq_msg_more(m);
		if (m == &extra)
			zmq_msg_close(m);
		else
			n++;
		if (!more)
			break;
	}
	*kept = n;
	return total;
}

static bool ff_zap_frame_is(zmq_msg_t *m, const char *s)
{
	size_t n = strlen(s);
	return zmq_msg_size(m) == n && memcmp(zmq_msg_data(m), s, n) == 0;
}

static void ff_zap_send(void *sock, const void *data, size_t len, bool more)
{
	/* A REP socket never blocks on send; a failure only loses this answer. */
	(void)zmq_send(sock, data, len, more ? ZMQ_SNDMORE : 0);
}

/* Answers one request: frames version, id, domain, address, identity, mechanism, key. */
static void ff_zap_answer(ff_trust_zap *z, zmq_msg_t *f, int n)
{
	char user[FF_CURVE_Z85_LEN + 1] = "";
	const char *code = "400", *text = "not a flowfleet CURVE client";
	if (n == 7 && ff_zap_frame_is(&f[0], "1.0") &&
	    ff_zap_frame_is(&f[2], FF_TRUST_ZAP_DOMAIN) && ff_zap_frame_is(&f[5], "CURVE") &&
	    zmq_msg_size(&f[6]) == 32 && zmq_z85_encode(user, zmq_msg_data(&f[6]), 32) != NULL) {
		if (ff_trust_zap_allows(z->trust, user)) {
			code = "200";
			text = "OK";
		} else {
			text = "key rejected or revoked";
			user[0] = '\0';
		}
	}
	ff_zap_send(z->rep, "1.0", 3, true);
	ff_zap_send(z->rep, n > 1 ? zmq_msg_data(&f[1]) : "", n > 1 ? zmq_msg_size(&f[1]) : 0,
		    true);
	ff_zap_send(z->rep, code, 3, true);
	ff_zap_send(z->rep, text, strlen(text), true);
	ff_zap_send(z->rep, user, strlen(user), true);
	ff_zap_send(z->rep, "", 0, false);
}

static void ff_zap_on_request(ff_trust_zap *z)
{
	zmq_msg_t f[FF_ZAP_MAX_FRAMES];
	int kept = 0;
	if (ff_zap_recv(z->rep, f, &kept) > 0)
		ff_zap_answer(z, f, kept);
	for (int i = 0; i < kept; i++)
		zmq_msg_close(&f[i]);
}

static void *ff_zap_main(void *arg)
{
	ff_trust_zap *z = arg;
	while (!atomic_load(&z->stop)) {
		zmq_pollitem_t it = {.socket = z->rep, .events = ZMQ_POLLIN};
		int rc = zmq_poll(&it, 1, FF_ZAP_POLL_MS);
		if (rc < 0 && zmq_errno() == ETERM)
			break;
		if (rc > 0)
			ff_zap_on_request(z);
	}
	return NULL;
}

static void ff_zap_close(ff_trust_zap *z)
{
	int zero = 0;
	if (z->rep != NULL) {
		zmq_setsockopt(z->rep, ZMQ_LINGER, &zero, sizeof zero);
		zmq_close(z->rep);
	}
	free(z);
}

ff_trust_zap *ff_trust_zap_start(void *zmq_ctx, ff_trust *trust)
{
	ff_trust_zap *z = calloc(1, sizeof *z);
	if (z == NULL) {
		ff_log_error("trust: out of memory");
		return NULL;
	}
	z->trust = trust;
	atomic_init(&z->stop, false);
	z->rep = zmq_socket(zmq_ctx, ZMQ_REP);
	if (z->rep == NULL || zmq_bind(z->rep, FF_ZAP_ENDPOINT) != 0) {
		ff_log_error("trust: cannot set up the ZAP handler on %s: %s", FF_ZAP_ENDPOINT,
			     zmq_strerror(zmq_errno()));
		ff_zap_close(z);
		return NULL;
	}
	int rc = pthread_create(&z->thread, NULL, ff_zap_main, z);
	if (rc != 0) {
		ff_log_errno(FF_LOG_ERROR, rc, "trust: pthread_create (ZAP handler) failed");
		ff_zap_close(z);
		return NULL;
	}
	return z;
}

void ff_trust_zap_stop(ff_trust_zap *z)
{
	if (z == NULL)
		return;
	atomic_store(&z->stop, true);
	pthread_join(z->thread, NULL);
	ff_zap_close(z);
}
