"""The ``[process_pool]`` section: the cage in which untrusted verification work runs.

Parsing, change analysis, path building, rendering and OCR of a Verify, VerifyStream,
CheckLayout or an Intake attachment run in worker processes (:mod:`kyso.server.worker_pool`)
with these hard limits per request; docs/robustness.md ("The cage") says what runs where.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from kyso.settings import SettingsModel

MiB = 1024 * 1024


class ProcessPoolSettings(SettingsModel):
    """Worker processes for verification: how many, and the limits of each request."""

    size: int | None = Field(
        None,
        ge=0,
        le=256,
        description="warm worker processes, the cage (docs/robustness.md); unset (the default): "
        "the number of CPUs; 0: verify inside the server process, without the cage's limits "
        "(for a development machine; docs/benchmarks.md measures both)",
    )
    max_size: int | None = Field(
        None,
        ge=1,
        le=256,
        description="most worker processes at once: more start on demand when every warm one "
        "is busy (e.g. waiting on a slow responder) and stop after `idle_seconds` (default: "
        "`workers`, the gRPC threads)",
    )
    signing_size: int = Field(
        1,
        ge=1,
        le=256,
        description="warm workers of the signing pool: the PDF work of Sign, SignStream and "
        "PrepareSignature runs in workers of its own, never in one that read a document for "
        "Verify or Intake (docs/security.md, Workers)",
    )
    signing_max_size: int | None = Field(
        None,
        ge=1,
        le=256,
        description="most signing workers at once (default: `workers`, the gRPC threads)",
    )
    signing_requests_per_worker: int = Field(
        500,
        ge=1,
        description="signatures a signing worker does before it is replaced; 1: a fresh "
        "worker for each signature, so a document that took over a worker cannot touch the "
        "next caller's signature (docs/security.md, Workers; docs/benchmarks.md its cost)",
    )
    memory_limit_bytes: int = Field(
        1024 * MiB,
        ge=64 * MiB,
        description="address space one request may add to a warm worker (its RLIMIT_AS is "
        "its size at rest plus this); a request that needs more fails with RESOURCE_EXHAUSTED "
        "VERIFY_MEMORY_LIMIT and its worker is replaced",
    )
    cpu_seconds: int = Field(
        120,
        ge=1,
        description="CPU time of one request in its worker (RLIMIT_CPU); over it: "
        "RESOURCE_EXHAUSTED VERIFY_CPU_LIMIT, the worker is replaced",
    )
    max_requests_per_worker: int = Field(
        500, ge=1, description="requests a worker serves before it is replaced (recycling)"
    )
    idle_seconds: float = Field(
        30.0,
        gt=0,
        description="how long a worker started on demand (beyond `size`) may stay idle",
    )
    confinement: Literal["auto", "landlock", "none"] = Field(
        "auto",
        description="what confines each worker beyond its limits (docs/security.md, Workers): "
        '`"landlock"` Linux Landlock (no files outside the code, the system and the '
        "configuration it reads; no kyso home, no other process), refusing to start without "
        'it; `"auto"` Landlock when the kernel offers it, else a warning at start; `"none"`',
    )
    kill_grace_seconds: float = Field(
        0.2,
        ge=0,
        le=5,
        description="after the request's deadline (or cancellation) the worker has this long to "
        "answer before it is killed (SIGKILL) and replaced",
    )
    nice: int = Field(
        10,
        ge=0,
        le=19,
        description="the workers' scheduling niceness (added to the server's): when the CPU is "
        "short, the server's own threads (health, accepting calls, answering the workers) run "
        "first and documents' work waits; 0 gives workers the server's priority",
    )


__all__ = ["ProcessPoolSettings"]
