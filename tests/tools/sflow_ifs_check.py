#!/usr/bin/python3
"""Checks flowfleet's sFlow interface counters against tshark's decoding.

tshark decodes the capture of the very datagrams the agent received; for each
interface (sFlow agent address, ifIndex) its last generic interface counter
sample must equal what GET /api/v1/interfaces (--api, the saved answer)
and GET /metrics (--metrics, the saved scrape) say for agent --agent:

    sflow_ifs_check.py --pcap in.pcap --api ifs.json --metrics m.txt --agent node-a \\
                       [--rates] [--interfaces N]

--rates also checks the rates: between the last two samples of each
interface in the capture, each counter's difference (32-bit packet counters
modulo 2^32) over the seconds the API reports, and those seconds against the
capture's timestamps (the agent received each datagram when it was written).
Prints one line per interface checked; exit status 1 on any difference.
"""

import argparse
import json
import re
import subprocess
import sys

# tshark field (sflow_245.X) -> (API path, width in bits or None).
FIELDS = {
    "ifindex": ("if_index", None),
    "iftype": ("if_type", None),
    "ifspeed": ("speed_bps", None),
    "ifdirection": ("direction", None),
    "ifadmin_status": ("admin_up", None),
    "ifoper_status": ("oper_up", None),
    "ifinoct": ("in.octets", 64),
    "ifinpkt": ("in.unicast", 32),
    "ifinmcast": ("in.multicast", 32),
    "ifinbcast": ("in.broadcast", 32),
    "ifindisc": ("in.discards", 32),
    "ifinerr": ("in.errors", 32),
    "ifinunk": ("in.unknown_protos", None),
    "ifoutoct": ("out.octets", 64),
    "ifoutpkt": ("out.unicast", 32),
    "ifoutmcast": ("out.multicast", 32),
    "ifoutbcast": ("out.broadcast", 32),
    "ifoutdisc": ("out.discards", 32),
    "ifouterr": ("out.errors", 32),
    "ifpromisc": ("promiscuous", None),
}
DIRECTIONS = ["unknown", "full-duplex", "half-duplex", "in", "out"]


def tshark_samples(pcap):
    """{(agent, ifindex): [(time, {field: int}), ...]} in capture order."""
    cmd = ["tshark", "-r", pcap, "-T", "json", "-e", "frame.time_epoch",
           "-e", "sflow_245.agent", "-e", "sflow_245.agent.v6"]
    for f in FIELDS:
        cmd += ["-e", "sflow_245." + f]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    samples = {}
    for pkt in json.loads(out):
        layers = pkt["_source"]["layers"]
        idx = layers.get("sflow_245.ifindex", [])
        if not idx:
            continue
        agent = (layers.get("sflow_245.agent") or layers.get("sflow_245.agent.v6"))[0]
        t = float(layers["frame.time_epoch"][0])
        for i in range(len(idx)):
            rec = {f: int(layers["sflow_245." + f][i]) for f in FIELDS}
            samples.setdefault((agent, rec["ifindex"]), []).append((t, rec))
    return samples


def api_value(obj, path):
    for part in path.split("."):
        obj = obj[part]
    return obj


def expected_api(f, v):
    if f == "ifdirection":
        return DIRECTIONS[v] if v < len(DIRECTIONS) else "unknown"
    if f in ("ifadmin_status", "ifoper_status", "ifpromisc"):
        return v != 0
    return v


def parse_metrics(path):
    """{(family, frozenset(labels)): value} of the flowfleet_interface_* samples."""
    out = {}
    pat = re.compile(r'^(flowfleet_interface_\w+)\{([^}]*)\} (\S+)$')
    with open(path) as f:
        for line in f:
            m = pat.match(line.strip())
            if m:
                labels = frozenset(re.findall(r'(\w+)="([^"]*)"', m.group(2)))
                out[(m.group(1), labels)] = float(m.group(3))
    return out


def expected_metrics(agent, exporter, rec):
    """The series flowfleet must show for one sample: (family, extra labels, value)."""
    out = [("flowfleet_interface_speed_bytes", {}, rec["ifspeed"] / 8),
           ("flowfleet_interface_up", {"kind": "admin"}, rec["ifadmin_status"] != 0),
           ("flowfleet_interface_up", {"kind": "oper"}, rec["ifoper_status"] != 0)]
    for d in ("in", "out"):
        out.append(("flowfleet_interface_bytes_total", {"direction": d}, rec["if%soct" % d]))
        for cast, f in (("unicast", "pkt"), ("multicast", "mcast"), ("broadcast", "bcast")):
            out.append(("flowfleet_interface_packets_total", {"direction": d, "cast": cast},
                        rec["if%s%s" % (d, f)]))
        out.append(("flowfleet_interface_errors_total", {"direction": d}, rec["if%serr" % d]))
        out.append(("flowfleet_interface_discards_total", {"direction": d},
                    rec["if%sdisc" % d]))
    base = {"agent": agent, "exporter": exporter, "if_index": str(rec["ifindex"])}
    return [(fam, frozenset({**base, **extra}.items()), float(v)) for fam, extra, v in out]


def delta(a, b, bits):
    return (b - a) % (1 << bits) if bits == 32 else b - a


def check_rates(errors, key, got, prev, last):
    rates = got.get("rates")
    if rates is None:
        errors.append("%s: no rates (%s)" % (key, got.get("rates_status")))
        return
    secs = rates["seconds"]
    if abs(secs - (last[0] - prev[0])) > 0.5:
        errors.append("%s: %.3f s between samples, the capture says %.3f" %
                      (key, secs, last[0] - prev[0]))
    p, c = prev[1], last[1]
    want = {
        "in_bytes_per_s": delta(p["ifinoct"], c["ifinoct"], 64),
        "out_bytes_per_s": delta(p["ifoutoct"], c["ifoutoct"], 64),
        "in_packets_per_s": sum(delta(p[f], c[f], 32) for f in ("ifinpkt", "ifinmcast", "ifinbcast")),
        "out_packets_per_s": sum(delta(p[f], c[f], 32) for f in ("ifoutpkt", "ifoutmcast", "ifoutbcast")),
        "in_errors_per_s": delta(p["ifinerr"], c["ifinerr"], 32),
        "out_errors_per_s": delta(p["ifouterr"], c["ifouterr"], 32),
        "in_discards_per_s": delta(p["ifindisc"], c["ifindisc"], 32),
        "out_discards_per_s": delta(p["ifoutdisc"], c["ifoutdisc"], 32),
    }
    for name, d in want.items():
        if abs(rates[name] - d / secs) > 1e-6 * max(1.0, d / secs):
            errors.append("%s: %s %r, expected %d / %.3f = %r" %
                          (key, name, rates[name], d, secs, d / secs))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pcap", required=True)
    ap.add_argument("--api", required=True, help="the saved GET /api/v1/interfaces answer")
    ap.add_argument("--metrics", required=True, help="the saved GET /metrics scrape")
    ap.add_argument("--agent", required=True, help="the flowfleet agent that received it")
    ap.add_argument("--rates", action="store_true", help="check the rates too")
    ap.add_argument("--interfaces", type=int, help="how many interfaces there must be")
    a = ap.parse_args()
    samples = tshark_samples(a.pcap)
    with open(a.api) as f:
        api = {(i["exporter"], i["if_index"]): i for i in json.load(f)["interfaces"]
               if i["agent"] == a.agent}
    metrics = parse_metrics(a.metrics)
    errors = []
    if a.interfaces is not None and len(samples) != a.interfaces:
        errors.append("tshark found %d interfaces, expected %d" % (len(samples), a.interfaces))
    if set(api) != set(samples):
        errors.append("interfaces: flowfleet %s, tshark %s" % (sorted(api), sorted(samples)))
    for key in sorted(samples):
        got = api.get(key)
        if got is None:
            continue
        last = samples[key][-1]
        for f, (path, _) in FIELDS.items():
            want = expected_api(f, last[1][f])
            if api_value(got, path) != want:
                errors.append("%s: %s = %r, tshark says %r" % (key, path, api_value(got, path), want))
        for fam, labels, want in expected_metrics(a.agent, key[0], last[1]):
            if metrics.get((fam, labels)) != want:
                errors.append("%s: %s%s = %r, tshark says %r" %
                              (key, fam, dict(labels), metrics.get((fam, labels)), want))
        if a.rates and len(samples[key]) >= 2:
            check_rates(errors, key, got, samples[key][-2], last)
        print("%s ifIndex %d: %d samples, in %d out %d octets, rates %s" %
              (key[0], key[1], len(samples[key]), last[1]["ifinoct"], last[1]["ifoutoct"],
               got.get("rates_status")))
    for e in errors:
        print("DIFF " + e, file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
