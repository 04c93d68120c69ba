#!/usr/bin/env python3
"""Per run of cellular_trace: cc, goodput, the trace's capacity over the
run (payload: x 1448/1500), utilisation, and the 95th percentile of the
bulk flow's queueing delay (the sampler's srtt after 2 s, less the flow's
min_rtt). Usage: lib-cellular.py OUTDIR; one line per run:
RUN CC GOODPUT_MBIT CAPACITY_MBIT UTIL_PCT QDELAY_P95_MS"""
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


def qdelay_p95(path):
    rtt, base = [], None
    for row in csv.DictReader(open(path)):
        if row['flow'] != 'bulk' or row['state'] != 'ESTAB' or not row['rtt_us']:
            continue
        if float(row['t_s']) > 2:
            rtt.append(int(row['rtt_us']))
        base = int(row['min_rtt_us'])
    rtt.sort()
    return (rtt[int(len(rtt) * 0.95)] - base) / 1000


for run in sorted(glob.glob(os.path.join(sys.argv[1], 'runs', '*'))):
    rj = json.load(open(os.path.join(run, 'run.json')))
    fl = json.load(open(os.path.join(run, 'flows', 'bulk.json')))
    cc = rj['params'].get('flow.bulk.cc', '?')
    seconds = fl.get('seconds') or fl.get('duration_s') or 30
    cap = capacity(rj['traces'][0]['file'], seconds)
    g = fl['goodput_bps']
    print(f"{os.path.basename(run)} {cc} {g/1e6:.2f} {cap/1e6:.2f} {100*g/cap:.1f} "
          f"{qdelay_p95(os.path.join(run, 'sockets', 'c1-tcp.csv')):.0f}")
