/*
 * One agent's interfaces as GET /api/v1/interfaces shows them (docs/api.md):
 * the latest counters as the exporter sent them, and the rates between the
 * latest two samples.
 */
#include "session_ifs.h"

#include <errno.h>
#include <stdlib.h>

static json_t *ff_if_u64(uint64_t v)
{
	return json_integer((json_int_t)v);
}

static const char *ff_if_direction_name(uint32_t d)
{
	static const char *const names[] = {"unknown", "full-duplex", "half-duplex", "in", "out"};
	return d < sizeof names / sizeof names[0] ? names[d] : "unknown";
}

static json_t *ff_if_in_json(const ff__if_entry *e)
{
	const ff_if_sample *s = &e->cur;
	return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "octets", ff_if_u64(s->in_octets),
			 "unicast", ff_if_u64(s->in_ucast), "multicast", ff_if_u64(s->in_mcast),
			 "broadcast", ff_if_u64(s->in_bcast), "discards", ff_if_u64(s->in_discards),
			 "errors", ff_if_u64(s->in_errors), "unknown_protos",
			 ff_if_u64(e->in_unknown_protos));
}

static json_t *ff_if_out_json(const ff_if_sample *s)
{
	return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o}", "octets", ff_if_u64(s->out_octets),
			 "unicast", ff_if_u64(s->out_ucast), "multicast", ff_if_u64(s->out_mcast),
			 "broadcast", ff_if_u64(s->out_bcast), "discards",
			 ff_if_u64(s->out_discards), "errors", ff_if_u64(s->out_errors));
}

/* The rates object, or null when there is none (the status says why). */
static json_t *ff_if_rates_json(const ff__if_entry *e, int *status)
{
	ff_if_rates r;
	*status = ff_if_rates_compute(e->has_prev ? &e->prev : NULL, &e->cur, &r);
	if (*status != FF_IF_RATES_OK)
		return json_null();
	return json_pack("{s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f}", "seconds", r.seconds,
			 "in_bytes_per_s", r.in_bytes, "out_bytes_per_s", r.out_bytes,
			 "in_packets_per_s", r.in_packets, "out_packets_per_s", r.out_packets,
			 "in_errors_per_s", r.in_errors, "out_errors_per_s", r.out_errors,
			 "in_discards_per_s", r.in_discards, "out_discards_per_s", r.out_discards);
}

static json_t *ff_if_entry_json(const ff__if_entry *e, const char *agent)
{
	char exporter[FF_ADDR_STRLEN];
	ff_addr_format(e->exporter, exporter);
	int status;
	json_t *rates = ff_if_rates_json(e, &status);
	return json_pack("{s:s, s:s, s:I, s:I, s:o, s:s, s:b, s:b, s:b, s:o, s:o, s:o, s:o, s:o, "
			 "s:o, s:s}",
			 "agent", agent, "exporter", exporter, "if_index", (json_int_t)e->if_index,
			 "if_type", (json_int_t)e->if_type, "speed_bps", ff_if_u64(e->if_speed),
			 "direction", ff_if_direction_name(e->if_direction), "admin_up",
			 (e->if_status & 1) != 0, "oper_up", (e->if_status & 2) != 0, "promiscuous",
			 e->promiscuous != 0, "in", ff_if_in_json(e), "out",
			 ff_if_out_json(&e->cur), "samples", ff_if_u64(e->samples), "updated_ms",
			 ff_if_u64(e->cur.updated_ms), "received_ms", ff_if_u64(e->received_ms),
			 "rates", rates, "rates_status", ff_if_rates_status_name(status));
}

int ff__session_ifs_json(const ff__session_ifs *t, const char *agent, json_t *a)
{
	size_t n;
	const ff__if_entry **v = ff__session_ifs_sorted(t, &n);
	if (v == NULL && n > 0)
		return -ENOMEM;
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++)
		if (json_array_append_new(a, ff_if_entry_json(v[i], agent)) != 0)
			rc = -ENOMEM;
	free(v);
	return rc;
}
