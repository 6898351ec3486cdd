#include "ff_policy.h"

#include "ff_filter.h"
#include "ff_flow.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ff_policy_key {
	const char *name;
	uint32_t bit;
};

/* The names are nfdump's -s element words for the same fields. */
static const struct ff_policy_key ff_policy_keys[] = {
    {"srcip", FF_FIELD_SRC_ADDR},   {"dstip", FF_FIELD_DST_ADDR},    {"srcport", FF_FIELD_SRC_PORT},
    {"dstport", FF_FIELD_DST_PORT}, {"proto", FF_FIELD_PROTO},	     {"tos", FF_FIELD_TOS},
    {"inif", FF_FIELD_IN_IF},	    {"outif", FF_FIELD_OUT_IF},	     {"srcas", FF_FIELD_SRC_AS},
    {"dstas", FF_FIELD_DST_AS},	    {"exporter", FF_FIELD_EXPORTER},
};

#define FF_POLICY_N_KEYS (sizeof ff_policy_keys / sizeof ff_policy_keys[0])
#define FF_POLICY_VALID_KEYS                                                                       \
	"srcip, dstip, srcport, dstport, proto, tos, inif, outif, srcas, dstas, exporter, all"

static uint32_t ff_policy_key_bit(const char *word, size_t len)
{
	if (len == 3 && memcmp(word, "all", 3) == 0)
		return FF_POLICY_KEY_FIELDS;
	for (size_t i = 0; i < FF_POLICY_N_KEYS; i++)
		if (strlen(ff_policy_keys[i].name) == len &&
		    memcmp(ff_policy_keys[i].name, word, len) == 0)
			return ff_policy_keys[i].bit;
	return 0;
}

int ff_policy_keys_parse(const char *text, uint32_t *keys, char *err, size_t err_len)
{
	uint32_t mask = 0;
	const char *p = text != NULL ? text : "";
	while (*p != '\0') {
		size_t len = strcspn(p, ",");
		while (len > 0 && (*p == ' ' || *p == '\t')) {
			p++;
			len--;
		}
		size_t wlen = len;
		while (wlen > 0 && (p[wlen - 1] == ' ' || p[wlen - 1] == '\t'))
			wlen--;
		uint32_t bit = ff_policy_key_bit(p, wlen);
		if (bit == 0) {
			snprintf(err, err_len, "unknown key '%.*s'; valid keys: %s",
				 (int)(wlen > 64 ? 64 : wlen), p, FF_POLICY_VALID_KEYS);
			return -1;
		}
		mask |= bit;
		p += len;
		if (*p == ',')
			p++;
	}
	*keys = mask != 0 ? mask : FF_POLICY_KEY_FIELDS;
	return 0;
}

char *ff_policy_keys_format(uint32_t keys, char *buf, size_t len)
{
	size_t off = 0;
	buf[0] = '\0';
	if ((keys & FF_POLICY_KEY_FIELDS) == FF_POLICY_KEY_FIELDS) {
		snprintf(buf, len, "all");
		return buf;
	}
	for (size_t i = 0; i < FF_POLICY_N_KEYS && off < len; i++)
		if (keys & ff_policy_keys[i].bit) {
			int n = snprintf(buf + off, len - off, "%s%s", off ? "," : "",
					 ff_policy_keys[i].name);
			off += n > 0 ? (size_t)n : 0;
		}
	return buf;
}

static bool ff_policy_word_ok(const char *s, size_t len)
{
	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
		if (!ok)
			return false;
	}
	return true;
}

static bool ff_policy_target_all(const char *target)
{
	return target == NULL || target[0] == '\0' || strcmp(target, "all") == 0;
}

/*
 * Checks a target: "" or "all" (every agent) or key=value pairs separated
 * by commas, keys and values of [A-Za-z0-9._-]. Returns 0 or -1 with a message.
 */
static int ff_policy_target_check(const char *target, char *err, size_t err_len)
{
	if (ff_policy_target_all(target))
		return 0;
	if (strlen(target) > FF_POLICY_MAX_TARGET) {
		snprintf(err, err_len, "target longer than %u characters", FF_POLICY_MAX_TARGET);
		return -1;
	}
	size_t pairs = 0;
	for (const char *p = target; *p != '\0';) {
		size_t len = strcspn(p, ",");
		const char *eq = memchr(p, '=', len);
		if (eq == NULL || !ff_policy_word_ok(p, (size_t)(eq - p)) ||
		    !ff_policy_word_ok(eq + 1, len - (size_t)(eq - p) - 1) ||
		    ++pairs > FF_POLICY_MAX_TARGET_PAIRS) {
			snprintf(err, err_len,
				 "bad target '%s': expected 'all' or LABEL=VALUE[,LABEL=VALUE] "
				 "(at most %u pairs of A-Z a-z 0-9 . _ -)",
				 target, FF_POLICY_MAX_TARGET_PAIRS);
			return -1;
		}
		p += len;
		if (*p == ',' && *++p == '\0') {
			snprintf(err, err_len, "bad target '%s': ends with a comma", target);
			return -1;
		}
	}
	return 0;
}

/* True when the agent has label key=value; `pair` is "key=value" of length len. */
static bool ff_policy_has_label(const char *pair, size_t len, const char *const *keys,
				const char *const *values, size_t n)
{
	const char *eq = memchr(pair, '=', len);
	if (eq == NULL)
		return false;
	size_t klen = (size_t)(eq - pair), vlen = len - klen - 1;
	for (size_t i = 0; i < n; i++)
		if (strlen(keys[i]) == klen && memcmp(keys[i], pair, klen) == 0 &&
		    strlen(values[i]) == vlen && memcmp(values[i], eq + 1, vlen) == 0)
			return true;
	return false;
}

int ff_policy_target_match(const char *target, const char *const *keys, const char *const *values,
			   size_t n)
{
	if (ff_policy_target_all(target))
		return 0;
	int matched = 0;
	for (const char *p = target; *p != '\0';) {
		size_t len = strcspn(p, ",");
		if (!ff_policy_has_label(p, len, keys, values, n))
			return -1;
		matched++;
		p += len;
		if (*p == ',')
			p++;
	}
	return matched;
}

static int ff_policy_check_bounds(const ff_policy_spec *p, char *err, size_t err_len)
{
	if (p->interval_s > FF_POLICY_MAX_INTERVAL_S) {
		snprintf(err, err_len, "interval %u s is above the bound of %u s", p->interval_s,
			 FF_POLICY_MAX_INTERVAL_S);
		return -1;
	}
	if (p->topk > FF_POLICY_MAX_TOPK) {
		snprintf(err, err_len, "top-K %u is above the bound of %u", p->topk,
			 FF_POLICY_MAX_TOPK);
		return -1;
	}
	if (p->sample > FF_POLICY_MAX_SAMPLE) {
		snprintf(err, err_len, "sampling 1 in %u is above the bound of 1 in %u", p->sample,
			 FF_POLICY_MAX_SAMPLE);
		return -1;
	}
	if ((p->keys & ~FF_POLICY_KEY_FIELDS) != 0 || p->keys == 0) {
		snprintf(err, err_len, "keys 0x%x are not a non-empty set of key fields", p->keys);
		return -1;
	}
	return 0;
}

int ff_policy_validate(const ff_policy_spec *p, char *err, size_t err_len)
{
	if (ff_policy_target_check(p->target, err, err_len) != 0 ||
	    ff_policy_check_bounds(p, err, err_len) != 0)
		return -1;
	ff_filter *f = NULL;
	if (ff_filter_compile(p->filter != NULL ? p->filter : "", &f, err, err_len) != 0)
		return -1;
	ff_filter_free(f);
	return 0;
}

int ff_policy_spec_copy(ff_policy_spec *dst, const ff_policy_spec *src)
{
	*dst = *src;
	dst->target = strdup(src->target != NULL ? src->target : "");
	dst->filter = strdup(src->filter != NULL ? src->filter : "");
	if (dst->target == NULL || dst->filter == NULL) {
		ff_policy_spec_clear(dst);
		return -1;
	}
	return 0;
}

void ff_policy_spec_clear(ff_policy_spec *p)
{
	free(p->target);
	free(p->filter);
	memset(p, 0, sizeof *p);
}
