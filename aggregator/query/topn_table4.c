#include "topn_table4.h"

#include <stdlib.h>

int ff__topn_table4_init(ff__topn_table4 *t, size_t cap, ff__topn_budget *budget)
{
	*t = (ff__topn_table4){.cap = cap, .budget = budget};
	t->slots = ff__topn_slots_alloc(cap, sizeof *t->slots);
	if (t->slots == NULL)
		return -1;
	if (budget != NULL)
		atomic_fetch_add(&budget->used, cap * sizeof *t->slots);
	return 0;
}

void ff__topn_table4_free(ff__topn_table4 *t)
{
	if (t->slots != NULL && t->budget != NULL)
		atomic_fetch_sub(&t->budget->used, t->cap * sizeof *t->slots);
	free(t->slots);
	t->slots = NULL;
}

int ff__topn_table4_grow(ff__topn_table4 *t)
{
	size_t more = t->cap * sizeof *t->slots;
	if (t->budget != NULL && !ff__topn_budget_take(t->budget, more)) {
		t->over = true;
		return -1;
	}
	ff__topn_slot4 *slots = ff__topn_slots_alloc(t->cap * 2, sizeof *slots);
	if (slots == NULL) {
		if (t->budget != NULL)
			atomic_fetch_sub(&t->budget->used, more);
		return -1;
	}
	ff__topn_table4 old = *t;
	t->slots = slots;
	t->cap *= 2;
	for (size_t i = 0; i < old.cap; i++) {
		const ff__topn_slot4 *s = &old.slots[i];
		if (s->key != 0)
			*ff__topn_table4_probe(t, s->key, ff__topn_hash4((uint32_t)s->key)) = *s;
	}
	free(old.slots);
	return 0;
}

int ff__topn_table4_reserve(ff__topn_table4 *t, size_t n)
{
	while ((n + 1) * 2 > t->cap)
		if (ff__topn_table4_grow(t) != 0)
			return -1;
	return 0;
}

int ff__topn_table4_next(const ff__topn_table4 *t, size_t *cursor, uint32_t *v4,
			 ff__topn_counts **val)
{
	for (; t->slots != NULL && *cursor < t->cap; (*cursor)++) {
		ff__topn_slot4 *s = &t->slots[*cursor];
		if (s->key != 0) {
			*v4 = (uint32_t)s->key;
			*val = &s->c;
			(*cursor)++;
			return 1;
		}
	}
	return 0;
}
