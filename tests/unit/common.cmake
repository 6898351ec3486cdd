set(FF_UNIT_DIR ${CMAKE_CURRENT_SOURCE_DIR}/unit)

ff_unit_test(NAME frame SOURCES ${FF_UNIT_DIR}/test_frame.c LIBS ff_common
  CASES roundtrip_small roundtrip_compressed bad_magic bad_version short_frame
        corrupt_lz4 length_mismatch batch_roundtrip batch_bad_agent batch_bad_record
        hostile_lengths_refused)
ff_unit_test(NAME hmap SOURCES ${FF_UNIT_DIR}/test_hmap.c LIBS ff_common
  CASES insert_find grow_keeps_entries clear_reuses iterate_all)
ff_unit_test(NAME prom SOURCES ${FF_UNIT_DIR}/test_prom.c LIBS ff_common
  CASES groups_families escapes_and_refuses histogram_buckets empty_family_left_out)
ff_unit_test(NAME config SOURCES ${FF_UNIT_DIR}/test_config.c LIBS ff_common
  CASES defaults file_then_flags unknown_key_names_line bad_value_names_key
        durations_and_sizes list_flag_replaces_file missing_file
        syntax_error_then_bad_key bare_numbers_need_units duplicate_key_names_both_lines)
ff_unit_test(NAME element SOURCES ${FF_UNIT_DIR}/test_element.c LIBS ff_common
  CASES parse_stat_default_order parse_stat_unknown_element parse_stat_unknown_order
        parse_stat_not_carried)
ff_unit_test(NAME err SOURCES ${FF_UNIT_DIR}/test_err.c LIBS ff_common
  CASES codes_distinct_and_negative named_codes_have_messages errno_gives_system_text
        unknown_code_names_its_number errno_to_code)
ff_unit_test(NAME flow SOURCES ${FF_UNIT_DIR}/test_flow.c LIBS ff_common
  CASES merge_saturates merge_widens_times)
ff_unit_test(NAME curve_key SOURCES ${FF_UNIT_DIR}/test_curve_key.c LIBS ff_common
  CASES create_then_load world_readable_secret_refused damaged_secret_refused
        parse_and_fingerprint)
ff_unit_test(NAME batch SOURCES ${FF_UNIT_DIR}/test_batch.c LIBS ff_common
  CASES v2_roundtrip_ipv4 v2_roundtrip_ipv6 v2_roundtrip_mixed v1_roundtrip v2_wildcards
        empty_batch v2_smaller_than_v1 stream_max_records stream_max_bytes hostile_int_columns
        hostile_addr_columns hostile_huge_count v2_edges
        received_bounds_admit_own_batches)
ff_unit_test(NAME batch_huff SOURCES ${FF_UNIT_DIR}/test_batch_huff.c LIBS ff_common
  CASES code_one_entry code_all_distinct code_long_codes hostile_coded coded_batch_ipv4
        coded_batch_ipv6 coded_batch_last_anchor hostile_addr_intcol)
