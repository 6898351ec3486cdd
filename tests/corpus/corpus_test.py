#!/usr/bin/python3
"""Compares the agent's decoding of the real-capture corpus with tshark's.

For every flow-export file of ../shared/corpus/MANIFEST.md (and every derived
pcap of _derived_udp_wrapped/, which decode groups of raw files with shared
template state) this runs ffdecode (the agent's decoders) and tshark on the
same datagrams and compares per file: the number of flow records (options
data records excluded: they describe the exporter, not traffic) and the byte
and packet sums. The agent must count nothing malformed unless MANIFEST marks
the file malformed or tshark itself warns about it.

tshark runs with two passes (-2): its second pass knows every template of the
file, which matches the agent holding data sets until their template arrives.
Raw payload files (.dat, .bin, .dump, .ipfix) are wrapped in UDP for tshark
exactly as ffdecode splits them. tshark's answers do not depend on our code,
so they are cached by file content in --cache-dir.

Exit status: 0 when nothing FAILed, 1 otherwise, 77 when the corpus is absent.
"""

import argparse
import hashlib
import json
import os
import re
import struct
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

SKIP = 77
FAMILIES = ("nf5", "nf9", "ipfix", "sflow", "traffic")
# Families whose decoder is not in the agent yet: compared and reported, but a
# mismatch is an expected failure (XFAIL) rather than a FAIL. A crash of
# ffdecode still fails. Switch a family on with --enabled (CMakeLists sets it).
DEFAULT_ENABLED = ("nf5", "nf9", "ipfix", "sflow", "traffic")
PROTO_FAMILY = {"NFv5": "nf5", "NFv9": "nf9", "IPFIX": "ipfix", "sFlow5": "sflow"}
RAW_SUFFIXES = (".dat", ".bin", ".dump", ".ipfix")
RAW_PORT = {"nf5": 2055, "nf9": 2055, "ipfix": 4739, "sflow": 6343}
TSHARK_TIMEOUT = 120
FFDECODE_TIMEOUT = 120
# Files where tshark is not a usable reference, by corpus path: the record
# count the agent must produce instead (from MANIFEST's structural walk) and
# why tshark differs. Their byte and packet sums are not compared.
KNOWN_DIFFERENCES = {
    "pmacct/112-IPFIXv10-CISCO-options-map-reassignment/traffic-00.pcap": {
        "records": 9,
        "why": "tshark keys templates by addresses and UDP ports; this exporter sends its "
               "templates from another source port (to another collector address) than its "
               "data, so tshark finds no template; the agent keys by exporter address and "
               "observation domain (RFC 7011 section 8)"},
    "logstash-codec-netflow/dat/netflow9_test_invalid01.dat": {
        "records": 2,
        "why": "the v9 header count (2) covers only the two templates; tshark stops at the "
               "count, the agent walks every flowset by its length"},
    "_derived_udp_wrapped/logstash-codec-netflow/netflow9_test_invalid01.pcap": {
        "records": 2,
        "why": "as netflow9_test_invalid01.dat"},
    "_derived_udp_wrapped/logstash-codec-netflow/netflow9_test_h3c.pcap": {
        "records": 16,
        "why": "tshark 4.0 throws on the H3C template's 2-byte address field (Malformed "
               "after the first record); the layout is valid"},
}

# tshark expert-info groups (epan/proto.h) that do not mean the export is bad.
PI_SEQUENCE = 0x02000000
PI_SEVERITY_WARN = 0x00600000


# ---------------------------------------------------------------- MANIFEST


def md_cells(line):
    return [c.strip() for c in line.strip().strip("|").split("|")]


def unquote(cell):
    m = re.match(r"`([^`]*)`", cell)
    return m.group(1) if m else cell


def parse_manifest(path):
    """Flow-export rows and derived-pcap rows of MANIFEST.md."""
    exports, derived, section, subdir = [], [], None, ""
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("## "):
                section = line[3:].strip()
                continue
            if line.startswith("### "):
                subdir = unquote(line[4:].strip())
                continue
            if not line.startswith("| `"):
                continue
            cells = md_cells(line)
            if section == "Flow-export files" and len(cells) >= 12:
                exports.append({
                    "path": subdir + unquote(cells[0]), "proto": cells[1], "msgs": cells[3],
                    "records": cells[4], "templates": cells[5], "ports": cells[10],
                    "notes": cells[11]})
            elif section and section.startswith("`_derived_udp_wrapped/`") and len(cells) >= 6:
                derived.append({
                    "path": unquote(cells[0]), "port": cells[2], "records": cells[3],
                    "built_from": [x.strip() for x in cells[5].split(",")]})
    return exports, derived


def export_family(row):
    protos = [p.strip() for p in row["proto"].split(",")]
    # A file mixing protocols needs every decoder it mixes: the last one listed
    # is the one that is not NetFlow v5 (tcpdump's sFlow file carries v5 too).
    return PROTO_FAMILY.get(protos[-1], "other")


def marked_malformed(row):
    """MANIFEST marks a file malformed in its notes (parser findings, tshark warnings, corrupt counts)."""
    notes = row.get("notes", "") + " " + row.get("templates", "")
    return bool(re.search(r"parser:|Malformed|malformed|corrupt|flowset length|trailing|"
                          r"w/o tmpl|more scope|stray|crafted", notes))


def source_row(derived_path, name, by_name):
    """The MANIFEST row a derived pcap was built from; names like message.bin repeat across dirs."""
    rows = by_name.get(name, [])
    stem = os.path.splitext(os.path.basename(derived_path))[0]
    near = [r for r in rows if "/%s/" % stem in r["path"]]
    rows = near or rows
    return rows[0] if len(rows) == 1 else None


def derived_family(row, by_name):
    protos = {(source_row(row["path"], n, by_name) or {}).get("family") for n in row["built_from"]}
    protos.discard(None)
    if len(protos) == 1:
        return protos.pop()
    return {"4739": "ipfix", "6343": "sflow"}.get(row["port"], "nf9")


# ---------------------------------------------------------------- raw files


def raw_messages(data):
    """Splits a raw payload file the way ffdecode does (tests/tools/ffdecode.c raw_next_len)."""
    out, off = [], 0
    while off < len(data):
        rest = data[off:]
        n = raw_message_len(rest)
        out.append(rest[:n])
        off += n
    return out


def raw_message_len(p):
    avail, n = len(p), 0
    if avail >= 4:
        v16 = struct.unpack(">H", p[:2])[0]
        if v16 == 10:
            n = struct.unpack(">H", p[2:4])[0]
            n = n if n >= 16 else 0
        elif v16 == 5:
            n = 24 + 48 * struct.unpack(">H", p[2:4])[0]
        elif p[:4] == b"\0\0\0\5":
            n = sflow_len(p)
    return n if 0 < n <= avail else avail


def sflow_len(p):
    avail = len(p)
    if avail < 8:
        return 0
    atype = struct.unpack(">I", p[4:8])[0]
    off = 8 + {1: 4, 2: 16}.get(atype, 0)
    if off == 8 or off + 16 > avail:
        return 0
    count = struct.unpack(">I", p[off + 12:off + 16])[0]
    off += 16
    for _ in range(count):
        if off + 8 > avail:
            return 0
        nxt = off + 8 + struct.unpack(">I", p[off + 4:off + 8])[0]
        if nxt > avail:
            return 0
        off = nxt
    return off


def ip_checksum(hdr):
    s = sum(struct.unpack(">10H", hdr))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def write_udp_pcap(path, payloads, dport):
    """A classic pcap of Ethernet/IPv4/UDP frames, 192.0.2.1:50000 -> 192.0.2.2 (as the derived pcaps)."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for i, p in enumerate(payloads):
            udp = struct.pack(">HHHH", 50000, dport, 8 + len(p), 0) + p
            ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), i & 0xffff, 0, 64, 17, 0,
                             bytes([192, 0, 2, 1]), bytes([192, 0, 2, 2]))
            ip = ip[:10] + struct.pack(">H", ip_checksum(ip)) + ip[12:]
            frame = b"\x02\0\0\0\0\x02\x02\0\0\0\0\x01\x08\x00" + ip + udp
            f.write(struct.pack("<IIII", 1000000000 + i, 0, len(frame), len(frame)) + frame)


# ---------------------------------------------------------------- tshark


def tshark_decode(pcap, ports, cache_dir):
    """tshark's view of a capture: records, bytes, packets, and whether it warned."""
    with open(pcap, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    key = os.path.join(cache_dir, "%s-%s.json" % (digest, "_".join(map(str, ports)))) if cache_dir else None
    if key and os.path.exists(key):
        with open(key) as f:
            return json.load(f)
    cmd = ["tshark", "-n", "-2", "-r", pcap, "-T", "pdml", "-o", "cflow.max_template_fields:1024"]
    for port, dissector in ports:
        cmd += ["-d", "udp.port==%d,%s" % (port, dissector)]
    res = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=TSHARK_TIMEOUT)
    if res.returncode != 0:
        raise RuntimeError("tshark exit %d: %s" % (res.returncode, res.stderr.decode(errors="replace")[:300]))
    out = summarize_pdml(res.stdout)
    if key:
        os.makedirs(cache_dir, exist_ok=True)
        with open(key + ".tmp", "w") as f:
            json.dump(out, f)
        os.replace(key + ".tmp", key)
    return out


def fields(elem):
    """Direct child fields by name (a field may repeat)."""
    out = {}
    for c in elem:
        if c.tag == "field" and c.get("name"):
            out.setdefault(c.get("name"), []).append(c)
    return out


def first_int(fmap, names):
    for n in names:
        for e in fmap.get(n, []):
            if e.get("showname", "").lower().startswith("reverse"):
                continue
            try:
                return int(e.get("show"), 0)
            except (TypeError, ValueError):
                continue
    return None


def warned(elem, top=True):
    """True when tshark flagged something other than a sequence gap in this layer."""
    for c in elem:
        if c.tag == "proto" and c.get("name") == "_ws.malformed":
            return True
        if c.tag == "proto" and not top:
            continue  # a sampled packet inside sFlow: its own problems are not the export's
        if c.get("name") == "_ws.expert":
            sev = group = 0
            for e in c:
                if e.get("name") == "_ws.expert.severity":
                    sev = int(e.get("show", "0"))
                elif e.get("name") == "_ws.expert.group":
                    group = int(e.get("show", "0"))
            if sev >= PI_SEVERITY_WARN and group != PI_SEQUENCE:
                return True
        if warned(c, top=False):
            return True
    return False


class TemplateKinds:
    """Which template ids are options templates, per (exporter, domain): from every frame (tshark -2)."""

    def __init__(self):
        self.kind = {}

    def learn(self, key, flowset):
        fm = fields(flowset)
        fsid = first_int(fm, ["cflow.flowset_id"])
        if fsid not in (0, 1, 2, 3):
            return
        options = fsid in (1, 3)
        for tmpl in flowset.iter("field"):
            for c in tmpl:
                if c.get("name") == "cflow.template_id":
                    self.kind[key + (int(c.get("show")),)] = options

    def is_options(self, key, tid):
        return self.kind.get(key + (tid,), False)


def frame_key(packet, cflow):
    src = ""
    for proto in packet.findall("proto"):
        if proto.get("name") in ("ip", "ipv6"):
            for c in proto:
                if c.get("name") in ("ip.src", "ipv6.src"):
                    src = c.get("show")
    fm = fields(cflow)
    domain = first_int(fm, ["cflow.source_id", "cflow.od_id"])
    return (src, domain)


def add_flow(rec, acc):
    rm = fields(rec)
    acc["records"] += 1
    acc["bytes"] += first_int(rm, ["cflow.octets", "cflow.permanent_octets", "cflow.post_octets"]) or 0
    acc["packets"] += first_int(rm, ["cflow.packets", "cflow.permanent_packets", "cflow.post_packets"]) or 0


def cflow_records(cflow, key, kinds, acc):
    if first_int(fields(cflow), ["cflow.version"]) == 5:
        # v5 has no flowsets: its records are "pdu i/n" directly under the header.
        for rec in cflow:
            if rec.tag == "field" and (rec.get("show") or "").startswith("pdu "):
                add_flow(rec, acc)
        return
    for fs in cflow:
        fm = fields(fs)
        fsid = first_int(fm, ["cflow.flowset_id"])
        if fsid is None or fsid < 256 or kinds.is_options(key, fsid):
            continue
        for rec in fs:
            if rec.tag == "field" and (rec.get("show") or "").startswith("Flow "):
                add_flow(rec, acc)


def sflow_records(sflow, acc):
    for sample in sflow:
        sm = fields(sample)
        stype = first_int(sm, ["sflow_245.sampletype"])
        if stype not in (1, 3):
            continue  # counter, expanded counter and discard samples carry no flows
        length = None
        for rec in sample:
            rm = fields(rec)
            fmt = first_int(rm, ["sflow_245.flow_record_format"])
            if fmt == 1 and length is None:
                length = first_int(rm, ["sflow_245.header.frame_length"])
            elif fmt in (3, 4) and length is None:
                length = first_int(rm, ["sflow_245.ip.length", "sflow_245.ipv6.length"])
        acc["records"] += 1
        acc["packets"] += 1
        acc["bytes"] += length or 0


def summarize_pdml(xml_bytes):
    root = ET.fromstring(xml_bytes)
    kinds = TemplateKinds()
    packets = root.findall("packet")
    for pkt in packets:
        for cflow in pkt.findall("proto[@name='cflow']"):
            key = frame_key(pkt, cflow)
            for fs in cflow:
                kinds.learn(key, fs)
    acc = {"records": 0, "bytes": 0, "packets": 0, "warned": False, "datagrams": 0}
    for pkt in packets:
        for proto in pkt.findall("proto"):
            name = proto.get("name")
            if name == "cflow":
                acc["datagrams"] += 1
                cflow_records(proto, frame_key(pkt, proto), kinds, acc)
            elif name == "sflow":
                acc["datagrams"] += 1
                sflow_records(proto, acc)
            if name in ("cflow", "sflow", "_ws.malformed") and (name == "_ws.malformed" or warned(proto)):
                acc["warned"] = True
    return acc


# ---------------------------------------------------------------- ffdecode


class UnsupportedLink(Exception):
    pass


def ffdecode(binary, files, port=None):
    cmd = [binary] + (["--port", str(port)] if port else []) + files
    res = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=FFDECODE_TIMEOUT)
    if res.returncode == 3:
        raise UnsupportedLink(res.stderr.decode(errors="replace").strip())
    # 4: the capture itself is corrupt part-way; the summary covers what came before.
    if res.returncode not in (0, 4) or not res.stdout.strip():
        raise RuntimeError("ffdecode exit %d: %s" % (res.returncode, res.stderr.decode(errors="replace")[-400:]))
    out = json.loads(res.stdout.decode().strip().splitlines()[-1])
    out["capture_corrupt"] = res.returncode == 4
    return out


# ---------------------------------------------------------------- comparison


def compare(ours, theirs, may_be_malformed):
    """(verdict, detail): PASS / FAIL. Counters match raw or rate-scaled (decoders scale by sampling)."""
    problems = []
    if ours["records"] != theirs["records"]:
        problems.append("records %d vs tshark %d" % (ours["records"], theirs["records"]))
    for k in ("bytes", "packets"):
        if theirs[k] not in (ours[k], ours[k + "_unscaled"]):
            problems.append("%s %d (unscaled %d) vs tshark %d" % (k, ours[k], ours[k + "_unscaled"], theirs[k]))
    mal = ours["malformed_total"]
    if mal and not may_be_malformed:
        problems.append("malformed %s on a clean file" % json.dumps(ours["malformed"], sort_keys=True))
    if problems and may_be_malformed and mal and ours["records"] <= theirs["records"]:
        # A corrupt export the agent refused (and counted) instead of guessing at:
        # acceptable as long as it did not invent records tshark does not see.
        return "PASS", "refused as malformed %s; tshark decoded %d records" % (
            json.dumps(ours["malformed"], sort_keys=True), theirs["records"])
    return ("FAIL" if problems else "PASS"), "; ".join(problems)


class Runner:
    def __init__(self, args):
        self.args = args
        self.corpus = args.corpus
        self.rows = []
        self.tmp = tempfile.mkdtemp(prefix="ffcorpus.")

    def result(self, family, path, verdict, detail, ours=None, theirs=None):
        if verdict == "FAIL" and family not in self.args.enabled:
            verdict = "XFAIL"
        self.rows.append((family, path, verdict, detail, ours, theirs))

    def run_export(self, row):
        fam, path = row["family"], row["path"]
        full = os.path.join(self.corpus, path)
        if path.endswith(RAW_SUFFIXES):
            with open(full, "rb") as f:
                msgs = raw_messages(f.read())
            port = RAW_PORT.get(fam, 2055)
            pcap = os.path.join(self.tmp, "raw-%d.pcap" % len(self.rows))
            write_udp_pcap(pcap, msgs, port)
            self.run_pair(fam, path, [full], pcap, [port], None, marked_malformed(row))
        else:
            port = int(row["ports"]) if row["ports"].isdigit() else None
            if port is None:
                return self.result(fam, path, "SKIP", "no export port in MANIFEST")
            self.run_pair(fam, path, [full], full, [port], port, marked_malformed(row))

    def run_derived(self, row, by_name):
        fam = derived_family(row, by_name)
        path = row["path"]
        full = os.path.join(self.corpus, path)
        srcs = [source_row(path, n, by_name) for n in row["built_from"]]
        malformed = any(s is None or marked_malformed(s) for s in srcs)
        self.run_pair(fam, path, [full], full, [int(row["port"])], int(row["port"]), malformed)

    def run_pair(self, fam, path, our_files, their_pcap, ports, port, may_be_malformed):
        dissector = "sflow" if fam == "sflow" else "cflow"
        # The one file mixing v5 into sFlow's port: tshark must try both on it.
        tports = [(p, dissector) for p in ports]
        try:
            ours = ffdecode(self.args.ffdecode, our_files, port)
        except (RuntimeError, subprocess.TimeoutExpired, ValueError) as e:
            # A crash or hang of the decoders fails whatever the family's state.
            self.rows.append((fam, path, "FAIL", "ffdecode: %s" % e, None, None))
            return
        try:
            theirs = tshark_decode(their_pcap, tports, self.args.cache_dir)
            if fam == "sflow" and ours.get("protocols", {}).get("netflow5"):
                v5 = tshark_decode(their_pcap, [(p, "cflow") for p in ports], self.args.cache_dir)
                for k in ("records", "bytes", "packets"):
                    theirs[k] += v5[k]
        except (RuntimeError, subprocess.TimeoutExpired, ET.ParseError) as e:
            return self.result(fam, path, "SKIP", "tshark: %s" % e, ours)
        known = KNOWN_DIFFERENCES.get(path)
        if known:
            ok = ours["records"] == known["records"]
            verdict = "KNOWN" if ok else "FAIL"
            detail = "%d records expected (%s)" % (known["records"], known["why"])
        else:
            verdict, detail = compare(ours, theirs, may_be_malformed or theirs["warned"])
        self.result(fam, path, verdict, detail, ours, theirs)

    def run_traffic(self, path):
        """Ordinary traffic: whatever look-alike payloads it holds, no flow may come out."""
        try:
            ours = ffdecode(self.args.ffdecode, [os.path.join(self.corpus, path)])
        except UnsupportedLink as e:
            return self.result("traffic", path, "SKIP", str(e).split(": ", 2)[-1])
        except (RuntimeError, subprocess.TimeoutExpired, ValueError) as e:
            return self.rows.append(("traffic", path, "FAIL", "ffdecode: %s" % e, None, None))
        verdict = "PASS" if ours["records"] == 0 else "FAIL"
        detail = "%d datagrams, %d malformed%s" % (ours["datagrams"], ours["malformed_total"],
                                                   ", capture corrupt part-way" if ours["capture_corrupt"] else "")
        if verdict == "FAIL":
            detail = "%d records from ordinary traffic" % ours["records"]
        self.result("traffic", path, verdict, detail, ours)


def traffic_files(manifest):
    out, section = [], None
    with open(manifest, encoding="utf-8") as f:
        for line in f:
            if line.startswith("## "):
                section = line[3:].strip()
            elif section and section.startswith("Ordinary traffic") and line.startswith("| `"):
                out.append(unquote(md_cells(line)[0]))
    return out


def print_table(rows, verbose):
    width = max([len(r[1]) for r in rows] + [10])
    for fam, path, verdict, detail, ours, theirs in rows:
        counts = ""
        if ours is not None and theirs is not None:
            counts = "ours %d/%d/%d tshark %d/%d/%d" % (
                ours["records"], ours["bytes"], ours["packets"],
                theirs["records"], theirs["bytes"], theirs["packets"])
        elif ours is not None:
            counts = "ours %d records" % ours["records"]
        line = "%-7s %-6s %-*s %s" % (verdict, fam, width, path, counts)
        if detail and (verdict != "PASS" or verbose):
            line += "  [" + detail + "]"
        print(line)
    tally = {}
    for r in rows:
        tally[r[2]] = tally.get(r[2], 0) + 1
    print("summary: " + ", ".join("%s %d" % kv for kv in sorted(tally.items())))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", required=True, help="the corpus directory (../shared/corpus)")
    ap.add_argument("--ffdecode", required=True, help="the ffdecode binary")
    ap.add_argument("--families", default=",".join(FAMILIES), help="families to run, comma-separated")
    ap.add_argument("--enabled", default=",".join(DEFAULT_ENABLED),
                    help="families whose decoder exists: mismatches FAIL (others XFAIL)")
    ap.add_argument("--cache-dir", help="where tshark's answers are cached")
    ap.add_argument("--only", help="a regular expression: only matching corpus paths")
    ap.add_argument("-v", "--verbose", action="store_true", help="details on PASS lines too")
    args = ap.parse_args()
    args.families = set(filter(None, args.families.split(",")))
    args.enabled = set(filter(None, args.enabled.split(",")))
    manifest = os.path.join(args.corpus, "MANIFEST.md")
    if not os.path.exists(manifest):
        print("SKIP: corpus not found at %s" % args.corpus)
        return SKIP
    exports, derived = parse_manifest(manifest)
    by_name = {}
    for row in exports:
        row["family"] = export_family(row)
        by_name.setdefault(os.path.basename(row["path"]), []).append(row)
    only = re.compile(args.only) if args.only else None
    r = Runner(args)
    try:
        for row in exports:
            if row["family"] in args.families and (not only or only.search(row["path"])):
                r.run_export(row)
        for row in derived:
            if derived_family(row, by_name) in args.families and (not only or only.search(row["path"])):
                r.run_derived(row, by_name)
        if "traffic" in args.families:
            for path in traffic_files(manifest):
                if not only or only.search(path):
                    r.run_traffic(path)
    finally:
        subprocess.run(["rm", "-rf", r.tmp])
    if not r.rows:
        print("SKIP: no corpus file in families %s" % ",".join(sorted(args.families)))
        return SKIP
    print_table(r.rows, args.verbose)
    return 1 if any(row[2] == "FAIL" for row in r.rows) else 0


if __name__ == "__main__":
    sys.exit(main())
