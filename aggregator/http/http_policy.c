#include "http_policy.h"

#include "ff_log.h"
#include "ff_time.h"
#include "http_reply.h"

#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ff_http_policy {
	ff_policy_store *store;
	ff_http_auth *auth;
};

ff_http_policy *ff_http_policy_new(ff_policy_store *store, ff_http_auth *auth, char *err,
				   size_t err_len)
{
	ff_http_policy *p = calloc(1, sizeof *p);
	if (p == NULL) {
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	p->store = store;
	p->auth = auth;
	return p;
}

void ff_http_policy_free(ff_http_policy *p)
{
	free(p);
}

/* --- POST /api/v1/policy ------------------------------------------------------ */

static int ff_hp_uint_member(const json_t *body, const char *name, uint32_t *out, char *err,
			     size_t err_len)
{
	const json_t *v = json_object_get(body, name);
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) > UINT32_MAX) {
		snprintf(err, err_len, "'%s' must be a non-negative integer", name);
		return -1;
	}
	*out = (uint32_t)json_integer_value(v);
	return 0;
}

/* "keys" is a comma-separated string or an array of names. */
static int ff_hp_keys_member(const json_t *body, uint32_t *keys, char *err, size_t err_len)
{
	const json_t *v = json_object_get(body, "keys");
	*keys = FF_POLICY_KEY_FIELDS;
	if (v == NULL || json_is_null(v))
		return 0;
	if (json_is_string(v))
		return ff_policy_keys_parse(json_string_value(v), keys, err, err_len);
	if (!json_is_array(v)) {
		snprintf(err, err_len,
			 "'keys' must be a string such as \"srcip,dstip\" or an array");
		return -1;
	}
	uint32_t mask = 0, bit;
	size_t i;
	const json_t *k;
	json_array_foreach(v, i, k)
	{
		if (!json_is_string(k) || json_string_length(k) == 0 ||
		    ff_policy_keys_parse(json_string_value(k), &bit, err, err_len) != 0) {
			if (!json_is_string(k) || json_string_length(k) == 0)
				snprintf(err, err_len, "'keys' must hold key names");
			return -1;
		}
		mask |= bit;
	}
	*keys = mask != 0 ? mask : FF_POLICY_KEY_FIELDS;
	return 0;
}

static const char *ff_hp_str_member(const json_t *body, const char *name, bool *bad)
{
	const json_t *v = json_object_get(body, name);
	if (v == NULL || json_is_null(v))
		return "";
	if (!json_is_string(v))
		*bad = true;
	return json_is_string(v) ? json_string_value(v) : "";
}

static int ff_hp_check_members(const json_t *body, char *err, size_t err_len)
{
	static const char *const known[] = {"target", "filter", "keys",	 "interval_s",
					    "topk",   "sample", "merge"};
	const char *name;
	const json_t *v;
	json_object_foreach((json_t *)body, name, v)
	{
		bool ok = false;
		for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
			ok = ok || strcmp(name, known[i]) == 0;
		if (!ok) {
			snprintf(err, err_len,
				 "unknown member '%.64s'; valid: target, filter, keys, "
				 "interval_s, topk, sample, merge",
				 name);
			return -1;
		}
	}
	return 0;
}

/* Reads the request body into *p (strings borrowed from `body`). */
static int ff_hp_parse_policy(const json_t *body, ff_policy_spec *p, char *err, size_t err_len)
{
	bool bad = false;
	if (!json_is_object(body)) {
		snprintf(err, err_len, "the body must be a JSON object");
		return -1;
	}
	if (ff_hp_check_members(body, err, err_len) != 0)
		return -1;
	p->target = (char *)ff_hp_str_member(body, "target", &bad);
	p->filter = (char *)ff_hp_str_member(body, "filter", &bad);
	if (bad) {
		snprintf(err, err_len, "'target' and 'filter' must be strings");
		return -1;
	}
	if (strcmp(p->target, "all") == 0)
		p->target = (char *)"";
	if (ff_hp_keys_member(body, &p->keys, err, err_len) != 0 ||
	    ff_hp_uint_member(body, "interval_s", &p->interval_s, err, err_len) != 0 ||
	    ff_hp_uint_member(body, "topk", &p->topk, err, err_len) != 0 ||
	    ff_hp_uint_member(body, "sample", &p->sample, err, err_len) != 0)
		return -1;
	const json_t *merge = json_object_get(body, "merge");
	if (merge != NULL && !json_is_null(merge) && !json_is_boolean(merge)) {
		snprintf(err, err_len, "'merge' must be true or false");
		return -1;
	}
	p->merge = json_is_true(merge);
	return 0;
}

static json_t *ff_hp_read_body(struct evhttp_request *req, char *err, size_t err_len)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in);
	const char *data = (const char *)evbuffer_pullup(in, -1);
	json_error_t jerr;
	json_t *doc = json_loadb(data != NULL ? data : "", len, 0, &jerr);
	if (doc == NULL)
		snprintf(err, err_len, "the body is not JSON (line %d: %s)", jerr.line, jerr.text);
	return doc;
}

static void ff_hp_post(ff_http_policy *p, struct evhttp_request *req)
{
	char err[1024];
	if (!ff_http_require_scope(p->auth, req, FF_HTTP_SCOPE_ADMIN))
		return;
	json_t *body = ff_hp_read_body(req, err, sizeof err);
	ff_policy_spec spec = {0};
	int rc = body == NULL ? -1 : ff_hp_parse_policy(body, &spec, err, sizeof err);
	if (rc == 0)
		rc = ff_policy_store_add(p->store, &spec, ff_time_now_ms(), err, sizeof err);
	if (rc == 0) {
		ff_log_info("http: stored policy %llu for target '%s'",
			    (unsigned long long)spec.version, spec.target[0] ? spec.target : "all");
		ff_http_reply_json(req, 201, "Created",
			   json_pack("{s:o}", "policy", ff_policy_spec_to_json(&spec)));
	} else if (rc == -1) {
		ff_http_reply_error(req, 400, "Bad Request", err);
	} else {
		ff_log_error("http: policy not stored: %s", err);
		ff_http_reply_error(req, 500, "Internal Server Error", err);
	}
	json_decref(body);
}

/* --- routing ------------------------------------------------------------------- */

static void ff_hp_list(ff_http_policy *p, struct evhttp_request *req, bool current)
{
	json_t *list = ff_policy_store_list_json(p->store, current);
	ff_http_reply_json(req, 200, "OK",
		   list != NULL ? json_pack("{s:o}", current ? "policies" : "history", list)
				: NULL);
}

static void ff_hp_on_policy(ff_http_policy *p, struct evhttp_request *req)
{
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	if (cmd == EVHTTP_REQ_POST) {
		ff_hp_post(p, req);
	} else if (cmd == EVHTTP_REQ_GET || cmd == EVHTTP_REQ_HEAD) {
		ff_hp_list(p, req, true);
	} else {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Allow",
				  "GET, HEAD, POST");
		ff_http_reply_error(req, 405, "Method Not Allowed", "GET reads policies, POST stores one");
	}
}

static void ff_hp_on_history(ff_http_policy *p, struct evhttp_request *req)
{
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	if (cmd == EVHTTP_REQ_GET || cmd == EVHTTP_REQ_HEAD) {
		ff_hp_list(p, req, false);
		return;
	}
	evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "GET, HEAD");
	ff_http_reply_error(req, 405, "Method Not Allowed", "only GET is supported");
}

bool ff_http_policy_route(ff_http_policy *p, struct evhttp_request *req, const char *path)
{
	if (strcmp(path, "/api/v1/policy") == 0)
		ff_hp_on_policy(p, req);
	else if (strcmp(path, "/api/v1/policy/history") == 0)
		ff_hp_on_history(p, req);
	else
		return false;
	return true;
}
