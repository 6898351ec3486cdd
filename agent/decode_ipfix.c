#include "decode_template.h"
#include "ff_bytes.h"
#include "seqloss.h"

#include <errno.h>
#include <stdlib.h>

/*
 * IPFIX (RFC 7011): a 16-byte message header whose length bounds the
 * message, then sets: 2 carries templates, 3 options templates, 256 and up
 * data records; 4-255 are reserved and skipped. A field specifier with the
 * enterprise bit set is followed by a 4-byte enterprise number; its value
 * is skipped by its length. Templates live per (exporter, observation
 * domain).
 */
#define IPFIX_HEADER_LEN   16
#define IPFIX_SET_TEMPLATE 2
#define IPFIX_SET_OPTIONS  3
#define IPFIX_FIRST_DATA   256

/*
 * Reads `n` field specifiers from `p` (`avail` bytes) into `t`; returns the
 * bytes used, or 0 when they run past `avail`.
 */
static size_t ipfix_fields(ff_template *t, const uint8_t *p, size_t avail, uint16_t n)
{
	size_t off = 0;
	for (uint16_t i = 0; i < n; i++) {
		if (avail - off < 4)
			return 0;
		uint16_t ie = ff_get_be16(p + off), flen = ff_get_be16(p + off + 2);
		off += 4;
		t->fields[i].id = ie & 0x7fff;
		t->fields[i].len = flen;
		if (ie & 0x8000) {
			if (avail - off < 4)
				return 0;
			t->fields[i].enterprise = ff_get_be32(p + off);
			off += 4;
		}
	}
	return off;
}

/*
 * One (options) template record at `p`; sets *used. A field count of 0 is a
 * withdrawal (section 8.1), which has no scope count even in an options set.
 */
static int ipfix_template(ff__tpl_packet *pk, uint16_t set_id, const uint8_t *p, size_t avail,
			  size_t *used)
{
	uint16_t id = ff_get_be16(p), n = ff_get_be16(p + 2), scope = 0;
	size_t head = 4;
	if (n == 0) {
		*used = 4;
		if (id < IPFIX_FIRST_DATA && id != set_id)
			return FF_DECODE_EBADTEMPLATE;
		ff__tpl_withdraw(pk, set_id, id);
		return 0;
	}
	if (set_id == IPFIX_SET_OPTIONS) {
		if (avail < 6)
			return FF_DECODE_EBADTEMPLATE;
		scope = ff_get_be16(p + 4);
		head = 6;
		if (scope == 0 || scope > n)
			return FF_DECODE_EBADTEMPLATE;
	}
	if (id < IPFIX_FIRST_DATA || n > FF_TPL_MAX_FIELDS)
		return FF_DECODE_EBADTEMPLATE;
	ff_template *t = ff_template_alloc(n);
	if (t == NULL) {
		/* Its length is unknown without the fields: the rest of the set is skipped. */
		ff__tpl_refused(pk, id, -ENOMEM);
		*used = avail;
		return 0;
	}
	size_t flen = ipfix_fields(t, p + head, avail - head, n);
	if (flen == 0) {
		free(t);
		return FF_DECODE_EBADTEMPLATE;
	}
	*used = head + flen;
	t->id = id;
	t->proto = 10;
	t->n_fields = n;
	t->n_scope = scope;
	t->options = set_id == IPFIX_SET_OPTIONS;
	return ff__tpl_learn(pk, t);
}

/* A (options) template set; fewer than 4 bytes left is padding. */
static int ipfix_template_set(ff__tpl_packet *pk, uint16_t set_id, const uint8_t *body, size_t len)
{
	size_t off = 0;
	while (len - off >= 4) {
		size_t used = 0;
		int rc = ipfix_template(pk, set_id, body + off, len - off, &used);
		if (rc != 0)
			return rc;
		off += used;
	}
	return 0;
}

static int ipfix_set(ff__tpl_packet *pk, uint16_t set_id, const uint8_t *body, size_t len)
{
	if (set_id == IPFIX_SET_TEMPLATE || set_id == IPFIX_SET_OPTIONS)
		return ipfix_template_set(pk, set_id, body, len);
	if (set_id >= IPFIX_FIRST_DATA)
		return ff__tpl_data_set(pk, set_id, body, len);
	return 0; /* reserved set ids (0, 1 and 4-255): skipped by their length */
}

static int ipfix_sets(ff__tpl_packet *pk, const uint8_t *msg, size_t len)
{
	size_t off = IPFIX_HEADER_LEN;
	while (len - off >= 4) {
		uint16_t set_id = ff_get_be16(msg + off), set_len = ff_get_be16(msg + off + 2);
		if (set_len < 4 || set_len > len - off)
			return FF_DECODE_EBADSET;
		int rc = ipfix_set(pk, set_id, msg + off + 4, set_len - 4u);
		if (rc != 0)
			return rc;
		off += set_len;
	}
	/* The message length counts whole sets; a remainder is malformed (section 3.1). */
	return off == len ? 0 : FF_DECODE_EBADSET;
}

static int ipfix_decode(ff_decoder_ctx *ctx, const uint8_t *pkt, size_t len,
			const uint8_t exporter[FF_ADDR_LEN], uint64_t now_ms)
{
	if (len < IPFIX_HEADER_LEN)
		return FF_DECODE_ESHORT;
	if (ff_get_be16(pkt) != 10 || ctx->templates == NULL)
		return FF_DECODE_EVERSION;
	uint16_t msg_len = ff_get_be16(pkt + 2);
	if (msg_len < IPFIX_HEADER_LEN)
		return FF_DECODE_ESHORT;
	if (msg_len > len)
		return FF_DECODE_ETRUNC;
	ff_export_hdr hdr = {.export_ms = (uint64_t)ff_get_be32(pkt + 4) * 1000};
	uint32_t domain = ff_get_be32(pkt + 12);
	ff__tpl_packet pk;
	ff__tpl_packet_init(&pk, ctx, exporter, now_ms, 10, domain, &hdr);
	int err = ipfix_sets(&pk, pkt, msg_len);
	/* Section 3.1: the sequence counts data records sent before this message. */
	ff_decoder_seq(ctx, exporter, domain, FF_SEQ_IPFIX_RECORDS, ff_get_be32(pkt + 8),
		       pk.unknown || err ? FF_SEQ_INCREMENT_UNKNOWN : pk.data_records, now_ms);
	return ff__tpl_packet_end(&pk, err);
}

const ff_decoder ff_decoder_ipfix = {
    .name = "ipfix",
    .decode = ipfix_decode,
};
