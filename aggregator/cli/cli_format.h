#ifndef FF_CLI_FORMAT_H
#define FF_CLI_FORMAT_H

/*
 * Pure text formatting for the flowfleet CLI, laid out as nfdump 1.7 lays out
 * `nfdump -s ELEMENT/ORDER` (plain table and csv), so that a user who reads
 * nfdump output reads ours the same way and scripts can diff the two.
 *
 * Nothing here does I/O or allocates: every function writes into a buffer
 * the caller owns and returns the number of characters it would have
 * written (snprintf's convention), so truncation is visible to the caller.
 * Times are printed in UTC so that one answer reads the same on every host
 * of the fleet.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One row of a top-N answer, as the HTTP API returns it (docs/api.md). */
struct ff_cli_top_row {
	const char *key; /* borrowed from the JSON document */
	uint64_t flows, packets, bytes;
	uint64_t first_ms, last_ms;
	uint64_t pps, bps, bpp;
};

/* What the whole answer covered: the denominators of the percentages. */
struct ff_cli_top_total {
	uint64_t flows, packets, bytes;
	uint64_t first_ms, last_ms; /* overall time span, for the summary averages */
};

/* How a table is laid out, decided once per answer. */
struct ff_cli_table_style {
	bool plain;	   /* print raw integers instead of "1.2 M" (nfdump -N) */
	bool proto_column; /* the element is proto: show its name instead of "any" */
	bool address_keys; /* the keys are addresses: long IPv6 keys get condensed */
	bool v6_layout;	   /* nfdump -6: full IPv6 keys in a column 39 wide */
};

/* Size of a buffer large enough for any single formatted number or time. */
#define FF_CLI_NUM_LEN 32

/*
 * nfdump's number scaling: below 1000000 the plain integer; from there on
 * one decimal and a decimal (SI) suffix " M", " G", " T". With `fixed` the
 * scaled number is padded to nfdump's table width ("%5.1f M"); `plain`
 * always prints the raw integer.
 */
int ff_cli_fmt_number(char *buf, size_t len, uint64_t value, bool fixed, bool plain);

/* Share of `part` in `total` in percent; 0 when the total is 0. */
double ff_cli_percent(uint64_t part, uint64_t total);

/* "YYYY-MM-DD HH:MM:SS" (UTC), and with `with_ms` ".mmm" appended. */
int ff_cli_fmt_time(char *buf, size_t len, uint64_t ms, bool with_ms);

/* nfdump's duration column: "    HH:MM:SS.mmm", or "Nd HH:MM:SS.mmm" past a day. */
int ff_cli_fmt_duration(char *buf, size_t len, uint64_t ms);

/*
 * nfdump's protocol abbreviation for an IP protocol number given as text
 * ("6" -> "TCP"); a number without a name, or any other text such as "*",
 * is returned unchanged. Returns a pointer to static or borrowed storage.
 */
const char *ff_cli_proto_name(const char *key);

/*
 * nfdump's short form of an address longer than 16 characters, so it fits
 * the key column: the first 7 characters, "..", the last 7
 * ("2001:db8:ffff:1234:5678:9abc:def0:1" -> "2001:db..:def0:1").
 */
int ff_cli_condense_v6(char *buf, size_t len, const char *addr);

/* The counters nfdump derives per row: 0 when the duration or packets are 0. */
void ff_cli_rates(uint64_t packets, uint64_t bytes, uint64_t duration_ms, uint64_t *pps,
		  uint64_t *bps, uint64_t *bpp);

/* The header line of the plain table for an element title such as "Src IP Addr". */
int ff_cli_table_header(char *buf, size_t len, const char *title,
			const struct ff_cli_table_style *style);

/* One plain table line (with its trailing newline). */
int ff_cli_table_row(char *buf, size_t len, const struct ff_cli_top_row *row,
		     const struct ff_cli_top_total *total, const struct ff_cli_table_style *style);

/* nfdump's "Summary: total flows: ..." line (with its trailing newline). */
int ff_cli_table_summary(char *buf, size_t len, const struct ff_cli_top_total *total, bool plain);

/* The csv header line, nfdump's column names (with its trailing newline). */
const char *ff_cli_csv_header(void);

/* One csv line (with its trailing newline); `proto_column` as in the table. */
int ff_cli_csv_row(char *buf, size_t len, const struct ff_cli_top_row *row,
		   const struct ff_cli_top_total *total, bool proto_column);

/* "3s ago", "5m ago", "2h ago", "4d ago" for an age in milliseconds. */
int ff_cli_fmt_age(char *buf, size_t len, uint64_t age_ms);

#endif
