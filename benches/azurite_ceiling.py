#!/usr/bin/env python3
"""How many List Blobs requests a second Azurite itself serves.

An independent minimal client (Python threads, keep-alive connections, no
proxy, no blobsel) that sends Shared Key signed List Blobs requests to an
Azurite and times them, to tell the service's ceiling from the lister's.

  azurite_ceiling.py log-proxy UPSTREAM LOG
      a pass-through proxy (no delay) to UPSTREAM (http://host:port/account)
      that appends every request line to LOG; prints its URL, serves until
      killed. List through it to capture the requests a lister sends.
  azurite_ceiling.py replay URL LOG [--inflight N] [--rounds R]
      sends the captured requests of LOG (the same paths and queries, signed
      anew) to URL, N in flight, R times; prints requests/s and latency.
  azurite_ceiling.py bound URL LOG1 LOG16 SECONDS1 [--delay-ms D] [--rounds R]
      the best ratio the service allows: replays LOG1 (a --concurrency 1
      listing's requests) one at a time and LOG16 (the default's) 16 in
      flight, alternating, R times; with SECONDS1 (the measured listing
      time at --concurrency 1 through the proxy) prints the most pages/s
      (and the shortest time) the default could reach: LOG16's pages at
      the rate Azurite serves them, against LOG1's pages in SECONDS1, and
      in (pages x D ms + Azurite's own time one at a time).
  azurite_ceiling.py classes URL CONTAINER [--inflight N] [--repeat K]
      requests/s and latency of kinds of List Blobs requests in CONTAINER
      (a container of benches/live_listing.sh's account): flat pages at
      several marker depths, delimiter listings at each directory level,
      with and without blobsel's include=snapshots,uncommittedblobs; each
      kind sent K times at 1 in flight and at N. The container's root is
      listed with delimiter=/ at maxresults 1000 and 5000 as well (what
      Azurite's cost of such a listing depends on).

The account is the emulator's devstoreaccount1 and its well-known key.
"""

import base64
import hashlib
import hmac
import http.client
import socket
import socketserver
import statistics
import sys
import threading
import time
import urllib.parse
from email.utils import formatdate

ACCOUNT = "devstoreaccount1"
KEY = base64.b64decode(
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)
VERSION = "2021-08-06"
INCLUDE = "snapshots,uncommittedblobs"


def sign(path, query):
    """Headers of a signed GET of `path` (encoded, /account/...) with `query`
    (decoded (name, value) pairs)."""
    date = formatdate(usegmt=True)
    headers = {"x-ms-date": date, "x-ms-version": VERSION}
    to_sign = "GET\n" + "\n" * 11
    to_sign += "".join(f"{k}:{headers[k]}\n" for k in sorted(headers))
    to_sign += f"/{ACCOUNT}{path}"
    params = {}
    for k, v in query:
        params.setdefault(k.lower(), []).append(v)
    for k in sorted(params):
        to_sign += f"\n{k}:{','.join(sorted(params[k]))}"
    mac = hmac.new(KEY, to_sign.encode(), hashlib.sha256).digest()
    headers["Authorization"] = f"SharedKey {ACCOUNT}:{base64.b64encode(mac).decode()}"
    return headers


def split_url(url):
    u = urllib.parse.urlsplit(url)
    return u.hostname, u.port, u.path.rstrip("/")


def target(base_path, container, query):
    """(encoded path?query, encoded path, decoded query)."""
    path = f"{base_path}/{container}"
    qs = urllib.parse.urlencode(query, quote_via=urllib.parse.quote, safe="")
    return f"{path}?{qs}", path, query


def run(host, port, requests, inflight):
    """Sends `requests` ((target, path, query) triples) with `inflight`
    threads; returns (seconds, latencies, bytes, next markers)."""
    lock = threading.Lock()
    todo = list(enumerate(requests))
    latencies = [0.0] * len(requests)
    nbytes = [0]
    markers = [None] * len(requests)

    def worker():
        conn = http.client.HTTPConnection(host, port, timeout=120)
        while True:
            with lock:
                if not todo:
                    break
                i, (tgt, path, query) = todo.pop(0)
            t0 = time.perf_counter()
            for attempt in range(3):
                try:
                    conn.request("GET", tgt, headers=sign(path, query))
                    r = conn.getresponse()
                    body = r.read()
                    break
                except (http.client.HTTPException, OSError):
                    conn.close()
                    conn = http.client.HTTPConnection(host, port, timeout=120)
            else:
                raise SystemExit(f"request failed: {tgt}")
            latencies[i] = time.perf_counter() - t0
            if r.status != 200:
                raise SystemExit(f"HTTP {r.status} for {tgt}: {body[:300]!r}")
            s = body.find(b"<NextMarker>")
            if s >= 0:
                e = body.find(b"</NextMarker>", s)
                markers[i] = body[s + 12 : e].decode()
            with lock:
                nbytes[0] += len(body)
        conn.close()

    t0 = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(inflight)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - t0, latencies, nbytes[0], markers


def report(label, secs, lat, nbytes):
    n = len(lat)
    print(
        f"{label:<46} {n:5d} req {secs:7.2f} s {n / secs:7.1f} req/s "
        f"latency mean {1000 * statistics.mean(lat):6.1f} ms "
        f"p50 {1000 * statistics.median(lat):6.1f} ms  {nbytes / n / 1024:6.1f} KiB/resp",
        flush=True,
    )


def cmd_log_proxy(upstream, log):
    up_host, up_port, _ = split_url(upstream)
    out = open(log, "a", buffering=1)
    out_lock = threading.Lock()

    class Handler(socketserver.StreamRequestHandler):
        def handle(self):
            while True:
                line = self.rfile.readline()
                if not line:
                    return
                head = [line]
                while True:
                    h = self.rfile.readline()
                    if not h or h == b"\r\n":
                        break
                    if not h.lower().startswith(b"connection:"):
                        head.append(h)
                with out_lock:
                    out.write(line.decode().rstrip("\r\n") + "\n")
                up = socket.create_connection((up_host, up_port))
                up.sendall(b"".join(head) + b"Connection: close\r\n\r\n")
                chunks = []
                while True:
                    c = up.recv(65536)
                    if not c:
                        break
                    chunks.append(c)
                up.close()
                self.wfile.write(b"".join(chunks))
                self.wfile.flush()
                return  # upstream answered Connection: close

    class Server(socketserver.ThreadingTCPServer):
        daemon_threads = True
        allow_reuse_address = True

    srv = Server(("127.0.0.1", 0), Handler)
    _, base = upstream.split("://", 1)[1].split("/", 1)
    print(f"http://127.0.0.1:{srv.server_address[1]}/{base}", flush=True)
    srv.serve_forever()


def parse_log(log, base_path):
    reqs = []
    for line in open(log):
        method, tgt, _ = line.split(" ")
        if method != "GET":
            continue
        u = urllib.parse.urlsplit(tgt)
        path = u.path
        if not path.startswith(base_path):
            continue
        query = urllib.parse.parse_qsl(u.query, keep_blank_values=True)
        if ("comp", "list") not in query:
            continue
        reqs.append((tgt, path, query))
    return reqs


def kind(query):
    q = dict(query)
    k = "delimiter" if "delimiter" in q else "flat"
    depth = q.get("prefix", "").count("/")
    return f"{k} prefix-depth {depth}{' marker' if 'marker' in q else ''}"


def cmd_replay(url, log, inflight, rounds):
    host, port, base = split_url(url)
    reqs = parse_log(log, base)
    kinds = {}
    for r in reqs:
        kinds[kind(r[2])] = kinds.get(kind(r[2]), 0) + 1
    print(f"{len(reqs)} List Blobs requests in {log}: " + ", ".join(f"{v} {k}" for k, v in sorted(kinds.items())))
    for _ in range(rounds):
        for n in (1, inflight):
            secs, lat, nbytes, _ = run(host, port, reqs, n)
            report(f"replay, {n} in flight", secs, lat, nbytes)


def cmd_bound(url, log1, log16, secs1, delay_ms, rounds):
    host, port, base = split_url(url)
    reqs1 = [r for r in parse_log(log1, base) if ("restype", "container") in r[2]]
    reqs16 = [r for r in parse_log(log16, base) if ("restype", "container") in r[2]]
    p1, p16 = len(reqs1), len(reqs16)
    print(f"--concurrency 1 sent {p1} List Blobs, the default {p16}; {secs1:.2f} s at 1 through the proxy")
    a1s, a16s = [], []
    for _ in range(rounds):
        secs, lat, nbytes, _ = run(host, port, reqs1, 1)
        report("concurrency-1 requests, 1 in flight", secs, lat, nbytes)
        a1s.append(secs)
        secs, lat, nbytes, _ = run(host, port, reqs16, 16)
        report("default's requests, 16 in flight", secs, lat, nbytes)
        a16s.append(secs)
    a1, a16 = min(a1s), min(a16s)
    ideal1 = p1 * delay_ms / 1000 + a1
    print(f"Azurite alone: {a1:.2f} s for the {p1} requests of concurrency 1 ({1000 * a1 / p1:.1f} ms each), "
          f"{a16:.2f} s for the default's {p16} at 16 in flight ({p16 / a16:.1f} a second)")
    print(f"best the default can do: {p16 / a16:.1f} pages/s in {a16:.2f} s (Azurite busy all the time, "
          f"no latency left over)")
    print(f"against the measured concurrency 1 ({p1 / secs1:.1f} pages/s, {secs1:.2f} s): at most "
          f"{(p16 / a16) / (p1 / secs1):.1f}x pages/s, {secs1 / a16:.1f}x in time")
    print(f"against an ideal concurrency 1 ({p1} x {delay_ms} ms + {a1:.2f} s = {ideal1:.2f} s, "
          f"{p1 / ideal1:.1f} pages/s): at most {(p16 / a16) / (p1 / ideal1):.1f}x pages/s, "
          f"{ideal1 / a16:.1f}x in time")


def cmd_classes(url, container, inflight, repeat):
    host, port, base = split_url(url)

    def q(prefix="", delimiter=False, marker=None, include=True, maxresults=100):
        query = [("restype", "container"), ("comp", "list")]
        if include:
            query.append(("include", INCLUDE))
        query.append(("maxresults", str(maxresults)))
        if prefix:
            query.append(("prefix", prefix))
        if delimiter:
            query.append(("delimiter", "/"))
        if marker:
            query.append(("marker", marker))
        return target(base, container, query)

    # The markers of a flat listing of the whole container, page by page.
    markers = [None]
    while True:
        _, _, _, m = run(host, port, [q(marker=markers[-1])], 1)
        if m[0] is None:
            break
        markers.append(m[0])
    pages = len(markers)
    print(f"container {container}: {pages} flat pages of 100")

    def measure(label, reqs, times=repeat):
        for n in (1, inflight):
            secs, lat, nbytes, _ = run(host, port, reqs * times, n)
            report(f"{label}, {n} in flight", secs, lat, nbytes)

    for include in (True, False):
        inc = "include" if include else "no include"
        for depth in (0, pages // 4, pages // 2, 3 * pages // 4, pages - 1):
            measure(f"flat page {depth + 1}/{pages}, {inc}", [q(marker=markers[depth], include=include)])
        measure(f"flat all {pages} pages, {inc}", [q(marker=m, include=include) for m in markers], 1)
        measure(f"delimiter container root, {inc}", [q(delimiter=True, include=include)])
        if include:
            # Azurite reads a delimiter listing maxresults names at a time,
            # querying and sorting the container's names again for each
            # read, until the page is full: the page size sets its cost.
            for mr in (1000, 5000):
                measure(
                    f"delimiter container root, maxresults {mr}",
                    [q(delimiter=True, include=include, maxresults=mr)],
                )
        measure(f"delimiter d07/, {inc}", [q("d07/", delimiter=True, include=include)])
        measure(f"delimiter d07/s3/, {inc}", [q("d07/s3/", delimiter=True, include=include)])
        measure(f"flat d07/, {inc}", [q("d07/", include=include)])
        measure(f"flat d07/s3/, {inc}", [q("d07/s3/", include=include)])


def main():
    args = sys.argv[1:]
    opts = {"--inflight": 16, "--rounds": 2, "--repeat": 32, "--delay-ms": 50}
    rest = []
    i = 0
    while i < len(args):
        if args[i] in opts:
            opts[args[i]] = int(args[i + 1])
            i += 2
        else:
            rest.append(args[i])
            i += 1
    if rest[:1] == ["log-proxy"] and len(rest) == 3:
        cmd_log_proxy(rest[1], rest[2])
    elif rest[:1] == ["replay"] and len(rest) == 3:
        cmd_replay(rest[1], rest[2], opts["--inflight"], opts["--rounds"])
    elif rest[:1] == ["bound"] and len(rest) == 5:
        cmd_bound(rest[1], rest[2], rest[3], float(rest[4]), opts["--delay-ms"], opts["--rounds"])
    elif rest[:1] == ["classes"] and len(rest) == 3:
        cmd_classes(rest[1], rest[2], opts["--inflight"], opts["--repeat"])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
