/*
 * HTTPS on evhttp (http_tls.h): the server context, one OpenSSL
 * bufferevent per accepted connection, and the handshake counters.
 */
#include "http_tls.h"

#include "ff_log.h"
#include "ff_time.h"
#include "http_ratelog.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

struct ff__http_tls {
	SSL_CTX *ctx;
	uint64_t handshakes, handshake_failed, not_tls;
	ff__http_ratelog log;
};

/*
 * What one connection's handshake did, kept with its SSL (ex_data) until
 * the SSL is freed: only then is it known that a handshake never completed,
 * since OpenSSL does not report every failure to the info callback (a
 * plain-http request, for one, ends in the record layer).
 */
struct ff_tls_conn {
	bool started, done;
	int alert; /* a fatal alert the client sent, + 1; 0 for none */
	char peer[64];
};

/* OpenSSL's ex_data indexes are process-wide; this one is taken once, at the first start. */
static int ff_tls_conn_index = -1;

/* OpenSSL's reason for the last error of this thread, or `fallback`. */
static const char *ff_tls_reason(const char *fallback)
{
	unsigned long e = ERR_peek_last_error();
	const char *r = e != 0 ? ERR_reason_error_string(e) : NULL;
	return r != NULL ? r : fallback;
}

/* An encrypted key would make OpenSSL prompt on the terminal; a daemon refuses it instead. */
static int ff_tls_no_passphrase(char *buf, int size, int rwflag, void *arg)
{
	return 0;
}

static void ff_tls_peer(SSL *ssl, char *out, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	int fd = SSL_get_fd(ssl);
	snprintf(out, len, "?");
	if (fd < 0 || getpeername(fd, (struct sockaddr *)&ss, &sl) != 0)
		return;
	if (ss.ss_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, out, (socklen_t)len);
	else if (ss.ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, out, (socklen_t)len);
}

static void ff_tls_failed(ff__http_tls *t, const struct ff_tls_conn *c)
{
	uint64_t held;
	t->handshake_failed++;
	if (!ff__http_ratelog_may(&t->log, c->peer, ff_time_mono_ms(), &held))
		return;
	char more[96] = "";
	if (held > 0)
		snprintf(more, sizeof more, " (and %llu not logged since the last line)",
			 (unsigned long long)held);
	if (c->alert != 0)
		ff_log_warn("http: TLS handshake with %s failed: the client sent the alert '%s' "
			    "(it does not trust the certificate?)%s; more from %s this minute are "
			    "only counted (/api/v1/stats)",
			    c->peer, SSL_alert_desc_string_long(c->alert - 1), more, c->peer);
	else
		ff_log_warn("http: TLS handshake with %s failed: closed before it completed (a "
			    "plain-http client?)%s; more from %s this minute are only counted "
			    "(/api/v1/stats)",
			    c->peer, more, c->peer);
}

/* OpenSSL's free callback of the ex_data: the connection's end. */
static void ff_tls_conn_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl,
			     void *argp)
{
	struct ff_tls_conn *c = ptr;
	if (c == NULL)
		return;
	ff__http_tls *t = SSL_CTX_get_app_data(SSL_get_SSL_CTX(parent));
	if (t != NULL && c->started && !c->done)
		ff_tls_failed(t, c);
	free(c);
}

static void ff_tls_info(const SSL *cssl, int where, int ret)
{
	SSL *ssl = (SSL *)cssl;
	ff__http_tls *t = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
	struct ff_tls_conn *c = SSL_get_ex_data(ssl, ff_tls_conn_index);
	if (t == NULL || c == NULL)
		return;
	if ((where & SSL_CB_HANDSHAKE_START) && !c->started) {
		c->started = true;
		ff_tls_peer(ssl, c->peer, sizeof c->peer);
	} else if ((where & SSL_CB_HANDSHAKE_DONE) && !c->done) {
		c->done = true;
		t->handshakes++;
	} else if ((where & SSL_CB_READ_ALERT) && (ret >> 8) == SSL3_AL_FATAL) {
		c->alert = (ret & 0xff) + 1;
	}
}

/* Opens `path` to name why it cannot be read before OpenSSL gives a vaguer reason. */
static int ff_tls_check_file(const char *opt, const char *path, bool secret, char *err,
			     size_t err_len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		snprintf(err, err_len, "%s %s: %s", opt, path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	if (secret && (st.st_mode & 0007) != 0) {
		snprintf(err, err_len,
			 "%s %s: the private key is accessible to others (mode %04o); chmod 600 "
			 "it (or 640 with a group such as ssl-cert)",
			 opt, path, (unsigned)(st.st_mode & 07777));
		return -1;
	}
	return 0;
}

static EVP_PKEY *ff_tls_read_key(const char *path)
{
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return NULL;
	EVP_PKEY *k = PEM_read_PrivateKey(f, NULL, ff_tls_no_passphrase, NULL);
	fclose(f);
	return k;
}

static int ff_tls_load(SSL_CTX *ctx, const char *cert, const char *key, char *err, size_t err_len)
{
	if (ff_tls_check_file("--http-cert", cert, false, err, err_len) != 0 ||
	    ff_tls_check_file("--http-key", key, true, err, err_len) != 0)
		return -1;
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
		snprintf(err, err_len, "--http-cert %s: not a PEM certificate chain (%s)", cert,
			 ff_tls_reason("unreadable"));
		return -1;
	}
	EVP_PKEY *k = ff_tls_read_key(key);
	if (k == NULL) {
		snprintf(err, err_len, "--http-key %s: not an unencrypted PEM private key (%s)",
			 key, ff_tls_reason("unreadable"));
		return -1;
	}
	int ok = SSL_CTX_use_PrivateKey(ctx, k) == 1 && SSL_CTX_check_private_key(ctx) == 1;
	EVP_PKEY_free(k);
	if (!ok) {
		snprintf(err, err_len, "--http-key %s is not the key of the certificate %s (%s)",
			 key, cert, ff_tls_reason("mismatch"));
		return -1;
	}
	return 0;
}

ff__http_tls *ff__http_tls_new(const char *cert, const char *key, char *err, size_t err_len)
{
	ff__http_tls *t = calloc(1, sizeof *t);
	if (t == NULL || (t->ctx = SSL_CTX_new(TLS_server_method())) == NULL) {
		snprintf(err, err_len, "cannot make a TLS context: %s",
			 ff_tls_reason("out of memory"));
		free(t);
		return NULL;
	}
	SSL_CTX_set_default_passwd_cb(t->ctx, ff_tls_no_passphrase);
	/* TLS 1.0 and 1.1 are deprecated (RFC 8996); renegotiation and compression are attack
	 * surface. */
	if (SSL_CTX_set_min_proto_version(t->ctx, TLS1_2_VERSION) != 1) {
		snprintf(err, err_len, "cannot require TLS 1.2: %s", ff_tls_reason("refused"));
		goto fail;
	}
	SSL_CTX_set_options(t->ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
					SSL_OP_CIPHER_SERVER_PREFERENCE);
	SSL_CTX_set_mode(t->ctx, SSL_MODE_RELEASE_BUFFERS);
	if (ff_tls_load(t->ctx, cert, key, err, err_len) != 0)
		goto fail;
	if (ff_tls_conn_index < 0)
		ff_tls_conn_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, ff_tls_conn_free);
	if (ff_tls_conn_index < 0) {
		snprintf(err, err_len, "cannot register TLS connection data: %s",
			 ff_tls_reason("out of memory"));
		goto fail;
	}
	SSL_CTX_set_app_data(t->ctx, t);
	SSL_CTX_set_info_callback(t->ctx, ff_tls_info);
	ERR_clear_error();
	return t;
fail:
	ERR_clear_error();
	ff__http_tls_free(t);
	return NULL;
}

struct bufferevent *ff__http_tls_bev(ff__http_tls *t, struct event_base *base)
{
	SSL *ssl = SSL_new(t->ctx);
	struct ff_tls_conn *c = calloc(1, sizeof *c);
	if (ssl == NULL || c == NULL || SSL_set_ex_data(ssl, ff_tls_conn_index, c) != 1) {
		ff_log_error("http: SSL_new failed (%s); this connection is refused",
			     ff_tls_reason("out of memory"));
		free(c);
		SSL_free(ssl);
		return NULL;
	}
	struct bufferevent *bev = bufferevent_openssl_socket_new(
	    base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL) {
		SSL_free(ssl);
		ff_log_error("http: cannot make a TLS bufferevent; this connection is refused");
		return NULL;
	}
	/* Clients often close without close_notify; their requests were complete. */
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	return bev;
}

bool ff__http_tls_request_ok(ff__http_tls *t, struct evhttp_request *req)
{
	struct evhttp_connection *c = evhttp_request_get_connection(req);
	struct bufferevent *bev = c != NULL ? evhttp_connection_get_bufferevent(c) : NULL;
	if (bev != NULL && bufferevent_openssl_get_ssl(bev) != NULL)
		return true;
	t->not_tls++;
	ff_log_error("http: a request arrived without TLS (its TLS set-up failed); refused");
	return false;
}

json_t *ff__http_tls_stats_json(const ff__http_tls *t)
{
	return json_pack("{s:I, s:I, s:I}", "handshakes", (json_int_t)t->handshakes,
			 "handshake_failed", (json_int_t)t->handshake_failed, "not_tls",
			 (json_int_t)t->not_tls);
}

void ff__http_tls_free(ff__http_tls *t)
{
	if (t == NULL)
		return;
	SSL_CTX_free(t->ctx);
	free(t);
}
