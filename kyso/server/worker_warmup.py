"""Imported once by the cage's forkserver (never by the server process): warms what every
verification worker then inherits by ``fork`` — pyHanko, certvalidator, the verifier and the
report renderers imported, one tiny PDF verified with its layout checked and its reports
rendered (the PDF report's fonts alone take about a second the first time), one tiny edXML
message read and concluded with its clerk's report. A worker started
on demand is therefore ready in milliseconds (:mod:`kyso.server.worker_pool`).

Nothing here starts a thread: the forkserver must stay single-threaded to fork safely.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time

import aiohttp

from kyso.pdf import hex_strings
from kyso.pki import der_lengths
from kyso.server import intake_jobs, verify_jobs, verify_worker
from kyso.server.worker_confinement import scrub_environment
from kyso.v1 import verifier_pb2 as pb
from trust_store.model import TrustSnapshot
from verifier import validation
from verifier.intake.policy import load_policy
from verifier.intake.settings import IntakeSettings
from verifier.layout.check import LayoutOptions
from verifier.policy import PolicyRegistry
from verifier.settings import VerifierSettings


async def _http_session() -> None:
    """aiohttp's session, connector and SSL context once (no request, so no thread)."""
    async with aiohttp.ClientSession():
        pass


def warm() -> None:
    """Verify :data:`kyso.server.verify_worker.WARM_PDF` once, every report included."""
    settings = VerifierSettings()
    policy = PolicyRegistry(settings.policy_dir).get(settings.default_policy)
    hex_strings.install()
    der_lengths.install()
    logging.disable(logging.CRITICAL)  # its lines are no request's
    try:
        req = validation.Request(
            data=verify_worker.WARM_PDF,
            policy=policy,
            snapshot=TrustSnapshot(version=0),
            fetch=False,
            fetcher_backend=None,
            deadline=time.monotonic() + 60,
            settings=settings,
            layout=LayoutOptions(ocr=False),
        )
        verify_jobs.run_verify(req, pb.HUMAN_REPORT_PDF, True)
        verify_jobs.run_verify(req, pb.HUMAN_REPORT_HTML, False)
        # the edXML reader, the intake's conclusion and its clerk's report (a refused package)
        intake_jobs.run_intake(
            b"<warm-up/>",
            pb.HUMAN_REPORT_PDF,
            lambda _: pb.ValidationReport(),
            IntakeSettings(),
            settings,
            load_policy(None),
        )
        asyncio.run(_http_session())
    except Exception:  # noqa: S110 - warming up is best effort; a worker still works cold
        pass
    finally:
        logging.disable(logging.NOTSET)


def _in_forkserver() -> bool:
    """Whether this process is multiprocessing's forkserver (started as ``python -c 'from
    multiprocessing.forkserver import main; …'``), not a process that merely imports this
    module (a test walking the package)."""
    return any("multiprocessing.forkserver import main" in arg for arg in sys.orig_argv)


if _in_forkserver():
    scrub_environment()  # before any worker forks from this process: no PIN reaches one
warm()
