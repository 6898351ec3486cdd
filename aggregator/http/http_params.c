#include "http_params.h"

#include "ff_config.h"
#include "ff_time.h"

#include <event2/http.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/*
 * A time bound: unix milliseconds (digits only), or a duration with a unit
 * ("90s", "1h", "7d") meaning that long before now.
 */
static int ff_http_time_param(const char *name, const char *v, uint64_t *out, char *err,
			      size_t err_len)
{
	uint64_t x;
	if (v == NULL)
		return 0;
	size_t digits = strspn(v, "0123456789");
	if (digits > 0 && v[digits] == '\0' && ff_parse_uint(v, &x) == 0) {
		*out = x;
		return 0;
	}
	uint64_t now = ff_time_now_ms();
	if (digits > 0 && ff_parse_duration_ms(v, &x) == 0 && x <= now) {
		*out = now - x;
		return 0;
	}
	snprintf(err, err_len,
		 "%s must be unix milliseconds or a duration before now such as 90s, 1h, 7d, "
		 "not '%.64s'",
		 name, v);
	return -1;
}

static int ff_http_agent_param(const char *agent, ff__http_scope *sc, char *err, size_t err_len)
{
	if (agent == NULL)
		return 0;
	if (ff_agent_id_valid(agent)) {
		snprintf(sc->agent_buf, sizeof sc->agent_buf, "%s", agent);
		sc->agent = sc->agent_buf;
		return 0;
	}
	snprintf(err, err_len, "agent must be an agent id (1-%d characters of A-Z a-z 0-9 . _ -)",
		 FF_AGENT_ID_MAX);
	return -1;
}

/* Compiled once per request; the compiler's message names line and column. */
static int ff_http_filter_param(const char *text, ff_filter **out, char *err, size_t err_len)
{
	char msg[400];
	*out = NULL;
	if (text == NULL)
		return 0;
	if (ff_filter_compile(text, out, msg, sizeof msg) == 0)
		return 0;
	snprintf(err, err_len, "bad filter: %s", msg);
	return -1;
}

int ff__http_scope_params(const struct evkeyvalq *params, ff__http_scope *sc, char *err,
			  size_t err_len)
{
	memset(sc, 0, sizeof *sc);
	if (ff_http_agent_param(evhttp_find_header(params, "agent"), sc, err, err_len) != 0 ||
	    ff_http_time_param("since", evhttp_find_header(params, "since"), &sc->since_ms, err,
			       err_len) != 0 ||
	    ff_http_time_param("until", evhttp_find_header(params, "until"), &sc->until_ms, err,
			       err_len) != 0)
		return -1;
	if (sc->until_ms != 0 && sc->until_ms < sc->since_ms) {
		snprintf(err, err_len, "until (%" PRIu64 ") is before since (%" PRIu64 ")",
			 sc->until_ms, sc->since_ms);
		return -1;
	}
	return ff_http_filter_param(evhttp_find_header(params, "filter"), &sc->filter, err,
				    err_len);
}

void ff__http_scope_free(ff__http_scope *sc)
{
	ff_filter_free(sc->filter);
	sc->filter = NULL;
}

int ff__http_count_param(const char *name, const char *v, uint64_t max, uint64_t *out, char *err,
			 size_t err_len)
{
	if (v == NULL || (ff_parse_uint(v, out) == 0 && *out <= max))
		return 0;
	snprintf(err, err_len, "%s must be an integer from 0 to %" PRIu64 ", not '%.64s'", name,
		 max, v);
	return -1;
}

json_t *ff__http_scope_json(json_t *doc, const ff__http_scope *sc)
{
	if (doc == NULL)
		return NULL;
	json_object_set_new(doc, "agent", sc->agent ? json_string(sc->agent) : json_null());
	json_object_set_new(doc, "since_ms",
			    sc->since_ms ? json_integer((json_int_t)sc->since_ms) : json_null());
	json_object_set_new(doc, "until_ms",
			    sc->until_ms ? json_integer((json_int_t)sc->until_ms) : json_null());
	json_object_set_new(doc, "filter",
			    sc->filter ? json_string(ff_filter_source(sc->filter)) : json_null());
	return doc;
}
