# Unit tests of the aggregator's modules (aggregator/), linked to the real library.
ff_unit_test(NAME dedup SOURCES ${FF_UNIT_DIR}/test_dedup.c LIBS ff_aggregator_core
  CASES in_order out_of_order duplicate new_epoch watermark_compaction sequence_zero
        memory_bound ingest_acks_duplicate ingest_survives_garbage ingest_rejects_bad_record)
ff_unit_test(NAME store SOURCES ${FF_UNIT_DIR}/test_store.c LIBS ff_aggregator_core
  CASES append_reopen_replays torn_tail_cut torn_header_cut corrupt_middle_skipped
        second_open_locked empty_file)
ff_unit_test(NAME topn SOURCES ${FF_UNIT_DIR}/test_topn.c LIBS ff_aggregator_core
  CASES srcip_bytes_order_and_ties ip_counts_both_sides port_counts_both_sides n_zero_all_rows
        agent_filter rates_pps_bps_bpp wildcard_key agent_element first_last_widen)
ff_unit_test(NAME segment SOURCES ${FF_UNIT_DIR}/test_segment.c LIBS ff_aggregator_core
  CASES round_trip_every_column empty_segment corrupt_block header_checksum truncated_file
        wrong_version bad_magic file_names)
ff_unit_test(NAME journal SOURCES ${FF_UNIT_DIR}/test_journal.c LIBS ff_aggregator_core
  CASES append_reopen_replays torn_tail_cut corrupt_middle_skipped wrong_version bad_magic
        header_checksum torn_header_rewritten second_open_locked)
ff_unit_test(NAME store_columnar SOURCES ${FF_UNIT_DIR}/test_store_columnar.c
  LIBS ff_aggregator_core
  CASES seal_reopen_replays sealed_journal_not_replayed_twice corrupt_segment_quarantined
        time_window second_open_locked retention_policy retention_removes_files)
