# Helpers of the agent's CurveZMQ tests; sourced after lib.sh, never run.
#
# The stand-in (tests/tools/ffcurve_server.c, FF_CURVE_SERVER) takes the
# aggregator's port: a CURVE server with a key of its own, which the test
# gives the agent or not. It prints every message it receives and totals at
# exit, into NAME.log.

: "${FF_CURVE_SERVER:?}"

# ff_start_standin NAME [ARGS...]: on FF_ZMQ_PORT (picked when unset); its public
# key in $FF_TMP/NAME.pub, its fingerprint in FF_STANDIN_FP, its pid in FF_STANDIN_PID.
ff_start_standin() {
	local name=$1
	shift
	FF_ZMQ_PORT=${FF_ZMQ_PORT:-$(ff_free_port)}
	rm -f "$FF_TMP/$name.pub"
	ff_spawn "$name" "$FF_CURVE_SERVER" --listen "tcp://127.0.0.1:$FF_ZMQ_PORT" \
		--key-out "$FF_TMP/$name.pub" "$@"
	FF_STANDIN_PID=$FF_LAST_PID
	ff_wait_ready "$FF_STANDIN_PID" test -s "$FF_TMP/$name.pub" ||
		ff_fail "stand-in $name did not start on port $FF_ZMQ_PORT"
	FF_STANDIN_FP=$(sed -n 's/^server key .* fingerprint \([0-9a-f]*\)$/\1/p' "$FF_TMP/$name.log")
}

# ff_standin_count NAME KIND: how many messages of KIND (hello, batch) NAME received.
ff_standin_count() {
	grep -c "^message [0-9]*: $2 " "$FF_TMP/$1.log" || true
}

# ff_agent_counter LOG NAME: the value of NAME in the agent's exit line.
ff_agent_counter() {
	sed -n "s/.*exiting: .*[ ,]$2 \([0-9]*\).*/\1/p" "$1" | tail -n 1
}
