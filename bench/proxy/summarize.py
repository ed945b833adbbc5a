#!/usr/bin/env python3
"""Summary of bench/proxy/proxy_bench.sh rows (case, test, metric, value, run):
medians with min..max per case and test, the issue's floor ratios, memory per
port and first-packet latency. Markdown on stdout."""
import statistics
import sys
from collections import defaultdict

rows = defaultdict(list)
for line in open(sys.argv[1]):
    c, t, m, v, run = line.rstrip("\n").split("\t")
    rows[(c, t, m)].append(float(v))
load = open(sys.argv[2]).read().strip() if len(sys.argv) > 2 else ""


def med(c, t, m):
    v = rows.get((c, t, m))
    return statistics.median(v) if v else None


def fmt(v):
    if v is None:
        return "-"
    return f"{v:.3g}" if abs(v) < 100 else f"{v:.0f}"


def cell(c, t, m):
    v = rows.get((c, t, m))
    if not v:
        return "-"
    return f"{fmt(statistics.median(v))} ({fmt(min(v))}..{fmt(max(v))})"


cases = []
for (c, t, m) in rows:
    if c not in ("mem", "latency") and c not in cases:
        cases.append(c)
tests = {
    "http_ka": ["rps", "cpu_pct", "cpu_us_per_req", "sys_us_per_req", "machine_busy_pct", "errors"],
    "http_cc": ["rps", "cpu_pct", "cpu_us_per_req", "sys_us_per_req", "machine_busy_pct", "syn_retrans", "errors"],
    "tcp_bulk": ["gbps", "cpu_pct", "machine_busy_pct"],
    "udp": ["lost_pct", "goodput_gbps", "cpu_pct", "machine_busy_pct"],
}
n = max((len(v) for k, v in rows.items() if k[0] not in ("mem", "latency")), default=0)
print("### Published ports (bench/proxy/proxy_bench.sh)\n")
print(f"Medians of {n} interleaved runs (min..max). {load}\n")
for t, metrics in tests.items():
    if not any((c, t, metrics[0]) in rows for c in cases):
        continue
    print(f"#### {t}\n")
    print("| case | " + " | ".join(metrics) + " |")
    print("|---|" + "---|" * len(metrics))
    for c in cases:
        if (c, t, metrics[0]) in rows:
            print(f"| {c} | " + " | ".join(cell(c, t, m) for m in metrics) + " |")
    print()


def ratio(a, b):
    return a / b if a is not None and b else None


print("#### Floors (issue 5)\n")
print("| floor | measured | met |")
print("|---|---|---|")


def floor(name, v, want, higher=True):
    if v is None:
        print(f"| {name} | - | - |")
        return
    ok = v >= want if higher else v < want
    print(f"| {name} | {v:.2f} | {'yes' if ok else 'NO'} |")


for case in ("berth-lo", "berth-host"):
    floor(f"{case} / dnat keep-alive rps >= 0.95", ratio(med(case, "http_ka", "rps"), med("dnat", "http_ka", "rps")), 0.95)
    floor(f"{case} / dnat connections/s >= 0.95", ratio(med(case, "http_cc", "rps"), med("dnat", "http_cc", "rps")), 0.95)
    floor(f"{case} / dnat TCP bulk >= 0.95", ratio(med(case, "tcp_bulk", "gbps"), med("dnat", "tcp_bulk", "gbps")), 0.95)
floor("berth-lo / direct keep-alive rps >= 0.90 (stretch)", ratio(med("berth-lo", "http_ka", "rps"), med("direct", "http_ka", "rps")), 0.90)
floor("always / docker-proxy keep-alive rps >= 1.3", ratio(med("berth-always", "http_ka", "rps"), med("docker-proxy", "http_ka", "rps")), 1.3)
floor("always / docker-proxy connections/s >= 1.3", ratio(med("berth-always", "http_cc", "rps"), med("docker-proxy", "http_cc", "rps")), 1.3)
for t in ("http_ka", "http_cc"):
    floor(f"always / docker-proxy requests per CPU-second ({t}) >= 2",
          ratio(med("docker-proxy", t, "cpu_us_per_req"), med("berth-always", t, "cpu_us_per_req")), 2.0)
floor("always UDP loss % at 500 Mbit/s < 1", med("berth-always", "udp", "lost_pct"), 1.0, higher=False)
floor("always / docker-proxy keep-alive rps >= 1.5 (stretch)", ratio(med("berth-always", "http_ka", "rps"), med("docker-proxy", "http_ka", "rps")), 1.5)
floor("always / docker-proxy TCP bulk >= 1.2 (stretch)", ratio(med("berth-always", "tcp_bulk", "gbps"), med("docker-proxy", "tcp_bulk", "gbps")), 1.2)
floor("berthd KiB per published port (1,000 ports) <= 16", med("mem", "kib_per_port_1000", "0"), 16.0001, higher=False)
print()

mem = {m: v[0] for (c, m, _), v in rows.items() if c == "mem"}
if mem:
    print("#### berthd memory per published port\n")
    for k, v in sorted(mem.items()):
        print(f"- {k}: {v:g}")
    print()
lat = {t: v for (c, t, m), v in rows.items() if c == "latency"}
if lat:
    print("#### First-packet latency (TCP connect through the DNAT maps, µs)\n")
    print("| port | n | median | p10 | p90 |")
    print("|---|---|---|---|---|")
    for t, v in sorted(lat.items()):
        q = statistics.quantiles(v, n=10)
        print(f"| {t} | {len(v)} | {statistics.median(v):.1f} | {q[0]:.1f} | {q[-1]:.1f} |")
    print()
