#include "ff_element.h"

#include <stdio.h>
#include <string.h>

static const struct {
	const char *name;
	const char *title;
} ff_elements[FF_EL_COUNT] = {
	[FF_EL_SRCIP] = {"srcip", "Src IP Addr"},
	[FF_EL_DSTIP] = {"dstip", "Dst IP Addr"},
	[FF_EL_IP] = {"ip", "IP Addr"},
	[FF_EL_SRCPORT] = {"srcport", "Src Port"},
	[FF_EL_DSTPORT] = {"dstport", "Dst Port"},
	[FF_EL_PORT] = {"port", "Port"},
	[FF_EL_PROTO] = {"proto", "Protocol"},
	[FF_EL_SRCAS] = {"srcas", "Src AS"},
	[FF_EL_DSTAS] = {"dstas", "Dst AS"},
	[FF_EL_INIF] = {"inif", "Input If"},
	[FF_EL_OUTIF] = {"outif", "Output If"},
	[FF_EL_EXPORTER] = {"exporter", "Exporter"},
	[FF_EL_AGENT] = {"agent", "Agent"},
};

static const char *const ff_orders[FF_ORDER_COUNT] = {
	[FF_ORDER_FLOWS] = "flows", [FF_ORDER_PACKETS] = "packets", [FF_ORDER_BYTES] = "bytes",
	[FF_ORDER_PPS] = "pps",	    [FF_ORDER_BPS] = "bps",	    [FF_ORDER_BPP] = "bpp",
};

/* Parses an element word; returns 0 or -1 if unknown. */
static int ff_element_parse(const char *word, enum ff_element *out)
{
	for (int i = 0; i < FF_EL_COUNT; i++) {
		if (strcmp(word, ff_elements[i].name) == 0) {
			*out = (enum ff_element)i;
			return 0;
		}
	}
	return -1;
}

const char *ff_element_name(enum ff_element el)
{
	return (unsigned)el < FF_EL_COUNT ? ff_elements[el].name : "?";
}

const char *ff_element_title(enum ff_element el)
{
	return (unsigned)el < FF_EL_COUNT ? ff_elements[el].title : "?";
}

const char *ff_element_list(void)
{
	return "srcip, dstip, ip, srcport, dstport, port, proto, srcas, dstas, inif, outif, "
	       "exporter, agent";
}

/* Parses an order word; returns 0 or -1 if unknown. */
static int ff_order_parse(const char *word, enum ff_order *out)
{
	for (int i = 0; i < FF_ORDER_COUNT; i++) {
		if (strcmp(word, ff_orders[i]) == 0) {
			*out = (enum ff_order)i;
			return 0;
		}
	}
	return -1;
}

const char *ff_order_name(enum ff_order order)
{
	return (unsigned)order < FF_ORDER_COUNT ? ff_orders[order] : "?";
}

const char *ff_order_list(void)
{
	return "flows, packets, bytes, pps, bps, bpp";
}

int ff_element_parse_stat(const char *arg, enum ff_element *el, enum ff_order *order,
			  char *err, size_t err_len)
{
	char word[64];
	const char *slash = strchr(arg, '/');
	size_t n = slash ? (size_t)(slash - arg) : strlen(arg);
	if (n >= sizeof word)
		n = sizeof word - 1;
	memcpy(word, arg, n);
	word[n] = '\0';
	if (ff_element_parse(word, el) != 0) {
		snprintf(err, err_len, "unknown statistic element '%s'; valid elements: %s", word,
			 ff_element_list());
		return -1;
	}
	*order = FF_ORDER_FLOWS;
	if (slash != NULL && ff_order_parse(slash + 1, order) != 0) {
		snprintf(err, err_len, "unknown order '%s'; valid orders: %s", slash + 1,
			 ff_order_list());
		return -1;
	}
	return 0;
}
