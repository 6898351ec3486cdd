#!/bin/bash
# A real sFlow exporter: pmacct's pmacctd reads tests/data/traffic.pcap and
# exports every packet (sfprobe's default rate, 1 in 1: pmacctd 1.7.7 knows no
# sfprobe_sampling_rate key) with its sfprobe plugin as sFlow v5
# to an agent. flowfleet's top talkers must equal the capture's own totals.
#
# Two facts about pmacctd 1.7.7 shape the test:
# - sfprobe reports each packet's frame_length as its captured length plus
#   the 4-byte Ethernet FCS (with `stripped` 4), so the truth counts len + 4;
#   flowfleet, like nfdump's sfcapd and Wireshark, counts frame_length.
# - At the end of a capture file it exits without sending its last, partly
#   filled datagram. The capture is therefore followed by padding packets of
#   a protocol and addresses of their own (SCTP, 198.18.0.1 -> 198.18.0.2),
#   so only padding is lost; the padding's rows are taken out of flowfleet's
#   answer before it is compared with the truth of the real packets.
. "$(dirname "$0")/lib.sh"

command -v pmacctd >/dev/null || {
	ff_log "SKIP: pmacctd not installed (deploy/install-deps.sh installs pmacct)"
	exit 77
}

PAD_SRC=198.18.0.1
PAD_DST=198.18.0.2
PAD_COUNT=24

# Writes the padded capture and the truth CSV (src,dst,sport,dport,proto,tos,flows,packets,bytes):
# one sFlow sample, hence one flow, per packet, with nfdump's ICMP port convention.
ff_padded_capture() {
	"$FF_PY" - "$FF_SRC/tests/data/traffic.pcap" "$FF_TMP/traffic.pcap" "$FF_TMP/truth.csv" \
		"$PAD_COUNT" <<'EOF'
import collections, socket, struct, sys
src, dst, truth, pad = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
data = open(src, "rb").read()
e = "<" if struct.unpack("<I", data[:4])[0] == 0xA1B2C3D4 else ">"
assert struct.unpack(e + "I", data[20:24])[0] == 1, "Ethernet captures only"
out, keys, off, ts = [data[:24]], collections.defaultdict(lambda: [0, 0]), 24, 0
while off + 16 <= len(data):
    ts, us, incl, orig = struct.unpack(e + "IIII", data[off:off + 16])
    pkt = data[off + 16:off + 16 + incl]
    out.append(data[off:off + 16 + incl])
    off += 16 + incl
    ethertype = struct.unpack(">H", pkt[12:14])[0]
    ip = pkt[14:]
    if ethertype == 0x0800:
        ihl, tos, proto = (ip[0] & 15) * 4, ip[1], ip[9]
        addrs = socket.inet_ntoa(ip[12:16]), socket.inet_ntoa(ip[16:20])
        icmp = 1
    elif ethertype == 0x86DD:  # the capture's IPv6 packets carry no extension headers
        ihl, tos, proto = 40, (ip[0] & 15) << 4 | ip[1] >> 4, ip[6]
        addrs = (socket.inet_ntop(socket.AF_INET6, ip[8:24]),
                 socket.inet_ntop(socket.AF_INET6, ip[24:40]))
        icmp = 58
    else:
        raise SystemExit("unexpected non-IP packet in %s" % src)
    l4 = ip[ihl:]
    sport = dport = 0
    if proto in (6, 17):
        sport, dport = struct.unpack(">HH", l4[:4])
    elif proto == icmp:
        dport = l4[0] * 256 + l4[1]
    k = (addrs[0], addrs[1], sport, dport, proto, tos)
    keys[k][0] += 1
    keys[k][1] += orig + 4
frame = (b"\x02\x00\x00\x00\x00\x02" + b"\x02\x00\x00\x00\x00\x01" + b"\x08\x00" +
         struct.pack(">BBHHHBBH4s4s", 0x45, 0, 46, 0, 0, 64, 132, 0,
                     socket.inet_aton("198.18.0.1"), socket.inet_aton("198.18.0.2")) + bytes(26))
for i in range(pad):
    out.append(struct.pack(e + "IIII", ts + 1 + i, 0, len(frame), len(frame)) + frame)
open(dst, "wb").write(b"".join(out))
with open(truth, "w") as f:
    f.write("src,dst,sport,dport,proto,tos,flows,packets,bytes\n")
    for (s, d, sp, dp, p, t), (n, b) in sorted(keys.items()):
        f.write("%s,%s,%d,%d,%d,%d,%d,%d,%d\n" % (s, d, sp, dp, p, t, n, n, b))
EOF
}

# ff_strip_padding STAT IN OUT: flowfleet's answer without the padding packets
# (their own row, or their share of the dstport 0 row) and without the total.
ff_strip_padding() {
	"$FF_PY" - "$1" "$2" "$3" "$FF_TMP/padding.json" <<'EOF'
import json, sys
stat, src, dst, padfile = sys.argv[1:5]
doc = json.load(open(src))
pad = json.load(open(padfile))
element = stat.split("/")[0]
own = {"srcip": "198.18.0.1", "dstip": "198.18.0.2", "proto": None}
rows = []
for r in doc["rows"]:
    key = str(r["key"])
    if element == "proto" and key in ("132", "SCTP"):
        continue
    if own.get(element) == key:
        continue
    if element == "dstport" and key == "0":
        for c in ("flows", "packets", "bytes"):
            r[c] -= pad[c]
        if r["flows"] == 0:
            continue
    rows.append(r)
order = stat.partition("/")[2] or "flows"
# A row that lost the padding's share may now rank lower.
doc["rows"] = sorted(rows, key=lambda r: -r[order])
doc.pop("total", None)
json.dump(doc, open(dst, "w"))
EOF
}

# The padding as flowfleet counted it, kept for ff_strip_padding.
ff_padding_counts() {
	ff_cli top -s srcip/bytes -n 0 -o json |
		jq -c --arg k "$PAD_SRC" '.rows[] | select(.key == $k) | {flows, packets, bytes}' \
			>"$FF_TMP/padding.json.new"
	[ -s "$FF_TMP/padding.json.new" ] && mv "$FF_TMP/padding.json.new" "$FF_TMP/padding.json"
}

ff_sflow_matches() {
	local stat=$1
	ff_padding_counts || return 1
	ff_cli top -s "$stat" -n 0 -o json >"$FF_TMP/top.json" || return 1
	ff_strip_padding "$stat" "$FF_TMP/top.json" "$FF_TMP/top-real.json" || return 1
	ff_truth compare "${FF_QUIET[@]}" --truth "$FF_TMP/truth.csv" -s "$stat" \
		--json "$FF_TMP/top-real.json"
}

ff_start_aggregator aggregator "$FF_TMP/data"
UDP_AGENT=$(ff_free_port)
ff_start_agent node-a "$UDP_AGENT"
AGENT=$FF_LAST_PID
ff_wait_agents 1

ff_padded_capture || ff_fail "cannot write the padded capture and its truth"
cat >"$FF_TMP/pmacctd.conf" <<EOF
daemonize: false
pcap_savefile: $FF_TMP/traffic.pcap
pcap_savefile_wait: false
plugins: sfprobe[sf]
sfprobe_receiver[sf]: 127.0.0.1:$UDP_AGENT
sfprobe_agentip[sf]: 192.0.2.10
EOF
ff_log "pmacctd exporting sFlow to the agent"
# Its exit status is not meaningful: at the end of the file the core and the
# plugin race to shut down, and the loser reports a lost connection. What it
# sent is checked below; only running over time is a failure here.
rc=0
timeout --kill-after=5 60 pmacctd -f "$FF_TMP/pmacctd.conf" >>"$FF_TMP/pmacctd.log" 2>&1 || rc=$?
[ "$rc" -ne 124 ] && [ "$rc" -ne 137 ] || ff_fail "pmacctd ran over 60s"

FF_QUIET=(-q)
if ! ff_wait_until 30 ff_sflow_matches srcip/bytes; then
	FF_QUIET=()
	ff_sflow_matches srcip/bytes >&2 || true
	ff_fail "flowfleet did not reach the capture's srcip totals within 30s"
fi
FF_QUIET=()
pad=$(jq -r .packets "$FF_TMP/padding.json")
[ "$pad" -ge 1 ] && [ "$pad" -le "$PAD_COUNT" ] ||
	ff_fail "padding packets counted: $pad, expected 1..$PAD_COUNT"
for stat in srcip/packets dstip/bytes dstport/bytes proto/packets; do
	ff_sflow_matches "$stat" >&2 || ff_fail "top $stat differs from the capture"
done

# Every datagram decoded: once the heartbeat carries the exporter's record
# count (at least the real packets), no malformed counter is set.
exporter_records() {
	ff_agents_json | jq -r '[.agents[].exporters[]? | select(.address == "127.0.0.1")
		| .counters.records // 0] | add // 0'
}
records_reported() {
	[ "$(exporter_records)" -ge "$(ff_truth totals --truth "$FF_TMP/truth.csv" | cut -d' ' -f2)" ]
}
ff_wait_until 20 records_reported || ff_fail "the exporter's record count did not reach the capture's"
ff_agents_json >"$FF_TMP/agents.json"
if jq -e '[.. | objects | to_entries[] | select(.key | startswith("malformed")) | .value] | any(. > 0)' \
	"$FF_TMP/agents.json" >/dev/null; then
	ff_fail "malformed datagrams reported: $(cat "$FF_TMP/agents.json")"
fi

ff_stop "$AGENT"
ff_stop "$FF_AGG_PID"
ff_log "ok"
