#include "cli_format.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* nfdump scales by powers of 1000, not 1024: "2.5 G" bytes is 2.5e9 bytes. */
#define FF_CLI_1M 1000000.0
#define FF_CLI_1G 1000000000.0
#define FF_CLI_1T 1000000000000.0

int ff_cli_fmt_number(char *buf, size_t len, uint64_t value, bool fixed, bool plain)
{
	double f = (double)value;

	if (plain || f < FF_CLI_1M)
		return snprintf(buf, len, "%" PRIu64, value);
	if (f >= FF_CLI_1T)
		return snprintf(buf, len, fixed ? "%5.1f T" : "%.1f T", f / FF_CLI_1T);
	if (f >= FF_CLI_1G)
		return snprintf(buf, len, fixed ? "%5.1f G" : "%.1f G", f / FF_CLI_1G);
	return snprintf(buf, len, fixed ? "%5.1f M" : "%.1f M", f / FF_CLI_1M);
}

double ff_cli_percent(uint64_t part, uint64_t total)
{
	if (total == 0)
		return 0.0;
	/*
	 * nfdump multiplies in integers before dividing; doing the same keeps
	 * the rounding of "%4.1f" identical to its output at .x5 boundaries.
	 */
	if (part <= UINT64_MAX / 100)
		return (double)(part * 100) / (double)total;
	return (double)part * 100.0 / (double)total;
}

int ff_cli_fmt_time(char *buf, size_t len, uint64_t ms, bool with_ms)
{
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;
	char date[32];

	if (gmtime_r(&secs, &tm) == NULL ||
	    strftime(date, sizeof date, "%Y-%m-%d %H:%M:%S", &tm) == 0)
		snprintf(date, sizeof date, "%" PRIu64, ms / 1000);
	if (with_ms)
		return snprintf(buf, len, "%s.%03u", date, (unsigned)(ms % 1000));
	return snprintf(buf, len, "%s", date);
}

int ff_cli_fmt_duration(char *buf, size_t len, uint64_t ms)
{
	uint64_t days = ms / 86400000;
	unsigned hours = (unsigned)(ms / 3600000 % 24);
	unsigned mins = (unsigned)(ms / 60000 % 60);
	double secs = (double)(ms % 60000) / 1000.0;

	if (days == 0)
		return snprintf(buf, len, "    %02u:%02u:%06.3f", hours, mins, secs);
	return snprintf(buf, len, "%2" PRIu64 "d %02u:%02u:%06.3f", days, hours, mins, secs);
}

/*
 * The IANA protocol numbers seen in practice, spelled as nfdump spells them
 * so the Proto column reads the same in both tools.
 */
static const struct {
	unsigned num;
	const char *name;
} ff_cli_protos[] = {
    {1, "ICMP"},   {2, "IGMP"},	  {4, "IPIP"},	  {6, "TCP"},	 {17, "UDP"},
    {41, "IPv6"},  {46, "RSVP"},  {47, "GRE"},	  {50, "ESP"},	 {51, "AH"},
    {58, "ICMP6"}, {88, "EIGRP"}, {89, "OSPF"},	  {103, "PIM"},	 {112, "VRRP"},
    {115, "L2TP"}, {132, "SCTP"}, {136, "UDP-L"}, {137, "MPLS"},
};

const char *ff_cli_proto_name(const char *key)
{
	char *end = NULL;
	unsigned long num;

	if (key == NULL || key[0] < '0' || key[0] > '9')
		return key;
	num = strtoul(key, &end, 10);
	if (*end != '\0')
		return key;
	for (size_t i = 0; i < sizeof ff_cli_protos / sizeof ff_cli_protos[0]; i++) {
		if (ff_cli_protos[i].num == num)
			return ff_cli_protos[i].name;
	}
	return key;
}

int ff_cli_condense_v6(char *buf, size_t len, const char *addr)
{
	size_t n = strlen(addr);

	if (n <= 16)
		return snprintf(buf, len, "%s", addr);
	return snprintf(buf, len, "%.7s..%s", addr, addr + n - 7);
}

void ff_cli_rates(uint64_t packets, uint64_t bytes, uint64_t duration_ms, uint64_t *pps,
		  uint64_t *bps, uint64_t *bpp)
{
	/* Same arithmetic as nfdump (double seconds, truncated) so values agree. */
	double secs = (double)duration_ms / 1000.0;

	*pps = secs > 0 ? (uint64_t)((double)packets / secs) : 0;
	*bps = secs > 0 ? (uint64_t)((double)(bytes * 8) / secs) : 0;
	*bpp = packets ? bytes / packets : 0;
}

/* nfdump -6 widens the key column for full IPv6 addresses; it is 17 otherwise. */
static int ff_cli_key_width(const struct ff_cli_table_style *style)
{
	return style->v6_layout ? 39 : 17;
}

int ff_cli_table_header(char *buf, size_t len, const char *title,
			const struct ff_cli_table_style *style)
{
	return snprintf(buf, len,
			"Date first seen                 Duration Proto %*s    Flows(%%)     "
			"Packets(%%)       Bytes(%%)         pps      bps   bpp\n",
			ff_cli_key_width(style), title);
}

int ff_cli_table_row(char *buf, size_t len, const struct ff_cli_top_row *row,
		     const struct ff_cli_top_total *total, const struct ff_cli_table_style *style)
{
	char first[FF_CLI_NUM_LEN], dur[FF_CLI_NUM_LEN];
	char fl[FF_CLI_NUM_LEN], pk[FF_CLI_NUM_LEN], by[FF_CLI_NUM_LEN];
	char pps[FF_CLI_NUM_LEN], bps[FF_CLI_NUM_LEN], key[FF_CLI_NUM_LEN];
	const char *shown = row->key;
	uint64_t dur_ms = row->last_ms > row->first_ms ? row->last_ms - row->first_ms : 0;

	ff_cli_fmt_time(first, sizeof first, row->first_ms, true);
	/*
	 * nfdump prints the duration as seconds, not HH:MM:SS, in its IPv6
	 * layout and with plain numbers (-N), and -N also keeps protocols numeric.
	 */
	if (style->v6_layout || style->plain)
		snprintf(dur, sizeof dur, style->v6_layout ? "%9.3f" : "%16.3f",
			 (double)dur_ms / 1000.0);
	else
		ff_cli_fmt_duration(dur, sizeof dur, dur_ms);
	if (style->address_keys && !style->v6_layout) {
		ff_cli_condense_v6(key, sizeof key, row->key);
		shown = key;
	}
	ff_cli_fmt_number(fl, sizeof fl, row->flows, true, style->plain);
	ff_cli_fmt_number(pk, sizeof pk, row->packets, true, style->plain);
	ff_cli_fmt_number(by, sizeof by, row->bytes, true, style->plain);
	ff_cli_fmt_number(pps, sizeof pps, row->pps, true, style->plain);
	ff_cli_fmt_number(bps, sizeof bps, row->bps, true, style->plain);
	return snprintf(
	    buf, len, "%s %9s %-5s %*s %8s(%4.1f) %8s(%4.1f) %8s(%4.1f) %8s %8s %5" PRIu64 "\n",
	    first, dur,
	    !style->proto_column ? "any"
	    : style->plain	 ? row->key
				 : ff_cli_proto_name(row->key),
	    ff_cli_key_width(style), shown, fl, ff_cli_percent(row->flows, total->flows), pk,
	    ff_cli_percent(row->packets, total->packets), by,
	    ff_cli_percent(row->bytes, total->bytes), pps, bps, row->bpp);
}

int ff_cli_table_summary(char *buf, size_t len, const struct ff_cli_top_total *total, bool plain)
{
	char by[FF_CLI_NUM_LEN], pk[FF_CLI_NUM_LEN];
	char bps_s[FF_CLI_NUM_LEN], pps_s[FF_CLI_NUM_LEN], bpp_s[FF_CLI_NUM_LEN];
	uint64_t span = total->last_ms > total->first_ms ? total->last_ms - total->first_ms : 0;
	uint64_t pps, bps, bpp;

	/* nfdump reports no averages at all when the window has no duration. */
	ff_cli_rates(total->packets, total->bytes, span, &pps, &bps, &bpp);
	if (span == 0)
		bpp = 0;
	ff_cli_fmt_number(by, sizeof by, total->bytes, false, plain);
	ff_cli_fmt_number(pk, sizeof pk, total->packets, false, plain);
	ff_cli_fmt_number(bps_s, sizeof bps_s, bps, false, plain);
	ff_cli_fmt_number(pps_s, sizeof pps_s, pps, false, plain);
	ff_cli_fmt_number(bpp_s, sizeof bpp_s, bpp, false, plain);
	return snprintf(buf, len,
			"Summary: total flows: %" PRIu64 ", total bytes: %s, total packets: %s, "
			"avg bps: %s, avg pps: %s, avg bpp: %s\n",
			total->flows, by, pk, bps_s, pps_s, bpp_s);
}

const char *ff_cli_csv_header(void)
{
	return "ts,te,td,pr,val,fl,flP,pkt,pktP,byt,bytP,pps,bps,bpp\n";
}

/*
 * Keys are addresses, numbers or agent ids; only an agent id can hold a
 * comma or a quote, and then it is quoted as RFC 4180 says so the line still
 * splits into fourteen fields.
 */
static int ff_cli_csv_field(char *buf, size_t len, const char *s)
{
	size_t o = 0;

	if (strpbrk(s, ",\"\r\n") == NULL)
		return snprintf(buf, len, "%s", s);
	if (len < 3)
		return -1;
	buf[o++] = '"';
	for (; *s != '\0' && o + 3 < len; s++) {
		if (*s == '"')
			buf[o++] = '"';
		buf[o++] = *s;
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return (int)o;
}

int ff_cli_csv_row(char *buf, size_t len, const struct ff_cli_top_row *row,
		   const struct ff_cli_top_total *total, bool proto_column)
{
	char ts[FF_CLI_NUM_LEN], te[FF_CLI_NUM_LEN], key[256];
	uint64_t dur_ms = row->last_ms > row->first_ms ? row->last_ms - row->first_ms : 0;

	ff_cli_fmt_time(ts, sizeof ts, row->first_ms, false);
	ff_cli_fmt_time(te, sizeof te, row->last_ms, false);
	ff_cli_csv_field(key, sizeof key, row->key);
	return snprintf(buf, len,
			"%s,%s,%.3f,%s,%s,%" PRIu64 ",%.1f,%" PRIu64 ",%.1f,%" PRIu64
			",%.1f,%" PRIu64 ",%" PRIu64 ",%" PRIu64 "\n",
			ts, te, (double)dur_ms / 1000.0,
			proto_column ? ff_cli_proto_name(row->key) : "any", key, row->flows,
			ff_cli_percent(row->flows, total->flows), row->packets,
			ff_cli_percent(row->packets, total->packets), row->bytes,
			ff_cli_percent(row->bytes, total->bytes), row->pps, row->bps, row->bpp);
}

int ff_cli_fmt_age(char *buf, size_t len, uint64_t age_ms)
{
	uint64_t s = age_ms / 1000;

	if (s < 120)
		return snprintf(buf, len, "%" PRIu64 "s ago", s);
	if (s < 7200)
		return snprintf(buf, len, "%" PRIu64 "m ago", s / 60);
	if (s < 172800)
		return snprintf(buf, len, "%" PRIu64 "h ago", s / 3600);
	return snprintf(buf, len, "%" PRIu64 "d ago", s / 86400);
}
