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

/* How long a failed seal waits before it is tried again. */
#define FF_CS_SEAL_RETRY_MS 1000

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

/* Seals the job now held; returns with the mutex held. */
static void ff_cs_sealer_run_job(ff_cstore *cs)
{
	ff_cs_sealer *s = &cs->sealer;
	ff_journal *jnl = s->jnl;
	uint64_t id = s->id;
	pthread_mutex_unlock(&s->mu);
	uint64_t t0 = ff_time_now_ms();
	int rc = ff_cs_seal_job(cs, jnl, id);
	pthread_rwlock_wrlock(&cs->lock);
	if (rc == 0)
		cs->st.seals++;
	else
		cs->st.seal_errors++;
	pthread_rwlock_unlock(&cs->lock);
	if (rc == 0) {
		ff_log_info("store: sealed segment %" PRIu64 " in %" PRIu64 " ms", id,
			    ff_time_now_ms() - t0);
		ff__cs_rollup_catchup(cs, FF_CS_CATCHUP_PER_SEAL);
		ff__cs_retention(cs, ff_time_now_ms());
	} else {
		ff_log_error("store: sealing segment %" PRIu64 " failed (%s); the window stays in "
			     "its journal, tried again in %d ms",
			     id, ff_strerror(rc), FF_CS_SEAL_RETRY_MS);
	}
	pthread_mutex_lock(&s->mu);
	s->last_rc = rc;
	if (rc == 0) {
		s->busy = false;
		s->jnl = NULL;
	}
	pthread_cond_broadcast(&s->cv);
	if (rc != 0)
		ff_cs_sealer_pause(s, FF_CS_SEAL_RETRY_MS);
}

static void *ff_cs_sealer_main(void *arg)
{
	ff_cstore *cs = arg;
	ff_cs_sealer *s = &cs->sealer;
	pthread_mutex_lock(&s->mu);
	for (;;) {
		while (!s->stop && !s->busy)
			pthread_cond_wait(&s->cv, &s->mu);
		if (s->stop && (!s->busy || s->last_rc != 0))
			break; /* a job still failing stays in its journal for the next start */
		ff_cs_sealer_run_job(cs);
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
