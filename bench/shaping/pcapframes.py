"""The frames of a classic pcap file (the captures testbed writes) as
(seconds since @t0, frame length on the wire): shared by trace_bins.py and
step_bins.py."""
import struct


def frames(path, t0):
    with open(path, 'rb') as f:
        magic = struct.unpack('<I', f.read(24)[:4])[0]
        scale = 1e-9 if magic == 0xa1b23c4d else 1e-6
        while True:
            h = f.read(16)
            if len(h) < 16:
                return
            sec, frac, incl, orig = struct.unpack('<IIII', h)
            f.seek(incl, 1)
            yield sec + frac * scale - t0, orig
