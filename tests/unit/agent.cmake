set(FF_AGENT_UNIT_DIR ${CMAKE_CURRENT_SOURCE_DIR}/unit)

ff_unit_test(NAME nf5 SOURCES ${FF_AGENT_UNIT_DIR}/test_nf5.c LIBS ff_agent_core
  CASES valid_packet_maps_every_field uptime_wrap short_header truncated_lying_count
        count_zero count_above_30 wrong_version dispatch_unsupported_versions
        dispatch_short exporter_stats_count_reasons clock_skewed_counted_and_kept
        diagnosis_interval_and_sampling clock_offset_windows)
ff_unit_test(NAME summarizer SOURCES ${FF_AGENT_UNIT_DIR}/test_summarizer.c LIBS ff_agent_core
  CASES same_key_merges different_keys_stay_apart flush_returns_all_and_empties
        flush_empty_returns_nothing max_keys_early_flush_keeps_totals walk_yields_every_record
        grows_and_keeps_keys_apart kept_apart_appends merge_again_reindexes)
ff_unit_test(NAME sender_queue SOURCES ${FF_AGENT_UNIT_DIR}/test_sender_queue.c
  LIBS ff_agent_core
  CASES sequence_persists_across_reopen epoch_stays ephemeral_state_is_random
        corrupt_state_refused spool_reload_in_order ack_removes_spool_file
        bound_drops_oldest corrupt_spool_file_skipped hello_encodes
        hello_carries_interfaces hello_carries_diagnosis)


ff_unit_test(NAME packet_headers SOURCES ${FF_AGENT_UNIT_DIR}/test_packet_headers.c
  LIBS ff_agent_core
  CASES eth_ipv4_tcp eth_vlan_udp eth_qinq_tcp ipv4_options ipv4_later_fragment_has_no_ports
        ipv6_extension_headers ipv6_later_fragment_has_no_ports ipv6_extension_chain_bounded
        icmp_type_code_as_dst_port cut_short_keeps_what_it_reached not_ip_or_unknown_protocol)


ff_unit_test(NAME sflow SOURCES ${FF_AGENT_UNIT_DIR}/test_sflow.c LIBS ff_agent_core
  CASES raw_header_ipv4_tcp raw_header_vlan raw_header_ipv6_extension expanded_flow_sample
        sampled_ipv6_and_gateway counter_samples_are_not_flows counter_table_bounded
        counter_tables_merge        truncated_sample_rejected record_overrunning_sample_rejected
        unknown_records_and_samples_skipped header_variants sequence_loss_counted)

ff_unit_test(NAME nf9 SOURCES ${FF_AGENT_UNIT_DIR}/test_nf9.c LIBS ff_agent_core
  CASES template_and_data_in_one_packet data_before_template_is_held
        held_data_expires_as_no_template missing_templates_listed_until_learned
        template_replacement_counted
        padding_after_records_ignored truncated_set_keeps_earlier_records
        zero_length_template_rejected ipv6_record implausible_bytes_dropped options_sampling_interval_scales
        sampler_id_table override_and_default_rates sequence_loss_counts_packets
        state_persists_templates_and_samplers)
ff_unit_test(NAME ipfix SOURCES ${FF_AGENT_UNIT_DIR}/test_ipfix.c LIBS ff_agent_core
  CASES template_and_data withdrawal_single_and_all varlen_and_enterprise_fields time_forms
        reduced_size_counters selector_sampling_table sequence_counts_data_records bad_lengths)
ff_unit_test(NAME template_cache SOURCES ${FF_AGENT_UNIT_DIR}/test_template_cache.c
  LIBS ff_agent_core
  CASES put_refresh_replace withdraw_all_by_kind finish_rejects_empty_records
        pending_bounded_and_ordered save_load_roundtrip sampling_save_load_and_parse
        sampling_scale_saturates seqloss_gap_late_reset_wrap merge_keeps_freshest)
ff_unit_test(NAME policy SOURCES ${FF_AGENT_UNIT_DIR}/test_policy.c LIBS ff_agent_core
  CASES key_mask_wildcards_the_rest topk_other_preserves_totals filter_drops_before_summarizing
        refuses_bad_policy persists_across_restart ack_encodes)
ff_unit_test(NAME handoff_ring SOURCES ${FF_AGENT_UNIT_DIR}/test_handoff_ring.c
  LIBS ff_agent_core
  CASES order_kept bound_respected_and_counted wraparound two_threads_keep_order)
ff_unit_test(NAME agent_trust SOURCES ${FF_AGENT_UNIT_DIR}/test_agent_trust.c
  LIBS ff_agent_core
  CASES token_read_trims_one_line token_read_refuses_missing_and_empty
        token_read_refuses_overlong token_read_refuses_lines_blanks_and_short
        log_every_limits_per_reason log_every_table_stays_bounded hold_reasons
        config_refuses_no_key config_plaintext config_server_key_and_token
        config_server_key_file_and_config_keys config_refuses_bad_keys
        config_refuses_contradictions keys_persist_in_state_dir hello_carries_token)
ff_unit_test(NAME template_quota SOURCES ${FF_AGENT_UNIT_DIR}/test_template_quota.c
  LIBS ff_agent_core
  CASES exporter_count_quota exporter_byte_quota second_exporter_after_first_full
        spoofed_crowd_does_not_lock_out beyond_fair_share_refused withdraw_releases_quota
        save_load_at_bound decoder_counts_refused_and_evicted)
ff_unit_test(NAME state SOURCES ${FF_AGENT_UNIT_DIR}/test_agent_state.c LIBS ff_agent_core
  CASES parse_valid parse_negative parse_non_numeric parse_overflow parse_trailing_garbage
        parse_zero_and_last open_refuses_negative_sequence open_refuses_bad_epoch
        open_refuses_oversized_file open_good_and_missing)
