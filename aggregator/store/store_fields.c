#include "store.h"

/* Key fields as ff_field bits (and the filter's extra bits) beside their FF_STORE_F_* bits. */
static const uint32_t ff_store_field_map[][2] = {
    {FF_FIELD_SRC_ADDR, FF_STORE_F_SRC_ADDR},
    {FF_FIELD_DST_ADDR, FF_STORE_F_DST_ADDR},
    {FF_FIELD_SRC_PORT, FF_STORE_F_SRC_PORT},
    {FF_FIELD_DST_PORT, FF_STORE_F_DST_PORT},
    {FF_FIELD_PROTO, FF_STORE_F_PROTO},
    {FF_FIELD_TOS, FF_STORE_F_TOS},
    {FF_FIELD_IN_IF, FF_STORE_F_IN_IF},
    {FF_FIELD_OUT_IF, FF_STORE_F_OUT_IF},
    {FF_FIELD_SRC_AS, FF_STORE_F_SRC_AS},
    {FF_FIELD_DST_AS, FF_STORE_F_DST_AS},
    {FF_FIELD_EXPORTER, FF_STORE_F_EXPORTER},
    {FF_FIELD_TCP_FLAGS, FF_STORE_F_TCP_FLAGS},
    {FF_FILTER_READS_COUNTERS, FF_STORE_F_COUNTERS},
    {FF_FILTER_READS_TIMES, FF_STORE_F_TIMES},
};

#define FF_STORE_N_MAP (sizeof ff_store_field_map / sizeof ff_store_field_map[0])

uint32_t ff_store_fields_of_filter(const ff_filter *filter)
{
	uint32_t reads = ff_filter_fields(filter), fields = 0;
	for (size_t i = 0; i < FF_STORE_N_MAP; i++)
		if (reads & ff_store_field_map[i][0])
			fields |= ff_store_field_map[i][1];
	return fields;
}

uint32_t ff_store_keys_of_fields(uint32_t fields)
{
	if (fields == 0)
		return UINT32_MAX;
	uint32_t keys = 0;
	/* Counters and times are no key: rollups keep them (summed, widened). */
	for (size_t i = 0; i < FF_STORE_N_MAP; i++)
		if ((fields & ff_store_field_map[i][1]) &&
		    !(ff_store_field_map[i][0] &
		      (FF_FILTER_READS_COUNTERS | FF_FILTER_READS_TIMES)))
			keys |= ff_store_field_map[i][0];
	return keys;
}

bool ff_store_filter_fits_rollups(const ff_filter *filter)
{
	uint32_t reads = ff_filter_fields(filter);
	return !(reads & (FF_FILTER_READS_COUNTERS | FF_FILTER_READS_TIMES | FF_FIELD_TCP_FLAGS));
}
