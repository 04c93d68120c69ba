#!/usr/bin/env python3
"""Rows of bench/shaping/step.sh: what a capture saw around each in-place
rate change. Usage: step_bins.py TIER SHAPER TCP_OUT UDP_OUT
(the --out directories of the two runs of one shaper).

- RTT at the change: the sender's smoothed RTT (rtt_us of c1's socket
  series, sampled every 10 ms) in the last sample before the change; the
  series' t_s are moved onto the events' clock with run.json's
  measured_from_s.
- from 2 RTTs: the rate the link delivered over the 300 ms from 2 RTTs
  after the change, against the new rate (frames on the wire, as tbf and
  htb count them): the issue's "within 3 % of the new rate within 2 RTTs".
  300 ms, not less: in the UML guest (HZ=100) frames leave and are
  timestamped in 10 ms bunches, so that even at a steady rate 100 ms
  windows stray by 3 %.
- settled: from the change until every 100 ms window (sliding by 10 ms) of
  the next 0.5 s is within 3 % of the new rate (the stricter reading; "no"
  when that never happens within 1 s, as in the guest even without a
  change).
- peak: the most any 50 ms window within 0.5 s of the change carried, as a
  share of the higher of the two rates; "steady" is the same for the
  windows of 0.5-1.9 s (before any change, at the higher rate), i.e. what
  the shaper and the capture's timestamps give without a change.
In the udp run the queue never empties (1.2 x the higher rate offered), so
the link's rate is the shaper's; in the tcp run it is also the flow's
(after a change up the window must grow before the link can be filled).

Verdicts: udp rows (the shaper): the rate from 2 RTTs within 3 % and no
50 ms window above the higher rate by more than 1 % (two frames at 50
Mbit/s) or 1 % above the steady peak, whichever is more. tcp rows: the same
bound on the peak; the rate is the congestion control's and is reported,
not judged."""
import bisect
import csv
import json
import sys

from pcapframes import frames

STEP = 0.01
RATES = {'down': (50e6, 10e6), 'up': (10e6, 50e6)}


class Link:
    """Frames on the wire, as cumulative bytes over time."""

    def __init__(self, pcap, t0):
        self.t, self.cum, total = [], [0], 0
        for t, n in frames(pcap, t0):
            total += n
            self.t.append(t)
            self.cum.append(total)

    def rate(self, a, b):
        i, j = bisect.bisect_left(self.t, a), bisect.bisect_left(self.t, b)
        return (self.cum[j] - self.cum[i]) * 8 / (b - a)

    def peak(self, a, b, w=0.05):
        n = int(round((b - a) / STEP))
        return max(self.rate(a + k * STEP, a + k * STEP + w) for k in range(n))

    def settle(self, tc, new):
        for k in range(100):
            t = tc + k * STEP
            if all(abs(self.rate(s, s + 0.1) / new - 1) <= 0.03
                   for s in [t + i * STEP for i in range(40)]):
                return t - tc
        return None


def run_dir(out):
    return out + '/runs/c1-r1'


def load(out):
    rd = run_dir(out)
    run = json.load(open(rd + '/run.json'))
    pcap = rd + '/pcap/r2-eth0.pcap'
    return run, Link(pcap, run['load']['start_unix'])


def rtt_before(out, run, at):
    """srtt (s) of the bulk flow's last sample before @at (events' clock)."""
    off = run.get('measured_from_s', 0.0)
    best = None
    with open(run_dir(out) + '/sockets/c1-tcp.csv') as f:
        for row in csv.DictReader(f):
            if row['flow'] != 'bulk' or row['state'] != 'ESTAB' or not row['rtt_us']:
                continue
            t = float(row['t_s']) - off
            if t < at:
                best = int(row['rtt_us']) / 1e6
    return best


def cells(link, tc, old, new, rtt):
    """(rate from 2 RTTs / new, settled text, peak / higher)."""
    s = link.settle(tc, new)
    frac = link.rate(tc + 2 * rtt, tc + 2 * rtt + 0.3) / new if rtt else None
    peak = link.peak(tc - 0.5, tc + 0.5) / max(old, new)
    if s is None:
        st = 'no'
    else:
        st = f"{s * 1000:.0f} ms" + (f" ({s / rtt:.1f} RTT)" if rtt else '')
    return frac, st, peak


def row(tier, shaper, load_name, ev, rtt, c, steady):
    frac, st, peak = c
    peak_ok = peak <= max(1.01, steady * 1.01)
    if load_name == 'udp':
        ok = frac is not None and abs(frac - 1) <= 0.03 and peak_ok
        verdict = ('ok' if ok else 'not ok') + ' (3 % from 2 RTTs; peak)'
    else:
        verdict = ('ok' if peak_ok else 'not ok') + ' (peak; the rate is the flow\'s)'
    rtt_s = f"{rtt * 1000:.1f} ms" if rtt else '?'
    fr = f"{(frac - 1) * 100:+.1f} %" if frac is not None else '?'
    print(f"| {tier} | {shaper} | {load_name} | {ev} {RATES[ev][0] / 1e6:.0f}->"
          f"{RATES[ev][1] / 1e6:.0f} | {rtt_s} | {fr} | {st} | {peak * 100:.1f} % "
          f"(steady {steady * 100:.1f} %) | {verdict} |")


def main():
    tier, shaper, tcp_out, udp_out = sys.argv[1:5]
    tcp_run, tcp_link = load(tcp_out)
    udp_run, udp_link = load(udp_out)
    for name, run, link in (('tcp', tcp_run, tcp_link), ('udp', udp_run, udp_link)):
        steady = link.peak(0.5, 1.9) / 50e6
        for ev in run.get('events', []):
            old, new = RATES[ev['name']]
            tc = ev['at_s']
            # the RTT a flow had at this change: the tcp run's, at its own change
            at = [e['at_s'] for e in tcp_run['events'] if e['name'] == ev['name']][0]
            rtt = rtt_before(tcp_out, tcp_run, at)
            row(tier, shaper, name, ev['name'], rtt, cells(link, tc, old, new, rtt), steady)


main()
