#!/usr/bin/env python3
"""One row of bench/shaping/step.sh: the frames a capture saw around each
in-place rate change. Usage: step_bins.py TIER SHAPER RUN_DIR PCAP
- settle: from the change until every 100 ms window (sliding by 10 ms) of the
  next 0.5 s carries the new rate within 3 % (frames on the wire, as tbf and
  htb count them), in ms and in the flow's RTTs (smoothed RTT at the end of
  the run, flows/bulk.json rtt_us);
- glitch: the most any 50 ms window within 0.5 s of a change carried, as a
  share of the higher of the two rates (above 1: the link passed more than
  either shape allows, as delete-and-re-add does)."""
import json
from pcapframes import frames
import sys

STEP = 0.01


def rate(fr, a, b):
    return sum(n for t, n in fr if a <= t < b) * 8 / (b - a)


def settle(fr, tc, new):
    t = tc
    while t < tc + 1.0:
        ok = all(abs(rate(fr, s, s + 0.1) / new - 1) <= 0.03
                 for s in [t + k * STEP for k in range(int(0.4 / STEP))])
        if ok:
            return t - tc
        t += STEP
    return None


def main():
    tier, shaper, run_dir, pcap = sys.argv[1:5]
    run = json.load(open(run_dir + '/run.json'))
    rtt = json.load(open(run_dir + '/flows/bulk.json')).get('rtt_us', 0) / 1e6
    fr = list(frames(pcap, run['load']['start_unix']))
    rates = {'down': (50e6, 10e6), 'up': (10e6, 50e6)}
    cells = []
    worst = 0
    for ev in run.get('events', []):
        old, new = rates[ev['name']]
        tc = ev['at_s']
        s = settle(fr, tc, new)
        g = max(rate(fr, a, a + 0.05) for a in [tc - 0.5 + k * STEP for k in range(100)])
        g /= max(old, new)
        worst = max(worst, g)
        st = 'never' if s is None else f"{s*1000:.0f} ms ({s/rtt:.1f} RTT)" if rtt else f"{s*1000:.0f} ms"
        cells.append((ev['name'], s, st, g))
    ok = all(s is not None and (not rtt or s <= 2 * rtt) for _, s, _, _ in cells) and worst <= 1.03
    desc = '; '.join(f"{n}: settled in {st}, peak 50 ms window {g*100:.0f} % of the higher rate"
                     for n, _, st, g in cells)
    print(f"| {tier} | {shaper} rate 50->10->50 Mbit/s in place (event set) | {desc} | "
          f"RTT {rtt*1000:.1f} ms | {'ok' if ok else 'not ok'} (within 3 % in 2 RTTs, no window above the higher rate) |")


main()
