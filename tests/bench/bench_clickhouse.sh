# shellcheck shell=bash
# ClickHouse 18.16 (Debian clickhouse-server) as the general-purpose columnar
# engine bench_query.sh compares with; sourced after tests/integration/lib.sh,
# never run. The server runs as a plain process (docs in /work/shared/PEERS.md):
# 127.0.0.1 only, free ports, its data, logs and config in its own dir under
# the bench's temp dir, spawned through ff_spawn so the EXIT trap stops it.
#
# The flows go into one MergeTree table per data set, ordered by time (whole
# seconds) and source address, addresses as FixedString(16) (18.16 has no IPv6
# type: IPv4 is stored IPv4-mapped), the other fields at nfdump's widths.

# ch_start DIR: starts the server with DIR as its home; sets CH_URL and CH_PID.
ch_start() {
	local dir=$1 http tcp
	http=$(ff_free_port)
	tcp=$(ff_free_port)
	mkdir -p "$dir/log" "$dir/data" "$dir/tmp"
	cat >"$dir/config.xml" <<EOF
<yandex><logger><level>warning</level><log>$dir/log/server.log</log><errorlog>$dir/log/error.log</errorlog></logger>
<http_port>$http</http_port><tcp_port>$tcp</tcp_port><listen_host>127.0.0.1</listen_host>
<path>$dir/data/</path><tmp_path>$dir/tmp/</tmp_path><users_config>/etc/clickhouse-server/users.xml</users_config>
<default_profile>default</default_profile><default_database>default</default_database>
<mark_cache_size>536870912</mark_cache_size></yandex>
EOF
	ff_spawn clickhouse clickhouse-server --config-file="$dir/config.xml"
	CH_PID=$FF_LAST_PID
	CH_URL="http://127.0.0.1:$http"
	ff_wait_ready "$CH_PID" curl -fsS "$CH_URL/ping" || ff_fail "clickhouse-server did not answer on port $http"
}

# ch_stop: SIGTERM and wait (its shutdown is asynchronous: the process outlives the port).
ch_stop() {
	ff_stop "$CH_PID" 60
}

# ch_sql SQL: runs one statement over HTTP; its output on stdout, the server's message on failure.
ch_sql() {
	curl -sS --fail-with-body --data-binary "$1" "$CH_URL/" ||
		ff_fail "clickhouse: '$1' failed"
}

# ch_load TABLE: the records on stdin, as bench_load reads them (nfdump's fmt
# output, see bench_query.sh), into a new TABLE through a staging Log table of
# text addresses, then merged to one part per partition so no background merge
# runs while the queries are timed.
ch_load() {
	local t=$1
	ch_sql "DROP TABLE IF EXISTS ${t}_in"
	ch_sql "CREATE TABLE ${t}_in (first_ms UInt64, last_ms UInt64, sa String, da String,
		sp UInt16, dp UInt16, proto UInt8, packets UInt64, bytes UInt64, in_if UInt32,
		out_if UInt32, src_as UInt32, dst_as UInt32, tos UInt8) ENGINE = Log"
	ch_tsv | curl -sS --fail-with-body --data-binary @- \
		"$CH_URL/?query=INSERT%20INTO%20${t}_in%20FORMAT%20TabSeparated" ||
		ff_fail "clickhouse: loading ${t}_in failed"
	ch_sql "CREATE TABLE $t (ts DateTime, first_ms UInt64, last_ms UInt64,
		src FixedString(16), dst FixedString(16), sp UInt16, dp UInt16, proto UInt8,
		packets UInt64, bytes UInt64, in_if UInt32, out_if UInt32, src_as UInt32,
		dst_as UInt32, tos UInt8)
		ENGINE = MergeTree PARTITION BY toYYYYMM(ts) ORDER BY (ts, src)"
	ch_sql "INSERT INTO $t SELECT toDateTime(intDiv(first_ms, 1000)), first_ms, last_ms,
		$(ch_addr sa), $(ch_addr da), sp, dp, proto, packets, bytes, in_if, out_if,
		src_as, dst_as, tos FROM ${t}_in"
	ch_sql "DROP TABLE ${t}_in"
	ch_sql "OPTIMIZE TABLE $t FINAL"
}

# The FixedString(16) of a text address column: IPv6 as is, IPv4 mapped.
ch_addr() {
	echo "if(position($1, ':') > 0, IPv6StringToNum($1), IPv4ToIPv6(IPv4StringToNum($1)))"
}

# nfdump's fmt lines to TSV: times to unix ms, ICMP's "type.code" destination
# port to type * 256 + code and protocol names to numbers (as bench_load does).
ch_tsv() {
	awk -F, -v OFS='\t' '
	BEGIN { p["TCP"] = 6; p["UDP"] = 17; p["ICMP"] = 1; p["ICMP6"] = 58; p["GRE"] = 47; p["ESP"] = 50 }
	function port(s, d) { if (index(s, ".") == 0) return s; split(s, d, "."); return d[1] * 256 + d[2] }
	NF == 14 {
		gsub(/ /, "")
		first = sprintf("%.0f", $1 * 1000); last = sprintf("%.0f", first + $2 * 1000)
		pr = ($7 in p) ? p[$7] : $7
		print first, last, $3, $4, port($5), port($6), pr, $8, $9, $10, $11, $12, $13, $14
	}'
}

# ch_top TABLE KEY ORDER [WHERE]: the top-10 SELECT of nfdump's -s KEY/ORDER.
# The key is shown as nfdump prints it (IPv4 unmapped) once grouped.
ch_top() {
	local t=$1 key=$2 order=$3 where=${4:+WHERE $4} shown=$2
	[ "$key" = src ] && shown="replaceRegexpOne(IPv6NumToString(src), '^::ffff:', '')"
	echo "SELECT $shown AS key, count() AS flows, sum(packets) AS packets, sum(bytes) AS bytes
		FROM $t $where GROUP BY $key ORDER BY $order DESC, $key LIMIT 10"
}

# ch_answer SQL OUT: the answer as `flowfleet top -o json` shapes it (rates
# 0: compared with --no-rates), for ff_truth.py; prints the rows the server read.
ch_answer() {
	ch_sql "$1 FORMAT JSON" >"$2.ch"
	jq '{rows: [.data[] | {key: (.key | tostring), flows, packets, bytes, pps: 0, bps: 0, bpp: 0}]}' \
		"$2.ch" >"$2"
	jq -r '.statistics.rows_read' "$2.ch"
}

# ch_bytes TABLE: bytes its active parts take on disk. Not du: the parts a
# merge replaced stay on disk for old_parts_lifetime (8 minutes) after it.
ch_bytes() {
	ch_sql "SELECT sum(bytes_on_disk) FROM system.parts WHERE active AND database = 'default' AND table = '$1'"
}
