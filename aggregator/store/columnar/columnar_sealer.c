/*
 * The columnar store's background sealer (columnar_impl.h): one thread
 * that writes the window the appending thread handed over as a segment,
 * then its rollups and retention, so acknowledgements keep flowing while a
 * seal takes its second or so. One job at a time: the appending thread
 * waits for the sealer before handing over the next window, so memory
 * holds at most the open window and the sealing one.
 */
#include "columnar_impl.h"

#include "ff_log.h"
#include "ff_time.h"

#include <errno.h>
#include <inttypes.h>
#include <time.h>
#include <unistd.h>

/*
 * A failed seal is tried again after 0.2 s, then twice as long after each
 * failure up to 30 s, and at once again after one works: a full disk costs
 * a try every 30 s, not a window's encoding every second. A failure is
 * logged at its first try and then at most once a minute.
 */
#define FF_CS_SEAL_RETRY_MIN_MS 200
#define FF_CS_SEAL_RETRY_MAX_MS 30000
#define FF_CS_SEAL_LOG_EVERY_MS 60000

/* Tries the job once; 0 when its segment is listed and the old journal removed. */
static int ff_cs_seal_job(ff_cstore *cs, ff_journal *jnl, uint64_t id)
{
	const ff_store_columnar_config *c = &cs->cfg;
	int rc = c->seal_hook != NULL ? c->seal_hook(c->seal_hook_arg, id) : 0;
	if (rc == 0)
		rc = ff__cs_write_window(cs, cs->sealing, id);
	if (rc != 0)
		return rc;
	/* Listed: the journal is no longer needed (at start its id would be below next_id). */
	atomic_fetch_sub(&cs->jnl_bytes, ff_journal_bytes(jnl));
	ff_journal_close(jnl);
	if (unlink(cs->pending_path) != 0)
		ff_log_errno(FF_LOG_WARN, errno, "store: unlink(%s) failed; removed at next start",
			     cs->pending_path);
	return 0;
}

/* Waits `ms` or until stopped; mutex held. */
static void ff_cs_sealer_pause(ff_cs_sealer *s, uint64_t ms)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += (time_t)(ms / 1000);
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	while (!s->stop && pthread_cond_timedwait(&s->cv, &s->mu, &ts) == 0)
		;
}

/* The wait before the next try of a seal that failed again; mutex held. */
static uint64_t ff_cs_sealer_backoff(ff_cs_sealer *s)
{
	uint64_t ms = s->retry_ms == 0 ? FF_CS_SEAL_RETRY_MIN_MS : s->retry_ms * 2;
	s->retry_ms = ms < FF_CS_SEAL_RETRY_MAX_MS ? ms : FF_CS_SEAL_RETRY_MAX_MS;
	return s->retry_ms;
}

/* Logs a failed try: the first of a run, then at most once a minute; mutex held. */
static void ff_cs_sealer_log_failure(ff_cs_sealer *s, uint64_t id, int rc, uint64_t now,
				     uint64_t next_ms)
{
	if (s->fail_tries > 1 && now - s->logged_ms < FF_CS_SEAL_LOG_EVERY_MS)
		return;
	s->logged_ms = now;
	ff_log_error("store: sealing segment %" PRIu64 " failed (%s): %" PRIu64 " tries failed in "
		     "%" PRIu64 " s; the window stays in its journal and the store reports it "
		     "not writable; next try in %" PRIu64 " ms (backing off to %d s, this "
		     "logged at most once a minute)",
		     id, ff_strerror(rc), s->fail_tries, (now - s->fail_since_ms) / 1000, next_ms,
		     FF_CS_SEAL_RETRY_MAX_MS / 1000);
}

/* Seals the job now held; returns with the mutex held. */
static void ff_cs_sealer_run_job(ff_cstore *cs)
{
	ff_cs_sealer *s = &cs->sealer;
	ff_journal *jnl = s->jnl;
	uint64_t id = s->id;
	/*
	 * A try is under way: a waiter must wait for its outcome, not return
	 * the failure of the try before it (a manual seal right after space came
	 * back would otherwise report ENOSPC while the retry succeeds).
	 */
	s->last_rc = 0;
	pthread_mutex_unlock(&s->mu);
	uint64_t t0 = ff_time_now_ms();
	int rc = ff_cs_seal_job(cs, jnl, id);
	pthread_rwlock_wrlock(&cs->lock);
	if (rc == 0)
		cs->st.seals++;
	else
		cs->st.seal_errors++;
	pthread_rwlock_unlock(&cs->lock);
	ff__cs_write_result(cs, FF_CS_W_SEAL, rc);
	if (rc == 0) {
		ff_log_info("store: sealed segment %" PRIu64 " in %" PRIu64 " ms", id,
			    ff_time_now_ms() - t0);
		ff__cs_rollup_catchup(cs, FF_CS_CATCHUP_PER_SEAL);
		ff__cs_retention(cs, ff_time_now_ms());
	}
	pthread_mutex_lock(&s->mu);
	s->last_rc = rc;
	if (rc == 0) {
		if (s->fail_tries > 0)
			ff_log_info("store: sealing works again: segment %" PRIu64 " sealed after "
				    "%" PRIu64 " failed tries",
				    id, s->fail_tries);
		s->fail_tries = 0;
		s->retry_ms = 0;
		s->busy = false;
		s->jnl = NULL;
	} else {
		if (s->fail_tries++ == 0)
			s->fail_since_ms = t0;
	}
	pthread_cond_broadcast(&s->cv);
	if (rc != 0) {
		uint64_t wait = ff_cs_sealer_backoff(s);
		ff_cs_sealer_log_failure(s, id, rc, ff_time_now_ms(), wait);
		ff_cs_sealer_pause(s, wait);
	}
}

/* Rebuilds the rollups a quarantine took out, when no seal is due to do it soon. */
static void ff_cs_sealer_run_rollups(ff_cstore *cs)
{
	ff_cs_sealer *s = &cs->sealer;
	s->rollup_work = false;
	pthread_mutex_unlock(&s->mu);
	ff__cs_rollup_catchup(cs, FF_CS_CATCHUP_PER_SEAL);
	pthread_mutex_lock(&s->mu);
}

static void *ff_cs_sealer_main(void *arg)
{
	ff_cstore *cs = arg;
	ff_cs_sealer *s = &cs->sealer;
	pthread_mutex_lock(&s->mu);
	for (;;) {
		while (!s->stop && !s->busy && !s->rollup_work)
			pthread_cond_wait(&s->cv, &s->mu);
		if (s->stop && (!s->busy || s->last_rc != 0))
			break; /* a job still failing stays in its journal for the next start */
		if (s->busy)
			ff_cs_sealer_run_job(cs);
		else
			ff_cs_sealer_run_rollups(cs);
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

int ff__cs_sealer_start(ff_cstore *cs)
{
	ff_cs_sealer *s = &cs->sealer;
	int rc = pthread_create(&s->thread, NULL, ff_cs_sealer_main, cs);
	if (rc != 0) {
		ff_log_errno(FF_LOG_ERROR, rc, "store: starting the sealer thread failed");
		return -rc;
	}
	s->started = true;
	return 0;
}

void ff__cs_sealer_stop(ff_cstore *cs)
{
	ff_cs_sealer *s = &cs->sealer;
	if (!s->started)
		return;
	pthread_mutex_lock(&s->mu);
	s->stop = true;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	pthread_join(s->thread, NULL);
	s->started = false;
}

int ff__cs_sealer_wait(ff_cstore *cs)
{
	ff_cs_sealer *s = &cs->sealer;
	pthread_mutex_lock(&s->mu);
	while (s->busy && s->last_rc == 0 && s->started)
		pthread_cond_wait(&s->cv, &s->mu);
	int rc = s->busy ? (s->last_rc != 0 ? s->last_rc : -EAGAIN) : 0;
	pthread_mutex_unlock(&s->mu);
	return rc;
}

void ff__cs_sealer_kick(ff_cstore *cs)
{
	ff_cs_sealer *s = &cs->sealer;
	pthread_mutex_lock(&s->mu);
	s->rollup_work = true;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

void ff__cs_sealer_submit(ff_cstore *cs, ff_journal *jnl, uint64_t id)
{
	ff_cs_sealer *s = &cs->sealer;
	pthread_mutex_lock(&s->mu);
	s->jnl = jnl;
	s->id = id;
	s->busy = true;
	s->last_rc = 0;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
}
