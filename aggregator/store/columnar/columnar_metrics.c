/*
 * The columnar store's /metrics families (store.h backend_metrics): its
 * files, seals, rollups, retention and repairs from ff_store_columnar_stats,
 * and the latency of a journal write with its fdatasync, which every
 * acknowledgement waits for.
 */
#include "columnar_impl.h"

#include "ff_prom.h"

#include <stddef.h>
#include <string.h>

#define C FF_PROM_COUNTER
#define G FF_PROM_GAUGE

static const struct {
	size_t offset;
	const char *family;
	enum ff_prom_type type;
	const char *help;
} ff_cs_families[] = {
    {offsetof(ff_store_columnar_stats, segments), "flowfleet_store_segments", G,
     "Sealed raw segments."},
    {offsetof(ff_store_columnar_stats, seals), "flowfleet_store_seals_total", C,
     "Open windows sealed into segments."},
    {offsetof(ff_store_columnar_stats, seal_errors), "flowfleet_store_seal_errors_total", C,
     "Seals that failed (the window stays in its journal and is retried)."},
    {offsetof(ff_store_columnar_stats, early_seals), "flowfleet_store_early_seals_total", C,
     "Windows sealed early, at their record or byte bound."},
    {offsetof(ff_store_columnar_stats, quarantined), "flowfleet_store_quarantined_total", C,
     "Damaged segments, rollups or journals moved aside into quarantine/."},
    {offsetof(ff_store_columnar_stats, quarantined_records),
     "flowfleet_store_quarantined_records_total", C,
     "Records lost with the raw segments quarantined (their rollups set aside too)."},
    {offsetof(ff_store_columnar_stats, rollups_set_aside), "flowfleet_store_rollups_set_aside_total",
     C, "Rollups moved aside because a segment they cover was quarantined."},
    {offsetof(ff_store_columnar_stats, rollups_rebuilt), "flowfleet_store_rollups_rebuilt_total", C,
     "Hour rollups rebuilt from the files left after a quarantine."},
    {offsetof(ff_store_columnar_stats, journals_lost), "flowfleet_store_journals_lost_total", C,
     "Journals missing or emptied at start where the store had one (its open window lost)."},
    {offsetof(ff_store_columnar_stats, expired), "flowfleet_store_retention_deletions_total", C,
     "Segments and rollups removed by retention (--retain, --max-disk)."},
    {offsetof(ff_store_columnar_stats, torn_tails), "flowfleet_store_journal_torn_tails_total",
     C, "Torn last journal entries cut off at start (a crash mid-write)."},
    {offsetof(ff_store_columnar_stats, corrupt), "flowfleet_store_journal_corrupt_total", C,
     "Damaged journal entries skipped at start."},
    {offsetof(ff_store_columnar_stats, rollup_minute), "flowfleet_store_rollups", G,
     "Rollup files, by bin."},
    {offsetof(ff_store_columnar_stats, rollup_bytes), "flowfleet_store_rollup_bytes", G,
     "Bytes the rollups take on disk (part of flowfleet_store_disk_bytes)."},
    {offsetof(ff_store_columnar_stats, rollup_errors), "flowfleet_store_rollup_errors_total", C,
     "Rollups that could not be built (retried at the next seal)."},
    {offsetof(ff_store_columnar_stats, minute_rollups_not_paying),
     "flowfleet_store_rollups_not_paying_total", C,
     "Rollups not written because they would not halve the rows they summarize, by bin."},
};

#undef C
#undef G

static uint64_t ff_cs_stat(const ff_store_columnar_stats *st, size_t offset)
{
	uint64_t v;
	memcpy(&v, (const char *)st + offset, sizeof v);
	return v;
}

static int ff_cs_metric(ff_prom *p, size_t i, const ff_store_columnar_stats *st)
{
	const char *f = ff_cs_families[i].family;
	int rc = ff_prom_declare(p, f, ff_cs_families[i].type, ff_cs_families[i].help);
	if (rc != 0)
		return rc;
	/* Two counters each for minute and hour files: one family, a "bin" label. */
	size_t off = ff_cs_families[i].offset;
	if (off == offsetof(ff_store_columnar_stats, rollup_minute) ||
	    off == offsetof(ff_store_columnar_stats, minute_rollups_not_paying)) {
		size_t hour = off == offsetof(ff_store_columnar_stats, rollup_minute)
				  ? offsetof(ff_store_columnar_stats, rollup_hour)
				  : offsetof(ff_store_columnar_stats, hour_rollups_not_paying);
		ff_prom_label m = {"bin", "minute"}, h = {"bin", "hour"};
		rc = ff_prom_add_u64(p, f, "", &m, 1, ff_cs_stat(st, off));
		return rc != 0 ? rc : ff_prom_add_u64(p, f, "", &h, 1, ff_cs_stat(st, hour));
	}
	return ff_prom_add_u64(p, f, "", NULL, 0, ff_cs_stat(st, off));
}

static int ff_cs_journal_histogram(ff_cstore *cs, ff_prom *p)
{
	const char *f = "flowfleet_store_journal_append_seconds";
	int rc = ff_prom_declare(p, f, FF_PROM_HISTOGRAM,
				 "Time to write one batch to the journal and fdatasync it.");
	uint64_t cum[FF_HISTOGRAM_BUCKETS], count;
	double sum;
	ff_histogram_snapshot(&cs->journal_append, cum, &count, &sum);
	return rc != 0 ? rc
		       : ff_prom_add_histogram(p, f, NULL, 0, ff_histogram_le_seconds, cum,
					       FF_HISTOGRAM_BUCKETS, count, sum);
}

int ff__cs_metrics(ff_store *base, ff_prom *p)
{
	ff_store_columnar_stats st;
	ff_store_columnar_get_stats(base, &st);
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < sizeof ff_cs_families / sizeof ff_cs_families[0]; i++)
		rc = ff_cs_metric(p, i, &st);
	return rc != 0 ? rc : ff_cs_journal_histogram((ff_cstore *)base, p);
}
