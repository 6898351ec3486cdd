# Unit tests of the aggregator's modules (aggregator/), linked to the real library.
ff_unit_test(NAME dedup SOURCES ${FF_UNIT_DIR}/test_dedup.c LIBS ff_agg_ingest ff_agg_store_columnar
  CASES in_order out_of_order duplicate new_epoch watermark_compaction sequence_zero
        memory_bound ingest_acks_duplicate ingest_survives_garbage ingest_rejects_bad_record
        digest_tells_conflict ingest_keeps_restored_batch ingest_bounds_record_claims
        ingest_counts_frame_refusals)
ff_unit_test(NAME topn SOURCES ${FF_UNIT_DIR}/test_topn.c LIBS ff_agg_query ff_agg_store_columnar
  CASES srcip_bytes_order_and_ties ip_counts_both_sides port_counts_both_sides n_zero_all_rows
        agent_filter rates_pps_bps_bpp wildcard_key agent_element first_last_widen
        filter_selects_records filter_and_window_and_agent filter_on_wildcards
        parallel_merge_matches_serial scan_asks_for_needed_fields columnar_matches_memory
        partitioned_matches_unlimited partition_only_when_it_helps
        columnar_rollups_match_memory pushdown_answers_instead_of_scan no_pushdown_runs_engine
        scan_error_reaches_caller later_pass_error_reaches_caller)
ff_unit_test(NAME topn_block SOURCES ${FF_UNIT_DIR}/test_topn_block.c
  LIBS ff_agg_query ff_agg_store_columnar
  CASES block_round_trip transposed_rows_match_oracle columnar_blocks_match_oracle
        columnar_rollups_blocks_match_oracle columnar_partitioned_addresses_match
        columnar_large_window_matches_oracle)
ff_unit_test(NAME session_metrics SOURCES ${FF_UNIT_DIR}/test_session_metrics.c
  LIBS ff_agg_sessions ff_common
  CASES names_and_catch_all series_bound_per_agent)
ff_unit_test(NAME session_ifs SOURCES ${FF_UNIT_DIR}/test_session_ifs.c
  LIBS ff_agg_sessions_internals ff_common m
  CASES rates_between_samples rates_wrap_32bit rates_reset_no_rate rates_need_two_samples_apart
        table_bounded repeated_sample_keeps_rates interface_metrics)
ff_unit_test(NAME query SOURCES ${FF_UNIT_DIR}/test_query.c LIBS ff_agg_query
  CASES flows_oldest_first_and_limit flows_newest_first flows_filter_window_agent
        flows_limit_bounds series_bins_by_first_ms series_metrics_filter_agent
        series_bounds_and_names range_carries_filter_fields_rollups pushdown_or_engine
        scan_error_reaches_caller)
ff_unit_test(NAME segment SOURCES ${FF_UNIT_DIR}/test_segment.c LIBS ff_agg_store_columnar_internals
  CASES round_trip_every_column empty_segment corrupt_block header_checksum truncated_file
        wrong_version bad_magic file_names rollup_header_round_trip rollup_input_checked
        rollup_fields_checked reads_version_1 rows_count_overflow lz4_length_bounded
        agent_count_bounded)
ff_unit_test(NAME journal SOURCES ${FF_UNIT_DIR}/test_journal.c LIBS ff_agg_store_columnar_internals
  CASES wire_frame_kept_as_is append_reopen_replays torn_tail_cut corrupt_middle_skipped wrong_version bad_magic
        header_checksum torn_header_rewritten second_open_locked)
ff_unit_test(NAME store_columnar SOURCES ${FF_UNIT_DIR}/test_store_columnar.c
  LIBS ff_agg_query ff_agg_store_columnar_internals
  CASES seal_reopen_replays sealed_journal_not_replayed_twice corrupt_segment_quarantined
        time_window second_open_locked retention_policy retention_removes_files
        retention_trusts_stamps_near_writing retention_skewed_neither_pinned_nor_vanishing
        early_seal_keeps_totals query_during_background_seal
        crash_during_background_seal_replays seal_failure_backs_off journal_lost_is_an_error)
ff_unit_test(NAME policy_store SOURCES ${FF_UNIT_DIR}/test_policy_store.c LIBS ff_agg_policy
  CASES history_survives_reopen bad_policy_stores_nothing torn_tail_cut_damage_refused
        target_matching push_follows_hello_and_ack)
ff_unit_test(NAME rollup SOURCES ${FF_UNIT_DIR}/test_rollup.c LIBS ff_agg_store_columnar_internals
  CASES merges_same_key_in_bin drops_fields_and_splits_bins agents_from_two_sources estimate_matches_merge
        plan_coarsest_inside plan_edges_read_raw plan_raw_when_rollups_cannot
        plan_rollups_after_raw_expired)
ff_unit_test(NAME store_rollups SOURCES ${FF_UNIT_DIR}/test_store_rollups.c
  LIBS ff_agg_query ff_agg_store_columnar_internals
  CASES rollups_built_at_seal rollups_answer_like_raw rollups_outlive_raw
        missing_rollups_rebuilt damaged_rollup_falls_back quarantine_sets_rollups_aside
        quarantine_at_open_sets_rollups_aside open_hour_rollup_grows
        series_over_rollups_equal_raw distinct_hour_not_rolled hour_rollup_stops_extending)
ff_unit_test(NAME segment_encoding SOURCES ${FF_UNIT_DIR}/test_segment_encoding.c
  LIBS ff_agg_store_columnar_internals ffgen_rng
  CASES ipv4_only_block mixed_v4_v6_block widths_and_shuffle sorted_rows group_bounds
        read_cols_match_read_group cursor_narrow_widths
        cursor_fixed_columns_per_group)
ff_unit_test(NAME store_open SOURCES ${FF_UNIT_DIR}/test_store_open.c LIBS ff_agg_store_open
  CASES opens_columnar_by_name unknown_backend_refused backends_list_opens stats_json_columnar
        stats_json_generic_only)
ff_unit_test(NAME trust SOURCES ${FF_UNIT_DIR}/test_trust.c LIBS ff_agg_trust_internals
  CASES history_survives_reopen torn_tail_cut_damage_refused damaged_fields_refused transitions
        pending_bounded token_file_parse token_enrols_and_rotates)
ff_unit_test(NAME http_json SOURCES ${FF_UNIT_DIR}/test_http_json.c LIBS ff_agg_http_internals
  CASES u64_prints_unsigned)
ff_unit_test(NAME http_auth SOURCES ${FF_UNIT_DIR}/test_http_auth.c LIBS ff_agg_http_internals
  CASES tokens_parse_lines tokens_parse_damaged tokens_lookup_exact tokens_dir_created_then_read
        tokens_dir_refuses_bad_file auth_scopes_beyond_loopback auth_reads_open
        loopback_addresses ratelog_once_a_minute)
ff_unit_test(NAME exporter_diag SOURCES ${FF_UNIT_DIR}/test_exporter_diag.c
  LIBS ff_agg_sessions_internals ff_common
  CASES state_ok state_silent state_malformed state_waiting_for_template state_sequence_loss
        state_no_sampling_rate state_clock_skew ordering_by_severity sentence_bounded
        window_five_minutes restart_clears_history bounds_and_sweep ages_by_agent_clock
        api_and_metrics)
