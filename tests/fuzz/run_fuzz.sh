#!/usr/bin/env bash
# Runs every libFuzzer target for a short time, seeded from the real export
# captures in ../shared/corpus (when present), the filter test table, small
# valid segment files written by ffsegseed (built beside FFDECODE) and
# FlowBatch payloads written by bench_wire --seeds (tests/bench beside it).
#   run_fuzz.sh FUZZ_BUILD_DIR FFDECODE SECONDS_PER_TARGET
# `make test` runs it for a few seconds per target; run it by hand with a
# larger SECONDS for a real campaign (docs/fuzzing.md records such runs).
# Environment for campaigns:
#   FUZZ_RUNS=N          stop each target after N executions instead of after
#                        SECONDS (SECONDS then only bounds the time: 0 = none)
#   FUZZ_TARGETS="a b"   only these targets (default: all ten)
#   FUZZ_KEEP=DIR        merge-minimize what each target found into DIR/TARGET
#                        (tests/fuzz/corpus keeps the small ones); only for the
#                        targets seeded from our own inputs: the export decoders'
#                        inputs grow from ../shared's captures, which are other
#                        projects' files and stay out of the repository
# Prints one line per target (executions, seconds, new inputs) and exits
# non-zero if any target finds a crash, leak or timeout.
set -euo pipefail

fuzz_build=${1:?fuzz build dir}
ffdecode=${2:?ffdecode binary (from a normal build)}
seconds=${3:-10}
src=$(cd "$(dirname "$0")/../.." && pwd)
corpus="$src/../shared/corpus"

work=$(mktemp -d /tmp/ff-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work"/seeds/{nf5,nf9,ipfix,sflow,filter,segment,batch,trust,tokens,state}

if [ -d "$corpus" ]; then
  mapfile -t files < <(find "$corpus" -type f \( -name '*.pcap' -o -name '*.pcapng' \
    -o -name '*.dat' -o -name '*.bin' -o -name '*.dump' -o -name '*.ipfix' \) | sort)
  # Unsupported link types and corrupt captures only cost seeds, not the run.
  "$ffdecode" --seeds "$work/seeds" "${files[@]}" >/dev/null 2>&1 || true
else
  echo "run_fuzz: no corpus at $corpus: targets start from their own inputs"
fi
n=0
while IFS= read -r line; do
  case "$line" in ''|'#'*) continue ;; esac
  printf '%s' "${line%%|*}" >"$work/seeds/filter/case$((n++))"
done <"$src/tests/integration/filter_cases.txt"
segseed="$(dirname "$ffdecode")/ffsegseed"
if ! "$segseed" "$work/seeds/segment"; then
  echo "run_fuzz: $segseed failed: fuzz_segment starts without seeds"
fi

# FlowBatch payloads of both wire versions, from the encoder (tests/bench/bench_wire.c).
benchwire="$(dirname "$ffdecode")/../bench/bench_wire"
if ! "$benchwire" --seeds "$work/seeds/batch"; then
  echo "run_fuzz: $benchwire failed: fuzz_batch starts without seeds"
fi

# The trust files: an allow-list (first byte even) and a token file (odd).
printf '\0{"op":"accepted","key":"rq:rM>}U?@Lns47E1%%kR.o@n%%FcmmsL/@{H8]yf7","fingerprint":"522501f4e7a63f61","agent_id":"a","time_ms":1,"by":"x","why":""}\n' \
  >"$work/seeds/trust/allow"
printf '\1# tokens\nvalid-token-0123456789 2099-01-01T00:00:00Z\nforever-token-01234567\n' \
  >"$work/seeds/trust/tokens"

passed=0 failed=0
# api.tokens lines and Authorization headers.
printf '0123456789abcdef0123 admin ops\n# c\n0123456789abcdef-read read\n' >"$work/seeds/tokens/file"
printf 'Bearer 0123456789abcdef0123' >"$work/seeds/tokens/header"

# State files of every kind the agent keeps (tests/fuzz/fuzz_state.c: first byte picks the kind).
cp "$src"/tests/fuzz/corpus/state/* "$work/seeds/state/"

# Seeds kept from earlier campaigns (FUZZ_KEEP=tests/fuzz/corpus).
for d in "$src"/tests/fuzz/corpus/*/; do
  t=$(basename "$d")
  [ "$t" = state ] || [ ! -d "$work/seeds/$t" ] || cp "$d"* "$work/seeds/$t/" 2>/dev/null || true
done

limit=(-max_total_time="$seconds")
[ -n "${FUZZ_RUNS:-}" ] && limit=(-runs="$FUZZ_RUNS")
[ -n "${FUZZ_RUNS:-}" ] && [ "$seconds" != 0 ] && limit+=(-max_total_time="$seconds")

for t in ${FUZZ_TARGETS:-nf5 nf9 ipfix sflow filter segment batch trust tokens state}; do
  bin="$fuzz_build/tests/fuzz/fuzz_$t"
  if [ ! -x "$bin" ]; then
    echo "run_fuzz: $bin is missing (build it with -DFF_FUZZ=ON)"; failed=$((failed + 1)); continue
  fi
  mkdir -p "$work/new_$t" "$fuzz_build/fuzz-artifacts"
  log="$work/$t.log"
  seeds=$(find "$work/seeds/$t" -type f | wc -l)
  # A datagram is at most 64 KiB: longer inputs (grown from whole captures) only slow the run.
  maxlen=()
  case $t in nf5|nf9|ipfix|sflow) maxlen=(-max_len=65536) ;; esac
  start=$(date +%s)
  if "$bin" "${limit[@]}" "${maxlen[@]}" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="$fuzz_build/fuzz-artifacts/$t-" "$work/new_$t" "$work/seeds/$t" >"$log" 2>&1; then
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo '?')
    printf 'fuzz_%-7s %10s executions in %ss from %4d seeds, coverage %s, no finding\n' \
      "$t" "$runs" "$(($(date +%s) - start))" "$seeds" "$cov"
    passed=$((passed + 1))
    if [ -n "${FUZZ_KEEP:-}" ] && [[ " filter segment batch trust tokens state " == *" $t "* ]]; then
      mkdir -p "$FUZZ_KEEP/$t"
      "$bin" -merge=1 "$FUZZ_KEEP/$t" "$work/new_$t" "$work/seeds/$t" >"$work/$t.merge.log" 2>&1 ||
        echo "run_fuzz: minimizing the corpus of $t failed (see nothing kept)"
      echo "fuzz_$t: $(find "$FUZZ_KEEP/$t" -type f | wc -l) inputs kept in $FUZZ_KEEP/$t ($(du -sh "$FUZZ_KEEP/$t" | cut -f1))"
    fi
  else
    echo "fuzz_$t FOUND A PROBLEM: reproducer in $fuzz_build/fuzz-artifacts/ (rerun: $bin FILE); log:"
    tail -60 "$log"
    failed=$((failed + 1))
  fi
done
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
