# Unit tests of the flowfleet CLI's output formatting (nfdump's layout).
ff_unit_test(NAME cli_format SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_cli_format.c
  LIBS ff_cli_format
  CASES number_scaling percent duration time_utc proto_names condense_v6 rates
        table_header table_row table_row_proto table_row_long_v6 table_summary
        csv_row csv_row_quotes_key age)
ff_unit_test(NAME cli_time SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_cli_time.c
  LIBS ff_cli_format
  CASES durations_before_now dates nfdump_windows)
ff_unit_test(NAME cli_http SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_cli_http.c
  LIBS ff_cli_http
  CASES url_plain url_prefix url_https url_refused body_grows body_bound body_empty
        get_answer post_sends_token token_control_char get_sends_global_token
        token_file_first_word refused timeout_no_answer
        closed_no_answer too_large)
