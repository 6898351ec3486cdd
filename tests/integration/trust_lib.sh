# Helpers of the trust tests (CURVE, enrolment, spoofing, revocation); sourced
# after lib.sh. FF_WIRE is the ffwire_client test agent (tests/tools).
: "${FF_WIRE:?}"
export FF_CURVE=1

# trust_start_aggregator NAME DATA_DIR [EXTRA ARGS...]: ff_start_aggregator over
# CURVE, with the API token exported for the CLI's decisions.
trust_start_aggregator() {
	local dir=$2
	ff_start_aggregator "$@"
	FF_TRUST_DATA=$dir
	FLOWFLEET_TOKEN=$(cat "$dir/api.token")
	export FLOWFLEET_TOKEN
}

# trust_wire KEY_DIR ID [ffwire_client ARGS...]: the test agent with the key of
# KEY_DIR (made if missing) and the aggregator's server.pub, its output on stdout.
trust_wire() {
	local keys=$1 id=$2
	shift 2
	mkdir -p "$keys"
	chmod 700 "$keys"
	"$FF_WIRE" --connect "tcp://127.0.0.1:$FF_ZMQ_PORT" --server-key "$FF_TRUST_DATA/server.pub" \
		--key-dir "$keys" --id "$id" "$@"
}

# trust_fingerprint KEY_DIR: the fingerprint of the test agent's key.
trust_fingerprint() {
	mkdir -p "$1"
	chmod 700 "$1"
	"$FF_WIRE" --key-dir "$1" --print-key | awk '/^key /{print $3}'
}

# trust_records ID: the records stored for agent ID (0 when it has none).
trust_records() {
	ff_cli agents -o json | jq --arg id "$1" '[.agents[] | select(.id == $id) | .records] | add // 0'
}

# trust_refused REASON: the aggregator's refusal counter of that reason.
trust_refused() {
	ff_cli agents -o json | jq --arg r "$1" '.trust.refused[$r]'
}

# trust_pending_json: the pending keys.
trust_pending_json() {
	ff_cli agents pending -o json
}

# trust_expect_acks FILE N STATUS [REASON_PREFIX]: FILE holds N acks, each STATUS.
trust_expect_acks() {
	local file=$1 n=$2 status=$3 prefix=${4:-} got
	got=$(grep -c "^ack .* $status" "$file" || true)
	[ "$got" -eq "$n" ] || { cat "$file" >&2; ff_fail "expected $n acks $status in $file, found $got"; }
	if [ -n "$prefix" ]; then
		got=$(grep -c "^ack [0-9]* $status $prefix" "$file" || true)
		[ "$got" -eq "$n" ] || { cat "$file" >&2; ff_fail "acks in $file do not say '$prefix'"; }
	fi
}
