#!/usr/bin/python3
"""Sends the UDP payloads of a capture to one loopback address, in order.

    pcap_udp_replay.py --pcap in.pcap --dest 127.0.0.1:PORT [--port 6343] [--gap-ms 2]

Reads a classic pcap of Ethernet frames (VLAN tags skipped), IPv4 or IPv6,
and sends every UDP payload to destination port --port (any when not given)
to --dest, --gap-ms apart; the source addresses of the capture are not
kept (an sFlow datagram names its agent inside). Prints how many it sent.
"""

import argparse
import ipaddress
import socket
import struct
import sys
import time


def frames(path):
    with open(path, "rb") as f:
        head = f.read(24)
        magic = struct.unpack("<I", head[:4])[0]
        order = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
        if struct.unpack(order + "I", head[20:24])[0] != 1:
            raise SystemExit("%s: not an Ethernet capture" % path)
        while True:
            rec = f.read(16)
            if len(rec) < 16:
                return
            incl = struct.unpack(order + "IIII", rec)[2]
            yield f.read(incl)


def udp_payload(frame):
    """(dst port, payload) of an Ethernet/IP/UDP frame, or None."""
    off, etype = 14, struct.unpack(">H", frame[12:14])[0]
    while etype in (0x8100, 0x88A8) and len(frame) >= off + 4:
        etype = struct.unpack(">H", frame[off + 2:off + 4])[0]
        off += 4
    if etype == 0x0800 and len(frame) >= off + 20 and frame[off + 9] == 17:
        off += (frame[off] & 0x0F) * 4
    elif etype == 0x86DD and len(frame) >= off + 40 and frame[off + 6] == 17:
        off += 40
    else:
        return None
    if len(frame) < off + 8:
        return None
    dport, length = struct.unpack(">HH", frame[off + 2:off + 6])
    return dport, frame[off + 8:off + length]


def endpoint(text):
    host, _, port = text.rpartition(":")
    if not ipaddress.ip_address(host).is_loopback:
        raise argparse.ArgumentTypeError("%s: only loopback addresses are allowed" % text)
    return host, int(port)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pcap", required=True)
    ap.add_argument("--dest", type=endpoint, required=True)
    ap.add_argument("--port", type=int, help="only UDP to this destination port")
    ap.add_argument("--gap-ms", type=float, default=2.0)
    a = ap.parse_args()
    n = 0
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for fr in frames(a.pcap):
            u = udp_payload(fr)
            if u is None or (a.port is not None and u[0] != a.port):
                continue
            s.sendto(u[1], a.dest)
            n += 1
            time.sleep(a.gap_ms / 1000.0)
    print("sent %d datagrams" % n)
    return 0


if __name__ == "__main__":
    sys.exit(main())
