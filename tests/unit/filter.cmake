# The filter language (common/ff_filter*.c): unit tests. Its differential
# test against nfdump is in tests/integration, its helper tool in tests/tools,
# its fuzz target in tests/fuzz and its benchmark in tests/bench.
ff_unit_test(NAME filter SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_filter.c LIBS ff_common
  CASES any_and_empty proto_names_and_numbers family host_v4_v6 net_prefix_and_mask
        net_partial_v4 ip_in_list port_compare port_list as_compare_and_list interfaces
        flags_all_and_compare tos counters_and_suffixes duration_and_rates
        precedence_and_parens direction_qualifiers wildcards_never_match
        errors_name_line_and_column error_cases_refused normalized_roundtrip
        jumps_go_backwards comments_and_case)

# What a filter reads and whether a group within column bounds may match it
# (common/ff_filter_fields.c), for the store's column and row-group skipping.
ff_unit_test(NAME filter_fields SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_filter_fields.c
  LIBS ff_common ffgen_rng
  CASES fields_per_primitive may_match_exact_cases may_match_never_misses
        may_match_long_filter)

