#!/usr/bin/env bash
# The real agent through enrolment and revocation, over CURVE: a fresh key
# stores nothing and shows as pending; accepted by its fingerprint, every
# batch it kept arrives exactly once (totals equal the generator's truth);
# revoked, its connection is cut within 5 s and nothing more is stored
# while it keeps what it summarizes; accepted again, nothing it kept is lost.
source "$(dirname "$0")/lib.sh"
export FF_CURVE=1

DATA=$FF_TMP/data
ff_start_aggregator aggregator "$DATA"
export FLOWFLEET_TOKEN
FLOWFLEET_TOKEN=$(cat "$DATA/api.token")
UDP=$(ff_free_port)
ff_start_agent e2e "$UDP" --server-key-file "$DATA/server.pub" --retry 1s
AGENT=$FF_LAST_PID
fp=$(sed -n 's/.*agent public key .*, fingerprint \([0-9a-f]*\).*/\1/p' "$FF_TMP/agent-e2e.log" | head -1)
[ -n "$fp" ] || ff_fail "the agent did not log its fingerprint"

records_of() {
	ff_cli agents -o json | jq --arg id "$1" '[.agents[] | select(.id == $id) | .records] | add // 0'
}

# 1. Pending: flows go in, nothing is stored, the key is listed with its claimed id.
ff_run_bounded 60 "$FF_GEN" --seed 31 --flows 4000 --keys 300 --rate 4000 \
	--dest "127.0.0.1:$UDP" --truth "$FF_TMP/truth1.csv" --quiet
ff_wait_until 10 sh -c "\"$FF_CLI\" --server \"$FF_SERVER\" agents pending | grep -q $fp" ||
	ff_fail "the new key is not pending"
ff_cli agents pending | grep "$fp" | grep -q e2e || ff_fail "pending does not show the claimed id"
sleep 2
[ "$(records_of e2e)" -eq 0 ] || ff_fail "a pending key stored records"

# 2. Accepted: the kept batches arrive, exactly once.
ff_cli agents accept "$fp" --why e2e >/dev/null || ff_fail "accept failed"
ff_wait_truth 30 srcip/bytes -- "$FF_TMP/truth1.csv"
ff_assert_truth dstport/flows -- "$FF_TMP/truth1.csv"
ff_log "accepted: totals equal the truth"

# 3. Revoked: the connection goes within 5 s; what the agent gets now is kept, not stored.
established() { ss -Htn state established "( sport = :$FF_ZMQ_PORT )" | grep -c . || true; }
[ "$(established)" -ge 1 ] || ff_fail "no established agent connection"
before=$(records_of e2e)
ff_cli agents revoke e2e --why e2e >/dev/null || ff_fail "revoke failed"
ff_wait_until 5 sh -c "[ \$(ss -Htn state established '( sport = :$FF_ZMQ_PORT )' | grep -c .) -eq 0 ]" ||
	ff_fail "the revoked agent's connection was not cut within 5 s"
ff_run_bounded 60 "$FF_GEN" --seed 32 --flows 3000 --keys 200 --rate 3000 \
	--dest "127.0.0.1:$UDP" --truth "$FF_TMP/truth2.csv" --quiet
sleep 3
[ "$(records_of e2e)" -eq "$before" ] || ff_fail "a revoked agent stored records"
kill -0 "$AGENT" || ff_fail "the agent died"

# 4. Accepted again: both runs' flows, nothing lost, nothing twice.
ff_cli agents accept "$fp" --why back >/dev/null || ff_fail "re-accept failed"
"$FF_PY" - "$FF_TMP/truth1.csv" "$FF_TMP/truth2.csv" >"$FF_TMP/truth.csv" <<'PY'
import csv, sys
rows = {}
for path in sys.argv[1:]:
    for r in csv.DictReader(open(path)):
        k = tuple(r[f] for f in ("src", "dst", "sport", "dport", "proto", "tos"))
        t = rows.setdefault(k, dict(r, flows=0, packets=0, bytes=0))
        for f in ("flows", "packets", "bytes"):
            t[f] = int(t[f]) + int(r[f])
w = csv.DictWriter(sys.stdout, fieldnames=["src", "dst", "sport", "dport", "proto", "tos", "flows", "packets", "bytes"])
w.writeheader()
for t in rows.values():
    w.writerow({f: t[f] for f in w.fieldnames})
PY
ff_wait_truth 40 srcip/bytes -- "$FF_TMP/truth.csv"
ff_assert_truth dstport/flows -- "$FF_TMP/truth.csv"
ff_stop "$AGENT" 20
ff_log "PASS"
