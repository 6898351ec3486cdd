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

/*
 * nfdump's -s words for what the flow record does not carry (yet): refused
 * as such, not as unknown words, so a user coming from nfdump learns that
 * the field is missing rather than misspelt.
 */
static const struct {
	const char *word;
	const char *what;
} ff_elements_not_carried[] = {
	{"nhip", "next hop addresses"},
	{"nhbip", "BGP next hop addresses"},
	{"dsttos", "destination ToS"},
	{"dir", "flow directions"},
	{"srcgeo", "geo locations"},
	{"dstgeo", "geo locations"},
	{"geo", "geo locations"},
	{"inam", "interface names"},
	{"onam", "interface names"},
	{"srcmask", "network masks"},
	{"dstmask", "network masks"},
	{"mask", "network masks"},
	{"srcvlan", "VLAN labels"},
	{"dstvlan", "VLAN labels"},
	{"vlan", "VLAN labels"},
	{"insrcmac", "MAC addresses"},
	{"outdstmac", "MAC addresses"},
	{"indstmac", "MAC addresses"},
	{"outsrcmac", "MAC addresses"},
	{"srcmac", "MAC addresses"},
	{"dstmac", "MAC addresses"},
	{"inmac", "MAC addresses"},
	{"outmac", "MAC addresses"},
	{"sysid", "nfdump's exporter SysIDs (use exporter)"},
	{"nbar", "NBAR application ids"},
	{"ja3", "JA3 hashes"},
	{"odid", "observation domain ids"},
	{"opid", "observation point ids"},
	{"vrf", "VRFs"},
	{"ivrf", "VRFs"},
	{"evrf", "VRFs"},
	{"ivrfnam", "VRF names"},
	{"evrfnam", "VRF names"},
	{"event", "NSEL/ASA events"},
	{"xevent", "NSEL/ASA events"},
	{"xsrcip", "NSEL/ASA translations"},
	{"xsrcport", "NSEL/ASA translations"},
	{"xdstip", "NSEL/ASA translations"},
	{"xdstport", "NSEL/ASA translations"},
	{"iacl", "NSEL/ASA ACLs"},
	{"iace", "NSEL/ASA ACLs"},
	{"ixace", "NSEL/ASA ACLs"},
	{"eacl", "NSEL/ASA ACLs"},
	{"eace", "NSEL/ASA ACLs"},
	{"exace", "NSEL/ASA ACLs"},
	{"nevent", "NAT events"},
	{"nsrcip", "NAT translations"},
	{"nsrcport", "NAT translations"},
	{"ndstip", "NAT translations"},
	{"ndstport", "NAT translations"},
};

/* What `word` names that the record does not carry, or NULL. MPLS labels are mpls1..mpls10. */
static const char *ff_element_not_carried(const char *word)
{
	if (strncmp(word, "mpls", 4) == 0 && word[4] >= '1' && word[4] <= '9')
		return "MPLS labels";
	for (size_t i = 0; i < sizeof ff_elements_not_carried / sizeof ff_elements_not_carried[0];
	     i++)
		if (strcmp(word, ff_elements_not_carried[i].word) == 0)
			return ff_elements_not_carried[i].what;
	return NULL;
}

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
	const char *missing = ff_element_not_carried(word);
	if (missing != NULL) {
		snprintf(err, err_len,
			 "statistic element '%s': flowfleet's flow record does not carry %s yet; "
			 "elements it answers: %s",
			 word, missing, ff_element_list());
		return -1;
	}
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
