"""CLI commands for the trust side (filled in by its issue)."""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: Any) -> None:
    """Add this module's subcommands to the `kyso` parser."""
    del sub
    _ = argparse
