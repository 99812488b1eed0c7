"""The fuzzing targets and their oracle (issue 9 §7), in process, through the servicers.

Each target calls what the gRPC method calls, minus the transport: the undecorated servicer
method (``grpc_errors`` would turn an unexpected exception into INTERNAL; here it is caught and
named), with no ``ServicerContext`` (the verifier's own ``request_timeout_seconds`` is the
deadline). The oracle (:meth:`Targets.judge`):

* no exception other than kyso's error hierarchy (:class:`kyso.errors.KysoError`);
* no call longer than ``hang_seconds`` (measured: a call in process cannot be stopped, so
  ``bench/fuzz.py`` runs targets in worker processes it kills at the bound);
* never TOTAL_PASSED when a signed byte changed (``Mutant.signed_changed``);
* TOTAL_PASSED kept when only the unsigned CMS certificate set of a TOTAL_PASSED document
  changed (``Mutant.expect_passed``).
"""

from __future__ import annotations

import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kyso.errors import KysoError
from kyso.server.context import AppContext
from kyso.server.intake_servicer import IntakeServicer
from kyso.server.verifier_servicer import VerifierServicer
from kyso.v1 import intake_pb2 as ipb
from kyso.v1 import verifier_pb2 as pb
from tests.fuzzing.pdf_mutations import Mutant
from trust_store.bundles import load_bundle
from trust_store.settings import TrustStoreSettings
from trust_store.store import open_store

TARGETS = ("verify", "layout", "intake", "trust-import", "trust-bundle")
PASSED = pb.Indication.Name(pb.INDICATION_TOTAL_PASSED)


@dataclass(frozen=True)
class Outcome:
    """One execution: ``result`` is an indication, a kyso error code or ``ok``; ``problem``
    is None when the oracle is satisfied, else ``CRASH``/``HANG``/``FALSE_PASSED``/
    ``LOST_PASSED`` with a detail."""

    target: str
    kind: str
    seed: str
    result: str
    seconds: float
    problem: str | None = None
    detail: str = ""


class Targets:
    """The targets over one :class:`AppContext` (a running server's, or one built for it)."""

    def __init__(self, ctx: AppContext, work_dir: Path, hang_seconds: float = 60.0) -> None:
        self.ctx = ctx
        self.hang_seconds = hang_seconds
        self.verifier = VerifierServicer(ctx)
        self.intake = IntakeServicer(ctx, self.verifier)
        self.work_dir = work_dir
        # Imports go to a store of their own: the verifier's anchors stay what they were.
        store_dir = work_dir / "trust-import"
        store_dir.mkdir(parents=True, exist_ok=True)
        self.store = open_store(TrustStoreSettings(path=store_dir), work_dir)

    def close(self) -> None:
        self.store.close()

    # -- calls (each returns the result text, or raises)
    def _verify(self, data: bytes) -> str:
        method = VerifierServicer.Verify.__wrapped__  # type: ignore[attr-defined]
        report = method(self.verifier, pb.VerifyRequest(document=data), None)
        return str(pb.Indication.Name(report.indication))

    def _layout(self, data: bytes) -> str:
        method = VerifierServicer.CheckLayout.__wrapped__  # type: ignore[attr-defined]
        answer = method(self.verifier, pb.CheckLayoutRequest(document=data), None)
        return str(pb.LayoutStatus.Name(answer.layout.status))

    def _intake(self, data: bytes) -> str:
        method = IntakeServicer.Intake.__wrapped__  # type: ignore[attr-defined]
        answer = method(self.intake, ipb.IntakeRequest(package=data), None)
        return str(ipb.IntakeConclusion.Name(answer.conclusion))

    def _trust_import(self, data: bytes) -> str:
        outcome = self.store.import_bundle(
            data, actor="fuzz", reason="fuzzing", skip_existing=True, allow_expired=True
        )
        return f"imported {len(outcome.added)}"

    def _trust_bundle(self, data: tuple[bytes, dict[str, bytes]]) -> str:
        manifest, files = data
        with tempfile.TemporaryDirectory(dir=self.work_dir) as tmp:
            directory = Path(tmp) / "fuzz"
            directory.mkdir()
            (directory / "manifest.json").write_bytes(manifest)
            for name, content in files.items():
                (directory / name).write_bytes(content)
            bundle = load_bundle("fuzz", Path(tmp))
        return f"bundle {len(bundle.certificates)}"

    # -- the oracle
    def run(
        self, target: str, data: Any, kind: str, seed: str, mutant: Mutant | None = None
    ) -> Outcome:
        calls: dict[str, Callable[[Any], str]] = {
            "verify": self._verify,
            "layout": self._layout,
            "intake": self._intake,
            "trust-import": self._trust_import,
            "trust-bundle": self._trust_bundle,
        }
        started = time.perf_counter()
        problem, detail = None, ""
        try:
            result = calls[target](data)
        except KysoError as err:
            result = err.code
        except Exception as exc:  # the oracle: anything else is a crash
            result = type(exc).__name__
            problem = "CRASH"
            detail = "".join(traceback.format_exception(exc))[-4000:]
        seconds = time.perf_counter() - started
        if problem is None and seconds > self.hang_seconds:
            problem, detail = "HANG", f"{seconds:.1f} s > {self.hang_seconds} s"
        if problem is None and mutant is not None:
            if mutant.signed_changed and result == PASSED:
                problem, detail = "FALSE_PASSED", "a signed byte changed"
            elif mutant.expect_passed and result != PASSED:
                problem, detail = "LOST_PASSED", "only the unsigned CMS certificate set changed"
        return Outcome(target, kind, seed, result, seconds, problem, detail)

    def verify(self, mutant: Mutant) -> Outcome:
        return self.run("verify", mutant.data, mutant.kind, mutant.seed, mutant)

    def baseline(self, data: bytes) -> str:
        """The verdict of an unmutated seed (its indication, or the error code)."""
        try:
            return self._verify(data)
        except KysoError as err:
            return err.code
