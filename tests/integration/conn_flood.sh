#!/usr/bin/env bash
# 1,100 idle connections to the agents' port and 1,100 to the HTTP port, at
# the common limit of 1,024 descriptors, plus a client sending one byte a
# second: the connection caps hold (the oldest silent or idle connection
# makes room, counted), the slow client is closed by --http-request-timeout,
# /healthz answers within a second throughout, a real agent's batches are
# acked and its totals exact, segments are sealed without error, and the
# log stays a few lines. (The bug: accept() failing in a busy loop, 534 MB of
# log in 15 s, /healthz timing out, seals failing with EMFILE, and one byte
# every 3 s keeping a connection open forever.)
source "$(dirname "$0")/lib.sh"

FF_ZMQ_PORT=$(ff_free_port)
FF_HTTP_PORT=$(ff_free_port)
(
	ulimit -n 1024
	exec "$FF_AGGREGATOR" --data-dir "$FF_TMP/data" --insecure-plaintext \
		--listen "tcp://127.0.0.1:$FF_ZMQ_PORT" --http "127.0.0.1:$FF_HTTP_PORT" --log-level info \
		--segment-window 2s --max-connections 300 --handshake-timeout 2s --heartbeat 1s \
		--http-max-connections 200 --http-request-timeout 3s --http-idle-timeout 5s
) >>"$FF_TMP/aggregator.log" 2>&1 &
FF_AGG_PID=$!
FF_PIDS+=("$FF_AGG_PID")
FF_SERVER="http://127.0.0.1:$FF_HTTP_PORT"
ff_wait_ready "$FF_AGG_PID" curl -fsS "$FF_SERVER/healthz" || ff_fail "the aggregator did not start"
[ "$(awk '/Max open files/ {print $4}' "/proc/$FF_AGG_PID/limits")" -eq 1024 ] ||
	ff_fail "the aggregator does not run at 1,024 descriptors"

UDP=$(ff_free_port)
ff_start_agent node-c "$UDP"
ff_wait_agents 1

# The flood: held 14 s; the slow client's closing time is reported.
"$FF_PY" - "$FF_ZMQ_PORT" "$FF_HTTP_PORT" >"$FF_TMP/flood.json" 2>"$FF_TMP/flood.err" <<'PY' &
import json, select, socket, sys, threading, time

# poll, not select: the descriptors go past 1,024.
def readable(s, timeout):
    p = select.poll()
    p.register(s, select.POLLIN)
    return bool(p.poll(timeout * 1000))
zmq_port, http_port = int(sys.argv[1]), int(sys.argv[2])
result = {}

# True when the server closed `s` (a ZeroMQ server sends its greeting first).
def gone(s):
    s.setblocking(False)
    try:
        while s.recv(65536):
            pass
        return True
    except BlockingIOError:
        return False
    except OSError:
        return True

def hold(name, port, n):
    socks, failed = [], 0
    for _ in range(n):
        try:
            socks.append(socket.create_connection(("127.0.0.1", port), timeout=1))
        except OSError:
            failed += 1
    result[name + "_opened"] = len(socks)
    result[name + "_failed"] = failed
    time.sleep(14)
    closed = 0
    for s in socks:
        closed += gone(s)
        s.close()
    result[name + "_closed_by_server"] = closed

def slow():
    s = socket.create_connection(("127.0.0.1", http_port), timeout=5)
    t0 = time.monotonic()
    for b in b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 30:
        try:
            s.send(bytes([b]))
        except OSError:
            break
        try:
            if readable(s, 1.0) and s.recv(1) == b"":
                break
        except OSError:
            break
    result["slow_closed_after_s"] = round(time.monotonic() - t0, 2)

threads = [threading.Thread(target=hold, args=("zmq", zmq_port, 1100)),
           threading.Thread(target=hold, args=("http", http_port, 1100)),
           threading.Thread(target=slow)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(json.dumps(result))
PY
FLOOD=$!

ff_run_bounded 40 "$FF_GEN" --seed 21 --flows 3000 --keys 300 --rate 500 \
	--dest "127.0.0.1:$UDP" --truth "$FF_TMP/truth.csv" --quiet &
GEN=$!
sleep 1
worst=0
for i in $(seq 10); do
	t0=$(date +%s%N)
	curl -fsS -m 1 "$FF_SERVER/healthz" >/dev/null ||
		ff_fail "/healthz did not answer within 1 s during the flood (probe $i): $(curl -sS -m 3 "$FF_SERVER/api/v1/stats" | jq -c '[.connections, .ingest.connections]')"
	ms=$((($(date +%s%N) - t0) / 1000000))
	[ "$ms" -gt "$worst" ] && worst=$ms
	sleep 1
done
ff_log "slowest /healthz during the flood: $worst ms"
wait "$GEN" || ff_fail "ffgen failed"
wait "$FLOOD" || { cat "$FF_TMP/flood.err" >&2; ff_fail "the flood script failed"; }
ff_log "flood: $(cat "$FF_TMP/flood.json")"

slow=$(jq '.slow_closed_after_s' "$FF_TMP/flood.json")
awk -v s="$slow" 'BEGIN { exit !(s >= 2.5 && s <= 5) }' ||
	ff_fail "the slow client was closed after $slow s, want about 3 s (--http-request-timeout)"
[ "$(jq '.zmq_opened + .http_opened' "$FF_TMP/flood.json")" -ge 2000 ] ||
	ff_fail "the flood did not get its connections accepted"

ff_wait_truth 30 srcip/flows -- "$FF_TMP/truth.csv"
stats=$(curl -fsS "$FF_SERVER/api/v1/stats")
ff_log "connections: http $(jq -c .connections <<<"$stats"), agents $(jq -c .ingest.connections <<<"$stats")"
# Whether a silent connection was cut at the cap or dropped at its handshake
# timeout depends on how fast the flood opens them; together they are all of it.
jq -e '.ingest.connections.evicted_silent + .ingest.connections.refused >= 1 and
	.ingest.connections.dropped_silent >= 1 and
	.ingest.connections.evicted_silent + .ingest.connections.refused +
	.ingest.connections.dropped_silent >= 1090 and .ingest.connections.open <= 300' <<<"$stats" >/dev/null ||
	ff_fail "agent connections were not capped, or the silent ones not dropped after --handshake-timeout"
[ "$(jq '.zmq_closed_by_server' "$FF_TMP/flood.json")" -ge 1090 ] ||
	ff_fail "the silent agent connections are still open"
[ "$(jq '.http_closed_by_server' "$FF_TMP/flood.json")" -ge 1090 ] ||
	ff_fail "the idle HTTP connections are still open"
jq -e '.connections.evicted_idle + .connections.refused >= 800 and .connections.closed_slow >= 1 and
	.connections.closed_idle >= 1 and .connections.open <= 200' <<<"$stats" >/dev/null ||
	ff_fail "HTTP connections were not capped, or the idle and slow ones not closed"
store=$(ff_cli agents -o json | jq -c '.store')
jq -e '.columnar.seals >= 3 and .columnar.seal_errors == 0 and .append_errors == 0' <<<"$store" >/dev/null ||
	ff_fail "sealing did not work during the flood: $store"
grep -q "handshake failed\|agent connections open" "$FF_TMP/aggregator.log" || ff_fail "the cuts were not logged"
lines=$(wc -l <"$FF_TMP/aggregator.log")
ff_log "aggregator log: $lines lines"
[ "$lines" -le 40 ] || ff_fail "the log grew to $lines lines: not rate-limited"
grep -q "EMFILE\|Too many open files" "$FF_TMP/aggregator.log" && ff_fail "the aggregator ran out of descriptors"
ff_stop "$FF_AGG_PID" 20
ff_log "PASS"
