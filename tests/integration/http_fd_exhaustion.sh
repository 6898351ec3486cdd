#!/usr/bin/env bash
# Near its descriptor limit the HTTP API neither spins nor floods its log:
# with a hard limit of 160, the connection caps are lowered at start to fit
# (said in the log), 400 idle connections are refused or paused at the cap
# (or, should descriptors still run out, accept() failures pause the
# listener), each logged at most once a minute; the process stays far from
# 100% CPU, and once the connections close /healthz answers again. (The bug:
# a busy loop at 100% CPU and 534 MB of log lines in 15 s.)
source "$(dirname "$0")/lib.sh"

FF_ZMQ_PORT=$(ff_free_port)
FF_HTTP_PORT=$(ff_free_port)
(
	ulimit -n 160
	exec "$FF_AGGREGATOR" --data-dir "$FF_TMP/data" --insecure-plaintext \
		--listen "tcp://127.0.0.1:$FF_ZMQ_PORT" --http "127.0.0.1:$FF_HTTP_PORT" --log-level info
) >>"$FF_TMP/aggregator.log" 2>&1 &
AGG=$!
FF_PIDS+=("$AGG")
FF_SERVER="http://127.0.0.1:$FF_HTTP_PORT"
ff_wait_ready "$AGG" curl -fsS "$FF_SERVER/healthz" || ff_fail "the aggregator did not start"

# 400 connections held open for 6 s, then closed.
"$FF_PY" - "$FF_HTTP_PORT" <<'PY' &
import socket, sys, time
port = int(sys.argv[1])
socks = []
for _ in range(400):
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=2)
        socks.append(s)
    except OSError:
        pass
time.sleep(6)
for s in socks:
    s.close()
PY
HOLDER=$!
sleep 2
t0=$(awk '{print $14 + $15}' "/proc/$AGG/stat")
sleep 3
t1=$(awk '{print $14 + $15}' "/proc/$AGG/stat")
ticks=$((t1 - t0))
ff_log "aggregator CPU over 3 s while out of descriptors: $ticks ticks (300 = one core)"
[ "$ticks" -lt 150 ] || ff_fail "the aggregator spins: $ticks ticks of CPU in 3 s"
wait "$HOLDER"
ff_wait_until 20 curl -fsS -m 2 "$FF_SERVER/healthz" >/dev/null || ff_fail "/healthz does not answer after the connections closed"
grep -q "descriptor limit 160: --max-connections .* would not fit" "$FF_TMP/aggregator.log" ||
	ff_fail "the start did not say the connection caps were lowered to fit 160 descriptors"
lines=$(grep -c "http: accept() failed\|http: .*so far.*not logged since" "$FF_TMP/aggregator.log" || true)
[ "$lines" -ge 1 ] || ff_fail "refusing the connections was not logged"
[ "$lines" -le 3 ] || ff_fail "$lines log lines for refused connections: not rate-limited"
ff_log "$lines log lines for 400 connections at 160 descriptors"
kill -0 "$AGG" || ff_fail "the aggregator died"
ff_stop "$AGG" 20
ff_log "PASS"
