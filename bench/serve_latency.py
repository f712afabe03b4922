#!/usr/bin/env python3
"""Save-to-browser latency of `copbook serve`.

For handbooks of the given sizes (generated with gen_corpus.py on tmpfs),
starts `copbook serve`, listens to the reload stream, then edits one file
repeatedly and prints the median time from the save to the reload event and
to the served page showing the edit, fetched once the event came (as an
open page fetches it). Edits (--edits):

  prose   append a line to a page's body (serve's fast path)
  title   change a page's `title` in its front matter
  member  change a member's `name` (shown on the pages that list them)

After each edit the script waits until serve is idle again (its refresh of
the print page and the search index follows every edit once edits pause),
so that runs do not overlap.

usage: serve_latency.py [--bin target/release/copbook] [--sizes 100,1000,10000]
                        [--runs 15] [--edits prose,title,member]
"""
import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def sse_listener(port, events):
    sock = socket.create_connection(("127.0.0.1", port))
    sock.sendall(b"GET /__copbook/events HTTP/1.1\r\nHost: x\r\n\r\n")
    buf = b""
    name = None
    while True:
        data = sock.recv(65536)
        if not data:
            return
        buf += data
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            line = line.decode("utf-8", "replace").rstrip("\r")
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: ") and name:
                events.append((time.perf_counter(), name, line[6:]))
                name = None


# What each kind of edit writes (the original text, a marker) and where the
# marker must show: (file under the book, rewrite, URL path).
EDITS = {
    "prose": ("content/01-phase1/page-00001.md",
              lambda text, marker: text + f"\n{marker}\n",
              "/phase1/page-00001/"),
    "title": ("content/01-phase1/page-00001.md",
              lambda text, marker: text.replace('title = "Page 1:', f'title = "Page 1 {marker}:', 1),
              "/phase1/page-00001/"),
    "member": ("content/members/m0001.md",
               lambda text, marker: text.replace('name = "Member 1"', f'name = "Member 1 {marker}"', 1),
               "/members/m0001/"),
}


def cpu_ticks(pid):
    """CPU time used by process `pid` so far (Linux), or None."""
    try:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])
    except (OSError, IndexError, ValueError):
        return None


def wait_idle(pid, timeout=60):
    """Waits out serve's refresh that follows an edit once edits pause
    (300 ms): then until the process has used no CPU for 0.3 s."""
    time.sleep(0.35)
    deadline = time.time() + timeout
    last = cpu_ticks(pid)
    if last is None:
        time.sleep(2)
        return
    while time.time() < deadline:
        time.sleep(0.3)
        now = cpu_ticks(pid)
        if now == last:
            return
        last = now


def peak_rss_mb(pid):
    """The process's peak resident memory so far (VmHWM), e.g. "712 MB"."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return f"{int(line.split()[1]) // 1024} MB"
    except OSError:
        pass
    return "unknown"


def measure(binary, size, runs, root, edits):
    book = os.path.join(root, f"serve{size}")
    shutil.rmtree(book, ignore_errors=True)
    subprocess.run([sys.executable, os.path.join(HERE, "gen_corpus.py"), str(size), book], check=True)
    port = free_port()
    log = open(os.path.join(root, f"serve{size}.log"), "w")
    proc = subprocess.Popen([binary, "serve", book, "-p", str(port)], stdout=log, stderr=log)
    try:
        deadline = time.time() + 120
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1).read()
                break
            except Exception:
                if time.time() > deadline:
                    raise
                time.sleep(0.05)
        events = []
        threading.Thread(target=sse_listener, args=(port, events), daemon=True).start()
        time.sleep(0.3)
        results = {}
        for kind in edits:
            results[kind] = measure_edit(port, book, proc.pid, events, runs, kind)
        return results
    finally:
        print(f"serve's peak RSS at {size} pages: {peak_rss_mb(proc.pid)}", file=sys.stderr)
        proc.terminate()
        proc.wait()


def measure_edit(port, book, pid, events, runs, kind):
    rel, rewrite, path = EDITS[kind]
    page = os.path.join(book, rel)
    url = f"http://127.0.0.1:{port}{path}"
    original = open(page, encoding="utf-8").read()
    to_event, to_page = [], []
    for i in range(runs):
        marker = f"edit-marker-{i}-{time.time_ns()}"
        seen = len(events)
        t0 = time.perf_counter()
        edited = rewrite(original, marker)
        assert edited != original, f"{kind}: the edit changes nothing"
        with open(page, "w", encoding="utf-8") as f:
            f.write(edited)
        # As an open page does: wait for the reload event, then fetch the
        # page. (Fetching it over and over while serve rebuilds took CPU
        # from the rebuild on a 2-core machine.)
        got_page = ev = None
        while time.perf_counter() - t0 < 30:
            if ev is None:
                ev = next((e[0] for e in events[seen:] if e[1] == "reload"), None)
                if ev is None:
                    time.sleep(0.0005)
                    continue
            body = urllib.request.urlopen(url, timeout=5).read().decode()
            if marker in body:
                got_page = time.perf_counter() - t0
                break
        if got_page is None or ev is None:
            print(f"  run {i}: no change seen within 30 s", file=sys.stderr)
            continue
        to_page.append(got_page * 1000)
        to_event.append((ev - t0) * 1000)
        wait_idle(pid)
    with open(page, "w", encoding="utf-8") as f:
        f.write(original)
    wait_idle(pid)
    return statistics.median(to_event), statistics.median(to_page), len(to_page)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(HERE, "..", "target", "release", "copbook"))
    ap.add_argument("--sizes", default="100,1000,10000")
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--edits", default="prose", help="comma-separated: " + ", ".join(EDITS))
    ap.add_argument("--dir", default="/dev/shm/copbook-bench" if os.path.isdir("/dev/shm") else "/tmp/copbook-bench")
    a = ap.parse_args()
    os.makedirs(a.dir, exist_ok=True)
    edits = a.edits.split(",")
    for e in edits:
        if e not in EDITS:
            ap.error(f"unknown edit {e}; choose from {', '.join(EDITS)}")
    print(f"{'pages':>7} {'edit':>7} {'save -> reload event':>22} {'save -> page served':>21} {'runs':>5}")
    for size in [int(s) for s in a.sizes.split(",")]:
        for kind, (ev, pg, n) in measure(os.path.abspath(a.bin), size, a.runs, a.dir, edits).items():
            print(f"{size:>7} {kind:>7} {ev:>19.1f} ms {pg:>18.1f} ms {n:>5}", flush=True)


if __name__ == "__main__":
    main()
