"""Many users at once: N concurrent ``/chat`` clients against a served page, on 127.0.0.1 only.

Starts ``storydesk serve`` (the embedded model unless ``--url`` names a running page), sends N
questions at the same moment through gradio_client, and prints one JSON line: how many were answered,
lost or failed, the latency p50/p95/max (from sending to the answer), the highest queue position a
client was told while waiting, and the server's peak resident memory.

    python bench/load.py --clients 20
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

QUESTIONS = [
    "Who is accused of stealing Anthropic's technology?",
    "How long did the intrusion last?",
    "How did the accused company respond?",
    "On what date did the breach begin?",
    "What did the CEO say about the breach?",
]


def run_clients(url: str, questions: list[str], clients: int, timeout_s: float = 3600) -> list[dict]:
    """One thread per client, all submitted together; each records its latency, the queue positions it
    was told, and its answer or error."""
    from gradio_client import Client

    results: list[dict] = [{} for _ in range(clients)]
    start = threading.Barrier(clients)

    def one(i: int) -> None:
        client = Client(url, verbose=False)
        ranks: list[int] = []
        start.wait()
        began = time.perf_counter()
        try:
            job = client.submit(questions[i % len(questions)], api_name="/chat")
            while not job.done() and time.perf_counter() - began < timeout_s:
                status = job.status()
                if status.rank is not None:
                    ranks.append(status.rank)
                time.sleep(0.05)
            results[i] = {
                "answer": job.result(timeout=max(1.0, timeout_s - (time.perf_counter() - began))),
                "seconds": time.perf_counter() - began,
                "ranks": ranks,
            }
        except Exception as err:  # counted as failed, with its message
            results[i] = {
                "error": f"{type(err).__name__}: {err}",
                "seconds": time.perf_counter() - began,
                "ranks": ranks,
            }

    threads = [threading.Thread(target=one, args=(i,), daemon=True) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=timeout_s + 60)
    return results


def summary(results: list[dict]) -> dict:
    times = sorted(r["seconds"] for r in results if "answer" in r)

    def pct(p: float) -> float | None:
        return round(times[min(len(times) - 1, int(p * len(times)))], 1) if times else None

    return {
        "clients": len(results),
        "answered": sum("answer" in r for r in results),
        "failed": sum("error" in r for r in results),
        "lost": sum(not r for r in results),
        "told_queue_position": sum(bool(r.get("ranks")) for r in results),
        "max_queue_position": max((max(r["ranks"]) for r in results if r.get("ranks")), default=None),
        "p50_s": pct(0.5),
        "p95_s": pct(0.95),
        "max_s": round(times[-1], 1) if times else None,
        "errors": sorted({r["error"] for r in results if "error" in r})[:3],
    }


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(port: int) -> subprocess.Popen:
    exe = Path(sys.executable).with_name("storydesk")
    server = subprocess.Popen(
        [str(exe), "serve", "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.time() + 600
    while time.time() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server exited: {server.stderr.read()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return server
        except OSError:
            time.sleep(1)
    server.kill()
    raise SystemExit("the server did not start within 10 minutes")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--url", help="a page already running (then no server is started and no memory is read)")
    args = ap.parse_args()
    server = None
    url = args.url
    if not url:
        port = _free_port()
        server = _serve(port)
        url = f"http://127.0.0.1:{port}/"
    try:
        began = time.perf_counter()
        report = summary(run_clients(url, QUESTIONS, args.clients))
        report["wall_s"] = round(time.perf_counter() - began, 1)
        if server:
            report["server_peak_rss_mb"] = _peak_rss_mb(server.pid)
        report["load_avg_1m_at_end"] = os.getloadavg()[0]
        print(json.dumps(report))
    finally:
        if server:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
