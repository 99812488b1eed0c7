"""``module_env``: what a PKCS#11 module reads from the environment, carried by the key's
settings so that a copied kyso.toml works without exports (issue 12 §1)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kyso.errors import InvalidInput
from kyso.server.secret_check import check_secrets
from kyso.server.settings import Settings

SOFTHSM = "/usr/lib/softhsm/libsofthsm2.so"


def _settings(home: Path, conf: Path) -> Settings:
    key = {
        "name": "seal",
        "module": SOFTHSM,
        "token_label": "t",
        "key_label": "seal",
        "profiles": ["organisation"],
        "module_env": {"SOFTHSM2_CONF": str(conf)},
    }
    return Settings(home=home, keys=[key])


def test_secret_check_reads_the_token_directory_of_module_env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The token directory kyso will hand the module is checked, not only $SOFTHSM2_CONF's."""
    monkeypatch.delenv("SOFTHSM2_CONF", raising=False)
    tokens = tmp_path / "tokens"
    tokens.mkdir(mode=0o700)
    conf = tmp_path / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {tokens}\n", encoding="utf-8")
    settings = _settings(tmp_path / "home", conf)
    check_secrets(settings)  # 0700: fine
    tokens.chmod(0o755)
    with pytest.raises(InvalidInput) as info:
        check_secrets(settings)
    assert info.value.code == "SECRET_FILE_UNPROTECTED"
    assert f"chmod 700 {tokens}" in info.value.message_en
