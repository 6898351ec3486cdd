#include "topn_table.h"

#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

/*
 * Slots of a table past this many bytes are asked for as huge pages (a
 * hint the kernel may refuse): on keys that rarely repeat nearly every
 * lookup lands on another page, and on 4 KiB pages each is a TLB miss too.
 */
#define FF_TOPN_HUGE ((size_t)4 << 20)

void *ff__topn_slots_alloc(size_t cap, size_t stride)
{
	uint8_t *p = calloc(cap, stride);
	size_t bytes = cap * stride;
	if (p == NULL || bytes < FF_TOPN_HUGE)
		return p;
	uintptr_t huge = (uintptr_t)2 << 20, start = ((uintptr_t)p + huge - 1) & ~(huge - 1);
	uintptr_t end = ((uintptr_t)p + bytes) & ~(huge - 1);
	if (end > start)
		(void)madvise((void *)start, end - start, MADV_HUGEPAGE);
	return p;
}

bool ff__topn_budget_take(ff__topn_budget *b, size_t bytes)
{
	size_t before = atomic_fetch_add(&b->used, bytes);
	if (before + bytes <= b->limit && before + bytes >= before)
		return true;
	atomic_fetch_sub(&b->used, bytes);
	return false;
}

int ff__topn_table_init(ff__topn_table *t, size_t key_len, size_t cap, ff__topn_budget *budget)
{
	*t = (ff__topn_table){.words = (key_len + 7) / 8,
			      .stride = ff__topn_stride(key_len),
			      .cap = cap,
			      .budget = budget};
	t->slots = ff__topn_slots_alloc(cap, t->stride);
	if (t->slots == NULL)
		return -1;
	if (budget != NULL)
		atomic_fetch_add(&budget->used, cap * t->stride);
	return 0;
}

void ff__topn_table_free(ff__topn_table *t)
{
	if (t->slots != NULL && t->budget != NULL)
		atomic_fetch_sub(&t->budget->used, t->cap * t->stride);
	free(t->slots);
	t->slots = NULL;
}

int ff__topn_table_grow(ff__topn_table *t)
{
	size_t more = t->cap * t->stride;
	if (t->budget != NULL && !ff__topn_budget_take(t->budget, more)) {
		t->over = true;
		return -1;
	}
	uint8_t *slots = ff__topn_slots_alloc(t->cap * 2, t->stride);
	if (slots == NULL) {
		if (t->budget != NULL)
			atomic_fetch_sub(&t->budget->used, more);
		return -1;
	}
	ff__topn_table old = *t;
	t->slots = slots;
	t->cap *= 2;
	for (size_t i = 0; i < old.cap; i++) {
		const uint8_t *s = old.slots + i * old.stride;
		uint64_t h;
		memcpy(&h, s, 8);
		if (h != 0)
			memcpy(ff__topn_table_probe(t, s + FF_TOPN_SLOT_KEY, h), s, t->stride);
	}
	free(old.slots);
	return 0;
}

int ff__topn_table_reserve(ff__topn_table *t, size_t n)
{
	/* The load upsert keeps: at most one half. */
	while ((n + 1) * 2 > t->cap)
		if (ff__topn_table_grow(t) != 0)
			return -1;
	return 0;
}

int ff__topn_table_next(const ff__topn_table *t, size_t *cursor, const void **key,
			ff__topn_counts **val)
{
	for (; *cursor < t->cap; (*cursor)++) {
		uint8_t *s = t->slots + *cursor * t->stride;
		uint64_t h;
		memcpy(&h, s, 8);
		if (h != 0) {
			*key = s + FF_TOPN_SLOT_KEY;
			*val = (ff__topn_counts *)(void *)(s + 8);
			(*cursor)++;
			return 1;
		}
	}
	return 0;
}
