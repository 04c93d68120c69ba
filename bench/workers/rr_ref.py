#!/usr/bin/env python3
"""Reference request/response client for the tb-rr benchmark: the simplest
thing a person would write (blocking sockets, one thread per connection,
closed loop), speaking the same 16-byte header protocol to tb-server --mode rr.

usage: rr_ref.py HOST PORT CONNECTIONS SECONDS REQUEST RESPONSE
prints one JSON line: {"requests", "rps", "p50_us", "p99_us"}
"""
import json, socket, struct, sys, threading, time

host, port, conns, secs, req, resp = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), \
    float(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
MAGIC = 0x54427272
payload = struct.pack("!IIII", MAGIC, 0, req, resp) + bytes(req - 16)
lat = [[] for _ in range(conns)]
start = time.monotonic()
end = start + secs


def worker(i):
    s = socket.create_connection((host, port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    out = lat[i]
    while True:
        t0 = time.monotonic()
        if t0 >= end:
            break
        s.sendall(payload)
        left = resp
        while left:
            b = s.recv(left)
            if not b:
                raise SystemExit("server closed")
            left -= len(b)
        out.append(time.monotonic() - t0)
    s.close()


ts = [threading.Thread(target=worker, args=(i,)) for i in range(conns)]
for t in ts:
    t.start()
for t in ts:
    t.join()
all_ = sorted(x for l in lat for x in l)
n = len(all_)
print(json.dumps({"requests": n, "rps": n / secs,
                  "p50_us": round(all_[n // 2] * 1e6) if n else 0,
                  "p99_us": round(all_[min(n - 1, int(n * 0.99))] * 1e6) if n else 0}))
