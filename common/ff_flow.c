#include "ff_flow.h"

#include "ff_bytes.h"

#include <arpa/inet.h>
#include <string.h>

static const uint8_t ff_v4_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

void ff_addr_from_v4(uint8_t out[FF_ADDR_LEN], uint32_t v4_host)
{
	memcpy(out, ff_v4_prefix, sizeof ff_v4_prefix);
	ff_put_be32(out + 12, v4_host);
}

bool ff_addr_is_v4(const uint8_t addr[FF_ADDR_LEN])
{
	return memcmp(addr, ff_v4_prefix, sizeof ff_v4_prefix) == 0;
}

uint32_t ff_addr_v4(const uint8_t addr[FF_ADDR_LEN])
{
	return ff_get_be32(addr + 12);
}

char *ff_addr_format(const uint8_t addr[FF_ADDR_LEN], char *buf)
{
	const char *ok;
	if (ff_addr_is_v4(addr))
		ok = inet_ntop(AF_INET, addr + 12, buf, FF_ADDR_STRLEN);
	else
		ok = inet_ntop(AF_INET6, addr, buf, FF_ADDR_STRLEN);
	if (ok == NULL)
		strcpy(buf, "?");
	return buf;
}

int ff_addr_parse(const char *text, uint8_t out[FF_ADDR_LEN])
{
	struct in_addr a4;
	if (inet_pton(AF_INET, text, &a4) == 1) {
		ff_addr_from_v4(out, ntohl(a4.s_addr));
		return 0;
	}
	if (inet_pton(AF_INET6, text, out) == 1)
		return 0;
	return -1;
}

void ff_flow_merge(ff_flow *dst, const ff_flow *src)
{
	ff_counter_add(&dst->bytes, src->bytes);
	ff_counter_add(&dst->packets, src->packets);
	ff_counter_add(&dst->flows, src->flows);
	dst->tcp_flags |= src->tcp_flags;
	if (src->first_ms < dst->first_ms || dst->first_ms == 0)
		dst->first_ms = src->first_ms;
	if (src->last_ms > dst->last_ms)
		dst->last_ms = src->last_ms;
}
