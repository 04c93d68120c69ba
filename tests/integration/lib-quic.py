#!/usr/bin/env python3
"""QUIC-shaped datagrams on loopback for obs-ladder-proto.t: the packet
headers of a QUIC v1 handshake (RFC 9000 17.2, 17.3) with random bytes where
the protected payload would be -- a client Initial padded to 1200 bytes,
0-RTT, the server's Initial and Handshake coalesced, the client's Handshake
with a 1-RTT packet behind it, the server's 1-RTT -- and a DNS query before
them that is not QUIC. No QUIC stack is installed here; tshark, which reads
the same headers, is the oracle.

    lib-quic.py PORT"""
import os
import socket
import sys

port = int(sys.argv[1])
cid_c, cid_s = os.urandom(5), os.urandom(8)   # the client's and the server's ids


def long_packet(ptype, dcid, scid, body):
    h = bytes([0xc3 | ptype << 4]) + (1).to_bytes(4, "big")
    h += bytes([len(dcid)]) + dcid + bytes([len(scid)]) + scid
    if ptype == 0:
        h += b"\x00"                                  # no token
    return h + (0x4000 | body).to_bytes(2, "big") + os.urandom(body)


def short_packet(dcid, body):
    return bytes([0x40 | 0x03]) + dcid + os.urandom(body)


c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", port))
c.bind(("127.0.0.1", 0))
dns = bytes.fromhex("123401000001000000000000") + b"\x02s1\x00\x00\x01\x00\x01"
c.sendto(dns, ("127.0.0.1", 53))
first_dcid = os.urandom(8)
initial = long_packet(0, first_dcid, cid_c, 1200 - 36)
c.sendto(initial, s.getsockname())
c.sendto(long_packet(1, first_dcid, cid_c, 300), s.getsockname())
srv = long_packet(0, cid_c, cid_s, 120) + long_packet(2, cid_c, cid_s, 900)
s.sendto(srv, c.getsockname())
c.sendto(long_packet(2, cid_s, cid_c, 60) + short_packet(cid_s, 80), s.getsockname())
s.sendto(short_packet(cid_c, 1000), c.getsockname())
print("sent", flush=True)
