"""What a worker of the cage may know and touch (issue 9 §1; docs/security.md, "Workers").

A worker parses hostile documents, so kyso assumes one may some day run an attacker's code.
Three layers keep the keys and the shared state out of its reach:

* **No secrets in its memory.** The forkserver the workers fork from clears its environment
  to :data:`ENVIRONMENT_ALLOWED` and zeroes the environment block the kernel gave it
  (:func:`scrub_environment`): the PINs a key's ``pin_env`` names never reach a worker. Each
  worker gets the server's settings without the fields that name secrets or shared state
  (:func:`worker_settings`: key files and PIN sources, Redis URL, clients, TLS, audit keys).
* **No files but its own** (Linux Landlock, :func:`confine`): after its warm-up a worker may
  read only the interpreter, the code, the system's libraries and data, the configuration
  files verification and signing read (policies, fonts, key certificates and images), and
  write only its own scratch directory; the kyso home (tokens, PIN files, key files, audit
  keys, consent secrets) is out of reach, as are other processes' ``/proc`` entries.
  It may neither bind nor connect a TCP socket (Landlock ABI 4: its OCSP, CRL, AIA and TSA
  requests are made by the server, :mod:`kyso.server.fetch_relay`), signal no process
  outside its own domain and reach no abstract Unix socket outside it (ABI 6).
* **Nothing but data back** (:mod:`kyso.server.worker_protocol`).

``[process_pool] confinement``: ``"auto"`` (Landlock when the kernel offers it, else a warning
at start), ``"landlock"`` (refuse to start without it), ``"none"``.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import sys
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger("kyso.worker_pool")

#: Environment variables a worker keeps: locale, paths, library tuning; never a PIN, never a
#: proxy (its credentials; kyso's fetcher ignores the environment's proxies anyway).
ENVIRONMENT_ALLOWED = frozenset(
    {
        "PATH",
        "HOME",
        "LANG",
        "LANGUAGE",
        "TZ",
        "TMPDIR",
        "PYTHONPATH",
        "PYTHONHASHSEED",
        "PYTHONDONTWRITEBYTECODE",
        "PYTHONIOENCODING",
        "PYTHONUTF8",
        "PYTHONWARNINGS",
        "VIRTUAL_ENV",
        "LD_LIBRARY_PATH",
        "SSL_CERT_FILE",
        "SSL_CERT_DIR",
        "TESSDATA_PREFIX",
        "OMP_THREAD_LIMIT",
        "OMP_NUM_THREADS",
        "MALLOC_ARENA_MAX",
        "FONTCONFIG_FILE",
        "FONTCONFIG_PATH",
        "COVERAGE_PROCESS_START",
    }
)
_ALLOWED_PREFIXES = ("LC_",)


def _allowed(name: str) -> bool:
    return name in ENVIRONMENT_ALLOWED or name.startswith(_ALLOWED_PREFIXES)


def _environment_block() -> tuple[int, int]:
    """(env_start, env_end) of this process: where the kernel put its initial environment."""
    with open("/proc/self/stat", "rb") as f:
        fields = f.read().rsplit(b")", 1)[1].split()
    return int(fields[47]), int(fields[48])  # fields 50 and 51 of proc(5)


def scrub_environment() -> None:
    """Keep only :data:`ENVIRONMENT_ALLOWED` in this process's environment and overwrite the
    initial environment block with zeros, so neither ``os.environ``, ``/proc/PID/environ``
    nor the memory a fork inherits holds what was dropped. Called once in the forkserver,
    before it forks any worker."""
    kept = {name: value for name, value in os.environ.items() if _allowed(name)}
    os.environ.clear()  # unsetenv each: the C environ no longer points into the block
    with contextlib.suppress(OSError, ValueError, IndexError):
        start, end = _environment_block()
        if 0 < start < end:
            ctypes.memset(start, 0, end - start)
    os.environ.update(kept)  # copies (setenv), outside the zeroed block


def spawn_with_allowed_environment(path: Any, args: Any, passfds: Any) -> int:
    """``multiprocessing.util.spawnv_passfds`` with only :data:`ENVIRONMENT_ALLOWED` passed to
    the new program: the forkserver (and the resource tracker) never receive a PIN, so none
    is left in their heap for a forked worker to find. Installed by
    :func:`install_clean_spawn`."""
    import _posixsubprocess
    import subprocess

    fork_exec: Any = _posixsubprocess.fork_exec  # CPython 3.11's positional signature

    env = [f"{k}={v}".encode() for k, v in os.environ.items() if _allowed(k)]
    fds = tuple(sorted(map(int, passfds)))
    errpipe_read, errpipe_write = os.pipe()
    try:
        return int(
            fork_exec(
                args, [path], True, fds, None, env,
                -1, -1, -1, -1, -1, -1, errpipe_read, errpipe_write,
                False, False, -1, None, None, None, -1, None,
                subprocess._USE_VFORK,  # type: ignore[attr-defined]
            )
        )  # fmt: skip
    finally:
        os.close(errpipe_read)
        os.close(errpipe_write)


def install_clean_spawn() -> bool:
    """Make multiprocessing start its helper programs with the allowed environment only.
    The call above is CPython 3.11's own (``multiprocessing.util.spawnv_passfds``); on another
    version this installs nothing (returns False) and :func:`scrub_environment` in the
    forkserver remains the only layer."""
    from multiprocessing import util

    if sys.version_info[:2] != (3, 11):
        return False
    util.spawnv_passfds = spawn_with_allowed_environment  # type: ignore[assignment]
    return True


def worker_settings(settings: Any) -> Any:
    """``settings`` (:class:`kyso.server.settings.Settings`) as a worker gets it: without key
    files, PIN sources and token coordinates, Redis URL, clients, TLS, token files and the
    audit's keys. What stays: policies, fonts, the keys' names, profiles, certificates,
    images and appearance texts (the PDF work of a signature needs them)."""
    keys = tuple(
        key.model_copy(
            update={
                "key_file": None,
                "pin_env": None,
                "pin_file": None,
                "module": None,
                "module_env": {},
                "token_label": None,
                "key_label": None,
                "key_id": None,
            }
        )
        for key in settings.keys
    )
    trust_store = settings.trust_store.model_copy(
        update={"officer_tokens_file": None, "reader_tokens_file": None, "audit_path": None}
    )
    signer = settings.signer.model_copy(
        update={"consent_master_key_file": None, "audit_path": None, "key_state_path": None}
    )
    return settings.model_copy(
        update={
            "keys": keys,
            "redis_url": None,
            "clients": (),
            "tls": None,
            "tokens_file": None,
            "audit": type(settings.audit)(),
            "trust_store": trust_store,
            "signer": signer,
        }
    )


# -- Landlock (linux/landlock.h) ------------------------------------------------------------

_SYS_CREATE_RULESET, _SYS_ADD_RULE, _SYS_RESTRICT_SELF = 444, 445, 446
_CREATE_RULESET_VERSION = 1
_RULE_PATH_BENEATH = 1
_PR_SET_NO_NEW_PRIVS = 38
_O_PATH = getattr(os, "O_PATH", 0o10000000)

_EXECUTE, _WRITE_FILE, _READ_FILE, _READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
_REMOVE_DIR, _REMOVE_FILE, _MAKE_CHAR, _MAKE_DIR = 1 << 4, 1 << 5, 1 << 6, 1 << 7
_MAKE_REG, _MAKE_SOCK, _MAKE_FIFO, _MAKE_BLOCK = 1 << 8, 1 << 9, 1 << 10, 1 << 11
_MAKE_SYM, _REFER, _TRUNCATE, _IOCTL_DEV = 1 << 12, 1 << 13, 1 << 14, 1 << 15
_NET_BIND_TCP, _NET_CONNECT_TCP = 1 << 0, 1 << 1
_SCOPE_ABSTRACT_UNIX_SOCKET, _SCOPE_SIGNAL = 1 << 0, 1 << 1
#: The rights a rule on a file (not a directory) may carry.
_FILE_RIGHTS = _EXECUTE | _WRITE_FILE | _READ_FILE | _TRUNCATE | _IOCTL_DEV
_READ = _EXECUTE | _READ_FILE | _READ_DIR
_WRITE = (
    _READ
    | _WRITE_FILE
    | _REMOVE_DIR
    | _REMOVE_FILE
    | _MAKE_DIR
    | _MAKE_REG
    | _MAKE_SYM
    | _MAKE_FIFO
    | _MAKE_SOCK
)

#: System paths every worker reads: libraries, programs (pdftotext, tesseract), fonts,
#: tessdata, time zones, and the parts of /etc name resolution, TLS and fonts need.
SYSTEM_READ = (
    "/usr",
    "/lib",
    "/lib64",
    "/bin",
    "/sbin",
    "/etc/ssl",
    "/etc/pki",
    "/etc/ca-certificates",
    "/etc/fonts",
    "/etc/resolv.conf",
    "/etc/hosts",
    "/etc/host.conf",
    "/etc/nsswitch.conf",
    "/etc/gai.conf",
    "/etc/services",
    "/etc/protocols",
    "/etc/localtime",
    "/etc/ld.so.cache",
    "/etc/ld.so.conf",
    "/etc/ld.so.conf.d",
    "/etc/alternatives",
    "/etc/mime.types",
    "/etc/passwd",
    "/etc/group",
    "/var/cache/fontconfig",
    "/sys/devices/system/cpu",
)
#: Devices: read-write /dev/null, read the random sources.
_DEVICES = {
    "/dev/null": _READ_FILE | _WRITE_FILE,
    "/dev/urandom": _READ_FILE,
    "/dev/random": _READ_FILE,
}
#: This process's own /proc files a worker reads (its size, its limits).
_OWN_PROC = ("status", "stat", "statm", "limits", "maps")


@dataclass(frozen=True)
class Confinement:
    """What a worker may read (files and directories, recursively) and write (its scratch
    directory); ``mode`` is ``[process_pool] confinement``."""

    mode: str
    scratch: str
    read: tuple[str, ...] = field(default_factory=tuple)


def landlock_abi() -> int:
    """The kernel's Landlock ABI version; 0 when Landlock is not available (an old kernel,
    not enabled in ``lsm=``, or a seccomp filter in the way)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        version = libc.syscall(
            _SYS_CREATE_RULESET, None, ctypes.c_size_t(0), _CREATE_RULESET_VERSION
        )
    except (OSError, AttributeError):
        return 0
    return max(0, int(version))


def read_paths(settings: Any) -> tuple[str, ...]:
    """The configuration files and directories a worker reads, from ``settings``, beside
    :data:`SYSTEM_READ`, the interpreter and ``sys.path``."""
    # not "" (the working directory, which may be the kyso home under `python -m`)
    paths: list[Any] = [
        sys.prefix,
        sys.base_prefix,
        sys.exec_prefix,
        os.path.realpath(sys.executable),
        *(p for p in sys.path if p and os.path.exists(p)),
        settings.verifier.policy_dir,
        settings.intake.policy_file,
        settings.signer.font_regular,
        settings.signer.font_bold,
    ]
    for key in settings.keys:
        paths += [key.certificate, key.image, *key.chain]
    seen: list[str] = []
    for path in paths:
        if path is None or str(path) == "":
            continue
        text = os.path.realpath(str(path))
        if text not in seen:
            seen.append(text)
    return tuple(seen)


def secret_paths(settings: Any) -> list[str]:
    """Files and directories that hold secrets or shared state (the kyso home, key and PIN
    files, token files, the TLS key, the audit's keys): none may lie under a read rule."""
    paths: list[Any] = [settings.home, settings.tokens_file]
    for key in settings.keys:
        paths += [key.key_file, key.pin_file]
    paths += [settings.audit.checkpoint_key, settings.audit.checkpoint_pin_file]
    paths += [settings.trust_store.officer_tokens_file, settings.trust_store.reader_tokens_file]
    paths.append(settings.signer.consent_master_key_file)
    if settings.tls is not None:
        paths.append(settings.tls.private_key)
    return [os.path.realpath(str(p)) for p in paths if p]


def exposed(settings: Any, read: tuple[str, ...]) -> list[str]:
    """The :func:`secret_paths` of ``settings`` that a worker could read through ``read`` (or
    :data:`SYSTEM_READ`)."""
    rules = [os.path.realpath(r) for r in (*SYSTEM_READ, *read)]
    return [
        secret
        for secret in secret_paths(settings)
        if any(secret == r or secret.startswith(r.rstrip("/") + "/") for r in rules)
    ]


class _RulesetAttr(ctypes.Structure):
    _fields_ = [
        ("handled_access_fs", ctypes.c_uint64),
        ("handled_access_net", ctypes.c_uint64),
        ("scoped", ctypes.c_uint64),
    ]


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def _handled_fs(abi: int) -> int:
    rights = (1 << 13) - 1  # ABI 1: EXECUTE … MAKE_SYM
    if abi >= 2:
        rights |= _REFER
    if abi >= 3:
        rights |= _TRUNCATE
    if abi >= 5:
        rights |= _IOCTL_DEV
    return rights


def confine(confinement: Confinement) -> int:
    """Restrict this process (a worker, after its warm-up) for the rest of its life; returns
    the Landlock ABI applied (0: none, when the mode allows running unconfined).

    Raises :class:`OSError` when Landlock is asked for (``mode = "landlock"``) but fails."""
    if confinement.mode == "none":
        return 0
    abi = landlock_abi()
    if abi < 1:
        if confinement.mode == "landlock":
            raise OSError("Landlock is not available in this kernel")
        return 0
    libc = ctypes.CDLL(None, use_errno=True)
    handled = _handled_fs(abi)
    # no TCP at all: its fetches are the server's (kyso.server.fetch_relay)
    attr = _RulesetAttr(handled, _NET_BIND_TCP | _NET_CONNECT_TCP if abi >= 4 else 0, 0)
    if abi >= 6:
        attr.scoped = _SCOPE_ABSTRACT_UNIX_SOCKET | _SCOPE_SIGNAL
    size = 24 if abi >= 6 else 16 if abi >= 4 else 8
    ruleset = libc.syscall(_SYS_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(size), 0)
    if ruleset < 0:
        raise OSError(ctypes.get_errno(), "landlock_create_ruleset failed")
    try:
        pid = os.getpid()
        rules: list[tuple[str, int]] = [(p, _READ) for p in (*SYSTEM_READ, *confinement.read)]
        rules += [(f"/proc/{pid}/{name}", _READ_FILE) for name in _OWN_PROC]
        rules += list(_DEVICES.items())
        rules.append((confinement.scratch, _WRITE | (_TRUNCATE if abi >= 3 else 0)))
        for path, rights in rules:
            _add_rule(libc, ruleset, path, rights & handled)
        if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "PR_SET_NO_NEW_PRIVS failed")
        if libc.syscall(_SYS_RESTRICT_SELF, ruleset, 0) != 0:
            raise OSError(ctypes.get_errno(), "landlock_restrict_self failed")
    finally:
        os.close(ruleset)
    return abi


def _add_rule(libc: Any, ruleset: int, path: str, rights: int) -> None:
    try:
        fd = os.open(path, _O_PATH | os.O_CLOEXEC)
    except OSError:
        return  # not on this machine: nothing to allow
    try:
        if not os.path.isdir(path):
            rights &= _FILE_RIGHTS
        rule = _PathBeneathAttr(rights, fd)
        if libc.syscall(_SYS_ADD_RULE, ruleset, _RULE_PATH_BENEATH, ctypes.byref(rule), 0) != 0:
            raise OSError(ctypes.get_errno(), f"landlock_add_rule failed for {path}")
    finally:
        os.close(fd)


__all__ = [
    "ENVIRONMENT_ALLOWED",
    "SYSTEM_READ",
    "Confinement",
    "confine",
    "landlock_abi",
    "read_paths",
    "scrub_environment",
    "worker_settings",
]
