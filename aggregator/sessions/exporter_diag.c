#include "exporter_diag.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const ff_diag_names[FF_DIAG_N] = {
    [FF_DIAG_SILENT] = "silent",
    [FF_DIAG_MALFORMED] = "malformed",
    [FF_DIAG_WAITING_TEMPLATE] = "waiting for template",
    [FF_DIAG_SEQUENCE_LOSS] = "sequence loss",
    [FF_DIAG_NO_SAMPLING] = "no sampling rate",
    [FF_DIAG_CLOCK_SKEW] = "clock skew",
    [FF_DIAG_OK] = "ok",
};

const char *const ff_diag_malformed_names[FF_DIAG_MAL_N] = {
    "short_header",   "bad_count",  "truncated",    "unsupported_version",
    "bad_set_length", "bad_record", "bad_template",
};

const char *ff_diag_state_name(enum ff_diag_state s)
{
	return (unsigned)s < FF_DIAG_N ? ff_diag_names[s] : "unknown";
}

void ff_diag_duration(char *buf, size_t len, uint64_t ms)
{
	uint64_t s = ms / 1000;
	if (ms < 1000)
		snprintf(buf, len, "%" PRIu64 " ms", ms);
	else if (s < 60)
		snprintf(buf, len, "%" PRIu64 "s", s);
	else if (s < 3600)
		snprintf(buf, len, "%" PRIu64 "m %" PRIu64 "s", s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, len, "%" PRIu64 "h %" PRIu64 "m", s / 3600, s % 3600 / 60);
	else
		snprintf(buf, len, "%" PRIu64 "d %" PRIu64 "h", s / 86400, s % 86400 / 3600);
}

/* The window a delta covers, as the sentences name it: "the last 5m 0s". */
static const char *ff_win(const ff_diag_input *in, char buf[32])
{
	ff_diag_duration(buf, 32, in->window_ms);
	return buf;
}

/* Appends to a sentence under construction, truncating (never overflowing) at its end. */
static void ff_diag_cat(char *s, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void ff_diag_cat(char *s, size_t len, const char *fmt, ...)
{
	size_t used = strlen(s);
	if (used + 1 >= len)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s + used, len - used, fmt, ap);
	va_end(ap);
}

/* Nothing came for FF_DIAG_SILENT_FACTOR usual intervals (at least FF_DIAG_SILENT_MIN_MS). */
static bool ff_rule_silent(const ff_diag_input *in, char *s, size_t len)
{
	if (!in->has_times) {
		/* An older agent: no datagram over a whole window. */
		if (in->window_ms < FF_DIAG_WINDOW_MS || in->delta.packets > 0)
			return false;
		snprintf(s, len,
			 "no datagram in the last 5 minutes; check that the exporter "
			 "still exports to this agent and that the path lets UDP through");
		return true;
	}
	uint64_t limit = in->interval_ms * FF_DIAG_SILENT_FACTOR;
	if (limit < FF_DIAG_SILENT_MIN_MS)
		limit = FF_DIAG_SILENT_MIN_MS;
	if (in->datagram_age_ms <= limit)
		return false;
	char age[32], usual[32];
	ff_diag_duration(age, sizeof age, in->datagram_age_ms);
	ff_diag_duration(usual, sizeof usual, in->interval_ms);
	if (in->interval_ms > 0)
		snprintf(s, len, "nothing for %s, %" PRIu64 " times its usual interval of %s; ",
			 age, in->datagram_age_ms / in->interval_ms, usual);
	else
		snprintf(s, len, "nothing for %s; ", age);
	ff_diag_cat(s, len,
		    "check that the exporter still exports to this agent and that the "
		    "path lets UDP through");
	return true;
}

static int ff_reason_cmp(const uint64_t *c, int a, int b)
{
	return c[a] != c[b] ? (c[a] > c[b] ? -1 : 1) : a - b;
}

/* Malformed datagrams in the window: the top reasons with their counts. */
static bool ff_rule_malformed(const ff_diag_input *in, char *s, size_t len)
{
	const uint64_t *c = in->delta.malformed;
	uint64_t total = 0;
	int order[FF_DIAG_MAL_N];
	for (int i = 0; i < FF_DIAG_MAL_N; i++) {
		total += c[i];
		order[i] = i;
	}
	if (total < FF_DIAG_MALFORMED_MIN)
		return false;
	/* Insertion sort of seven: most frequent first, ties in counter order. */
	for (int i = 1; i < FF_DIAG_MAL_N; i++)
		for (int j = i; j > 0 && ff_reason_cmp(c, order[j - 1], order[j]) > 0; j--) {
			int t = order[j];
			order[j] = order[j - 1];
			order[j - 1] = t;
		}
	char w[32];
	snprintf(s, len, "%" PRIu64 " malformed datagrams in the last %s:", total, ff_win(in, w));
	for (int i = 0; i < FF_DIAG_TOP_REASONS && c[order[i]] > 0; i++)
		ff_diag_cat(s, len, "%s %s %" PRIu64, i ? "," : "",
			    ff_diag_malformed_names[order[i]], c[order[i]]);
	ff_diag_cat(s, len,
		    "; the agent's log names the first of each minute: check the "
		    "exporter's export version and MTU");
	return true;
}

/* Data came for templates the agent does not have. */
static bool ff_rule_template(const ff_diag_input *in, char *s, size_t len)
{
	if (in->n_missing == 0 && in->missing_unlisted == 0)
		return false;
	snprintf(s, len, "data without its template:");
	size_t named =
	    in->n_missing < FF_DIAG_TEMPLATES_NAMED ? in->n_missing : FF_DIAG_TEMPLATES_NAMED;
	for (size_t i = 0; i < named; i++)
		ff_diag_cat(s, len,
			    "%s template %" PRIu32 " of observation domain %" PRIu32 " (%" PRIu64
			    " data sets)",
			    i ? "," : "", in->missing[i].template_id, in->missing[i].domain,
			    in->missing[i].data_sets);
	if (in->n_missing > named)
		ff_diag_cat(s, len, " and %zu more", in->n_missing - named);
	if (in->missing_unlisted > 0)
		ff_diag_cat(s, len, " (+%" PRIu64 " data sets of others)", in->missing_unlisted);
	char w[32];
	ff_diag_cat(s, len, "; %" PRIu64 " held, %" PRIu64 " dropped in the last %s; ", in->held,
		    in->delta.no_template, ff_win(in, w));
	if (!in->template_ever) {
		ff_diag_cat(s, len, "no template ever came");
	} else {
		char age[32];
		ff_diag_duration(age, sizeof age, in->template_age_ms);
		ff_diag_cat(s, len, "the last template came %s ago", age);
	}
	ff_diag_cat(s, len,
		    "; make the exporter send its templates more often (template "
		    "refresh/timeout) or check they reach this agent");
	return true;
}

/* The share lost of what the sequence numbers say was sent, in records or in packets. */
static double ff_loss_pct(uint64_t lost, uint64_t got)
{
	return lost > 0 ? 100.0 * (double)lost / (double)(lost + got) : 0.0;
}

static bool ff_rule_loss(const ff_diag_input *in, char *s, size_t len)
{
	const ff_diag_counts *d = &in->delta;
	double by_rec = ff_loss_pct(d->lost_records, d->records);
	double by_pkt = ff_loss_pct(d->lost_packets, d->packets);
	bool rec = by_rec >= by_pkt;
	double pct = rec ? by_rec : by_pkt;
	if (pct < FF_DIAG_SEQ_LOSS_PCT)
		return false;
	uint64_t lost = rec ? d->lost_records : d->lost_packets;
	uint64_t got = rec ? d->records : d->packets;
	char w[32];
	snprintf(s, len,
		 "%.1f%% lost over the last %s (%" PRIu64 " of %" PRIu64
		 " %s by the exporter's sequence numbers); check the path for drops and "
		 "the agent's udp.drops (raise --rcvbuf if they grow)",
		 pct, ff_win(in, w), lost, lost + got, rec ? "records" : "datagrams");
	return true;
}

static bool ff_rule_sampling(const ff_diag_input *in, char *s, size_t len)
{
	if (in->sampling_source != FF_DIAG_SAMPLING_DEFAULT)
		return false;
	snprintf(s, len,
		 "counted as 1 in %" PRIu32
		 " (--sampling-default) because the exporter announces no sampling rate; "
		 "if it samples, set --sampling-override ADDRESS=N on the agent (or make it "
		 "export its sampler options); if it does not, --sampling-override ADDRESS=1 "
		 "says so",
		 in->sampling_rate ? in->sampling_rate : 1);
	return true;
}

static bool ff_rule_clock(const ff_diag_input *in, char *s, size_t len)
{
	int64_t off = in->clock_offset_ms;
	if (off == 0 && in->delta.clock_skewed == 0)
		return false;
	char d[32], w[32];
	if (off == 0) {
		snprintf(s, len,
			 "%" PRIu64 " records in the last %s stamped beyond the agent's "
			 "--max-clock-skew; set the exporter's clock (NTP)",
			 in->delta.clock_skewed, ff_win(in, w));
		return true;
	}
	ff_diag_duration(d, sizeof d, off < 0 ? (uint64_t)0 - (uint64_t)off : (uint64_t)off);
	snprintf(s, len,
		 "record times up to %s %s the agent's clock (%" PRIu64
		 " records beyond --max-clock-skew in the last %s); set the exporter's "
		 "clock (NTP); the records are kept as stamped",
		 d, off < 0 ? "behind" : "ahead of", in->delta.clock_skewed, ff_win(in, w));
	return true;
}

typedef bool (*ff_diag_rule)(const ff_diag_input *in, char *s, size_t len);

/* In severity order, as enum ff_diag_state. */
static const ff_diag_rule ff_diag_rules[FF_DIAG_OK] = {
    [FF_DIAG_SILENT] = ff_rule_silent,
    [FF_DIAG_MALFORMED] = ff_rule_malformed,
    [FF_DIAG_WAITING_TEMPLATE] = ff_rule_template,
    [FF_DIAG_SEQUENCE_LOSS] = ff_rule_loss,
    [FF_DIAG_NO_SAMPLING] = ff_rule_sampling,
    [FF_DIAG_CLOCK_SKEW] = ff_rule_clock,
};

static void ff_diag_ok(const ff_diag_input *in, ff_diag_finding *f)
{
	f->state = FF_DIAG_OK;
	char w[32];
	snprintf(f->sentence, sizeof f->sentence,
		 "receiving, decoding, nothing lost: %" PRIu64 " datagrams, %" PRIu64
		 " records in the last %s",
		 in->delta.packets, in->delta.records, ff_win(in, w));
}

size_t ff_diag_run(const ff_diag_input *in, ff_diag_finding out[FF_DIAG_N])
{
	size_t n = 0;
	for (int st = 0; st < FF_DIAG_OK; st++) {
		out[n].sentence[0] = '\0';
		if (ff_diag_rules[st](in, out[n].sentence, sizeof out[n].sentence))
			out[n++].state = (enum ff_diag_state)st;
	}
	if (n == 0)
		ff_diag_ok(in, &out[n++]);
	return n;
}
