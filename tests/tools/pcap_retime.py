#!/usr/bin/python3
"""Shifts every packet time of a classic pcap so that its last packet is "now".

softflowd -r stamps flows with the capture's packet times, so a capture
recorded long ago yields flows from long ago. Tests and the demo replay
tests/data/traffic.pcap through a copy retimed with this tool, so the flows
land in the present like live traffic:

    pcap_retime.py IN.pcap OUT.pcap [--end UNIX_SECONDS]

Standard library only; microsecond and nanosecond pcaps of either byte
order are handled; pcapng is not.
"""

import argparse
import struct
import sys
import time

MAGICS = {0xA1B2C3D4: 1_000_000, 0xA1B23C4D: 1_000_000_000}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("input")
    p.add_argument("output")
    p.add_argument("--end", type=float, default=None, help="time of the last packet (default now)")
    args = p.parse_args()
    with open(args.input, "rb") as f:
        data = f.read()
    for endian in ("<", ">"):
        magic, = struct.unpack(endian + "I", data[:4])
        if magic in MAGICS:
            break
    else:
        print("pcap_retime: %s: not a classic pcap file" % args.input, file=sys.stderr)
        return 2
    unit = MAGICS[magic]
    rec = struct.Struct(endian + "IIII")
    packets, off = [], 24
    while off + rec.size <= len(data):
        sec, frac, incl, orig = rec.unpack_from(data, off)
        packets.append((sec * unit + frac, incl, orig, data[off + rec.size:off + rec.size + incl]))
        off += rec.size + incl
    if not packets:
        print("pcap_retime: %s: no packets" % args.input, file=sys.stderr)
        return 2
    end = int((args.end if args.end is not None else time.time()) * unit)
    shift = end - max(t for t, _, _, _ in packets)
    with open(args.output, "wb") as f:
        f.write(data[:24])
        for t, incl, orig, body in packets:
            sec, frac = divmod(t + shift, unit)
            f.write(rec.pack(sec, frac, incl, orig))
            f.write(body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
