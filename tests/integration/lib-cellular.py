#!/usr/bin/env python3
"""Per run of cellular_trace: case, goodput, the trace's capacity over the
run (payload: x 1448/1500), utilisation, and the 95th percentile of the
flow's queueing delay (and its median). Usage: lib-cellular.py OUTDIR;
one line per run:
RUN CASE GOODPUT_MBIT CAPACITY_MBIT UTIL_PCT QDELAY_P95_MS QDELAY_P50_MS

TCP (the bulk flow): goodput from its result; queueing delay = the
sampler's srtt (sockets/c1-tcp.csv, every 100 ms, after 2 s) less the
flow's min_rtt. QUIC (the rr flow quic, HTTP/3): the bytes delivered are
the client's qlog's (the highest stream offset received on each request
stream, so the last, unfinished response counts too; a few bytes of
HTTP/3 framing included) received within the flow's seconds (qlog time
from the connection's start), over those seconds; queueing delay =
ngtcp2's smoothed_rtt in the client's qlog, read at the same 100 ms grid
after 2 s, less its min_rtt. The client's RTT samples are its own
packets' (requests, flow-control updates) acknowledged by the server's
ACKs, which ride on the response data through the r1 -> r2 queue: one
pass through the bottleneck queue, as the TCP sender's samples."""
import csv
import glob
import json
import os
import sys


def capacity(trace, seconds):
    ms = [int(x) for x in open(trace)]
    period, n, k = ms[-1], 0, 0
    while k * period < seconds * 1000:
        n += sum(1 for m in ms if m + k * period < seconds * 1000)
        k += 1
    return n * 1448 * 8 / seconds


def pct(xs, p):
    xs = sorted(xs)
    return xs[int(len(xs) * p)] if xs else float('nan')


def tcp_qdelay(path):
    """(p95, p50) in ms"""
    rtt, base = [], None
    for row in csv.DictReader(open(path)):
        if row['flow'] != 'bulk' or row['state'] != 'ESTAB' or not row['rtt_us']:
            continue
        if float(row['t_s']) > 2:
            rtt.append(int(row['rtt_us']))
        base = int(row['min_rtt_us'])
    return (pct(rtt, 0.95) - base) / 1000, (pct(rtt, 0.5) - base) / 1000


def qlog_events(qdir):
    """The client's qlog events (JSON-SEQ: one record per line after RS)."""
    for f in sorted(glob.glob(os.path.join(qdir, 'client-*.sqlog'))):
        for line in open(f):
            line = line.strip('\x1e \n')
            if line:
                try:
                    yield json.loads(line)
                except ValueError:
                    pass  # a record cut by the end of the run


def quic_stats(qdir, seconds):
    """(bytes delivered on request streams, p95 and p50 queueing delay in ms)"""
    top, srtt, min_rtt, grid = {}, [], None, 2000
    last = None
    for ev in qlog_events(qdir):
        t, d = ev.get('time', 0), ev.get('data', {})
        name = ev.get('name', '')
        while last is not None and grid <= t and grid <= seconds * 1000:
            srtt.append(last)
            grid += 100
        if name == 'recovery:metrics_updated':
            if 'smoothed_rtt' in d and 'min_rtt' in d:
                last = d['smoothed_rtt']
                min_rtt = d['min_rtt']
        elif name == 'transport:packet_received' and t <= seconds * 1000:
            for fr in d.get('frames', []):
                sid = fr.get('stream_id')
                if fr.get('frame_type') == 'stream' and sid is not None and sid % 4 == 0:
                    top[sid] = max(top.get(sid, 0), fr.get('offset', 0) + fr.get('length', 0))
    q = [s - min_rtt for s in srtt] if min_rtt is not None else []
    return sum(top.values()), pct(q, 0.95), pct(q, 0.5)


for run in sorted(glob.glob(os.path.join(sys.argv[1], 'runs', '*'))):
    rj = json.load(open(os.path.join(run, 'run.json')))
    case = rj['params'].get('case') or rj['params'].get('flow.bulk.cc', '?')
    fdir = os.path.join(run, 'flows')
    if os.path.exists(os.path.join(fdir, 'bulk.json')):
        fl = json.load(open(os.path.join(fdir, 'bulk.json')))
        seconds = fl.get('seconds') or fl.get('duration_s') or 30
        g = fl['goodput_bps']
        q95, q50 = tcp_qdelay(os.path.join(run, 'sockets', 'c1-tcp.csv'))
    else:
        fl = json.load(open(os.path.join(fdir, 'quic.json')))
        seconds = fl.get('seconds') or 30
        b, q95, q50 = quic_stats(os.path.join(fdir, 'quic.qlog'), seconds)
        g = b * 8 / seconds
    cap = capacity(rj['traces'][0]['file'], seconds)
    print(f"{os.path.basename(run)} {case} {g/1e6:.2f} {cap/1e6:.2f} {100*g/cap:.1f} {q95:.0f} {q50:.0f}")
