#!/usr/bin/env python3
"""TLS on loopback for obs-ladder-proto.t: a server and three client connections
on 127.0.0.1:PORT -- TLS 1.3 full handshake, TLS 1.3 resumed with the first
one's session (PSK), TLS 1.2 -- each sending "ping" and reading the reply.
Key log lines (SSLKEYLOGFILE format) go to KEYLOG, for tshark.

    lib-tls.py CERT KEY KEYLOG PORT
Prints one line per connection: version, resumed (0/1)."""
import socket
import ssl
import sys
import threading

cert, key, keylog, port = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])


def serve(ls, n):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    for _ in range(n):
        c, _ = ls.accept()
        with ctx.wrap_socket(c, server_side=True) as s:
            s.recv(4)
            s.sendall(b"pong" * 1000)


def client(ctx, session=None):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as c:
        with ctx.wrap_socket(c, server_hostname="testbed", session=session) as s:
            s.sendall(b"ping")
            got = 0
            while got < 4000:
                b = s.recv(65536)
                if not b:
                    break
                got += len(b)
            print(s.version(), int(s.session_reused), flush=True)
            return s.session


ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", port))
ls.listen(8)
t = threading.Thread(target=serve, args=(ls, 3))
t.start()
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.load_verify_locations(cert)
ctx.keylog_filename = keylog
sess = client(ctx)
client(ctx, sess)
ctx12 = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx12.load_verify_locations(cert)
ctx12.maximum_version = ssl.TLSVersion.TLSv1_2
ctx12.keylog_filename = keylog
client(ctx12)
t.join()
