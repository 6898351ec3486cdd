/*
 * Whether the columnar store's journal is where it must be (columnar_impl.h).
 *
 * Once created, journal.ffj is only ever replaced by a rename: a hand-over
 * moves it to journal-sealing.ffj and makes the new one durable before any
 * batch is acknowledged into it. So a store that has had a journal (the
 * marker file journal.expected, written once the first journal is durable,
 * or any segment sealed from one) and finds it missing, or shorter than a
 * journal's header, with no sealing journal beside it, has lost its open
 * window: deleted or emptied by hand, or by a tool. Those batches were
 * acknowledged, so no agent sends them again; the loss is logged as an
 * error with what is known of it, and counted (journals_lost).
 */
#include "columnar_impl.h"

#include "ff_log.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FF_CS_JOURNAL_MARKER "journal.expected"

static void ff_cs_marker_path(const ff_cstore *cs, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", cs->dir, FF_CS_JOURNAL_MARKER);
}

/* What the last sealed segment says of when the lost window began; lock not needed at open. */
static void ff_cs_last_sealed(const ff_cstore *cs, uint64_t *id, uint64_t *written_ms)
{
	const ff_cs_list *raw = &cs->lists[FF_PLAN_RAW];
	*id = raw->n ? raw->v[raw->n - 1]->id : 0;
	*written_ms = raw->n ? ff_segment_get_meta(raw->v[raw->n - 1]->seg)->written_ms : 0;
}

void ff__cs_journal_check(ff_cstore *cs, bool pending)
{
	char marker[FF_CS_PATH_MAX];
	struct stat st;
	ff_cs_marker_path(cs, marker, sizeof marker);
	bool expected = stat(marker, &st) == 0 || cs->lists[FF_PLAN_RAW].n > 0;
	bool missing = stat(cs->jnl_path, &st) != 0;
	if (!expected || pending || (!missing && st.st_size >= FF_JOURNAL_HEADER_LEN))
		return;
	cs->st.journals_lost++;
	uint64_t last, written;
	ff_cs_last_sealed(cs, &last, &written);
	char what[64];
	if (missing)
		snprintf(what, sizeof what, "is missing");
	else
		snprintf(what, sizeof what, "was emptied (%jd bytes)", (intmax_t)st.st_size);
	ff_log_error("store: %s %s, yet this store keeps its open window there: every batch "
		     "acknowledged into it is lost (how many only the journal knew; the agents "
		     "do not resend acknowledged batches). The last sealed segment is %" PRIu64
		     ", written at %" PRIu64 " ms (unix): what arrived after it is gone. A new "
		     "journal is started",
		     cs->jnl_path, what, last, written);
}

void ff__cs_journal_mark(ff_cstore *cs)
{
	char marker[FF_CS_PATH_MAX];
	struct stat st;
	ff_cs_marker_path(cs, marker, sizeof marker);
	if (stat(marker, &st) == 0)
		return;
	static const char text[] = "This data dir keeps its open window in journal.ffj: "
				   "flowfleet-aggregator reports it lost when it is missing.\n";
	int fd = open(marker, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	bool ok = fd >= 0 && write(fd, text, sizeof text - 1) == (ssize_t)(sizeof text - 1) &&
		  fsync(fd) == 0;
	int err = errno;
	if (fd >= 0)
		close(fd);
	if (!ok) {
		/* Only the check of a later start is weaker (it still has the segments). */
		ff_log_errno(FF_LOG_WARN, err, "store: writing %s failed", marker);
		unlink(marker);
	}
}
