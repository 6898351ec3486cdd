/*
 * Taking records for one batch from an iterator, within a record and a byte
 * bound, then handing the taken pointers to the layout's encoder. Only
 * pointers are kept, so encoding from the agent's table needs no copy of it.
 */
#include "ff_batch.h"

#include "ff_batch_impl.h"

#include <errno.h>
#include <stdlib.h>

typedef struct ff_batch_taken {
	const ff_flow **v;
	size_t n, cap;
} ff_batch_taken;

static int ff_batch_taken_push(ff_batch_taken *t, const ff_flow *f)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 1024;
		const ff_flow **v = realloc(t->v, cap * sizeof *v);
		if (v == NULL)
			return -ENOMEM;
		t->v = v;
		t->cap = cap;
	}
	t->v[t->n++] = f;
	return 0;
}

/* Bytes the taken records cost so far: their varints plus both address columns. */
typedef struct ff_batch_cost {
	size_t varints, n;
	bool src16, dst16;
} ff_batch_cost;

static size_t ff_batch_cost_total(const ff_batch_cost *c, unsigned wire)
{
	if (wire == FF_BATCH_WIRE_RECORDS)
		return c->varints; /* the per-record size, addresses included */
	return c->varints + c->n * ((c->src16 ? 16u : 4u) + (c->dst16 ? 16u : 4u));
}

static void ff_batch_cost_add(ff_batch_cost *c, const ff_flow *f, const ff_batch *head,
			      unsigned wire)
{
	c->n++;
	if (wire == FF_BATCH_WIRE_RECORDS) {
		/* Three 16-byte addresses, tags and lengths, and the varints. */
		c->varints += 3 * 18 + 2 * 19 + ff_batch_column_cost(f, head->interval_start_ms);
		return;
	}
	c->varints += ff_batch_column_cost(f, head->interval_start_ms);
	c->src16 |= !ff_batch_addr_fits4(f->src_addr, f->wildcards & FF_FIELD_SRC_ADDR);
	c->dst16 |= !ff_batch_addr_fits4(f->dst_addr, f->wildcards & FF_FIELD_DST_ADDR);
}

int ff_batch_encode_stream(const ff_batch *head, ff_batch_next_fn next, void *arg,
			   size_t max_records, size_t max_bytes, unsigned wire, uint8_t **frame,
			   size_t *frame_len, size_t *n_taken)
{
	*n_taken = 0;
	if (wire < FF_BATCH_WIRE_RECORDS || wire > FF_BATCH_WIRE_CODED)
		return -EINVAL;
	if (wire != FF_BATCH_WIRE_RECORDS &&
	    (max_records == 0 || max_records > FF_BATCH_MAX_RECORDS))
		max_records = FF_BATCH_MAX_RECORDS;
	ff_batch_taken t = {0};
	ff_batch_cost cost = {0};
	int rc = 0;
	/* The bounds are checked before asking for a record, so none is taken and left out. */
	while (max_records == 0 || t.n < max_records) {
		if (max_bytes != 0 && ff_batch_cost_total(&cost, wire) >= max_bytes)
			break;
		const ff_flow *f = next(arg);
		if (f == NULL)
			break;
		if ((rc = ff_batch_taken_push(&t, f)) != 0)
			goto out;
		ff_batch_cost_add(&cost, f, head, wire);
	}
	if (wire == FF_BATCH_WIRE_RECORDS)
		rc = ff_batch_build_records(head, t.v, t.n, frame, frame_len);
	else
		rc = ff_batch_build_columns(head, t.v, t.n, wire == FF_BATCH_WIRE_CODED, frame,
					    frame_len);
	/* Records so alike that columns would take less than a byte each (FF_BATCH_V2_FREE_RECORDS). */
	if (rc == FF_BATCH_ESPARSE)
		rc = ff_batch_build_records(head, t.v, t.n, frame, frame_len);
	if (rc == 0)
		*n_taken = t.n;
out:
	free(t.v);
	return rc;
}
