#include "ffgen_keys.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Hosts per address pool; Zipf ranks are spread over the /16 by a bijection. */
#define FFGEN_HOSTS 4096

static const uint16_t ffgen_services[] = {
	443, 80, 53, 22, 25, 123, 3306, 8080, 5432, 6379, 993, 8443, 11211, 9092, 389, 636,
};
#define FFGEN_N_SERVICES (sizeof(ffgen_services) / sizeof(ffgen_services[0]))

/* ICMP keeps type and code in the destination port (type * 256 + code), as v5 exporters do. */
static const uint16_t ffgen_icmp_types[] = {0x0800, 0x0000, 0x0303, 0x0b00};

static const uint8_t ffgen_tos[] = {0, 0, 0, 0, 0, 0, 0x10, 0x28, 0xb8};

struct ffgen_pools {
	struct ffgen_zipf hosts;
	struct ffgen_zipf services;
};

static uint32_t ffgen_host(uint32_t net, uint32_t rank)
{
	/* Multiplying by an odd constant permutes 16-bit values: ranks stay distinct. */
	return net | ((rank * 0x9e37u + 0x1234u) & 0xffffu);
}

static void ffgen_key_draw(struct ffgen_key *k, struct ffgen_rng *r, const struct ffgen_pools *p)
{
	uint64_t pick = ffgen_rng_below(r, 100);
	k->proto = pick < 70 ? 6 : pick < 95 ? 17 : 1;
	k->src = ffgen_host(0x0a000000u, ffgen_zipf_draw(&p->hosts, r));
	k->dst = ffgen_host(0x0a010000u, ffgen_zipf_draw(&p->hosts, r));
	if (k->proto == 1) {
		k->sport = 0;
		k->dport = ffgen_icmp_types[ffgen_rng_below(r, 4)];
	} else {
		k->dport = ffgen_services[ffgen_zipf_draw(&p->services, r)];
		/* Mostly clients on ephemeral ports; some server-to-server traffic. */
		if (ffgen_rng_below(r, 100) < 80)
			k->sport = (uint16_t)(32768 + ffgen_rng_below(r, 28232));
		else
			k->sport = ffgen_services[ffgen_zipf_draw(&p->services, r)];
	}
	k->tos = ffgen_tos[ffgen_rng_below(r, sizeof(ffgen_tos))];
	k->in_if = (uint16_t)(1 + ffgen_rng_below(r, 4));
	k->out_if = (uint16_t)(1 + ffgen_rng_below(r, 4));
}

static uint64_t ffgen_key_hash(const struct ffgen_key *k)
{
	uint64_t h = ((uint64_t)k->src << 32) ^ k->dst;
	h ^= ((uint64_t)k->sport << 48) ^ ((uint64_t)k->dport << 32) ^
	     ((uint64_t)k->proto << 8) ^ k->tos;
	h *= 0x9e3779b97f4a7c15ULL;
	return h ^ (h >> 29);
}

static bool ffgen_key_equal(const struct ffgen_key *a, const struct ffgen_key *b)
{
	return a->src == b->src && a->dst == b->dst && a->sport == b->sport &&
	       a->dport == b->dport && a->proto == b->proto && a->tos == b->tos;
}

/* Inserts key `i` into the open-addressing set unless an equal key is there. */
static bool ffgen_set_insert(uint32_t *slots, size_t mask, const struct ffgen_key *keys,
			     uint32_t i)
{
	size_t pos = (size_t)ffgen_key_hash(&keys[i]) & mask;
	while (slots[pos] != UINT32_MAX) {
		if (ffgen_key_equal(&keys[slots[pos]], &keys[i]))
			return false;
		pos = (pos + 1) & mask;
	}
	slots[pos] = i;
	return true;
}

int ffgen_keytab_build(struct ffgen_keytab *kt, struct ffgen_rng *r, uint32_t n, double s)
{
	int rc = -1;
	struct ffgen_pools p = {0};
	size_t cap = 1;
	while (cap < (size_t)n * 2)
		cap <<= 1;
	uint32_t *slots = malloc(cap * sizeof(*slots));
	kt->keys = calloc(n, sizeof(*kt->keys));
	kt->n = 0;
	if (!slots || !kt->keys || ffgen_zipf_init(&p.hosts, FFGEN_HOSTS, s) < 0 ||
	    ffgen_zipf_init(&p.services, FFGEN_N_SERVICES, s) < 0)
		goto out;
	memset(slots, 0xff, cap * sizeof(*slots));
	while (kt->n < n) {
		ffgen_key_draw(&kt->keys[kt->n], r, &p);
		if (ffgen_set_insert(slots, cap - 1, kt->keys, kt->n))
			kt->n++;
	}
	rc = 0;
out:
	free(slots);
	ffgen_zipf_free(&p.hosts);
	ffgen_zipf_free(&p.services);
	if (rc < 0)
		ffgen_keytab_free(kt);
	return rc;
}

void ffgen_keytab_free(struct ffgen_keytab *kt)
{
	free(kt->keys);
	kt->keys = NULL;
	kt->n = 0;
}
