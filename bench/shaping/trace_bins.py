#!/usr/bin/env python3
"""One row of bench/shaping/trace.sh: IP bytes a capture saw per 100 ms
against the trace's capacity (opportunities x 1500) in the same 100 ms.
Usage: trace_bins.py TIER NAME TRACE RUN_JSON PCAP"""
import json
from pcapframes import frames
import sys

BIN = 0.1


def trace_counts(path, seconds):
    ms = [int(x) for x in open(path)]
    period = ms[-1]
    bins = [0] * int(seconds / BIN + 1)
    k = 0
    while k * period < seconds * 1000:
        for m in ms:
            t = (m + k * period) / 1000.0
            if t < seconds:
                bins[int(t / BIN)] += 1500
        k += 1
    return bins


def pcap_bytes(path, t0, seconds):
    bins = [0] * int(seconds / BIN + 1)
    for t, orig in frames(path, t0):
        if 0 <= t < seconds:
            bins[int(t / BIN)] += orig - 14
    return bins


def main():
    tier, name, trace, run_json, pcap = sys.argv[1:6]
    tr = json.load(open(run_json))['traces'][0]
    seconds = 6.0
    cap = trace_counts(trace, seconds)
    got = pcap_bytes(pcap, tr['t0_unix'], seconds)
    lo, hi = int(1.0 / BIN), int((seconds - 0.5) / BIN)
    errs = sorted(abs(g - c) / c for g, c in zip(got[lo:hi], cap[lo:hi]) if c > 0)
    within = sum(e <= 0.10 for e in errs) / len(errs)
    total = sum(got[lo:hi]) / sum(cap[lo:hi]) - 1
    p50, p95 = errs[len(errs) // 2], errs[int(len(errs) * 0.95)]
    verdict = 'ok' if within >= 0.95 else 'not ok'
    print(f"| {tier} | trace {name} | {len(errs)} bins of 100 ms | "
          f"abs error p50 {p50*100:.1f} %, p95 {p95*100:.1f} %, max {errs[-1]*100:.1f} %; "
          f"total {total*100:+.2f} %; {tr['changes']} changes, late max {tr['late_max_ms']:.1f} ms | "
          f"{within*100:.0f} % of bins within 10 % | {verdict} (95 % of bins within 10 %) |")


main()
