"""Embedded defaults: a demo PKI, keys and trust store created on first start (filled in by issue 2)."""

from __future__ import annotations

from service.config import Config


def ensure_demo(config: Config) -> Config:
    return config
