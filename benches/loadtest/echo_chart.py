#!/usr/bin/env python3
"""Draws the many-connection echo's round-trip percentiles, ours beside Boost.Asio, as an SVG.

Usage: echo_chart.py LOADTEST_JSON OUT_SVG

Reads the records of `network_system_loadtest echo ... --json FILE` (one JSON object per line;
other workloads and transports are ignored; for a connection count measured more than once the last record
counts) and plots p50, p99 and p99.9 against the connection count, both axes logarithmic.
Standard library only.
"""
import json
import math
import sys

PERCENTILES = [("round trip p50", "p50", "2,0"), ("round trip p99", "p99", "7,3"),
               ("round trip p99.9", "p99.9", "2,3")]
SERIES = [("ours", "network_system", "#1f6feb"), ("baseline", "Boost.Asio", "#d1242f")]
W, H, LEFT, RIGHT, TOP, BOTTOM = 760, 440, 70, 190, 40, 50


def load(path):
    runs = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            record = json.loads(line)
            if record.get("workload") != "echo" or record.get("transport") != "tcp":
                continue
            metrics = {m["name"]: m for m in record["metrics"]}
            runs[record["connections"]] = (record["size"], metrics)
    return dict(sorted(runs.items()))


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    runs = load(sys.argv[1])
    if not runs:
        sys.exit("no echo records in " + sys.argv[1])
    values = [m[name].get(key) for _, m in runs.values() for name, _, _ in PERCENTILES
              for key, _, _ in SERIES if name in m]
    values = [v for v in values if v and v > 0]
    lo = 10 ** math.floor(math.log10(min(values)))
    hi = 10 ** math.ceil(math.log10(max(values)))
    conns = list(runs)
    size = next(iter(runs.values()))[0]
    pw, ph = W - LEFT - RIGHT, H - TOP - BOTTOM

    def x(i):
        return LEFT + (pw * i / (len(conns) - 1) if len(conns) > 1 else pw / 2)

    def y(v):
        return TOP + ph * (1 - (math.log10(v) - math.log10(lo)) / (math.log10(hi) - math.log10(lo)))

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" '
           f'font-family="sans-serif" font-size="12">',
           f'<rect width="{W}" height="{H}" fill="white"/>',
           f'<text x="{LEFT}" y="22" font-size="14">TCP echo round trip, {size} B, closed loop per '
           f'connection (loopback, lower is better)</text>']
    decade = lo
    while decade <= hi:
        out.append(f'<line x1="{LEFT}" x2="{LEFT + pw}" y1="{y(decade):.1f}" y2="{y(decade):.1f}" '
                   f'stroke="#ddd"/>')
        label = f"{decade / 1000:g} ms" if decade >= 1000 else f"{decade:g} µs"
        out.append(f'<text x="{LEFT - 8}" y="{y(decade) + 4:.1f}" text-anchor="end">{label}</text>')
        decade *= 10
    for i, n in enumerate(conns):
        out.append(f'<text x="{x(i):.1f}" y="{TOP + ph + 20}" text-anchor="middle">{n}</text>')
    out.append(f'<text x="{LEFT + pw / 2}" y="{H - 10}" text-anchor="middle">connections</text>')
    out.append(f'<rect x="{LEFT}" y="{TOP}" width="{pw}" height="{ph}" fill="none" stroke="#888"/>')
    legend_y = TOP + 10
    for key, who, color in SERIES:
        for name, label, dash in PERCENTILES:
            points = [(x(i), y(m[name][key])) for i, (_, m) in enumerate(runs.values())
                      if name in m and m[name].get(key, 0) > 0]
            if not points:
                continue
            path = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
            out.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2" '
                       f'stroke-dasharray="{dash}"/>')
            for px, py in points:
                out.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3" fill="{color}"/>')
            lx = LEFT + pw + 15
            out.append(f'<line x1="{lx}" x2="{lx + 30}" y1="{legend_y}" y2="{legend_y}" '
                       f'stroke="{color}" stroke-width="2" stroke-dasharray="{dash}"/>')
            out.append(f'<text x="{lx + 38}" y="{legend_y + 4}">{who} {label}</text>')
            legend_y += 20
    out.append("</svg>")
    with open(sys.argv[2], "w", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
