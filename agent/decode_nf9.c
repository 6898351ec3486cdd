#include "decode_template.h"
#include "ff_bytes.h"
#include "seqloss.h"

#include <errno.h>
#include <stdlib.h>

/*
 * NetFlow v9 (RFC 3954): a 20-byte header, then flowsets: 0 carries
 * templates, 1 options templates, 256 and up data records of the template
 * of that id; 2-255 are reserved and skipped. Templates live per
 * (exporter, source id). The header's record count is not trusted (many
 * exporters get it wrong); set lengths are.
 */
#define NF9_HEADER_LEN	 20
#define NF9_SET_TEMPLATE 0
#define NF9_SET_OPTIONS	 1
#define NF9_FIRST_DATA	 256

/* Reads `n` (type, length) pairs from `p` into t->fields[at..]. */
static void nf9_fields(ff_template *t, uint16_t at, const uint8_t *p, uint16_t n)
{
	for (uint16_t i = 0; i < n; i++) {
		t->fields[at + i].id = ff_get_be16(p + 4 * i);
		t->fields[at + i].len = ff_get_be16(p + 4 * i + 2);
	}
}

/* One template record at `p` (`avail` bytes left in the set); sets *used. */
static int nf9_template(ff__tpl_packet *pk, const uint8_t *p, size_t avail, size_t *used)
{
	uint16_t id = ff_get_be16(p), n = ff_get_be16(p + 2);
	*used = 4 + (size_t)n * 4;
	if (id < NF9_FIRST_DATA || n == 0 || n > FF_TPL_MAX_FIELDS || *used > avail)
		return FF_DECODE_EBADTEMPLATE;
	ff_template *t = ff_template_alloc(n);
	if (t == NULL) {
		ff__tpl_refused(pk, id, -ENOMEM);
		return 0;
	}
	t->id = id;
	t->proto = 9;
	t->n_fields = n;
	nf9_fields(t, 0, p + 4, n);
	return ff__tpl_learn(pk, t);
}

/* One options template record: id, scope length, option length (bytes), then both field lists. */
static int nf9_options_template(ff__tpl_packet *pk, const uint8_t *p, size_t avail, size_t *used)
{
	if (avail < 6)
		return FF_DECODE_EBADTEMPLATE;
	uint16_t id = ff_get_be16(p), scope_len = ff_get_be16(p + 2), opt_len = ff_get_be16(p + 4);
	size_t n = (size_t)scope_len / 4 + opt_len / 4;
	*used = 6 + (size_t)scope_len + opt_len;
	if (id < NF9_FIRST_DATA || scope_len % 4 != 0 || opt_len % 4 != 0 || n == 0 ||
	    n > FF_TPL_MAX_FIELDS || *used > avail)
		return FF_DECODE_EBADTEMPLATE;
	ff_template *t = ff_template_alloc((uint16_t)n);
	if (t == NULL) {
		ff__tpl_refused(pk, id, -ENOMEM);
		return 0;
	}
	t->id = id;
	t->proto = 9;
	t->options = 1;
	t->n_fields = (uint16_t)n;
	t->n_scope = scope_len / 4;
	nf9_fields(t, 0, p + 6, t->n_scope);
	nf9_fields(t, t->n_scope, p + 6 + scope_len, (uint16_t)(opt_len / 4));
	return ff__tpl_learn(pk, t);
}

/* A template or options template flowset; fewer bytes than a record header left is padding. */
static int nf9_template_set(ff__tpl_packet *pk, uint16_t set_id, const uint8_t *body, size_t len)
{
	size_t off = 0, min = set_id == NF9_SET_TEMPLATE ? 4 : 6;
	while (len - off >= min) {
		size_t used = 0;
		int rc = set_id == NF9_SET_TEMPLATE
			     ? nf9_template(pk, body + off, len - off, &used)
			     : nf9_options_template(pk, body + off, len - off, &used);
		if (rc != 0)
			return rc;
		off += used;
	}
	return 0;
}

static int nf9_set(ff__tpl_packet *pk, uint16_t set_id, const uint8_t *body, size_t len)
{
	if (set_id == NF9_SET_TEMPLATE || set_id == NF9_SET_OPTIONS)
		return nf9_template_set(pk, set_id, body, len);
	if (set_id >= NF9_FIRST_DATA)
		return ff__tpl_data_set(pk, set_id, body, len);
	return 0; /* reserved flowset ids 2-255: skipped by their length */
}

static int nf9_decode(ff_decoder_ctx *ctx, const uint8_t *pkt, size_t len,
		      const uint8_t exporter[FF_ADDR_LEN], uint64_t now_ms)
{
	if (len < NF9_HEADER_LEN)
		return FF_DECODE_ESHORT;
	if (ff_get_be16(pkt) != 9)
		return FF_DECODE_EVERSION;
	if (ctx->templates == NULL)
		return FF_DECODE_EVERSION;
	ff_export_hdr hdr = {.export_ms = (uint64_t)ff_get_be32(pkt + 8) * 1000,
			     .sys_uptime = ff_get_be32(pkt + 4),
			     .has_uptime = 1};
	uint32_t source_id = ff_get_be32(pkt + 16);
	ff__tpl_packet pk;
	ff__tpl_packet_init(&pk, ctx, exporter, now_ms, 9, source_id, &hdr);
	ff_decoder_seq(ctx, exporter, source_id, FF_SEQ_V9_PACKETS, ff_get_be32(pkt + 12), 1,
		       now_ms);
	size_t off = NF9_HEADER_LEN;
	int err = 0;
	/* Fewer than 4 bytes after the last flowset are padding. */
	while (err == 0 && len - off >= 4) {
		uint16_t set_id = ff_get_be16(pkt + off), set_len = ff_get_be16(pkt + off + 2);
		if (set_len < 4 || set_len > len - off) {
			err = FF_DECODE_EBADSET;
			break;
		}
		err = nf9_set(&pk, set_id, pkt + off + 4, set_len - 4u);
		off += set_len;
	}
	return ff__tpl_packet_end(&pk, err);
}

const ff_decoder ff_decoder_nf9 = {
    .name = "netflow9",
    .decode = nf9_decode,
};
