#!/bin/bash
# What crosses the wire: tcpdump records the loopback traffic between an
# agent and the aggregator, which enrols it with a token and pushes it a
# policy. With CURVE none of the agent id, hostname, label value, policy
# filter text or flow addresses appear in any TCP payload; with
# --insecure-plaintext the same search finds every one of them (so the
# search works). The search looks at the raw TCP bytes and at
# the ff frames a ZMTP stream carries in clear, LZ4 undone (a compressed
# frame hides strings from a plain grep even in clear). The agent sends
# wire version 1 here: its records carry each address as 16 bytes, where
# version 2 sends varint deltas. Skipped (77) where tcpdump cannot capture.
. "$(dirname "$0")/lib.sh"

if ! command -v tcpdump >/dev/null; then
	ff_log "SKIP: tcpdump is not installed"
	exit 77
fi

# ff_capture NAME PORT: tcpdump on lo for PORT into NAME.pcap; pid in FF_CAPTURE_PID.
ff_capture() {
	ff_spawn "tcpdump-$1" tcpdump -i lo -U -n -w "$FF_TMP/$1.pcap" "tcp port $2"
	FF_CAPTURE_PID=$FF_LAST_PID
	if ! ff_wait_until 10 grep -q "listening on" "$FF_TMP/tcpdump-$1.log" ||
		! kill -0 "$FF_CAPTURE_PID" 2>/dev/null; then
		cat "$FF_TMP/tcpdump-$1.log" >&2
		ff_log "SKIP: tcpdump cannot capture on lo here (needs root or CAP_NET_RAW)"
		exit 77
	fi
}

# ff_search PCAP TRUTH: prints, per needle kind, how many needles occur in the TCP payloads.
ff_search() {
	"$FF_PY" - "$1" "$2" <<'PY'
import csv, ipaddress, struct, sys
pcap, truth = sys.argv[1], sys.argv[2]
data = open(pcap, "rb").read()
magic = data[:4]
endian = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
link = struct.unpack(endian + "I", data[20:24])[0]
streams, off = {}, 24
while off + 16 <= len(data):
    incl = struct.unpack(endian + "I", data[off + 8:off + 12])[0]
    pkt, off = data[off + 16:off + 16 + incl], off + 16 + incl
    if link == 1:
        eth, ip = struct.unpack("!H", pkt[12:14])[0], pkt[14:]
    elif link == 113:
        eth, ip = struct.unpack("!H", pkt[14:16])[0], pkt[16:]
    else:
        sys.exit("unknown link type %d" % link)
    if eth == 0x0800 and len(ip) >= 20 and ip[9] == 6:
        ihl, total = (ip[0] & 15) * 4, struct.unpack("!H", ip[2:4])[0]
        tcp = ip[ihl:total]
        key = (ip[12:16], ip[16:20], tcp[0:4])
    elif eth == 0x86DD and len(ip) >= 40 and ip[6] == 6:
        tcp = ip[40:40 + struct.unpack("!H", ip[4:6])[0]]
        key = (ip[8:24], ip[24:40], tcp[0:4])
    else:
        continue
    seq, doff = struct.unpack("!I", tcp[4:8])[0], (tcp[12] >> 4) * 4
    if len(tcp) > doff:
        streams.setdefault(key, {})[seq] = tcp[doff:]


def lz4_block(src):
    """LZ4 block format, as ff_frame compresses a payload that shrinks."""
    dst, i = bytearray(), 0
    def length(n, i):
        if n == 15:
            while True:
                b = src[i]; i += 1; n += b
                if b != 255:
                    break
        return n, i
    while i < len(src):
        tok = src[i]; i += 1
        lit, i = length(tok >> 4, i)
        dst += src[i:i + lit]; i += lit
        if i + 2 > len(src):
            break
        off = src[i] | src[i + 1] << 8; i += 2
        ml, i = length(tok & 15, i)
        for _ in range(ml + 4):
            dst.append(dst[-off])
    return bytes(dst)


def zmtp_frames(stream):
    """The ff frames a ZMTP 3 stream carries in clear: greeting, then flags, size, body."""
    out = []
    if len(stream) < 64 or stream[0] != 0xFF or stream[9] != 0x7F:
        return out
    i = 64
    while i + 2 <= len(stream):
        flags = stream[i]
        if flags & 2:
            size = struct.unpack("!Q", stream[i + 1:i + 9])[0]; i += 9
        else:
            size = stream[i + 1]; i += 2
        body, i = stream[i:i + size], i + size
        if not flags & 4 and body[:2] == b"FF" and len(body) >= 12:
            try:
                out.append(lz4_block(body[12:]) if body[4] == 1 else body[12:])
            except IndexError:
                out.append(body[12:])
    return out


joined = [b"".join(p for _, p in sorted(s.items())) for s in streams.values()]
# The raw bytes and whatever ff frames decode from them: in clear, every message; under CURVE, none.
payload = b"\n".join(joined + [f for s in joined for f in zmtp_frames(s)])
raw_bytes = sum(len(s) for s in joined)
strings = ["curve-cap-agent", "qzhost-7w", "needle-label-value", "31999"]
addrs = set()
for row in csv.DictReader(open(truth)):
    addrs.add(row["src"]); addrs.add(row["dst"])
# ::ffff:a.b.c.d, as ff_flow holds an IPv4 address.
raw = [b"\0" * 10 + b"\xff\xff" + ipaddress.ip_address(a).packed for a in sorted(addrs)]
print("payload_bytes %d" % raw_bytes)
print("strings %d/%d" % (sum(s.encode() in payload for s in strings), len(strings)))
print("addresses %d/%d" % (sum(r in payload for r in raw), len(raw)))
PY
}

# ff_run MODE: one agent and the aggregator under capture; MODE is curve or plaintext.
ff_run() {
	local mode=$1 udp args=()
	unset FF_ZMQ_PORT FF_HTTP_PORT
	FF_ZMQ_PORT=$(ff_free_port)
	ff_capture "$mode" "$FF_ZMQ_PORT"
	local data=$FF_TMP/data-$mode
	if [ "$mode" = curve ]; then
		export FF_CURVE=1
		head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$FF_TMP/token-$mode"
		ff_start_aggregator "aggregator-$mode" "$data" --enroll-token "$FF_TMP/token-$mode"
		args=(--server-key-file "$data/server.pub" --enroll-token "$FF_TMP/token-$mode")
	else
		export FF_CURVE=0
		ff_start_aggregator "aggregator-$mode" "$data"
	fi
	local agg=$FF_AGG_PID
	# A filter that keeps every flow and names a needle: its text goes out in the Policy.
	FLOWFLEET_TOKEN=$(cat "$data/api.token") ff_cli policy set --filter 'not dst port 31999' \
		>/dev/null || ff_fail "$mode: policy set failed"
	udp=$(ff_free_port)
	rm -rf "$FF_TMP/state-curve-cap-agent"
	ff_start_agent curve-cap-agent "$udp" "${args[@]}" --hostname qzhost-7w \
		--label secret=needle-label-value --wire-version 1
	local agent=$FF_LAST_PID
	ff_wait_until 20 grep -q "policy 1 received" "$FF_TMP/agent-curve-cap-agent.log" ||
		ff_fail "$mode: the agent never got the policy"
	ff_run_bounded 60 "$FF_GEN" --seed 21 --flows 3000 --keys 60 --rate 3000 \
		--dest "127.0.0.1:$udp" --truth "$FF_TMP/truth.csv" --quiet
	# Everything sent is stored: the capture holds every batch, and the policy worked.
	ff_wait_truth 30 srcip/bytes -- "$FF_TMP/truth.csv"
	ff_stop "$agent" 20
	ff_stop "$agg" 20
	sleep 0.5 # tcpdump -U writes each packet; give the last ones a moment
	ff_stop "$FF_CAPTURE_PID"
	rm -f "$FF_TMP/agent-curve-cap-agent.log"
	ff_search "$FF_TMP/$mode.pcap" "$FF_TMP/truth.csv" >"$FF_TMP/$mode.found"
	ff_log "$mode: $(tr '\n' ' ' <"$FF_TMP/$mode.found")"
}

ff_run plaintext
grep -q "^strings 4/4$" "$FF_TMP/plaintext.found" ||
	ff_fail "plaintext: the search did not find the id, hostname, label and filter: it cannot work"
read -r found total < <(sed -n 's|^addresses \([0-9]*\)/\([0-9]*\)$|\1 \2|p' "$FF_TMP/plaintext.found")
# Nearly all, not all: the capture may miss the tail of the last segment at shutdown.
[ "$total" -gt 0 ] && [ "$((found * 10))" -ge "$((total * 9))" ] ||
	ff_fail "plaintext: only $found of $total flow addresses found: the search does not work"

ff_run curve
grep -q "^strings 0/4$" "$FF_TMP/curve.found" ||
	ff_fail "CURVE: an id, hostname, label or the policy filter crossed in clear"
grep -q "^addresses 0/" "$FF_TMP/curve.found" || ff_fail "CURVE: flow addresses crossed in clear"
# The same run in CURVE moves at least about as many bytes: the search had the batches to look at.
bytes=$(sed -n 's/^payload_bytes //p' "$FF_TMP/curve.found")
clear=$(sed -n 's/^payload_bytes //p' "$FF_TMP/plaintext.found")
[ "$((bytes * 10))" -ge "$((clear * 8))" ] ||
	ff_fail "CURVE: $bytes payload bytes captured against $clear in clear: the batches are missing"
ff_log "ok"
