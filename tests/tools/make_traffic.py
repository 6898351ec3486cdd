#!/usr/bin/python3
"""Writes tests/data/traffic.pcap: a small, deterministic, realistic capture.

A handful of client hosts on 192.168.10.0/24 talk to a resolver (DNS, NTP),
web servers (HTTP, HTTPS) and an SSH bastion, and ping a gateway, over about
45 seconds; a few dual-stack clients (2001:db8:10::/64) also reach web servers
over IPv6, so IPv6-capable exporters (softflowd -6 with v9 or
IPFIX) have IPv6 flows to export. There is no ICMPv6: nfdump 1.7.1, the peer
the tests compare with, drops the ICMPv6 type and code that flowfleet shows
as the destination port (docs/fields.md), so the two would differ by design. TCP sessions have a handshake, requests, multi-segment responses
and a FIN exchange; sizes vary per session. Packets are stored with a 96-byte
snap length while the IP headers keep the true lengths, as `tcpdump -s 96`
would: flow exporters count the IP total length, so the flows are realistic
and the file stays far under 1 MB.

Only the standard library is used (pcap written by hand with struct), and the
output depends on nothing but --seed, so the committed file can be rebuilt
byte for byte:

    /usr/bin/python3 tests/tools/make_traffic.py -o tests/data/traffic.pcap
"""

import argparse
import random
import socket
import struct

SNAPLEN = 96
LINKTYPE_ETHERNET = 1
# 2024-01-01T00:00:00Z: a fixed epoch keeps the file reproducible;
BASE_TIME = 1704067200
MSS = 1448

CLIENTS = ["192.168.10.%d" % i for i in range(11, 19)]
RESOLVER = "192.168.10.1"
GATEWAY = "192.168.10.254"
WEB = ["203.0.113.10", "203.0.113.20", "203.0.113.30"]
TLS = ["198.51.100.40", "198.51.100.41", "203.0.113.20"]
BASTION = "198.51.100.5"
CLIENTS6 = ["2001:db8:10::%x" % i for i in range(0x11, 0x15)]
WEB6 = ["2001:db8:113::10", "2001:db8:113::20"]
NAMES = ["www.example.com", "api.example.net", "cdn.example.org", "mail.example.com",
         "git.example.net", "updates.example.org"]


def ip_bytes(text):
    if ":" in text:
        return socket.inet_pton(socket.AF_INET6, text)
    return bytes(int(x) for x in text.split("."))


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def mac_of(ip):
    return b"\x02\x00" + ip_bytes(ip)[-4:]


class Capture:
    """Collects packets with their times; written sorted by time."""

    def __init__(self, rng):
        self.rng = rng
        self.packets = []
        self.ident = 1

    def ip(self, t, src, dst, proto, l4, tos=0):
        """An IPv4 or IPv6 packet in an Ethernet frame, by the addresses' family."""
        if ":" in src:
            self.ipv6(t, src, dst, proto, l4, tos)
        else:
            self.ipv4(t, src, dst, proto, l4, tos)

    def ipv6(self, t, src, dst, proto, l4, tclass=0):
        hdr = struct.pack("!IHBB16s16s", 6 << 28 | tclass << 20, len(l4), proto, 64,
                          ip_bytes(src), ip_bytes(dst))
        frame = mac_of(dst) + mac_of(src) + b"\x86\xdd" + hdr + l4
        self.packets.append((t, len(self.packets), frame))

    def ipv4(self, t, src, dst, proto, l4, tos=0):
        total = 20 + len(l4)
        hdr = struct.pack("!BBHHHBBH4s4s", 0x45, tos, total, self.ident & 0xFFFF, 0x4000, 64,
                          proto, 0, ip_bytes(src), ip_bytes(dst))
        self.ident += 1
        hdr = hdr[:10] + struct.pack("!H", checksum(hdr)) + hdr[12:]
        frame = mac_of(dst) + mac_of(src) + b"\x08\x00" + hdr + l4
        self.packets.append((t, len(self.packets), frame))

    def l4_checksum(self, src, dst, proto, l4):
        if ":" in src:
            pseudo = ip_bytes(src) + ip_bytes(dst) + struct.pack("!IxxxB", len(l4), proto)
        else:
            pseudo = ip_bytes(src) + ip_bytes(dst) + struct.pack("!BBH", 0, proto, len(l4))
        return checksum(pseudo + l4)

    def udp(self, t, src, sport, dst, dport, size, payload=None):
        if payload is None:
            payload = bytes((i * 7) & 0xFF for i in range(size))
        size = len(payload)
        l4 = struct.pack("!HHHH", sport, dport, 8 + size, 0) + payload
        csum = self.l4_checksum(src, dst, 17, l4) or 0xFFFF
        self.ip(t, src, dst, 17, l4[:6] + struct.pack("!H", csum) + l4[8:])

    def tcp(self, t, src, sport, dst, dport, seq, ack, flags, size, tos=0):
        payload = bytes((i * 13) & 0xFF for i in range(size))
        l4 = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF,
                         5 << 4, flags, 64240, 0, 0) + payload
        csum = self.l4_checksum(src, dst, 6, l4)
        self.ip(t, src, dst, 6, l4[:16] + struct.pack("!H", csum) + l4[18:], tos)

    def icmp_echo(self, t, src, dst, ident, seq, reply):
        payload = bytes(range(56))
        body = struct.pack("!BBHHH", 0 if reply else 8, 0, 0, ident, seq) + payload
        body = body[:2] + struct.pack("!H", checksum(body)) + body[4:]
        self.ipv4(t, src, dst, 1, body)

    def write(self, path):
        with open(path, "wb") as f:
            f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, SNAPLEN, LINKTYPE_ETHERNET))
            for t, _, frame in sorted(self.packets, key=lambda p: (p[0], p[1])):
                sec = int(t)
                usec = int(round((t - sec) * 1e6))
                if usec == 1000000:
                    sec, usec = sec + 1, 0
                data = frame[:SNAPLEN]
                f.write(struct.pack("<IIII", sec, usec, len(data), len(frame)))
                f.write(data)


def uniform_int(rng, lo, hi):
    """An integer in [lo, hi]; random() alone is stable across Python versions."""
    return lo + int(rng.random() * (hi - lo + 1))


def pick(rng, seq):
    return seq[uniform_int(rng, 0, len(seq) - 1)]


def tcp_session(cap, t, client, server, dport, requests, tos=0):
    """A whole TCP connection: handshake, request/response rounds, FIN exchange."""
    rng = cap.rng
    sport = uniform_int(rng, 32768, 60999)
    rtt = 0.002 + rng.random() * 0.05
    cseq, sseq = uniform_int(rng, 0, 2 ** 31), uniform_int(rng, 0, 2 ** 31)
    cap.tcp(t, client, sport, server, dport, cseq, 0, 0x02, 0, tos)
    cap.tcp(t + rtt / 2, server, dport, client, sport, sseq, cseq + 1, 0x12, 0, tos)
    t += rtt
    cseq, sseq = cseq + 1, sseq + 1
    cap.tcp(t, client, sport, server, dport, cseq, sseq, 0x10, 0, tos)
    for req_size, resp_size in requests:
        cap.tcp(t, client, sport, server, dport, cseq, sseq, 0x18, req_size, tos)
        cseq += req_size
        t += rtt / 2
        while resp_size > 0:
            seg = min(MSS, resp_size)
            cap.tcp(t, server, dport, client, sport, sseq, cseq, 0x18 if seg == resp_size else 0x10,
                    seg, tos)
            sseq += seg
            resp_size -= seg
            t += 0.0002
        t += rtt / 2
        cap.tcp(t, client, sport, server, dport, cseq, sseq, 0x10, 0, tos)
        t += rng.random() * 0.5
    cap.tcp(t, client, sport, server, dport, cseq, sseq, 0x11, 0, tos)
    cap.tcp(t + rtt / 2, server, dport, client, sport, sseq, cseq + 1, 0x11, 0, tos)
    cap.tcp(t + rtt, client, sport, server, dport, cseq + 1, sseq + 1, 0x10, 0, tos)


def web_session(cap, t, client):
    rng = cap.rng
    https = rng.random() < 0.7
    server = pick(rng, TLS if https else WEB)
    rounds = [(uniform_int(rng, 200, 900), uniform_int(rng, 300, 24000))
              for _ in range(uniform_int(rng, 1, 4))]
    if https:
        rounds.insert(0, (517, uniform_int(rng, 2800, 5200)))  # TLS hellos and certificates
    tcp_session(cap, t, client, server, 443 if https else 80, rounds)


def web6_session(cap, t, client):
    """HTTPS over IPv6 from one of the dual-stack clients."""
    rng = cap.rng
    client6 = CLIENTS6[CLIENTS.index(client) % len(CLIENTS6)]
    rounds = [(517, uniform_int(rng, 2800, 5200))]
    rounds += [(uniform_int(rng, 200, 900), uniform_int(rng, 300, 24000))
               for _ in range(uniform_int(rng, 1, 3))]
    tcp_session(cap, t, client6, pick(rng, WEB6), 443, rounds)


def ssh_session(cap, t, client):
    rng = cap.rng
    rounds = [(uniform_int(rng, 36, 120), uniform_int(rng, 36, 400))
              for _ in range(uniform_int(rng, 10, 30))]
    # Interactive SSH is marked low-delay (DSCP CS4-ish ToS 0x10), as OpenSSH does.
    tcp_session(cap, t, client, BASTION, 22, rounds, tos=0x10)


def dns_messages(rng):
    """A query for an A record and its answer, as real DNS messages."""
    name = pick(rng, NAMES)
    qid = uniform_int(rng, 0, 65535)
    qname = b"".join(bytes([len(label)]) + label.encode() for label in name.split(".")) + b"\0"
    question = qname + struct.pack("!HH", 1, 1)
    query = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + question
    answers = uniform_int(rng, 1, 4)
    answer = b"".join(struct.pack("!HHHIH4s", 0xC00C, 1, 1, 300, 4,
                                  ip_bytes(pick(rng, WEB + TLS))) for _ in range(answers))
    reply = struct.pack("!HHHHHH", qid, 0x8180, 1, answers, 0, 0) + question + answer
    return query, reply


def dns_query(cap, t, client):
    rng = cap.rng
    sport = uniform_int(rng, 32768, 60999)
    query, reply = dns_messages(rng)
    cap.udp(t, client, sport, RESOLVER, 53, 0, query)
    cap.udp(t + 0.001 + rng.random() * 0.03, RESOLVER, 53, client, sport, 0, reply)


def ntp_poll(cap, t, client):
    cap.udp(t, client, 123, RESOLVER, 123, 48)
    cap.udp(t + 0.002, RESOLVER, 123, client, 123, 48)


def pings(cap, t, client):
    ident = uniform_int(cap.rng, 1, 65535)
    for seq in range(1, uniform_int(cap.rng, 3, 10)):
        cap.icmp_echo(t + seq, client, GATEWAY, ident, seq, False)
        cap.icmp_echo(t + seq + 0.0008, GATEWAY, client, ident, seq, True)



def build(seed, duration):
    rng = random.Random(seed)
    cap = Capture(rng)
    kinds = [(web_session, 0.46), (dns_query, 0.28), (ssh_session, 0.03), (ntp_poll, 0.06),
             (pings, 0.05), (web6_session, 0.12)]
    t = float(BASE_TIME)
    while t < BASE_TIME + duration:
        client = pick(rng, CLIENTS)
        u, acc = rng.random(), 0.0
        for kind, weight in kinds:
            acc += weight
            if u < acc:
                break
        if kind is web_session:
            dns_query(cap, t, client)  # a name lookup first, as a browser does
        kind(cap, t + 0.05, client)
        t += rng.random() * 0.6
    return cap


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("-o", "--output", default="tests/data/traffic.pcap")
    p.add_argument("--seed", type=int, default=2055)
    p.add_argument("--duration", type=float, default=45.0, help="seconds of sessions")
    args = p.parse_args()
    cap = build(args.seed, args.duration)
    cap.write(args.output)
    print("%s: %d packets" % (args.output, len(cap.packets)))


if __name__ == "__main__":
    main()
