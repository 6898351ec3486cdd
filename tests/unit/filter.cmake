# The filter language (common/ff_filter*.c): unit tests, the differential
# test against nfdump with its helper tool, the parser's fuzz target and the
# evaluation benchmark. Kept in one file so the module registers itself
# without touching the shared lists of other modules.
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

# flowfleet's side of the nfdump differential test: decodes exports with the
# agent's decoders and applies filters from a cases file.
add_executable(fffilter ${PROJECT_SOURCE_DIR}/tests/tools/fffilter.c)
target_link_libraries(fffilter PRIVATE ff_agent_core)

add_test(NAME integration.filter_nfdump
         COMMAND bash ${PROJECT_SOURCE_DIR}/tests/integration/filter_nfdump.sh)
set_tests_properties(integration.filter_nfdump PROPERTIES
  LABELS integration
  TIMEOUT 120
  RUN_SERIAL TRUE
  ENVIRONMENT "FF_AGENT=$<TARGET_FILE:flowfleet-agent>;FF_AGGREGATOR=$<TARGET_FILE:flowfleet-aggregator>;FF_CLI=$<TARGET_FILE:flowfleet>;FF_GEN=$<TARGET_FILE:ffgen>;FF_FILTER_TOOL=$<TARGET_FILE:fffilter>;FF_SRC=${PROJECT_SOURCE_DIR}")

# Evaluations per second for a simple and a complex filter; run by hand.
add_executable(bench_filter ${PROJECT_SOURCE_DIR}/tests/bench/bench_filter.c)
target_link_libraries(bench_filter PRIVATE ff_common)

# libFuzzer target for the filter parser (clang only): -DFF_FUZZ=ON.
if(FF_FUZZ)
  add_executable(fuzz_filter ${PROJECT_SOURCE_DIR}/tests/fuzz/fuzz_filter.c)
  target_compile_options(fuzz_filter PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_options(fuzz_filter PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_libraries(fuzz_filter PRIVATE ff_common)
  # Coverage instrumentation of the parser itself, or libFuzzer fuzzes blind.
  target_compile_options(ff_common PRIVATE -fsanitize=fuzzer-no-link,address,undefined)
endif()
