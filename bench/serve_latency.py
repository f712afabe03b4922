#!/usr/bin/env python3
"""Save-to-browser latency of `copbook serve`.

For handbooks of the given sizes (generated with gen_corpus.py on tmpfs),
starts `copbook serve`, listens to the reload stream, then edits one page
repeatedly and prints the median time from the save to the reload event and
to the served page showing the edit.

usage: serve_latency.py [--bin target/release/copbook] [--sizes 100,1000,10000] [--runs 15]
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


def measure(binary, size, runs, root):
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
        page = os.path.join(book, "content", "01-phase1", "page-00001.md")
        url = f"http://127.0.0.1:{port}/phase1/page-00001/"
        original = open(page, encoding="utf-8").read()
        to_event, to_page = [], []
        for i in range(runs):
            marker = f"edit-marker-{i}-{time.time_ns()}"
            seen = len(events)
            t0 = time.perf_counter()
            with open(page, "w", encoding="utf-8") as f:
                f.write(original + f"\n{marker}\n")
            got_page = None
            while time.perf_counter() - t0 < 30:
                if got_page is None:
                    body = urllib.request.urlopen(url, timeout=5).read().decode()
                    if marker in body:
                        got_page = time.perf_counter() - t0
                if got_page is not None and any(e[1] == "reload" for e in events[seen:]):
                    break
            ev = next((e[0] for e in events[seen:] if e[1] == "reload"), None)
            if got_page is None or ev is None:
                print(f"  run {i}: no change seen within 30 s", file=sys.stderr)
                continue
            to_page.append(got_page * 1000)
            to_event.append((ev - t0) * 1000)
            time.sleep(0.2)
        return statistics.median(to_event), statistics.median(to_page), len(to_page)
    finally:
        proc.terminate()
        proc.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(HERE, "..", "target", "release", "copbook"))
    ap.add_argument("--sizes", default="100,1000,10000")
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--dir", default="/dev/shm/copbook-bench" if os.path.isdir("/dev/shm") else "/tmp/copbook-bench")
    a = ap.parse_args()
    os.makedirs(a.dir, exist_ok=True)
    print(f"{'pages':>7} {'save -> reload event':>22} {'save -> page served':>21} {'runs':>5}")
    for size in [int(s) for s in a.sizes.split(",")]:
        ev, pg, n = measure(os.path.abspath(a.bin), size, a.runs, a.dir)
        print(f"{size:>7} {ev:>19.1f} ms {pg:>18.1f} ms {n:>5}")


if __name__ == "__main__":
    main()
