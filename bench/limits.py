#!/usr/bin/env python3
"""Times `copbook build` on hostile inputs of growing size, to show that
each grows linearly (10x the input, about 10x the time), not with its
square. Each input is one page added to a small handbook:

  depth-list N     N-deep nested list on one line ("- - - … x")
  depth-quote N    N-deep block quote (">>> … x")
  wiki-links N     N wiki links [[ana]] in one page
  anchor-links N   N headings and N links to them ([x](#h-i)), the link
                   check's worst case: every link looks up an anchor
  headings N       N distinct headings
  same-heading N   N headings with the same text (ids h, h-1, h-2, …)
  questions N      N questions in the front matter and N headings that
                   answer them

usage: bench/limits.py [--bin PATH] [--quick] [--only NAME]

Prints, per input kind and size, the file size, the wall and CPU time
of the build (CPU time: user+sys of copbook and its threads, which is
steadier than wall time on a busy machine) and the ratio to the size
before. The machine is shared: compare ratios, not absolute numbers.
"""
import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def base_book(root):
    files = {
        "book.toml": '[book]\ntitle = "Limits"\n',
        "content/index.md": "+++\ntitle = \"Home\"\n+++\nHome.\n",
        "content/members/ana.md": "+++\nname = \"Ana\"\n+++\nBio.\n",
    }
    for rel, text in files.items():
        p = os.path.join(root, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w") as f:
            f.write(text)


def page(kind, n):
    fm = '+++\ntitle = "P"\n+++\n\n'
    if kind == "depth-list":
        return fm + "- " * n + "x\n"
    if kind == "depth-quote":
        return fm + ">" * n + " x\n"
    if kind == "wiki-links":
        return fm + "".join(f"See [[ana]] {i}.\n" for i in range(n))
    if kind == "anchor-links":
        heads = "".join(f"## H {i}\n\ntext\n\n" for i in range(n))
        links = "".join(f"[x](#h-{i}) " for i in range(n))
        return fm + heads + links + "\n"
    if kind == "headings":
        return fm + "".join(f"## Heading {i}\n\ntext\n\n" for i in range(n))
    if kind == "same-heading":
        return fm + "## H\n\ntext\n\n" * n
    if kind == "questions":
        qs = ", ".join(f'"Question {i}?"' for i in range(n))
        heads = "".join(f"## Question {i}?\n\nAnswer.\n\n" for i in range(n))
        return f'+++\ntitle = "P"\nquestions = [{qs}]\n+++\n\n' + heads
    raise ValueError(kind)


KINDS = {
    "depth-list": [1_000, 10_000, 100_000],
    "depth-quote": [1_000, 10_000, 100_000],
    "wiki-links": [1_000, 10_000, 100_000],
    "anchor-links": [1_000, 10_000, 100_000],
    "headings": [1_000, 10_000, 100_000],
    "same-heading": [1_000, 10_000, 100_000],
    "questions": [1_000, 10_000, 100_000],
}


def run(bin_path, book, dest):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    r = subprocess.run([bin_path, "build", book, "-d", dest],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if r.returncode != 0:
        sys.exit(f"build failed ({r.returncode}):\n{r.stderr[-2000:]}")
    return wall, cpu


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(ROOT, "target/release/copbook"))
    ap.add_argument("--quick", action="store_true", help="two sizes each: 1k and 10k")
    ap.add_argument("--only", help="one input kind")
    ap.add_argument("--repeat", type=int, default=3, help="best of N runs")
    a = ap.parse_args()
    if not os.path.exists(a.bin):
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    tmp = tempfile.mkdtemp(prefix="copbook-limits-", dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
    try:
        book = os.path.join(tmp, "book")
        base_book(book)
        dest = os.path.join(tmp, "site")
        # The handbook without the page: what every build costs anyway.
        empty = min(run(a.bin, book, dest) for _ in range(a.repeat))
        print(f"baseline (no extra page): wall {empty[0]*1000:.0f} ms, cpu {empty[1]*1000:.0f} ms")
        print(f"{'input':<14}{'N':>9}{'bytes':>12}{'wall ms':>10}{'cpu ms':>10}{'cpu/N µs':>10}{'x prev':>8}")
        os.makedirs(os.path.join(book, "content/01-a"), exist_ok=True)
        for kind, sizes in KINDS.items():
            if a.only and kind != a.only:
                continue
            if a.quick:
                sizes = sizes[:2]
            prev = None
            for n in sizes:
                text = page(kind, n)
                with open(os.path.join(book, "content/01-a/p.md"), "w") as f:
                    f.write(text)
                best = min((run(a.bin, book, dest) for _ in range(a.repeat)), key=lambda x: x[1])
                wall, cpu = best
                # The page's own cost: what the build costs beyond the baseline.
                own = max(cpu - empty[1], 1e-6)
                ratio = f"{own / prev:.1f}" if prev else ""
                print(f"{kind:<14}{n:>9}{len(text.encode()):>12}{wall*1000:>10.0f}{cpu*1000:>10.0f}{own*1e6/n:>10.2f}{ratio:>8}", flush=True)
                prev = own
            os.remove(os.path.join(book, "content/01-a/p.md"))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
