/*
 * Column-block scans for every store (store.h): the store's own, or its
 * record scans transposed, so query engines have one path.
 */
#include "store.h"

#include <errno.h>
#include <stdlib.h>

int ff_store_blocks_of_batch(const ff_batch *b, uint32_t fields, uint32_t early,
			     ff_block_buf *buf, ff_store_block_fn cb, void *arg)
{
	for (size_t at = 0; at < b->n_records; at += FF_BLOCK_ROWS) {
		size_t n = b->n_records - at < FF_BLOCK_ROWS ? b->n_records - at : FF_BLOCK_ROWS;
		ff_block blk;
		ff_block_rows_lazy lazy;
		ff_block_from_rows_lazy(b->records + at, n, fields, early, buf, &lazy, &blk);
		blk.agent_id = b->agent_id;
		int rc = cb(arg, &blk);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* One thread's transposition: its callback's argument and its buffer. */
typedef struct ff_store_transpose {
	ff_store_block_fn cb;
	void *arg;
	uint32_t fields, early;
	ff_block_buf *buf;
} ff_store_transpose;

static int ff_store_transpose_batch(void *arg, const ff_batch *b)
{
	const ff_store_transpose *t = arg;
	return ff_store_blocks_of_batch(b, t->fields, t->early, t->buf, t->cb, t->arg);
}

#define FF_STORE_MAX_BLOCK_THREADS 16

int ff_store_scan_blocks(ff_store *s, const ff_store_range *r, ff_store_block_fn cb,
			 void *const *args, size_t n_args)
{
	if (s->ops->scan_blocks != NULL)
		return s->ops->scan_blocks(s, r, cb, args, n_args);
	ff_store_transpose t[FF_STORE_MAX_BLOCK_THREADS];
	void *targs[FF_STORE_MAX_BLOCK_THREADS];
	size_t n = n_args < FF_STORE_MAX_BLOCK_THREADS ? n_args : FF_STORE_MAX_BLOCK_THREADS;
	int rc = 0;
	for (size_t i = 0; i < n; i++) {
		t[i] = (ff_store_transpose){.cb = cb, .arg = args[i], .fields = r->fields,
					    .early = r->select_fields};
		t[i].buf = malloc(sizeof *t[i].buf);
		targs[i] = &t[i];
		if (t[i].buf == NULL)
			rc = -ENOMEM;
	}
	if (rc == 0)
		rc = ff_store_scan_parallel(s, r, ff_store_transpose_batch, targs, n);
	for (size_t i = 0; i < n; i++)
		free(t[i].buf);
	return rc;
}
