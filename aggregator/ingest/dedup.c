#include "dedup.h"

#include "ff_batch.h"
#include "ff_hmap.h"

#include <stdlib.h>
#include <string.h>

/* The hash key; zero-filled so bytewise comparison is exact. */
typedef struct ff_dedup_key {
	uint64_t epoch;
	char agent_id[FF_AGENT_ID_MAX + 8]; /* NUL-padded, a multiple of 8 */
} ff_dedup_key;

typedef struct ff_dedup_stream {
	uint64_t watermark; /* every sequence in 1..watermark is stored */
	uint64_t *pending;  /* sorted, unique, all > watermark */
	size_t n_pending;
	size_t cap_pending;
	bool zero_seen; /* sequence 0, which the watermark cannot express */
	struct ff_dedup_digest *digests; /* FF_DEDUP_DIGESTS, by seq % FF_DEDUP_DIGESTS; lazily */
} ff_dedup_stream;

/* The contents stored under one recent sequence (0: none known; digests are never 0). */
struct ff_dedup_digest {
	uint64_t seq;
	uint64_t first, second;
};

struct ff_dedup {
	ff_hmap *streams;
	uint64_t gaps_abandoned;
};

ff_dedup *ff_dedup_new(void)
{
	ff_dedup *d = calloc(1, sizeof *d);
	if (d == NULL)
		return NULL;
	d->streams = ff_hmap_new(sizeof(ff_dedup_key), sizeof(ff_dedup_stream), 64);
	if (d->streams == NULL) {
		free(d);
		return NULL;
	}
	return d;
}

void ff_dedup_free(ff_dedup *d)
{
	if (d == NULL)
		return;
	size_t cur = 0;
	const void *k;
	void *v;
	while (ff_hmap_next(d->streams, &cur, &k, &v)) {
		ff_dedup_stream *s = v;
		free(s->pending);
		free(s->digests);
	}
	ff_hmap_free(d->streams);
	free(d);
}

static int ff_dedup_make_key(ff_dedup_key *key, const char *agent_id, uint64_t epoch)
{
	size_t n = strlen(agent_id);
	if (n > FF_AGENT_ID_MAX)
		return -1;
	memset(key, 0, sizeof *key);
	key->epoch = epoch;
	memcpy(key->agent_id, agent_id, n);
	return 0;
}

static const ff_dedup_stream *ff_dedup_find(const ff_dedup *d, const char *agent_id, uint64_t epoch)
{
	ff_dedup_key key;
	if (ff_dedup_make_key(&key, agent_id, epoch) != 0)
		return NULL;
	return ff_hmap_find(d->streams, &key);
}

/* Index of the first pending entry >= seq (binary search). */
static size_t ff_dedup_lower_bound(const ff_dedup_stream *s, uint64_t seq)
{
	size_t lo = 0, hi = s->n_pending;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (s->pending[mid] < seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool ff_dedup_stream_has(const ff_dedup_stream *s, uint64_t seq)
{
	if (seq == 0)
		return s->zero_seen;
	if (seq <= s->watermark)
		return true;
	size_t i = ff_dedup_lower_bound(s, seq);
	return i < s->n_pending && s->pending[i] == seq;
}

bool ff_dedup_seen(const ff_dedup *d, const char *agent_id, uint64_t epoch, uint64_t seq)
{
	const ff_dedup_stream *s = ff_dedup_find(d, agent_id, epoch);
	return s != NULL && ff_dedup_stream_has(s, seq);
}

/* Folds the pending entries that continue the watermark into it. */
static void ff_dedup_compact(ff_dedup_stream *s)
{
	size_t k = 0;
	while (k < s->n_pending && s->pending[k] == s->watermark + 1) {
		s->watermark++;
		k++;
	}
	if (k > 0) {
		memmove(s->pending, s->pending + k, (s->n_pending - k) * sizeof *s->pending);
		s->n_pending -= k;
	}
}

/*
 * Enforces the memory bound: the watermark jumps over the oldest gap, which
 * declares its missing sequences stored. Only a gap older than the agent's
 * whole spool can be abandoned this way.
 */
static void ff_dedup_abandon_gap(ff_dedup *d, ff_dedup_stream *s)
{
	s->watermark = s->pending[0] - 1;
	d->gaps_abandoned++;
	ff_dedup_compact(s);
}

static int ff_dedup_insert(ff_dedup_stream *s, uint64_t seq)
{
	size_t i = ff_dedup_lower_bound(s, seq);
	if (i < s->n_pending && s->pending[i] == seq)
		return 0;
	if (s->n_pending == s->cap_pending) {
		size_t cap = s->cap_pending ? s->cap_pending * 2 : 8;
		uint64_t *p = realloc(s->pending, cap * sizeof *p);
		if (p == NULL)
			return -1;
		s->pending = p;
		s->cap_pending = cap;
	}
	memmove(s->pending + i + 1, s->pending + i, (s->n_pending - i) * sizeof *s->pending);
	s->pending[i] = seq;
	s->n_pending++;
	return 0;
}

int ff_dedup_mark(ff_dedup *d, const char *agent_id, uint64_t epoch, uint64_t seq)
{
	ff_dedup_key key;
	if (ff_dedup_make_key(&key, agent_id, epoch) != 0)
		return -1;
	ff_dedup_stream *s = ff_hmap_upsert(d->streams, &key, NULL);
	if (s == NULL)
		return -1;
	if (seq == 0) {
		s->zero_seen = true;
		return 0;
	}
	if (seq <= s->watermark)
		return 0;
	if (ff_dedup_insert(s, seq) != 0)
		return -1;
	ff_dedup_compact(s);
	if (s->n_pending >= FF_DEDUP_MAX_PENDING)
		ff_dedup_abandon_gap(d, s);
	return 0;
}

/* Digests are forced non-zero: 0 marks an unknown content. */
static uint64_t ff_dedup_nonzero(uint64_t digest)
{
	return digest == 0 ? 1 : digest;
}

enum ff_dedup_verdict ff_dedup_check(const ff_dedup *d, const char *agent_id, uint64_t epoch,
				     uint64_t seq, uint64_t digest)
{
	const ff_dedup_stream *s = ff_dedup_find(d, agent_id, epoch);
	if (s == NULL || !ff_dedup_stream_has(s, seq))
		return FF_DEDUP_NEW;
	if (s->digests == NULL)
		return FF_DEDUP_DUPLICATE;
	const struct ff_dedup_digest *g = &s->digests[seq % FF_DEDUP_DIGESTS];
	digest = ff_dedup_nonzero(digest);
	if (g->seq != seq || g->first == 0 || g->first == digest || g->second == digest)
		return FF_DEDUP_DUPLICATE;
	return FF_DEDUP_CONFLICT;
}

int ff_dedup_mark_digest(ff_dedup *d, const char *agent_id, uint64_t epoch, uint64_t seq,
			 uint64_t digest)
{
	if (ff_dedup_mark(d, agent_id, epoch, seq) != 0)
		return -1;
	ff_dedup_key key;
	if (ff_dedup_make_key(&key, agent_id, epoch) != 0)
		return -1;
	ff_dedup_stream *s = ff_hmap_find(d->streams, &key);
	if (s == NULL)
		return -1;
	if (s->digests == NULL &&
	    (s->digests = calloc(FF_DEDUP_DIGESTS, sizeof *s->digests)) == NULL)
		return -1;
	struct ff_dedup_digest *g = &s->digests[seq % FF_DEDUP_DIGESTS];
	digest = ff_dedup_nonzero(digest);
	if (g->seq != seq || g->first == 0)
		*g = (struct ff_dedup_digest){.seq = seq, .first = digest};
	else if (g->first != digest)
		g->second = digest; /* a third content replaces the second */
	return 0;
}

uint64_t ff_dedup_watermark(const ff_dedup *d, const char *agent_id, uint64_t epoch)
{
	const ff_dedup_stream *s = ff_dedup_find(d, agent_id, epoch);
	return s != NULL ? s->watermark : 0;
}

size_t ff_dedup_pending(const ff_dedup *d, const char *agent_id, uint64_t epoch)
{
	const ff_dedup_stream *s = ff_dedup_find(d, agent_id, epoch);
	return s != NULL ? s->n_pending : 0;
}

void ff_dedup_get_stats(const ff_dedup *d, ff_dedup_stats *out)
{
	out->streams = ff_hmap_count(d->streams);
	out->gaps_abandoned = d->gaps_abandoned;
}
