#!/usr/bin/python3
"""A small UDP tee for tests: every datagram received is sent on to each target.

softflowd exports to one collector only; the tests need the same export in
the agent and in nfcapd, datagram for datagram. Loopback only:

    udp_tee.py --listen 127.0.0.1:PORT --to 127.0.0.1:A --to 127.0.0.1:B \\
               [--idle 2] [--timeout 60] [--ready FILE]

It exits 0 once `--idle` seconds pass without a datagram after the first one
(the exporter is done), or at `--timeout`; it prints how many datagrams and
bytes it forwarded. `--ready FILE` is created once the socket is bound, so a
script can wait for it instead of sleeping.
"""

import argparse
import ipaddress
import socket
import sys
import time


def endpoint(text):
    host, _, port = text.rpartition(":")
    if not ipaddress.ip_address(host).is_loopback:
        raise argparse.ArgumentTypeError("%s: only loopback addresses are allowed" % text)
    return host, int(port)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--listen", type=endpoint, required=True)
    p.add_argument("--to", type=endpoint, action="append", required=True)
    p.add_argument("--idle", type=float, default=2.0)
    p.add_argument("--timeout", type=float, default=60.0)
    p.add_argument("--ready")
    args = p.parse_args()

    rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rx.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    rx.bind(args.listen)
    tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    if args.ready:
        open(args.ready, "w").close()

    deadline = time.monotonic() + args.timeout
    count = octets = 0
    while True:
        now = time.monotonic()
        wait = deadline - now
        if count:
            wait = min(wait, args.idle)
        if wait <= 0:
            break
        rx.settimeout(wait)
        try:
            data = rx.recv(65535)
        except socket.timeout:
            break
        for target in args.to:
            tx.sendto(data, target)
        count += 1
        octets += len(data)
    print("udp_tee: forwarded %d datagrams, %d bytes to %d targets" % (count, octets, len(args.to)),
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
