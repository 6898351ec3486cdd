#ifndef FF_ELEMENT_H
#define FF_ELEMENT_H

/*
 * The statistic elements and orders of `flowfleet top -s ELEMENT/ORDER`,
 * named as nfdump names them so the same words mean the same thing. Shared by
 * the CLI (to refuse unknown words before asking the server) and by the
 * aggregator's query engine.
 */

#include <stddef.h>

enum ff_element {
	FF_EL_SRCIP,
	FF_EL_DSTIP,
	FF_EL_IP, /* source and destination: a flow counts for both */
	FF_EL_SRCPORT,
	FF_EL_DSTPORT,
	FF_EL_PORT, /* source and destination: a flow counts for both */
	FF_EL_PROTO,
	FF_EL_SRCAS,
	FF_EL_DSTAS,
	FF_EL_INIF,
	FF_EL_OUTIF,
	FF_EL_EXPORTER,
	FF_EL_AGENT,
	FF_EL_COUNT
};

enum ff_order {
	FF_ORDER_FLOWS,
	FF_ORDER_PACKETS,
	FF_ORDER_BYTES,
	FF_ORDER_PPS,
	FF_ORDER_BPS,
	FF_ORDER_BPP,
	FF_ORDER_COUNT
};

/* The element's word, e.g. "srcip". */
const char *ff_element_name(enum ff_element el);
/* nfdump's column title for the element, e.g. "Src IP Addr". */
const char *ff_element_title(enum ff_element el);
/* Every element word, comma separated, for error messages. */
const char *ff_element_list(void);

const char *ff_order_name(enum ff_order order);
/* Every order word, comma separated, for error messages. */
const char *ff_order_list(void);

/*
 * Parses nfdump's "-s ELEMENT[/ORDER]" argument; the order defaults to
 * flows as in nfdump. On error writes a message naming the valid words into
 * `err` and returns -1.
 */
int ff_element_parse_stat(const char *arg, enum ff_element *el, enum ff_order *order,
			  char *err, size_t err_len);

#endif
