#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Side-by-side table, combined JSON and PNG of bootstorm-storm runs.

    summarize.py [--base NAME] OUTDIR NAME=REPORT.json:CPU_SECONDS[:MACHINE_CPU_SECONDS] [NAME=...]

Prints one table (clients done / failed, time until all done, p50/p99 per
phase, MB/s (TFTP + HTTP payload) until the last client was done, server
CPU seconds and CPU seconds per GiB served, the machine's CPU seconds per GiB
when given (all CPUs, generator included: on veth the kernel charges the
same work to the server or to the generator depending on who runs, the
machine's total does not), retransmissions, ratios against
the server named by --base, else the last one; a time ratio only when both
served every client), writes OUTDIR/storm-compare.json and OUTDIR/storm-compare.png (clients done over
time, one line per server; gnuplot, or matplotlib when gnuplot is absent).
Only the standard library is needed for the table and the JSON.
"""
import json
import os
import shutil
import subprocess
import sys

REQUIRED = ("clients", "done", "failed", "all_done_s", "phases_ms", "failures",
            "retransmissions", "timeline", "counters")


def load(arg):
    name, rest = arg.split("=", 1)
    path, *cpus = rest.split(":")
    if not 1 <= len(cpus) <= 2:
        raise SystemExit(f"{arg}: expected NAME=REPORT.json:CPU[:MACHINE_CPU]")
    with open(path) as f:
        rep = json.load(f)
    for k in REQUIRED:
        if k not in rep:
            raise SystemExit(f"{path}: missing key {k}")
    rep["server_cpu_s"] = float(cpus[0])
    if len(cpus) == 2:
        rep["machine_cpu_s"] = float(cpus[1])
    return name, rep


def ratio(a, b):
    return f"{a / b:.2f}x" if a and b else "n/a"


def table(runs, base_name):
    base = dict(runs)[base_name]
    cfg = base["config"]
    print(f"boot storm: {base['clients']} clients, files {cfg['files']}, "
          f"blksize {cfg['blksize']}, windowsize {cfg['windowsize']}, rate "
          f"{'all at once' if not cfg['rate'] else cfg['rate']}")
    hdr = ("server", "done", "failed", "first/all done s", "DHCP p50/p99 ms",
           "loader p50/p99 ms", "kern+initrd p50/p99 ms",
           "TFTP+HTTP MB/s" if any(r.get("http", {}).get("bytes") for _, r in runs)
           else "TFTP MB/s", "CPU s",
           "CPU s/GiB", "machine s/GiB", "retx", "time vs " + base_name,
           "MB/s vs " + base_name, "CPU/GiB vs " + base_name, "machine vs " + base_name)

    def nbytes(r):  # TFTP payload, plus HTTP bodies with --http and HTTP clients
        return r["counters"]["tftp_bytes"] + r.get("http", {}).get("bytes", 0)

    def mbps(r):  # payload over the time until the last client was done
        return nbytes(r) / 1e6 / r["all_done_s"] if r["all_done_s"] else 0

    def cpu_gib(r, key="server_cpu_s"):
        gib = nbytes(r) / 2**30
        return r.get(key, 0) / gib if gib else 0

    base_complete = base["done"] == base["clients"]
    rows = []
    for name, r in runs:
        ph = r["phases_ms"]
        retx = sum(r["retransmissions"].values())
        complete = r["done"] == r["clients"]
        rows.append((
            name, str(r["done"]), str(r["failed"]),
            f"{r.get('first_done_s', 0):.2f}/{r['all_done_s']:.2f}" + ("" if complete else "*"),
            f"{ph['dhcp']['p50']:.0f}/{ph['dhcp']['p99']:.0f}",
            f"{ph['loader']['p50']:.0f}/{ph['loader']['p99']:.0f}",
            f"{ph['kernel_initrd']['p50']:.0f}/{ph['kernel_initrd']['p99']:.0f}",
            f"{mbps(r):.1f}", f"{r['server_cpu_s']:.2f}", f"{cpu_gib(r):.2f}",
            f"{cpu_gib(r, 'machine_cpu_s'):.2f}" if "machine_cpu_s" in r else "n/a", str(retx),
            # time until all were done: only when both served everyone
            ratio(r["all_done_s"], base["all_done_s"]) if complete and base_complete
            else "n/a",
            ratio(mbps(r), mbps(base)),
            ratio(cpu_gib(r), cpu_gib(base)),
            ratio(cpu_gib(r, "machine_cpu_s"), cpu_gib(base, "machine_cpu_s")),
        ))
    w = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(hdr)]
    print("  ".join(h.rjust(w[i]) if i else h.ljust(w[i]) for i, h in enumerate(hdr)))
    for row in rows:
        print("  ".join(c.rjust(w[i]) if i else c.ljust(w[i]) for i, c in enumerate(row)))
    if any(r["done"] != r["clients"] for _, r in runs):
        print("* not every client finished: the time is that of the last one that did")
    for name, r in runs:
        f = {k: v for k, v in r["failures"].items() if v}
        if f:
            print(f"{name} failures: " + ", ".join(f"{k} {v}" for k, v in f.items()))


def plot(runs, png):
    if shutil.which("gnuplot"):
        d = os.path.dirname(png)
        cmds = ["set terminal png size 900,540",
                f"set output '{png}'",
                "set title 'Boot storm: clients done over time'",
                "set xlabel 'seconds since the first DISCOVER'",
                "set ylabel 'clients done'", "set key left top", "set grid"]
        plots = []
        for name, r in runs:
            dat = os.path.join(d, f"timeline-{name}.dat")
            with open(dat, "w") as f:
                f.write("# " + " ".join(r.get("timeline_columns", ["t_s", "tftp_MBps", "done",
                                                                   "done_total"])) + "\n")
                for row in r["timeline"]:
                    f.write(" ".join(str(x) for x in row) + "\n")
            plots.append(f"'{dat}' using 1:4 with lines lw 2 title '{name}'")
        cmds.append("plot " + ", ".join(plots))
        subprocess.run(["gnuplot"], input="\n".join(cmds) + "\n", text=True, check=True)
        return True
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("no gnuplot and no matplotlib: PNG skipped", file=sys.stderr)
        return False
    fig, ax = plt.subplots(figsize=(9, 5.4))
    for name, r in runs:
        ax.plot([x[0] for x in r["timeline"]], [x[3] for x in r["timeline"]], label=name)
    ax.set_xlabel("seconds since the first DISCOVER")
    ax.set_ylabel("clients done")
    ax.set_title("Boot storm: clients done over time")
    ax.grid(True)
    ax.legend()
    fig.savefig(png)
    return True


def main():
    argv = sys.argv[1:]
    base = None
    if argv[:1] == ["--base"] and len(argv) > 1:
        base, argv = argv[1], argv[2:]
    if len(argv) < 2:
        raise SystemExit(__doc__)
    out = argv[0]
    runs = [load(a) for a in argv[1:]]
    if base is None:
        base = runs[-1][0]
    if base not in dict(runs):
        raise SystemExit(f"--base {base}: no such run")
    table(runs, base)
    with open(os.path.join(out, "storm-compare.json"), "w") as f:
        json.dump({"servers": {n: r for n, r in runs}}, f, indent=1)
    png = os.path.join(out, "storm-compare.png")
    if plot(runs, png):
        print(f"wrote {png} and {os.path.join(out, 'storm-compare.json')}")


if __name__ == "__main__":
    main()
