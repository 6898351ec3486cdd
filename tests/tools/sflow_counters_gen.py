#!/usr/bin/python3
"""A test exporter of sFlow v5 interface counters, sent and captured alike.

Each run sends one round: a datagram holding one counter sample per
interface (a generic interface counters record, sflow_version_5.txt format
0:1, plus an Ethernet counters record, 0:2, that a collector skips) and a
flow sample (a raw Ethernet/IPv4/UDP header), from sFlow agent --agent-addr.
The same datagram goes to --dest over UDP and, framed as Ethernet/IPv4/UDP to
port 6343, is appended to --pcap (created with its header when absent), so
tshark can decode exactly what the collector received:

    sflow_counters_gen.py --round 1 --dest 127.0.0.1:PORT --pcap out.pcap

The counters of round N are fixed functions of N (`counters()`), two
interfaces, with 64-bit octet counts past 2^32 and, from round 1 to 2, an
inbound unicast counter wrapping past 2^32 on ifIndex 7. Loopback only.
"""

import argparse
import ipaddress
import os
import socket
import struct
import sys
import time

IF_INDEXES = (3, 7)


def counters(round_no, if_index):
    """The generic interface counters of `if_index` in round `round_no` (a dict)."""
    k = if_index
    r = round_no
    return {
        "if_index": k,
        "if_type": 6,
        "if_speed": 1000000000 if k == 3 else 10000000000,
        "if_direction": 1,
        "if_status": 3 if k == 3 else 1,  # ifIndex 7: admin up, oper down
        "in_octets": (5 << 32) + k * 1000003 + r * 250000 * k,
        "in_ucast": (0xFFFFFF00 + 0x180 * (r - 1)) % (1 << 32) if k == 7 else 1000 + r * 500,
        "in_mcast": 10 * k + r,
        "in_bcast": 3 * r,
        "in_discards": k + 2 * r,
        "in_errors": 11 * r,
        "in_unknown": r,
        "out_octets": 123456789 * k + r * 99999,
        "out_ucast": 2000 * k + 40 * r,
        "out_mcast": 5 * r,
        "out_bcast": r,
        "out_discards": 6 * r + k,
        "out_errors": 13 * r,
        "promisc": 0,
    }


def tlv(fmt, body):
    return struct.pack(">II", fmt, len(body)) + body


def if_counters_record(c):
    body = struct.pack(
        ">IIQIIQIIIIIIQIIIIII",
        c["if_index"], c["if_type"], c["if_speed"], c["if_direction"], c["if_status"],
        c["in_octets"], c["in_ucast"], c["in_mcast"], c["in_bcast"], c["in_discards"],
        c["in_errors"], c["in_unknown"], c["out_octets"], c["out_ucast"], c["out_mcast"],
        c["out_bcast"], c["out_discards"], c["out_errors"], c["promisc"])
    assert len(body) == 88
    return tlv(1, body)


def ethernet_counters_record(round_no):
    return tlv(2, struct.pack(">13I", *[round_no] * 13))


def counter_sample(seq, c, round_no):
    records = if_counters_record(c) + ethernet_counters_record(round_no)
    return tlv(2, struct.pack(">III", seq, c["if_index"], 2) + records)


def sampled_frame():
    """An Ethernet/IPv4/UDP frame header, as a switch samples it."""
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 28 + 64, 1, 0, 64, 17, 0,
                     bytes([10, 1, 0, 1]), bytes([10, 1, 0, 2]))
    udp = struct.pack(">HHHH", 40000, 53, 8 + 64, 0)
    return b"\x02" * 6 + b"\x04" * 6 + b"\x08\x00" + ip + udp


def flow_sample(seq):
    hdr = sampled_frame()
    pad = b"\0" * (-len(hdr) % 4)
    raw = tlv(1, struct.pack(">IIII", 1, len(hdr) + 64, 0, len(hdr)) + hdr + pad)
    return tlv(1, struct.pack(">IIIIIIII", seq, 3, 512, 512 * seq, 0, 3, 7, 1) + raw)


def datagram(agent, round_no):
    samples = [counter_sample(round_no * 10 + i, counters(round_no, k), round_no)
               for i, k in enumerate(IF_INDEXES)]
    samples.append(flow_sample(round_no))
    head = struct.pack(">II4sIII", 5, 1, agent.packed, 0, round_no, 60000 + round_no * 1000)
    return head + struct.pack(">I", len(samples)) + b"".join(samples)


def ip_checksum(h):
    s = sum(struct.unpack(">10H", h))
    s = (s & 0xFFFF) + (s >> 16)
    s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def frame(src, payload):
    """Ethernet/IPv4/UDP around `payload`, from `src` to 127.0.0.1:6343."""
    udp = struct.pack(">HHHH", 50000, 6343, 8 + len(payload), 0) + payload
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0x4000, 64, 17, 0,
                     src.packed, bytes([127, 0, 0, 1]))
    ip = ip[:10] + struct.pack(">H", ip_checksum(ip)) + ip[12:]
    return b"\x00" * 6 + b"\x02\x00\x00\x00\x00\x01" + b"\x08\x00" + ip + udp


def append_pcap(path, data, now):
    new = not os.path.exists(path)
    with open(path, "ab") as f:
        if new:
            f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        sec = int(now)
        f.write(struct.pack("<IIII", sec, int((now - sec) * 1e6), len(data), len(data)))
        f.write(data)


def endpoint(text):
    host, _, port = text.rpartition(":")
    if not ipaddress.ip_address(host).is_loopback:
        raise argparse.ArgumentTypeError("%s: only loopback addresses are allowed" % text)
    return host, int(port)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--round", type=int, required=True, help="1, 2, ...: which counters")
    ap.add_argument("--dest", type=endpoint, required=True, help="127.0.0.1:PORT")
    ap.add_argument("--pcap", required=True, help="capture appended to")
    ap.add_argument("--agent-addr", type=ipaddress.IPv4Address, default="192.0.2.10",
                    help="the sFlow agent address inside the datagram")
    a = ap.parse_args()
    if a.round < 1:
        ap.error("--round starts at 1")
    payload = datagram(a.agent_addr, a.round)
    append_pcap(a.pcap, frame(ipaddress.IPv4Address("127.0.0.1"), payload), time.time())
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.sendto(payload, a.dest)
    print("round %d: %d bytes, interfaces %s" % (a.round, len(payload), IF_INDEXES))
    return 0


if __name__ == "__main__":
    sys.exit(main())
