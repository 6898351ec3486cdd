set(FF_AGENT_UNIT_DIR ${CMAKE_CURRENT_SOURCE_DIR}/unit)

ff_unit_test(NAME nf5 SOURCES ${FF_AGENT_UNIT_DIR}/test_nf5.c LIBS ff_agent_core
  CASES valid_packet_maps_every_field uptime_wrap short_header truncated_lying_count
        count_zero count_above_30 wrong_version dispatch_unsupported_versions
        dispatch_short exporter_stats_count_reasons)
ff_unit_test(NAME summarizer SOURCES ${FF_AGENT_UNIT_DIR}/test_summarizer.c LIBS ff_agent_core
  CASES same_key_merges different_keys_stay_apart flush_returns_all_and_empties
        flush_empty_returns_nothing)
ff_unit_test(NAME sender_queue SOURCES ${FF_AGENT_UNIT_DIR}/test_sender_queue.c
  LIBS ff_agent_core
  CASES sequence_persists_across_reopen epoch_stays ephemeral_state_is_random
        corrupt_state_starts_new_epoch spool_reload_in_order ack_removes_spool_file
        bound_drops_oldest corrupt_spool_file_skipped hello_encodes)

# libFuzzer target for the v5 decoder (clang only): -DFF_FUZZ=ON.
if(FF_FUZZ)
  add_executable(fuzz_nf5 ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/fuzz_nf5.c)
  target_compile_options(fuzz_nf5 PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_options(fuzz_nf5 PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_libraries(fuzz_nf5 PRIVATE ff_agent_core)
endif()
