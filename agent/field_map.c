#include "field_map.h"

#include "ff_bytes.h"

#include <string.h>

/* Seconds between the NTP era (1900) and the unix epoch (RFC 7011 section 6.1.9). */
#define FF_NTP_UNIX_OFFSET 2208988800ull

/* Element ids whose value is an address, a port, or a small key field. */
static enum ff_field_action ff_field_key_action(uint16_t id)
{
	switch (id) {
	case 8: return FF_FA_SRC_V4;	/* sourceIPv4Address / IPV4_SRC_ADDR */
	case 12: return FF_FA_DST_V4;	/* destinationIPv4Address / IPV4_DST_ADDR */
	case 27: return FF_FA_SRC_V6;	/* sourceIPv6Address */
	case 28: return FF_FA_DST_V6;	/* destinationIPv6Address */
	case 7: return FF_FA_SRC_PORT;	/* sourceTransportPort / L4_SRC_PORT */
	case 180: return FF_FA_SRC_PORT; /* udpSourcePort */
	case 182: return FF_FA_SRC_PORT; /* tcpSourcePort */
	case 11: return FF_FA_DST_PORT;	 /* destinationTransportPort / L4_DST_PORT */
	case 181: return FF_FA_DST_PORT; /* udpDestinationPort */
	case 183: return FF_FA_DST_PORT; /* tcpDestinationPort */
	case 4: return FF_FA_PROTO;	 /* protocolIdentifier */
	case 5: return FF_FA_TOS;	 /* ipClassOfService / SRC_TOS */
	case 6: return FF_FA_TCP_FLAGS;	 /* tcpControlBits */
	case 10: return FF_FA_IN_IF;	 /* ingressInterface / INPUT_SNMP */
	case 14: return FF_FA_OUT_IF;	 /* egressInterface / OUTPUT_SNMP */
	case 16: return FF_FA_SRC_AS;	 /* bgpSourceAsNumber */
	case 17: return FF_FA_DST_AS;	 /* bgpDestinationAsNumber */
	case 32: return FF_FA_ICMP_TYPE_CODE;  /* icmpTypeCodeIPv4 */
	case 139: return FF_FA_ICMP_TYPE_CODE; /* icmpTypeCodeIPv6 */
	default: return FF_FA_SKIP;
	}
}

/* Element ids whose value is a counter, a time or sampling information. */
static enum ff_field_action ff_field_value_action(uint16_t id)
{
	switch (id) {
	case 1: return FF_FA_BYTES;	     /* octetDeltaCount / IN_BYTES */
	case 2: return FF_FA_PACKETS;	     /* packetDeltaCount / IN_PKTS */
	case 23: return FF_FA_OUT_BYTES;     /* postOctetDeltaCount / OUT_BYTES */
	case 24: return FF_FA_OUT_PACKETS;   /* postPacketDeltaCount / OUT_PKTS */
	case 85: return FF_FA_TOTAL_BYTES;   /* octetTotalCount */
	case 86: return FF_FA_TOTAL_PACKETS; /* packetTotalCount */
	case 22: return FF_FA_FIRST_UPTIME;  /* flowStartSysUpTime / FIRST_SWITCHED */
	case 21: return FF_FA_LAST_UPTIME;   /* flowEndSysUpTime / LAST_SWITCHED */
	case 150: return FF_FA_START_SEC;
	case 151: return FF_FA_END_SEC;
	case 152: return FF_FA_START_MS;
	case 153: return FF_FA_END_MS;
	case 154: return FF_FA_START_US;
	case 155: return FF_FA_END_US;
	case 156: return FF_FA_START_NS;
	case 157: return FF_FA_END_NS;
	case 158: return FF_FA_START_DELTA_US;
	case 159: return FF_FA_END_DELTA_US;
	case 160: return FF_FA_SYSINIT_MS;
	case 48: return FF_FA_SAMPLER_ID;    /* FLOW_SAMPLER_ID / samplerId */
	case 302: return FF_FA_SELECTOR_ID;  /* selectorId */
	case 34: return FF_FA_SAMPLING_INTERVAL; /* SAMPLING_INTERVAL / samplingInterval */
	case 50: return FF_FA_SAMPLER_RANDOM_INTERVAL;
	case 305: return FF_FA_PKT_INTERVAL; /* samplingPacketInterval */
	case 306: return FF_FA_PKT_SPACE;    /* samplingPacketSpace */
	default: return FF_FA_SKIP;
	}
}

enum ff_field_action ff_field_action_of(uint32_t enterprise, uint16_t id, uint16_t len)
{
	if (enterprise != 0 || len == FF_TPL_VARLEN)
		return FF_FA_SKIP;
	enum ff_field_action a = ff_field_key_action(id);
	if (a == FF_FA_SKIP)
		a = ff_field_value_action(id);
	/* Addresses have exactly their size; every other value is an unsigned of 1 to 8 bytes. */
	if (a == FF_FA_SRC_V4 || a == FF_FA_DST_V4)
		return len == 4 ? a : FF_FA_SKIP;
	if (a == FF_FA_SRC_V6 || a == FF_FA_DST_V6)
		return len == 16 ? a : FF_FA_SKIP;
	return len >= 1 && len <= 8 ? a : FF_FA_SKIP;
}

static void ff_field_apply(ff_field_values *out, enum ff_field_action a, const uint8_t *p,
			   size_t len)
{
	ff_flow *f = &out->flow;
	out->seen |= 1ull << a;
	switch (a) {
	case FF_FA_SRC_V4: ff_addr_from_v4(f->src_addr, (uint32_t)ff_get_be_n(p, 4)); break;
	case FF_FA_DST_V4: ff_addr_from_v4(f->dst_addr, (uint32_t)ff_get_be_n(p, 4)); break;
	case FF_FA_SRC_V6: memcpy(f->src_addr, p, FF_ADDR_LEN); break;
	case FF_FA_DST_V6: memcpy(f->dst_addr, p, FF_ADDR_LEN); break;
	case FF_FA_SRC_PORT: f->src_port = (uint16_t)ff_get_be_n(p, len); break;
	case FF_FA_DST_PORT: f->dst_port = (uint16_t)ff_get_be_n(p, len); break;
	case FF_FA_PROTO: f->proto = (uint8_t)ff_get_be_n(p, len); break;
	case FF_FA_TOS: f->tos = (uint8_t)ff_get_be_n(p, len); break;
	/* tcpControlBits grew to 16 bits in RFC 7125; the canonical record keeps the classic 8. */
	case FF_FA_TCP_FLAGS: f->tcp_flags = (uint8_t)ff_get_be_n(p, len); break;
	case FF_FA_IN_IF: f->in_if = (uint32_t)ff_get_be_n(p, len); break;
	case FF_FA_OUT_IF: f->out_if = (uint32_t)ff_get_be_n(p, len); break;
	case FF_FA_SRC_AS: f->src_as = (uint32_t)ff_get_be_n(p, len); break;
	case FF_FA_DST_AS: f->dst_as = (uint32_t)ff_get_be_n(p, len); break;
	default: out->v[a] = ff_get_be_n(p, len); break;
	}
}

size_t ff_field_map_record(const ff_template *t, const uint8_t *rec, size_t avail,
			   ff_field_values *out)
{
	memset(&out->flow, 0, sizeof out->flow);
	out->seen = 0;
	if (avail < t->min_len)
		return 0;
	size_t off = 0;
	for (uint16_t i = 0; i < t->n_fields; i++) {
		const ff_tpl_field *fd = &t->fields[i];
		size_t len = fd->len;
		if (len == FF_TPL_VARLEN) {
			/* RFC 7011 section 7: one length byte, or 255 and two more. */
			if (off >= avail)
				return 0;
			len = rec[off++];
			if (len == 255) {
				if (avail - off < 2)
					return 0;
				len = ff_get_be16(rec + off);
				off += 2;
			}
		}
		if (avail - off < len)
			return 0;
		if (fd->action != FF_FA_SKIP)
			ff_field_apply(out, (enum ff_field_action)fd->action, rec + off, len);
		off += len;
	}
	return off;
}

/* An NTP timestamp (seconds since 1900 . 2^-32 fractions) as unix ms; 0 before 1970. */
static uint64_t ff_ntp_ms(uint64_t ntp)
{
	uint64_t sec = ntp >> 32, frac = ntp & 0xffffffffu;
	if (sec < FF_NTP_UNIX_OFFSET)
		return 0;
	return (sec - FF_NTP_UNIX_OFFSET) * 1000 + ((frac * 1000) >> 32);
}

/* An uptime stamp as unix ms, or 0 when nothing anchors it. */
static uint64_t ff_uptime_ms(const ff_export_hdr *hdr, uint64_t sysinit_ms, uint64_t stamp)
{
	if (hdr->has_uptime) {
		/* Signed: the 32-bit uptime may wrap between the flow and the export. */
		int64_t age = (int32_t)(hdr->sys_uptime - (uint32_t)stamp);
		int64_t abs_ms = (int64_t)hdr->export_ms - age;
		return abs_ms < 0 ? 0 : (uint64_t)abs_ms;
	}
	return sysinit_ms != 0 ? sysinit_ms + stamp : 0;
}

/* One end of the flow in unix ms from the first form present, or 0. */
static uint64_t ff_flow_time(const ff_field_values *v, const ff_export_hdr *hdr,
			     uint64_t sysinit_ms, int end)
{
	enum ff_field_action ms = end ? FF_FA_END_MS : FF_FA_START_MS;
	if (ff_field_has(v, ms))
		return v->v[ms];
	if (ff_field_has(v, ms + 2)) /* START_US / END_US */
		return ff_ntp_ms(v->v[ms + 2]);
	if (ff_field_has(v, ms + 4)) /* START_NS / END_NS */
		return ff_ntp_ms(v->v[ms + 4]);
	if (ff_field_has(v, ms - 2)) /* START_SEC / END_SEC */
		return v->v[ms - 2] * 1000;
	enum ff_field_action delta = end ? FF_FA_END_DELTA_US : FF_FA_START_DELTA_US;
	if (ff_field_has(v, delta)) {
		uint64_t back = v->v[delta] / 1000;
		return hdr->export_ms > back ? hdr->export_ms - back : 0;
	}
	enum ff_field_action up = end ? FF_FA_LAST_UPTIME : FF_FA_FIRST_UPTIME;
	if (ff_field_has(v, up))
		return ff_uptime_ms(hdr, sysinit_ms, v->v[up]);
	return 0;
}

static void ff_field_map_times(ff_field_values *v, const ff_export_hdr *hdr, uint64_t sysinit_ms)
{
	ff_flow *f = &v->flow;
	if (ff_field_has(v, FF_FA_SYSINIT_MS))
		sysinit_ms = v->v[FF_FA_SYSINIT_MS];
	f->first_ms = ff_flow_time(v, hdr, sysinit_ms, 0);
	f->last_ms = ff_flow_time(v, hdr, sysinit_ms, 1);
	if (f->last_ms == 0 && ff_field_has(v, FF_FA_LAST_UPTIME) &&
	    ff_field_has(v, FF_FA_FIRST_UPTIME)) {
		/* sysUpTime stamps with no boot time known: keep the duration, end at the export. */
		int64_t dur = (int32_t)(uint32_t)(v->v[FF_FA_LAST_UPTIME] - v->v[FF_FA_FIRST_UPTIME]);
		f->last_ms = hdr->export_ms;
		f->first_ms = dur > 0 && (uint64_t)dur < f->last_ms ? f->last_ms - (uint64_t)dur
								    : f->last_ms;
	}
	if (f->last_ms == 0)
		f->last_ms = f->first_ms ? f->first_ms : hdr->export_ms;
	if (f->first_ms == 0)
		f->first_ms = f->last_ms;
}

/* The first of the given counters present, else 0. */
static uint64_t ff_first_counter(const ff_field_values *v, enum ff_field_action a,
				 enum ff_field_action b, enum ff_field_action c)
{
	if (ff_field_has(v, a))
		return v->v[a];
	if (ff_field_has(v, b))
		return v->v[b];
	return ff_field_has(v, c) ? v->v[c] : 0;
}

uint32_t ff_field_map_rate(const ff_field_values *v)
{
	uint64_t r = 0;
	if (ff_field_has(v, FF_FA_PKT_INTERVAL) && v->v[FF_FA_PKT_INTERVAL] > 0) {
		/* RFC 5476: `interval` packets selected, then `space` skipped. */
		uint64_t in = v->v[FF_FA_PKT_INTERVAL];
		r = (in + v->v[FF_FA_PKT_SPACE]) / in;
	} else if (ff_field_has(v, FF_FA_SAMPLING_INTERVAL)) {
		r = v->v[FF_FA_SAMPLING_INTERVAL];
	} else if (ff_field_has(v, FF_FA_SAMPLER_RANDOM_INTERVAL)) {
		r = v->v[FF_FA_SAMPLER_RANDOM_INTERVAL];
	}
	return r > UINT32_MAX ? UINT32_MAX : (uint32_t)r;
}

void ff_field_map_flow(ff_field_values *v, const ff_export_hdr *hdr, uint64_t sysinit_ms,
		       uint32_t table_rate)
{
	ff_flow *f = &v->flow;
	f->flows = 1;
	f->bytes = ff_first_counter(v, FF_FA_BYTES, FF_FA_OUT_BYTES, FF_FA_TOTAL_BYTES);
	f->packets = ff_first_counter(v, FF_FA_PACKETS, FF_FA_OUT_PACKETS, FF_FA_TOTAL_PACKETS);
	ff_field_map_times(v, hdr, sysinit_ms);
	/* As nfdump does: ICMP type and code shown as the destination port (type * 256 + code). */
	if (ff_field_has(v, FF_FA_ICMP_TYPE_CODE) && f->dst_port == 0 &&
	    (f->proto == 1 || f->proto == 58))
		f->dst_port = (uint16_t)v->v[FF_FA_ICMP_TYPE_CODE];
	uint32_t own = ff_field_map_rate(v);
	f->sampling_rate = own ? own : table_rate;
}
