"""Long fuzzing runs (issue 9 §7): the targets and mutators of tests/fuzzing for N minutes.

Run: ``python bench/fuzz.py --minutes N [--workers 2] [--seed 1] [--out DIR]``

* Sets up the test PKI (responders on 127.0.0.1), a SoftHSM2 token and ``kyso serve`` once to
  sign the seeds kyso contributes (B-B once and twice, B-T), then starts ``--workers`` worker
  processes, each with its own :class:`kyso.server.context.AppContext` (its own home), that
  draw a target (Verify 60 %, layout 10 %, edXML intake 10 %, trust import 10 %, trust
  bundle 10 %), a seed and a mutator from a seeded :class:`random.Random` and run the oracle
  of :class:`tests.fuzzing.targets.Targets`.
* Seeds: every PDF of ../shared/corpus, ../shared/cases and tests/corpus up to
  ``--max-seed-mb`` (3), generated documents and kyso's signed ones; the test PKI's and
  ../shared/trust's certificates; the shipped ``vn-gov`` bundle.
* The parent watches each worker: a call longer than ``--hang-seconds`` (60) is a HANG, a
  worker over ``--memory-mb`` (2048) RSS is a MEMORY finding, a worker that dies is a CRASH;
  each kills and replaces the worker. The input of every finding is written to ``OUT``.
* Prints executions per target, results, findings, the slowest calls and each worker's peak
  RSS (VmHWM); ``--json`` writes them. Runs are recorded in docs/robustness.md.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import queue
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

WEIGHTS = {"verify": 60, "layout": 10, "intake": 10, "trust-import": 10, "trust-bundle": 10}


# -- worker ----------------------------------------------------------------------------------
def _emit(event: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(event) + "\n")
    sys.stdout.flush()


def worker(config: Path, seeds_dir: Path, out: Path, seed: int, hang: float) -> None:
    """One worker: fuzz until killed; one JSON line per event on stdout."""
    import logging

    logging.disable(logging.WARNING)  # hostile input makes noisy logs; findings are reported
    from kyso.server.context import build_context
    from kyso.server.settings import load_settings
    from tests.fuzzing import input_mutations, pdf_mutations
    from tests.fuzzing.pdf_mutations import Seed
    from tests.fuzzing.seeds import bundle_seed, certificates
    from tests.fuzzing.targets import PASSED, Targets

    ctx = build_context(load_settings(config))
    work = Path(tempfile.mkdtemp(prefix="kyso-fuzz-worker-"))
    targets = Targets(ctx, work, hang_seconds=hang)
    pdfs = sorted(seeds_dir.glob("*.pdf"))
    raw = [(p.name, p.read_bytes()) for p in pdfs]
    seeds = [Seed.of(name, data) for name, data in raw]
    kyso_signed = [s.data for s in seeds if s.name.startswith("kyso-signed")]
    certs = certificates(sorted(seeds_dir.glob("*.pem")))
    manifest, bundle_files = bundle_seed()
    passed: dict[str, bool] = {}
    rnd = random.Random(seed)
    names, weights = zip(*WEIGHTS.items(), strict=True)
    current = out / f"current-{seed}.bin"
    _emit({"event": "ready", "seeds": len(seeds)})
    n = 0
    while True:
        n += 1
        target = rnd.choices(names, weights)[0]
        mutant = None
        if target in ("verify", "layout"):
            s = rnd.choice(seeds)
            kind = rnd.choice(sorted(pdf_mutations.MUTATORS))
            if kind in pdf_mutations.SIGNATURE_MUTATORS and s.name not in passed:
                passed[s.name] = targets.baseline(s.data) == PASSED
            s = Seed(s.name, s.data, passed.get(s.name, False), s.ranges)
            mutant = pdf_mutations.mutate(rnd, s, seeds, kind)
            data: Any = mutant.data
            kind, seed_name = mutant.kind, s.name
            blob = data
        elif target == "intake":
            data, kind = input_mutations.edxml_mutation(rnd, kyso_signed)
            seed_name, blob = "edxml", data
        elif target == "trust-import":
            data, kind = input_mutations.trust_bundle(rnd, certs)
            seed_name, blob = "certificates", data
        else:
            m, files, kind = input_mutations.bundle_directory(rnd, manifest, bundle_files)
            data, seed_name = (m, files), "vn-gov"
            blob = json.dumps(
                {
                    "manifest": base64.b64encode(m).decode(),
                    "files": {k: base64.b64encode(v).decode() for k, v in files.items()},
                }
            ).encode()
        current.write_bytes(blob)
        _emit({"event": "start", "n": n, "target": target, "kind": kind, "seed": seed_name})
        o = targets.run(target, data, kind, seed_name, mutant if target == "verify" else None)
        found = None
        if o.problem:
            found = out / f"{o.problem}-{target}-{kind}-{hashlib.sha256(blob).hexdigest()[:12]}.bin"
            found.write_bytes(blob)
            found.with_suffix(".txt").write_text(
                f"{o.problem} {target} {kind} {seed_name} {o.result} {o.seconds:.2f} s\n{o.detail}"
            )
        _emit(
            {
                "event": "done",
                "target": target,
                "kind": kind,
                "seed": seed_name,
                "result": o.result,
                "seconds": round(o.seconds, 3),
                "problem": o.problem,
                "file": found.name if found else None,
            }
        )


# -- parent ----------------------------------------------------------------------------------
def _status_kb(pid: int, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class _Worker:
    def __init__(
        self, args: list[str], events: queue.Queue[tuple[int, dict[str, Any]]], index: int
    ):
        self.index = index
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.started: float | None = None  # the current call's start (monotonic)
        self.last: dict[str, Any] = {}
        self.peak_kb = 0
        self.ready = False

        def read() -> None:
            assert self.proc.stdout is not None
            for line in self.proc.stdout:
                try:
                    events.put((index, json.loads(line)))
                except ValueError:
                    continue

        threading.Thread(target=read, daemon=True).start()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


def _prepare(tmp: Path, seeds_dir: Path, max_seed_bytes: int) -> tuple[Any, Any, list[Path]]:
    """Test PKI, token, kyso's signed seeds; returns (pki, token, certificate PEM paths)."""
    from bench.load import ServeProcess, _config, signed_by
    from tests.fuzzing.seeds import pdf_files
    from tests.integration.documents import decree30_pdf, make_pdf
    from tests.pki import TestPki, make_softhsm_token

    pki = TestPki(tmp / "pki").start()
    token = make_softhsm_token(tmp / "hsm", pki, labels=("personal",))
    home = tmp / "sign-home"
    home.mkdir()
    server = ServeProcess(_config(home, pki, token))
    try:
        once = signed_by(server.address, make_pdf(["Công văn thử nghiệm"]))
        twice = signed_by(server.address, once)
        bt = signed_by(server.address, decree30_pdf(), level="B-T")
    finally:
        server.close()
    generated = {
        "kyso-signed-bb.pdf": once,
        "kyso-signed-bb-twice.pdf": twice,
        "kyso-signed-bt.pdf": bt,
        "generated-decree30.pdf": decree30_pdf(),
        "generated-one-page.pdf": make_pdf(["Thông báo"]),
    }
    for name, data in generated.items():
        (seeds_dir / name).write_bytes(data)
    for path in pdf_files(max_seed_bytes):
        digest = hashlib.sha256(str(path).encode()).hexdigest()[:8]
        (seeds_dir / f"{digest}-{path.name}").write_bytes(path.read_bytes())
    pems = [pki.root_path, *pki.chain_paths("personal"), pki.cert_path("personal")]
    for i, p in enumerate(pems):
        (seeds_dir / f"cert-{i}.pem").write_bytes(p.read_bytes())
    return pki, token, pems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path("fuzz-findings"))
    parser.add_argument("--hang-seconds", type=float, default=60.0)
    parser.add_argument("--memory-mb", type=float, default=2048.0)
    parser.add_argument("--max-seed-mb", type=float, default=3.0)
    parser.add_argument("--json", type=Path)
    parser.add_argument(
        "--worker", nargs=4, metavar=("CONFIG", "SEEDS", "OUT", "SEED"), help=argparse.SUPPRESS
    )
    ns = parser.parse_args()
    if ns.worker:
        config, seeds, out, seed = ns.worker
        worker(Path(config), Path(seeds), Path(out), int(seed), ns.hang_seconds)
        return
    ns.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="kyso-fuzz-") as tmp_name:
        tmp = Path(tmp_name)
        seeds_dir = tmp / "seeds"
        seeds_dir.mkdir()
        pki, token, _pems = _prepare(tmp, seeds_dir, int(ns.max_seed_mb * 1024 * 1024))
        try:
            _run(ns, tmp, seeds_dir, pki, token)
        finally:
            pki.close()


def _run(ns: argparse.Namespace, tmp: Path, seeds_dir: Path, pki: Any, token: Any) -> None:
    from bench.load import _config

    events: queue.Queue[tuple[int, dict[str, Any]]] = queue.Queue()
    configs = []
    for i in range(ns.workers):
        home = tmp / f"worker-home-{i}"
        home.mkdir()
        # OCR (tesseract, up to 12 s a document) is not what is fuzzed: off.
        configs.append(_config(home, pki, token, verifier="layout_ocr = false"))
    generation = [0] * ns.workers

    def start(i: int) -> _Worker:
        seed = ns.seed * 1000 + i * 100 + generation[i]
        generation[i] += 1
        args = [
            sys.executable,
            __file__,
            "--hang-seconds",
            str(ns.hang_seconds),
            "--worker",
            str(configs[i]),
            str(seeds_dir),
            str(ns.out),
            str(seed),
        ]
        return _Worker(args, events, i)

    workers = [start(i) for i in range(ns.workers)]
    per_target: dict[str, int] = {}
    results: dict[str, int] = {}
    findings: list[str] = []
    slowest: list[tuple[float, str]] = []
    peaks: list[int] = []
    restarts = 0
    t0 = time.monotonic()
    began: float | None = None
    end = t0 + ns.minutes * 60 + 600  # set properly once every worker is ready
    while time.monotonic() < end:
        try:
            i, ev = events.get(timeout=0.5)
        except queue.Empty:
            i, ev = -1, {}
        if i >= 0:
            w = workers[i]
            if ev["event"] == "ready":
                w.ready = True
                if began is None and all(x.ready for x in workers):
                    began = time.monotonic()
                    end = began + ns.minutes * 60
                    print(
                        f"fuzz: {ev['seeds']} PDF seeds, {ns.workers} workers, {ns.minutes:g} min",
                        flush=True,
                    )
            elif ev["event"] == "start":
                w.started, w.last = time.monotonic(), ev
            elif ev["event"] == "done":
                w.started = None
                if began is None:
                    continue
                per_target[ev["target"]] = per_target.get(ev["target"], 0) + 1
                key = f"{ev['target']}:{ev['result']}"
                results[key] = results.get(key, 0) + 1
                slowest.append((ev["seconds"], f"{ev['target']} {ev['kind']} {ev['seed']}"))
                slowest = sorted(slowest, reverse=True)[:10]
                if ev["problem"]:
                    findings.append(
                        f"{ev['problem']} {ev['target']} {ev['kind']} {ev['seed']} "
                        f"{ev['result']} -> {ev['file']}"
                    )
                    print(findings[-1], flush=True)
        for i, w in enumerate(workers):
            w.peak_kb = max(w.peak_kb, _status_kb(w.proc.pid, "VmHWM"))
            problem = None
            if w.proc.poll() is not None:
                problem = f"CRASH (exit {w.proc.returncode})"
            elif w.started and time.monotonic() - w.started > ns.hang_seconds:
                problem = f"HANG (> {ns.hang_seconds:g} s)"
            elif _status_kb(w.proc.pid, "VmRSS") > ns.memory_mb * 1024:
                problem = f"MEMORY (> {ns.memory_mb:g} MB)"
            if problem:
                w.kill()
                name = f"{problem.split()[0]}-{w.last.get('target')}-{w.last.get('kind')}"
                cur = ns.out / f"current-{ns.seed * 1000 + i * 100 + generation[i] - 1}.bin"
                if cur.exists():
                    cur.rename(ns.out / f"{name}-{int(time.time())}.bin")
                findings.append(f"{problem} {w.last}")
                print(findings[-1], flush=True)
                peaks.append(w.peak_kb)
                restarts += 1
                workers[i] = start(i)
    wall = time.monotonic() - (began or t0)
    for w in workers:
        w.peak_kb = max(w.peak_kb, _status_kb(w.proc.pid, "VmHWM"))
        peaks.append(w.peak_kb)
        w.kill()
    for f in ns.out.glob("current-*.bin"):
        f.unlink()
    total = sum(per_target.values())
    print(f"executions {total} in {wall:.0f} s ({total / max(wall, 1):.1f}/s): {per_target}")
    print(f"results: {dict(sorted(results.items(), key=lambda kv: -kv[1]))}")
    print(f"findings: {len(findings)}; worker restarts: {restarts}")
    print(f"slowest: {[(round(s, 1), what) for s, what in slowest]}")
    print(f"peak RSS per worker process (VmHWM): {[round(p / 1024) for p in peaks]} MB")
    if ns.json:
        ns.json.write_text(
            json.dumps(
                {
                    "executions": total,
                    "seconds": wall,
                    "per_target": per_target,
                    "results": results,
                    "findings": findings,
                    "restarts": restarts,
                    "slowest": slowest,
                    "peak_rss_mb": [round(p / 1024) for p in peaks],
                },
                indent=1,
            ),
            encoding="utf-8",
        )


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
