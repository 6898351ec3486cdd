#include "topn_key.h"

#include "query_topn.h"

#include <inttypes.h>
#include <stdio.h>

enum ff_topn_kind { FF_TOPN_ADDR, FF_TOPN_NUMBER, FF_TOPN_AGENT };

static enum ff_topn_kind ff_topn_kind(enum ff_element el)
{
	switch (el) {
	case FF_EL_SRCIP:
	case FF_EL_DSTIP:
	case FF_EL_IP:
	case FF_EL_EXPORTER:
		return FF_TOPN_ADDR;
	case FF_EL_AGENT:
		return FF_TOPN_AGENT;
	default:
		return FF_TOPN_NUMBER;
	}
}

size_t ff__topn_key_len(enum ff_element el)
{
	switch (ff_topn_kind(el)) {
	case FF_TOPN_ADDR:
		return 1 + FF_ADDR_LEN;
	case FF_TOPN_NUMBER:
		return 1 + 4;
	default:
		return FF_TOPN_KEY_MAX;
	}
}

void ff__topn_key_format(enum ff_element el, const ff__topn_key *k, char *out)
{
	if (k->b[0] != 0) {
		strcpy(out, "*");
		return;
	}
	switch (ff_topn_kind(el)) {
	case FF_TOPN_ADDR:
		ff_addr_format(k->b + 1, out);
		break;
	case FF_TOPN_AGENT:
		snprintf(out, FF_TOPN_KEY_STRLEN, "%s", (const char *)k->b + 1);
		break;
	case FF_TOPN_NUMBER:
		snprintf(out, FF_TOPN_KEY_STRLEN, "%" PRIu32,
			 (uint32_t)k->b[1] << 24 | (uint32_t)k->b[2] << 16 |
			     (uint32_t)k->b[3] << 8 | k->b[4]);
		break;
	}
}
