#ifndef FF_HTTP_TLS_H
#define FF_HTTP_TLS_H

/*
 * HTTPS for the API: an OpenSSL server context from --http-cert and
 * --http-key, and evhttp's connections made on libevent's OpenSSL
 * bufferevents (evhttp_set_bevcb), so every byte of every connection,
 * replies from the query pool included, goes through TLS. TLS 1.2 at least.
 * A handshake that fails (a plain-http client, a client that does not
 * trust the certificate) is counted and logged at most once a minute per
 * peer. Everything but _new runs on the event loop's thread.
 */

#include <event2/event.h>
#include <event2/http.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct ff__http_tls ff__http_tls;

/*
 * Loads the PEM certificate chain `cert` and private key `key`. Refuses a
 * missing or unreadable file, a key readable or writable by others, an
 * encrypted key, a key that is not the certificate's. Returns NULL with the
 * reason (naming the file) in `err`.
 */
ff__http_tls *ff__http_tls_new(const char *cert, const char *key, char *err, size_t err_len);

/*
 * A TLS bufferevent for a connection evhttp accepts (it sets the socket
 * itself, fd -1 here); the bufferevent frees the SSL with itself. NULL when
 * out of memory (logged).
 */
struct bufferevent *ff__http_tls_bev(ff__http_tls *t, struct event_base *base);

/*
 * True when `req` arrived over TLS. libevent falls back to a plain
 * connection when the bufferevent callback fails (out of memory), so each
 * request is checked before it is served; false is counted and logged.
 */
bool ff__http_tls_request_ok(ff__http_tls *t, struct evhttp_request *req);

/* {"handshakes": n, "handshake_failed": n, "not_tls": n} */
json_t *ff__http_tls_stats_json(const ff__http_tls *t);

void ff__http_tls_free(ff__http_tls *t);

#endif
