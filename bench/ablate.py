#!/usr/bin/env python3
"""What each part of `copbook build` costs: builds with parts taken out.

Applies bench/ablation.patch (switches read from the environment:
ABL_NOSCAN skips each page's link scan, ABL_NOSEARCH the search index,
ABL_NOPRINT the print page's sections, ABL_NOJSON handbook.json,
ABL_NOWRITE writing any file) to a worktree of HEAD, builds that binary
apart (target/ablation), and times it with each set of switches beside
the raw floor, on generated corpora on tmpfs, A/B alternating, medians
of wall time, CPU time and peak RSS. The switches stay out of copbook
itself: they would be a way to build a site with no link check.

The patch is against the render code of its day; when it no longer
applies, make the same five cuts by hand and save `git diff` over it.

usage: ablate.py [--sizes 1000,10000] [--runs 9]
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from run import cpu_ticks, timed  # noqa: E402

ALL = ["ABL_NOSCAN", "ABL_NOSEARCH", "ABL_NOPRINT", "ABL_NOJSON"]
VARIANTS = [
    ("floor", None),
    ("copbook build, everything", []),
    ("no link scan of the pages", ["ABL_NOSCAN"]),
    ("no search index", ["ABL_NOSEARCH"]),
    ("no sections in the print page", ["ABL_NOPRINT"]),
    ("no handbook.json", ["ABL_NOJSON"]),
    ("none of those four", ALL),
    ("none of those four, and nothing written", ALL + ["ABL_NOWRITE"]),
]


def build_ablated():
    """The patched binary, built from a worktree of HEAD."""
    src = os.path.join(ROOT, "target", "ablation-src")
    subprocess.run(["git", "worktree", "remove", "--force", src], cwd=ROOT, capture_output=True)
    shutil.rmtree(src, ignore_errors=True)
    subprocess.run(["git", "worktree", "add", "--detach", "--quiet", src, "HEAD"], cwd=ROOT, check=True)
    try:
        subprocess.run(["git", "apply", os.path.join(HERE, "ablation.patch")], cwd=src, check=True)
        env = dict(os.environ, CARGO_TARGET_DIR=os.path.join(ROOT, "target", "ablation"))
        subprocess.run(["cargo", "build", "--release", "--quiet", "--bin", "copbook"], cwd=src, env=env, check=True)
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", src], cwd=ROOT, check=True)
    return os.path.join(ROOT, "target", "ablation", "release", "copbook")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1000,10000")
    ap.add_argument("--runs", type=int, default=9)
    a = ap.parse_args()

    subprocess.run(["cargo", "build", "--release", "--quiet", "--example", "floor"], cwd=ROOT, check=True)
    floor = os.path.join(ROOT, "target", "release", "examples", "floor")
    copbook = build_ablated()
    print(f"machine: {os.cpu_count()} cores; runs per figure: {a.runs}; tmpfs; A/B alternating")
    for size in [int(s) for s in a.sizes.split(",")]:
        d = os.path.join("/dev/shm/copbook-ablate", str(size))
        shutil.rmtree(d, ignore_errors=True)
        book = os.path.join(d, "copbook")
        subprocess.run([sys.executable, os.path.join(HERE, "gen_corpus.py"), str(size), book], check=True)
        out = os.path.join(d, "out")
        figures = {name: [] for name, _ in VARIANTS}
        steal0, total0 = cpu_ticks()
        for r in range(a.runs):
            order = VARIANTS if r % 2 == 0 else list(reversed(VARIANTS))
            for name, switches in order:
                shutil.rmtree(out, ignore_errors=True)
                if switches is None:
                    cmd, env = [floor, os.path.join(book, "content"), out], None
                else:
                    cmd = [copbook, "build", book, "-d", out]
                    env = dict(os.environ, **{s: "1" for s in switches})
                secs, kb, _, cpu = timed(cmd, env)
                figures[name].append((secs * 1000, cpu * 1000, kb / 1024))
        steal1, total1 = cpu_ticks()
        steal = 100 * (steal1 - steal0) / max(1, total1 - total0)
        print(f"\n{size} pages (host steal during these runs: {steal:.1f}% of CPU time)")
        print(f"  {'build':42} {'wall':>9} {'CPU':>9} {'peak RSS':>9} {'floors':>7}")
        floor_wall = statistics.median(w for w, _, _ in figures["floor"])
        for name, _ in VARIANTS:
            f = figures[name]
            wall = statistics.median(w for w, _, _ in f)
            cpu = statistics.median(c for _, c, _ in f)
            peak = max(m for _, _, m in f)
            print(f"  {name:42} {wall:6.0f} ms {cpu:6.0f} ms {peak:6.0f} MB {wall / floor_wall:7.2f}")
    shutil.rmtree("/dev/shm/copbook-ablate", ignore_errors=True)


if __name__ == "__main__":
    main()
