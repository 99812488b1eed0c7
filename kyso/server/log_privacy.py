"""Personal names stay out of INFO logs unless ``log_personal_names`` says otherwise.

A certificate's subject names a person (``CN=Nguyễn Thị Hồng Nhung``). kyso's own log lines
name keys, codes and client identities, never a signer's subject; some libraries do put the
subject into INFO records (pyHanko's certificate validator: "Fetching OCSP status for
certificate with subject ..."). Those loggers, listed in :data:`SUBJECT_LOGGERS`, are raised
to WARNING at start-up while ``log_personal_names`` is false (the default); the session's
log scan (tests/log_scan.py) checks that no test certificate's personal name reaches a log.
"""

from __future__ import annotations

import logging

#: Loggers whose INFO (and DEBUG) records carry certificate subjects.
SUBJECT_LOGGERS: tuple[str, ...] = ("pyhanko_certvalidator.fetchers",)


def apply_personal_name_policy(log_personal_names: bool) -> None:
    """Raise :data:`SUBJECT_LOGGERS` to WARNING, or give them back their default level."""
    level = logging.NOTSET if log_personal_names else logging.WARNING
    for name in SUBJECT_LOGGERS:
        logging.getLogger(name).setLevel(level)


__all__ = ["SUBJECT_LOGGERS", "apply_personal_name_policy"]
