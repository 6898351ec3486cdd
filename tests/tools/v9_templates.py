#!/usr/bin/env python3
"""NetFlow v9 templates and data from many loopback source addresses.

  v9_templates.py flood PORT N K      N spoofed exporters (127.1.x.y), each K
                                      templates of 512 fields
  v9_templates.py real PORT SRC ID    from SRC: template ID (9 fields) and 10
                                      data records
  v9_templates.py data PORT SRC ID    from SRC: 10 data records of template ID
                                      only (decodable only if it is known)

Every datagram goes to 127.0.0.1:PORT; the sources are other loopback
addresses (all of 127/8 is loopback on Linux). SRC may be ADDR:SPORT to send
from a fixed source port, as a real exporter does (the agent's receive
threads share a port by source address and port)."""
import socket
import struct
import sys
import time

FIELDS = [(8, 4), (12, 4), (7, 2), (11, 2), (4, 1), (2, 4), (1, 4), (22, 4), (21, 4)]
RECORD_LEN = sum(length for _, length in FIELDS)
seq = 0


def header(count):
    global seq
    seq += 1
    return struct.pack('>HHIIII', 9, count, 100000, int(time.time()), seq, 1)


def flowset(set_id, body):
    pad = (-len(body)) % 4
    return struct.pack('>HH', set_id, 4 + len(body) + pad) + body + b'\0' * pad


def template(tid, fields):
    return struct.pack('>HH', tid, len(fields)) + b''.join(struct.pack('>HH', t, l) for t, l in fields)


def records(n):
    out = b''
    for i in range(n):
        out += struct.pack('>4s4sHHBIIII', socket.inet_aton('10.9.0.%d' % (i + 1)),
                           socket.inet_aton('10.9.1.1'), 1000 + i, 80, 6, 2, 1000, 99000, 99500)
    assert len(out) == n * RECORD_LEN
    return out


def send_from(src, port, pkt):
    addr, _, sport = src.partition(':')
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, int(sport or 0)))
    s.sendto(pkt, ('127.0.0.1', port))
    s.close()


def main():
    mode, port = sys.argv[1], int(sys.argv[2])
    if mode == 'flood':
        n, k = int(sys.argv[3]), int(sys.argv[4])
        big = [(1 + i % 100, 4) for i in range(512)]
        for r in range(k):
            for i in range(n):
                src = '127.1.%d.%d' % (i // 250, i % 250 + 1)
                send_from(src, port, header(1) + flowset(0, template(256 + r, big)))
                if i % 50 == 49:
                    time.sleep(0.005)  # a loopback socket buffer, not a network, drops
    else:
        src, tid = sys.argv[3], int(sys.argv[4])
        sets = flowset(tid, records(10))
        if mode == 'real':
            sets = flowset(0, template(tid, FIELDS)) + sets
        send_from(src, port, header(11 if mode == 'real' else 10) + sets)


if __name__ == '__main__':
    main()
