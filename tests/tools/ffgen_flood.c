#include "ffgen_flood.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static const uint16_t ffgen_flood_services[] = {
	443, 80, 53, 22, 25, 123, 3306, 8080, 5432, 6379, 993, 8443, 11211, 9092, 389, 636,
};
#define FFGEN_FLOOD_N_SERVICES (sizeof(ffgen_flood_services) / sizeof(ffgen_flood_services[0]))

int ffgen_flood_init(struct ffgen_flood *f, uint32_t hosts, double s)
{
	memset(f, 0, sizeof(*f));
	if (ffgen_zipf_init(&f->hosts, hosts, s) < 0 ||
	    ffgen_zipf_init(&f->services, FFGEN_FLOOD_N_SERVICES, s) < 0) {
		ffgen_flood_free(f);
		return -1;
	}
	return 0;
}

/* Multiplying by an odd constant permutes 23-bit values: ranks stay distinct hosts. */
static uint32_t ffgen_flood_host(uint32_t net, uint32_t rank)
{
	return net | ((rank * 0x9e3779b1u + 0x1234u) & (FFGEN_FLOOD_MAX_HOSTS - 1));
}

void ffgen_flood_draw(const struct ffgen_flood *f, struct ffgen_rng *r, struct ffgen_key *k)
{
	uint64_t pick = ffgen_rng_below(r, 100);
	k->proto = pick < 70 ? 6 : pick < 95 ? 17 : 1;
	k->src = ffgen_flood_host(0x0a000000u, ffgen_zipf_draw(&f->hosts, r));
	k->dst = ffgen_flood_host(0x0a800000u, ffgen_zipf_draw(&f->hosts, r));
	if (k->proto == 1) {
		/* ICMP echo, type 8 code 0, in the destination port as v5 carries it. */
		k->sport = 0;
		k->dport = 0x0800;
	} else {
		k->sport = (uint16_t)(1024 + ffgen_rng_below(r, 64512));
		/* Half to well-known services, half anywhere: a scan's spread. */
		if (ffgen_rng_below(r, 2) == 0)
			k->dport = ffgen_flood_services[ffgen_zipf_draw(&f->services, r)];
		else
			k->dport = (uint16_t)(1 + ffgen_rng_below(r, 65535));
	}
	k->tos = 0;
	k->in_if = (uint16_t)(1 + ffgen_rng_below(r, 4));
	k->out_if = (uint16_t)(1 + ffgen_rng_below(r, 4));
}

void ffgen_flood_free(struct ffgen_flood *f)
{
	ffgen_zipf_free(&f->hosts);
	ffgen_zipf_free(&f->services);
}

static uint64_t ffgen_keyset_hash(const struct ffgen_key *k)
{
	uint64_t h = ((uint64_t)k->src << 32) ^ k->dst;
	h ^= ((uint64_t)k->sport << 48) ^ ((uint64_t)k->dport << 32) ^
	     ((uint64_t)k->proto << 8) ^ k->tos;
	h *= 0x9e3779b97f4a7c15ULL;
	return h ^ (h >> 29);
}

static bool ffgen_keyset_equal(const struct ffgen_key *a, const struct ffgen_key *b)
{
	return a->src == b->src && a->dst == b->dst && a->sport == b->sport &&
	       a->dport == b->dport && a->proto == b->proto && a->tos == b->tos;
}

/* Where k sits, or the empty slot where it would go. */
static size_t ffgen_keyset_find(const struct ffgen_keyset *s, const struct ffgen_key *k)
{
	size_t pos = (size_t)ffgen_keyset_hash(k) & s->mask;
	while (s->slots[pos] != UINT32_MAX && !ffgen_keyset_equal(&s->keys[s->slots[pos]], k))
		pos = (pos + 1) & s->mask;
	return pos;
}

/* Doubles the key array and the slots (kept at most half full). */
static int ffgen_keyset_grow(struct ffgen_keyset *s)
{
	uint32_t cap = s->cap ? s->cap * 2 : 4096;
	struct ffgen_key *keys = realloc(s->keys, (size_t)cap * sizeof(*keys));
	if (!keys)
		return -1;
	s->keys = keys;
	size_t n_slots = (size_t)cap * 2;
	uint32_t *slots = malloc(n_slots * sizeof(*slots));
	if (!slots)
		return -1;
	memset(slots, 0xff, n_slots * sizeof(*slots));
	free(s->slots);
	s->slots = slots;
	s->mask = n_slots - 1;
	s->cap = cap;
	for (uint32_t i = 0; i < s->n; i++)
		s->slots[ffgen_keyset_find(s, &s->keys[i])] = i;
	return 0;
}

int ffgen_keyset_add(struct ffgen_keyset *s, const struct ffgen_key *k, uint32_t *index)
{
	if (s->n == s->cap && (s->n == UINT32_MAX / 2 || ffgen_keyset_grow(s) < 0))
		return -1;
	size_t pos = ffgen_keyset_find(s, k);
	if (s->slots[pos] != UINT32_MAX) {
		*index = s->slots[pos];
		return 0;
	}
	s->keys[s->n] = *k;
	s->slots[pos] = s->n;
	*index = s->n++;
	return 1;
}

void ffgen_keyset_free(struct ffgen_keyset *s)
{
	free(s->keys);
	free(s->slots);
	memset(s, 0, sizeof(*s));
}
