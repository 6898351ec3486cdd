#!/bin/bash
# A flood through bounded memory: 200,000 NetFlow v5 records of which nearly
# every one is a new key (ffgen --distinct), to an agent whose summarizer holds
# at most 4,000 keys and whose batches carry at most 1,500 records. The agent
# must flush early and stream many small batches instead of growing, and every
# total must still equal the generator's ground truth exactly.
. "$(dirname "$0")/lib.sh"

FLOWS=200000
ff_start_aggregator aggregator "$FF_TMP/data"
UDP=$(ff_free_port)
ff_start_agent flood "$UDP" --interval 2s --max-keys 4000 --batch-max-records 1500
AGENT=$FF_LAST_PID
ff_wait_agents 1

ff_log "sending $FLOWS distinct-key records"
ff_run_bounded 90 "$FF_GEN" --seed 31 --distinct --hosts 20000 --flows "$FLOWS" --rate 40000 \
	--dest "127.0.0.1:$UDP" --truth "$FF_TMP/truth.csv"
keys=$(($(wc -l <"$FF_TMP/truth.csv") - 1))
[ "$keys" -gt $((FLOWS * 9 / 10)) ] || ff_fail "ffgen --distinct gave only $keys keys for $FLOWS records"

ff_wait_truth 60 srcip/bytes -- "$FF_TMP/truth.csv"
ff_log "store complete; comparing"
for stat in srcip/bytes dstip/packets dstport/flows proto/bytes port/packets; do
	ff_assert_truth "$stat" -- "$FF_TMP/truth.csv"
done
want=$(ff_truth totals --truth "$FF_TMP/truth.csv")
got=$(ff_cli top -s agent/bytes -n 0 -o json | jq -r '.rows[0] | "\(.flows) \(.packets) \(.bytes)"')
[ "$got" = "$want" ] || ff_fail "agent totals '$got', truth '$want'"

# The bounds were reached: early flushes happened and the batches stayed small.
ff_agents_json >"$FF_TMP/agents.json"
early=$(jq -r '.agents[0].counters["summarizer.early_flushes"] // 0' "$FF_TMP/agents.json")
batches=$(jq -r '.agents[0].batches' "$FF_TMP/agents.json")
[ "${early:-0}" -gt 0 ] || ff_fail "no early flush with --max-keys 4000 (counter: '${early}')"
[ "${batches:-0}" -ge $((FLOWS / 1500)) ] ||
	ff_fail "only ${batches} batches for $FLOWS records at --batch-max-records 1500"
ff_log "early flushes $early, batches $batches"

ff_stop "$AGENT"
ff_stop "$FF_AGG_PID"
ff_log "ok"
