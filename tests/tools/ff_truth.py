#!/usr/bin/python3
"""Ground-truth top-N for flowfleet's tests, and comparisons against it.

ffgen writes what it sent as CSV (src,dst,sport,dport,proto,tos,flows,packets,
bytes), one line per distinct key. This tool turns one or several of those
files into nfdump-style statistics and compares them with what flowfleet (or
nfdump) answers:

  ff_truth.py top     --truth A.csv [--truth B.csv] -s srcip/bytes [-n 10] [-o table|json]
  ff_truth.py compare --truth A.csv [--truth B.csv] -s srcip/bytes --json top.json [--allow-empty]
  ff_truth.py nfdump  --csv nfdump.csv --json top.json -s srcip/bytes [-n 10] [--allow-empty]
  ff_truth.py totals  --truth A.csv [--truth B.csv]

`compare` takes `flowfleet top -o json -n 0` and requires every key with
exactly the truth's flows, packets and bytes. `nfdump` takes `nfdump -o csv -s
X -n N` and requires the same rows, record for record; keys tied on the order
counter may appear in any order, and at the cut-off of -n either of the tied
keys may be the one shown. Both refuse an empty reference (the truth, or
nfdump's table): against an empty answer it would agree without comparing
anything, which is how a test that sent nothing, or filtered everything out,
would pass; --allow-empty accepts it where an empty answer is the point. Exit
status: 0 equal, 1 different or empty, 2 bad usage or input. Standard library only, so it runs with /usr/bin/python3 anywhere.
"""

import argparse
import csv
import ipaddress
import json
import sys

ELEMENTS = {
    "srcip": ("src",),
    "dstip": ("dst",),
    "ip": ("src", "dst"),
    "srcport": ("sport",),
    "dstport": ("dport",),
    "port": ("sport", "dport"),
    "proto": ("proto",),
}
ORDERS = ("flows", "packets", "bytes")
COUNTERS = ("flows", "packets", "bytes")
# The nfdump comparison needs no truth file, so it covers every element and
# order nfdump and flowfleet share, rates included.
NFDUMP_ELEMENTS = tuple(ELEMENTS) + ("srcas", "dstas", "inif", "outif")
NFDUMP_ORDERS = ORDERS + ("pps", "bps", "bpp")
RATES = ("pps", "bps", "bpp")
ADDRESS_ELEMENTS = ("srcip", "dstip", "ip")
PROTO_NAMES = {"ICMP": "1", "TCP": "6", "UDP": "17", "ICMP6": "58", "GRE": "47",
               "ESP": "50", "SCTP": "132"}
MAX_SHOWN = 10


class InputError(Exception):
    """Unusable input: a bad file, a bad statistic, a document of the wrong shape."""


def parse_stat(stat, elements=tuple(ELEMENTS), orders=ORDERS):
    element, _, order = stat.partition("/")
    order = order or "flows"
    if element not in elements:
        raise InputError("unknown element %r; valid: %s" % (element, " ".join(elements)))
    if order not in orders:
        raise InputError("unknown order %r; valid: %s" % (order, " ".join(orders)))
    return element, order


def norm_key(element, value):
    """The canonical text of a key, so that 10.0.0.1, 6 and TCP compare as flowfleet shows them."""
    value = str(value).strip()
    if element in ADDRESS_ELEMENTS:
        try:
            addr = ipaddress.ip_address(value)
        except ValueError as exc:
            raise InputError("bad address %r" % value) from exc
        if addr.version == 6 and addr.ipv4_mapped:
            addr = addr.ipv4_mapped
        return str(addr)
    if element == "proto" and value.upper() in PROTO_NAMES:
        return PROTO_NAMES[value.upper()]
    try:
        return str(int(value))
    except ValueError as exc:
        raise InputError("bad %s value %r" % (element, value)) from exc


def read_truth(paths):
    """Returns the truth records: dicts with the key fields and int counters."""
    records = []
    for path in paths:
        try:
            with open(path, newline="") as f:
                reader = csv.DictReader(f)
                missing = set(ELEMENTS["ip"] + ELEMENTS["port"] + ("proto",) + COUNTERS) - set(
                    reader.fieldnames or ())
                if missing:
                    raise InputError("%s: missing columns %s" % (path, ", ".join(sorted(missing))))
                for row in reader:
                    for c in COUNTERS:
                        row[c] = int(row[c])
                    records.append(row)
        except OSError as exc:
            raise InputError("%s: %s" % (path, exc.strerror)) from exc
    return records


def truth_stat(records, element):
    """Per key of the element: [flows, packets, bytes]. ip and port count both sides, as nfdump."""
    stat = {}
    for rec in records:
        for field in ELEMENTS[element]:
            key = norm_key(element, rec[field])
            acc = stat.setdefault(key, [0, 0, 0])
            for i, c in enumerate(COUNTERS):
                acc[i] += rec[c]
    return stat


def sort_key_of(element, key):
    """Ties are broken by the key ascending: addresses numerically, numbers numerically."""
    if element in ADDRESS_ELEMENTS:
        addr = ipaddress.ip_address(key)
        return (addr.version, int(addr))
    return (0, int(key))


def ranked(stat, element, order):
    oi = COUNTERS.index(order)
    return sorted(stat.items(), key=lambda kv: (-kv[1][oi], sort_key_of(element, kv[0])))


def rows_of_json(path, element, counters=COUNTERS):
    """Reads a `flowfleet top -o json` document: its rows as [(key, [flows, packets, bytes])]."""
    try:
        with (sys.stdin if path == "-" else open(path)) as f:
            doc = json.load(f)
    except OSError as exc:
        raise InputError("%s: %s" % (path, exc.strerror)) from exc
    except json.JSONDecodeError as exc:
        raise InputError("%s: not JSON: %s" % (path, exc)) from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("rows"), list):
        raise InputError("%s: no \"rows\" array" % path)
    rows = []
    for r in doc["rows"]:
        try:
            rows.append((norm_key(element, r["key"]), [int(r[c]) for c in counters]))
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError("%s: bad row %r" % (path, r)) from exc
    return doc, rows


def rows_of_nfdump(path, element):
    """Reads `nfdump -o csv -s X`: the rows before the Summary block."""
    try:
        with open(path, newline="") as f:
            lines = f.read().splitlines()
    except OSError as exc:
        raise InputError("%s: %s" % (path, exc.strerror)) from exc
    start = next((i for i, l in enumerate(lines) if l.startswith("ts,")), None)
    if start is None:
        raise InputError("%s: no nfdump csv header (ts,te,...)" % path)
    header = lines[start].split(",")

    def col(*names):
        for n in names:
            if n in header:
                return header.index(n)
        raise InputError("%s: no column %s in %s" % (path, "/".join(names), lines[start]))

    # Some statistics name their counters ipkt/ibyt/ipps..., the others pkt/byt/pps...
    cols = (col("fl"), col("pkt", "ipkt"), col("byt", "ibyt"), col("pps", "ipps"),
            col("bps", "ibps"), col("bpp", "ibpp"))
    vcol = col("val")
    rows = []
    for line in lines[start + 1:]:
        if not line.strip() or line.startswith("Summary"):
            break
        f = line.split(",")
        rows.append((norm_key(element, f[vcol]), [int(f[c]) for c in cols]))
    return rows


def fmt_row(key, c):
    text = "%s flows=%d packets=%d bytes=%d" % (key, c[0], c[1], c[2])
    if len(c) > 3:
        text += " pps=%d bps=%d bpp=%d" % (c[3], c[4], c[5])
    return text


def same_value(i, a, b):
    """Counters must be equal; a rate may differ by one, nfdump computes it in floating point."""
    return a == b or (i >= 3 and abs(a - b) <= 1)


def same_row(a, b, rates=True):
    n = len(a) if rates else len(COUNTERS)
    return all(same_value(i, x, y) for i, (x, y) in enumerate(zip(a[:n], b[:n])))


def cmd_top(args):
    element, order = parse_stat(args.stat)
    rows = ranked(truth_stat(read_truth(args.truth), element), element, order)
    if args.n > 0:
        rows = rows[:args.n]
    if args.output == "json":
        print(json.dumps({"stat": "%s/%s" % (element, order),
                          "rows": [dict(key=k, flows=c[0], packets=c[1], bytes=c[2])
                                   for k, c in rows]}, indent=1))
    else:
        print("%-40s %12s %14s %18s" % (element, "flows", "packets", "bytes"))
        for k, c in rows:
            print("%-40s %12d %14d %18d" % (k, c[0], c[1], c[2]))
    return 0


def check_order(rows, order, label):
    """Rows must come by the order counter, descending."""
    oi = COUNTERS.index(order)
    for i in range(1, len(rows)):
        if rows[i][1][oi] > rows[i - 1][1][oi]:
            return ["%s: row %d (%s) has more %s than row %d (%s)" %
                    (label, i, rows[i][0], order, i - 1, rows[i - 1][0])]
    return []


def refuse_empty(args, reference, n_reference, answer, n_answer):
    """1 when the reference has no rows (unless --allow-empty), else None."""
    if n_reference > 0 or args.allow_empty:
        return None
    if not args.quiet:
        if n_answer == 0:
            what = "%s and %s both have no rows" % (reference, answer)
        else:
            what = "%s has no rows (%s has %d)" % (reference, answer, n_answer)
        print("ff_truth: %s: nothing to compare (--allow-empty if an empty answer is "
              "expected)" % what, file=sys.stderr)
    return 1


def cmd_compare(args):
    element, order = parse_stat(args.stat)
    records = read_truth(args.truth)
    want = truth_stat(records, element)
    doc, rows = rows_of_json(args.json, element)
    refused = refuse_empty(args, "truth", len(want), "flowfleet", len(rows))
    if refused is not None:
        return refused
    diffs = check_order(rows, order, "flowfleet")
    got = {}
    for k, c in rows:
        if k in got:
            diffs.append("flowfleet: key %s appears twice" % k)
        got[k] = c
    for k, c in ranked(want, element, order):
        if k not in got:
            diffs.append("missing   %s" % fmt_row(k, c))
        elif got[k] != c:
            diffs.append("different %s\n      got %s" % (fmt_row(k, c), fmt_row(k, got[k])))
    for k, c in rows:
        if k not in want:
            diffs.append("extra     %s" % fmt_row(k, c))
    total = doc.get("total")
    if isinstance(total, dict):
        sums = [sum(r[c] for r in records) for c in COUNTERS]
        shown = [total.get(c) for c in COUNTERS]
        if shown != sums:
            diffs.append("total: truth flows=%d packets=%d bytes=%d, flowfleet %s" %
                         (sums[0], sums[1], sums[2], shown))
    return report(diffs, args, "%s: %d keys equal the truth" % (args.stat, len(want)))


def tie_groups(rows, oi):
    """Maps each order value to the set of keys carrying it."""
    groups = {}
    for k, c in rows:
        groups.setdefault(c[oi], set()).add(k)
    return groups


def cmd_nfdump(args):
    element, order = parse_stat(args.stat, NFDUMP_ELEMENTS, NFDUMP_ORDERS)
    counters = COUNTERS + RATES
    oi = counters.index(order)
    theirs = rows_of_nfdump(args.csv, element)
    _, ours = rows_of_json(args.json, element, counters)
    if args.n > 0:
        theirs, ours = theirs[:args.n], ours[:args.n]
    refused = refuse_empty(args, "nfdump", len(theirs), "flowfleet", len(ours))
    if refused is not None:
        return refused
    diffs = []
    if len(theirs) != len(ours):
        diffs.append("nfdump has %d rows, flowfleet %d" % (len(theirs), len(ours)))
    for i, (t, o) in enumerate(zip(theirs, ours)):
        if not same_value(oi, t[1][oi], o[1][oi]):
            diffs.append("row %d: nfdump %s\n       flowfleet %s" % (i, fmt_row(*t), fmt_row(*o)))
    mine = dict(ours)
    last = theirs[-1][1][oi] if theirs else None
    groups = tie_groups(ours, oi)
    for k, c in theirs:
        if k in mine:
            if not same_row(mine[k], c, not args.no_rates):
                diffs.append("key %s: nfdump %s\n       flowfleet %s" % (k, fmt_row(k, c),
                                                                         fmt_row(k, mine[k])))
        elif not any(same_value(oi, c[oi], v) for v in groups) or \
                not same_value(oi, c[oi], last):
            diffs.append("only nfdump has %s" % fmt_row(k, c))
    return report(diffs, args, "%s: %d rows agree with nfdump" % (args.stat, len(theirs)))


def cmd_totals(args):
    records = read_truth(args.truth)
    print(" ".join(str(sum(r[c] for r in records)) for c in COUNTERS))
    return 0


def report(diffs, args, ok_text):
    if diffs:
        if not args.quiet:
            print("DIFFERENT (%d differences, first %d shown):" % (len(diffs), MAX_SHOWN))
            for d in diffs[:MAX_SHOWN]:
                print("  " + d)
        return 1
    if not args.quiet:
        print("ok: " + ok_text)
    return 0


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ("top", "compare", "nfdump", "totals"):
        s = sub.add_parser(name)
        s.add_argument("-q", "--quiet", action="store_true", help="only the exit status")
        if name != "nfdump":
            s.add_argument("--truth", action="append", required=True, help="ffgen truth CSV")
        if name == "totals":
            continue
        s.add_argument("-s", "--stat", default="srcip/flows", help="ELEMENT[/ORDER]")
        if name in ("top", "nfdump"):
            s.add_argument("-n", type=int, default=10, help="rows, 0 for all")
        if name == "top":
            s.add_argument("-o", "--output", choices=("table", "json"), default="table")
        if name in ("compare", "nfdump"):
            s.add_argument("--json", required=True, help="flowfleet top -o json output, - for stdin")
            s.add_argument("--allow-empty", action="store_true",
                           help="accept an empty reference (for an answer meant to be empty)")
        if name == "nfdump":
            s.add_argument("--csv", required=True, help="nfdump -o csv -s ... output")
            s.add_argument("--no-rates", action="store_true",
                           help="compare flows/packets/bytes only, not pps/bps/bpp (for "
                           "exports whose durations nfdump misreads)")
    args = p.parse_args(argv)
    handler = {"top": cmd_top, "compare": cmd_compare, "nfdump": cmd_nfdump,
               "totals": cmd_totals}[args.cmd]
    try:
        return handler(args)
    except InputError as exc:
        print("ff_truth: %s" % exc, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
