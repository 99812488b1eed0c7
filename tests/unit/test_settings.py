"""Settings: strict TOML, errors naming key and type, environment overrides, the documented file.

In-process and hand-made: each test writes a small TOML file and loads it with
:func:`kyso.server.settings.load_settings`; nothing is served.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from kyso.cli.channel import EXIT_ERROR
from kyso.cli.main import main
from kyso.errors import InvalidInput
from kyso.server import settings_doc
from kyso.server.settings import (
    CONFIG_LIMIT,
    OTHER_VARIABLES,
    VARIABLES,
    ServerSettings,
    Settings,
    load_settings,
)
from signer.settings import KeySettings

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _no_kyso_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's own KYSO_* variables must not change what these tests load."""
    for name in list(os.environ):
        if name.upper().startswith("KYSO_"):
            monkeypatch.delenv(name)


def _load(tmp_path: Path, text: str) -> Settings:
    path = tmp_path / "kyso.toml"
    path.write_text(text, encoding="utf-8")
    return load_settings(path)


def _error(tmp_path: Path, text: str) -> InvalidInput:
    with pytest.raises(InvalidInput) as info:
        _load(tmp_path, text)
    return info.value


def _readme_toml() -> str:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Configuration") :]
    match = re.search(r"```toml\n(.*?)```", section, re.S)
    assert match, "README's Configuration section has no TOML example"
    return match.group(1)


# -- the file ------------------------------------------------------------------------------


def test_readme_example_loads_unchanged(tmp_path: Path) -> None:
    settings = _load(tmp_path, _readme_toml())
    assert settings.home == Path("/var/lib/kyso")
    assert settings.redis_url == "redis://127.0.0.1:6379/0"
    assert settings.max_document_bytes == 104857600
    assert settings.signer.tsa_url == "http://tsa.example.vn/tsa"
    assert settings.trust_store_path == Path("/var/lib/kyso/trust")
    assert settings.tls is not None and settings.tls.client_ca == tmp_path / "tls/clients-ca.pem"
    seal, personal = settings.keys
    assert (seal.name, seal.backend, seal.pin_env) == ("ubnd-seal", "pkcs11", "KYSO_SEAL_PIN")
    assert seal.profiles == ("organisation", "attachment")
    assert seal.seal_diameter_mm == 36.0  # an integer where a number is expected
    assert personal.backend == "pkcs12" and personal.pin_file == Path("/etc/kyso/pho-chu-tich.pass")
    assert settings.source == tmp_path / "kyso.toml" and not settings.embedded_defaults
    issuing, receiving = settings.clients
    assert (issuing.roles, issuing.keys) == (("signer",), ("ubnd-seal",))
    assert receiving.subject == "CN=qlvb-tiep-nhan,O=So Noi vu"


def test_relative_paths_resolve_against_the_file(tmp_path: Path) -> None:
    conf = tmp_path / "etc"
    conf.mkdir()
    settings = load_settings(
        _write(
            conf / "kyso.toml",
            'home = "data"\n[trust_store]\npath = "trust"\n[signer]\nfont_regular = "/abs/f.ttf"\n'
            '[[keys]]\nname = "k"\nbackend = "pem"\nkey_file = "keys/k.pem"\n'
            'chain = ["ca/1.pem", "ca/2.pem"]\n',
        )
    )
    base = conf.resolve()
    assert settings.home == base / "data"
    assert settings.trust_store_path == base / "trust"
    assert settings.audit_path == base / "data" / "audit" / "trust-store.log"
    assert settings.signer.font_regular == Path("/abs/f.ttf")
    assert settings.keys[0].key_file == base / "keys" / "k.pem"
    assert settings.keys[0].chain == (base / "ca" / "1.pem", base / "ca" / "2.pem")


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_sections(tmp_path: Path) -> None:
    settings = _load(tmp_path, 'home = "/srv/kyso"\n')
    assert settings.listen == "127.0.0.1:50051" and settings.workers == 16
    assert settings.keys == ()
    assert settings.verifier.default_policy == "vn-gov"
    assert settings.trust_store.redis_namespace == "kyso"


def test_profile_alone_and_level_spelling(tmp_path: Path) -> None:
    settings = _load(
        tmp_path,
        '[signer]\ndefault_level = "b-lt"\n[[keys]]\nname = "k"\nprofile = "Organisation"\n',
    )
    assert settings.signer.default_level == "B-LT"
    assert settings.keys[0].profiles == ("organisation",)


# -- errors -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("colour = 1\n", "colour"),
        ("[signer]\ntsa = 'http://x'\n", "signer.tsa"),
        ("[verifier]\npolicy = 'vn-gov'\n", "verifier.policy"),
        ("[trust_store]\nredis_prefix = 'x'\n", "trust_store.redis_prefix"),
        ("[[keys]]\nname = 'k'\nslot = 1\n", "keys[0].slot"),
        ("[cache]\nsize = 1\n", "cache"),
    ],
)
def test_unknown_key_is_named(tmp_path: Path, text: str, named: str) -> None:
    err = _error(tmp_path, text)
    assert err.code == "CONFIG_INVALID"
    assert f"{named}: unknown setting" in err.message_en
    assert err.message_vi.startswith("cấu hình kyso không hợp lệ: sửa khóa cấu hình")
    assert str(tmp_path / "kyso.toml") in err.message_en


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            'redis_ulr = "redis://127.0.0.1"\n',
            "redis_ulr: unknown setting; did you mean redis_url?",
        ),
        ("[signer]\ntsa = 'http://x'\n", "signer.tsa: unknown setting; did you mean tsa_url?"),
        (
            "[[keys]]\nname = 'k'\ntoken_lable = 'x'\n",
            "keys[0].token_lable: unknown setting; did you mean token_label?",
        ),
        ("[fetch]\ntimeout = 5\n", "fetch.timeout: unknown setting; did you mean timeout_seconds?"),
        ("colour = 1\n", "colour: unknown setting ("),  # nothing close: no suggestion
    ],
)
def test_unknown_key_suggests_the_closest(tmp_path: Path, text: str, message: str) -> None:
    """Issue 12 §2: a misspelt key is refused with the known key it is closest to."""
    err = _error(tmp_path, text)
    assert message in str(err), str(err)


def test_key_without_name_is_one_message(tmp_path: Path) -> None:
    """Issue 12 §2: a [[keys]] table without `name` was a traceback."""
    err = _error(tmp_path, '[[keys]]\nbackend = "pkcs12"\nkey_file = "k.p12"\n')
    assert err.code == "CONFIG_INVALID"
    assert "keys[0].name: required" in err.message_en, err.message_en


def test_module_env_names_and_agreement(tmp_path: Path) -> None:
    """module_env carries what a PKCS#11 module reads (SOFTHSM2_CONF); names are checked and
    keys of one module must agree (the module is loaded once per process)."""
    key = '[[keys]]\nname = "{n}"\nmodule = "/m.so"\nmodule_env = {{ {env} }}\n'
    good = key.format(n="a", env='SOFTHSM2_CONF = "/x.conf"')
    settings = _load(tmp_path, good)
    assert settings.keys[0].module_env == {"SOFTHSM2_CONF": "/x.conf"}
    err = _error(tmp_path, key.format(n="a", env='"A B" = "x"'))
    assert "keys[0]: module_env: A B is not an environment variable name" in (err.message_en)
    err = _error(tmp_path, key.format(n="a", env='KYSO_LISTEN = "x"'))
    assert "not an environment variable name" in err.message_en
    err = _error(tmp_path, good + key.format(n="b", env='SOFTHSM2_CONF = "/y.conf"'))
    assert "load the same PKCS#11 module with different module_env" in err.message_en


@pytest.mark.parametrize(
    ("text", "named", "expected"),
    [
        (
            '[verifier]\nrequest_timeout_seconds = "thirty"\n',
            "verifier.request_timeout_seconds",
            "a number",
        ),
        ('[signer]\npending_ttl_seconds = "30"\n', "signer.pending_ttl_seconds", "an integer"),
        ("workers = 2.5\n", "workers", "an integer"),
        ('reuse_port = "yes"\n', "reuse_port", "true or false"),
        ("listen = 50051\n", "listen", "a string"),
        ("[trust_store]\nkeep_versions = true\n", "trust_store.keep_versions", "an integer"),
        ('[[keys]]\nname = "k"\nchain = "ca.pem"\n', "keys[0].chain", "a list"),
        ('[[keys]]\nname = "k"\nbackend = "hsm"\n', "keys[0].backend", "one of 'pkcs11'"),
        ('signer = "x"\n', "signer", "a table"),
    ],
)
def test_wrong_type_names_key_and_type(
    tmp_path: Path, text: str, named: str, expected: str
) -> None:
    err = _error(tmp_path, text)
    assert err.code == "CONFIG_INVALID"
    assert f"{named}: expected {expected}" in err.message_en


def test_every_problem_is_reported_on_one_line(tmp_path: Path) -> None:
    err = _error(tmp_path, 'workers = "4"\nbogus = 1\n[[keys]]\npool_size = 0\n')
    for part in (
        "workers: expected an integer",
        "bogus: unknown setting",
        "keys[0].name: required",
    ):
        assert part in err.message_en
    assert "keys[0].pool_size" in err.message_en
    assert "\n" not in err.message_en and "\n" not in err.message_vi


def test_pin_in_the_file_is_refused(tmp_path: Path) -> None:
    err = _error(tmp_path, '[[keys]]\nname = "k"\npin = "1234"\n')
    assert err.code == "CONFIG_PIN_IN_FILE"
    assert "1234" not in err.message_en + err.message_vi


def test_duplicate_key_names(tmp_path: Path) -> None:
    err = _error(tmp_path, '[[keys]]\nname = "k"\n[[keys]]\nname = "k"\n')
    assert err.code == "CONFIG_INVALID" and "duplicate key names ['k']" in err.message_en


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as info:
        load_settings(tmp_path / "missing.toml")
    assert info.value.code == "CONFIG_INVALID"
    assert _error(tmp_path, "home = \n").code == "CONFIG_INVALID"  # not TOML


def test_serve_with_a_bad_file_prints_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = _write(tmp_path / "bad.toml", '[verifier]\nrequest_timeout_seconds = "thirty"\n')
    assert main(["serve", "--config", str(bad)]) == EXIT_ERROR
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("kyso: CONFIG_INVALID: ")
    assert "verifier.request_timeout_seconds: expected a number, got string" in err


# -- the environment -------------------------------------------------------------------


def test_environment_overrides_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KYSO_LISTEN", "0.0.0.0:6000")
    monkeypatch.setenv("KYSO_WORKERS", "4")
    monkeypatch.setenv("KYSO_REUSE_PORT", "true")
    monkeypatch.setenv("KYSO_SIGNER__TSA_URL", "http://tsa.test/")
    monkeypatch.setenv("KYSO_FETCH__TIMEOUT_SECONDS", "2.5")
    monkeypatch.setenv("KYSO_SEAL_PIN", "not a setting: a key's pin_env names it")
    settings = _load(
        tmp_path,
        'listen = "127.0.0.1:1"\nworkers = 8\n[signer]\ntsa_url = "http://file/"\n'
        'pending_ttl_seconds = 60\n[[keys]]\nname = "seal"\npin_env = "KYSO_SEAL_PIN"\n',
    )
    assert settings.listen == "0.0.0.0:6000" and settings.workers == 4 and settings.reuse_port
    assert settings.signer.tsa_url == "http://tsa.test/"
    assert settings.signer.pending_ttl_seconds == 60  # the file's, beside the override
    assert settings.fetch.timeout_seconds == 2.5


def test_environment_keys_as_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KYSO_KEYS", '[{"name": "env-key", "backend": "pem", "pool_size": 2}]')
    settings = _load(tmp_path, '[[keys]]\nname = "file-key"\n')
    assert [(k.name, k.backend, k.pool_size) for k in settings.keys] == [("env-key", "pem", 2)]


def test_bad_environment_value_names_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KYSO_VERIFIER__REQUEST_TIMEOUT_SECONDS", "thirty")
    err = _error(tmp_path, "")
    assert err.code == "CONFIG_INVALID"
    assert "KYSO_VERIFIER__REQUEST_TIMEOUT_SECONDS: expected a number" in err.message_en
    monkeypatch.delenv("KYSO_VERIFIER__REQUEST_TIMEOUT_SECONDS")
    monkeypatch.setenv("KYSO_SIGNER__TSA", "http://x/")
    assert "KYSO_SIGNER__TSA: unknown setting" in _error(tmp_path, "").message_en


def test_kyso_home_is_a_default_not_an_override(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KYSO_HOME", str(tmp_path / "env-home"))
    assert _load(tmp_path, 'home = "/srv/kyso"\n').home == Path("/srv/kyso")
    assert _load(tmp_path, "").home == (tmp_path / "env-home").resolve()
    embedded = load_settings(None)
    assert embedded.embedded_defaults and embedded.source is None
    assert embedded.home == (tmp_path / "env-home").resolve()


def test_settings_are_immutable(tmp_path: Path) -> None:
    settings = _load(tmp_path, '[[keys]]\nname = "k"\n')
    with pytest.raises(ValueError):
        settings.keys[0].name = "other"  # type: ignore[misc]
    moved = settings.with_origin(source=settings.source, embedded=True, listen="127.0.0.1:9")
    assert moved.listen == "127.0.0.1:9" and moved.embedded_defaults and moved.keys == settings.keys
    assert settings.listen == "127.0.0.1:50051" and not settings.embedded_defaults


# -- hostile input: each of these once crashed or was silently accepted -----------------------


def _env_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **env: str) -> str:
    """The one-line problem ``load_settings`` reports with ``env`` set."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    err = _error(tmp_path, "")
    assert err.code == "CONFIG_INVALID" and "\n" not in err.message_en
    return err.message_en


def _serve_error(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """What ``kyso serve`` prints when it refuses to start: exactly one line, status 3."""
    assert main(["serve", *argv]) == EXIT_ERROR
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert err.startswith("kyso: CONFIG_INVALID: ")
    return err


def test_keys_that_are_not_json_name_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """C1: a JSON error in KYSO_KEYS was a 53-line traceback and exit 1."""
    assert "KYSO_KEYS: expected a JSON array" in _env_error(tmp_path, monkeypatch, KYSO_KEYS="[{")
    config = _write(tmp_path / "base.toml", f'home = "{tmp_path}"\n')
    assert "KYSO_KEYS" in _serve_error(["--config", str(config)], capsys)


def test_an_error_inside_keys_names_the_variable_and_the_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    problem = _env_error(
        tmp_path,
        monkeypatch,
        KYSO_KEYS='[{"name": "k", "pool_size": "2", "seal_diameter_mm": NaN}]',
    )
    assert "KYSO_KEYS[0].pool_size: expected an integer, got string" in problem
    assert "KYSO_KEYS[0].seal_diameter_mm: expected a finite number" in problem


@pytest.mark.parametrize(
    "name", ["KYSO_FOO", "KYSO_NOSECTION__X", "KYSO_SIGNER", "KYSO_SEAL_PIN", "kyso_listen"]
)
def test_unknown_environment_variable_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    """C2: KYSO_FOO and KYSO_NOSECTION__X were silently ignored (KYSO_SIGNER__X was not).

    A PIN variable is allowed only while a key's pin_env names it.
    """
    value = "{}" if name == "KYSO_SIGNER" else "1"
    assert f"{name}: unknown setting" in _env_error(tmp_path, monkeypatch, **{name: value})


def test_pin_variables_and_other_kyso_variables_are_allowed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in OTHER_VARIABLES:
        monkeypatch.setenv(name, str(tmp_path) if name == "KYSO_HOME" else "1")
    monkeypatch.setenv("KYSO_SEAL_PIN", "1234")
    named = _load(tmp_path, '[[keys]]\nname = "seal"\npin_env = "KYSO_SEAL_PIN"\n')
    assert named.keys[0].read_pin() == "1234"
    # KYSO_KEYS replaces the file's keys: then its pin_env names are the ones allowed.
    monkeypatch.setenv("KYSO_KEYS", '[{"name": "seal", "pin_env": "KYSO_SEAL_PIN"}]')
    assert _load(tmp_path, "").keys[0].pin_env == "KYSO_SEAL_PIN"
    monkeypatch.setenv("KYSO_KEYS", '[{"name": "other", "pin_env": "KYSO_OTHER_PIN"}]')
    problem = _error(tmp_path, '[[keys]]\nname = "seal"\npin_env = "KYSO_SEAL_PIN"\n').message_en
    assert "KYSO_SEAL_PIN: unknown setting" in problem


def test_every_kyso_variable_the_code_reads_is_documented() -> None:
    """A new ``KYSO_*`` variable read anywhere must join OTHER_VARIABLES (or be a setting)."""
    named = set()
    for package in ("kyso", "signer", "verifier", "trust_store"):
        for source in (REPO / package).rglob("*.py"):
            named |= set(re.findall(r"\"(KYSO_[A-Z0-9_]+)\"", source.read_text(encoding="utf-8")))
    assert named - set(VARIABLES) - set(OTHER_VARIABLES) == set()
    doc = (REPO / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert all(f"`{name}`" in doc for name in OTHER_VARIABLES)


def test_a_file_over_one_mib_is_refused(tmp_path: Path) -> None:
    """C3: a 10 MB string was accepted."""
    text = f'[signer]\ntsa_url = "{"a" * CONFIG_LIMIT}"\n'
    err = _error(tmp_path, text)
    assert err.code == "CONFIG_INVALID"
    assert f"{len(text)} bytes, over the {CONFIG_LIMIT} bytes (1 MiB)" in err.message_en


def test_long_names_are_cut_in_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """C4: a 10 MB key name was repeated whole in a 10 MB error line."""
    long = "k" * 100_000
    err = _error(tmp_path, f"{long} = 1\n[[keys]]\nname = '{long}'\n[[keys]]\nname = '{long}'\n")
    assert len(err.message_en) < 400
    assert f"{'k' * 64}…: unknown setting" in err.message_en
    assert (
        f"duplicate key names ['{'k' * 64}…']"
        in _error(tmp_path, f"[[keys]]\nname = '{long}'\n[[keys]]\nname = '{long}'\n").message_en
    )
    monkeypatch.setenv("KYSO_" + "X" * 1000, "1")
    problem = _error(tmp_path, "").message_en
    assert len(problem) < 400 and "KYSO_XXX" in problem and "…: unknown setting" in problem


@pytest.mark.parametrize(
    "listen", ["127.0.0.1:0", "0.0.0.0:65535", "localhost:50051", "[::1]:50051", "[::]:1"]
)
def test_listen_addresses(tmp_path: Path, listen: str) -> None:
    assert _load(tmp_path, f'listen = "{listen}"\n').listen == listen


@pytest.mark.parametrize(
    "listen", ["garbage", "127.0.0.1", "127.0.0.1:65536", ":50051", "::1:50051", "[::1]", "a b:1"]
)
def test_bad_listen_address(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, listen: str) -> None:
    """C5: KYSO_LISTEN=garbage was a gRPC traceback and exit 1."""
    assert "listen: expected HOST:PORT" in _error(tmp_path, f'listen = "{listen}"\n').message_en
    assert "KYSO_LISTEN: expected HOST:PORT" in _env_error(
        tmp_path, monkeypatch, KYSO_LISTEN=listen
    )


@pytest.mark.parametrize(
    "url", ["redis://127.0.0.1:6379/0", "rediss://:secret@redis.example.vn", "unix:///run/r.sock"]
)
def test_redis_urls(tmp_path: Path, url: str) -> None:
    assert _load(tmp_path, f'redis_url = "{url}"\n').redis_url == url


@pytest.mark.parametrize(
    "url",
    ["notaurl", "http://host/", "redis://", "redis://:s3cret@h:port/0", "redis://h/x", "unix://"],
)
def test_bad_redis_url_is_refused_without_repeating_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    """C5: KYSO_REDIS_URL=notaurl was a redis-py traceback at start-up."""
    problem = _env_error(tmp_path, monkeypatch, KYSO_REDIS_URL=url)
    assert "KYSO_REDIS_URL: expected a redis://" in problem
    assert "s3cret" not in problem and "notaurl" not in problem and "h/x" not in problem


def test_paths_must_be_what_they_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """C5: KYSO_TRUST_STORE__PATH=/etc/passwd was a NotADirectoryError traceback."""
    a_file = _write(tmp_path / "a-file", "")
    problem = _env_error(tmp_path, monkeypatch, KYSO_TRUST_STORE__PATH=str(a_file))
    assert "KYSO_TRUST_STORE__PATH: expected a directory, got an existing file" in problem
    monkeypatch.delenv("KYSO_TRUST_STORE__PATH")
    for text, named in (
        (f'home = "{a_file}"\n', "home: expected a directory"),
        (f'[trust_store]\nbundles_path = "{a_file}"\n', "trust_store.bundles_path: expected a"),
        (f'[trust_store]\naudit_path = "{tmp_path}"\n', "trust_store.audit_path: expected a file"),
    ):
        assert named in _error(tmp_path, text).message_en
    monkeypatch.setenv("KYSO_HOME", str(a_file))
    assert "home: expected a directory" in _error(tmp_path, "").message_en
    monkeypatch.delenv("KYSO_HOME")
    settings = _load(tmp_path, '[trust_store]\npath = "not-yet"\n')  # kyso creates it
    assert settings.trust_store_path == tmp_path.resolve() / "not-yet"


def test_serve_reports_a_bad_listen_on_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _write(tmp_path / "base.toml", f'home = "{tmp_path}"\n')
    assert "--listen: expected HOST:PORT" in _serve_error(
        ["--config", str(config), "--listen", "garbage"], capsys
    )
    monkeypatch.setenv("KYSO_TRUST_STORE__PATH", str(config))
    assert "KYSO_TRUST_STORE__PATH" in _serve_error(["--config", str(config)], capsys)


@pytest.mark.parametrize("text", ["1", "0", "True", "yes", '"true"'])
def test_booleans_in_the_environment_are_toml_booleans(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str
) -> None:
    """C6: KYSO_VERIFIER__FETCH_REVOCATION=1 was accepted as true."""
    problem = _env_error(tmp_path, monkeypatch, KYSO_VERIFIER__FETCH_REVOCATION=text)
    assert "KYSO_VERIFIER__FETCH_REVOCATION: expected true or false" in problem


def test_toml_values_in_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KYSO_VERIFIER__FETCH_REVOCATION", "false")
    monkeypatch.setenv("KYSO_TRUST_STORE__KEEP_VERSIONS", "1_000")
    monkeypatch.setenv("KYSO_VERIFIER__REQUEST_TIMEOUT_SECONDS", " 12 ")
    monkeypatch.setenv("KYSO_WORKERS", "4\nlisten = 1")  # one value, not a TOML document
    problem = _error(tmp_path, "").message_en
    assert "KYSO_WORKERS: expected an integer, got string" in problem
    monkeypatch.delenv("KYSO_WORKERS")
    settings = _load(tmp_path, "")
    assert settings.verifier.fetch_revocation is False
    assert settings.trust_store.keep_versions == 1000
    assert settings.verifier.request_timeout_seconds == 12.0


@pytest.mark.parametrize("text", ["inf", "-inf", "nan", "+inf"])
def test_numbers_must_be_finite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    """C6: KYSO_VERIFIER__REQUEST_TIMEOUT_SECONDS=inf was accepted; so was inf in the file."""
    for section, name in (
        ("verifier", "request_timeout_seconds"),
        ("trust_store", "redis_poll_seconds"),
        ("fetch", "timeout_seconds"),
    ):
        problem = _error(tmp_path, f"[{section}]\n{name} = {text}\n").message_en
        assert f"{section}.{name}: expected a finite number" in problem
        variable = f"KYSO_{section}__{name}".upper()
        problem = _env_error(tmp_path, monkeypatch, **{variable: text})
        assert f"{variable}: expected a finite number" in problem
        monkeypatch.delenv(variable)
    problem = _error(tmp_path, f'[[keys]]\nname = "k"\nseal_diameter_mm = {text}\n').message_en
    assert "keys[0].seal_diameter_mm: expected a finite number" in problem


def test_policy_dir_must_be_an_existing_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """C6: KYSO_VERIFIER__POLICY_DIR=/nonexistent was accepted."""
    missing = tmp_path / "nonexistent"
    problem = _env_error(tmp_path, monkeypatch, KYSO_VERIFIER__POLICY_DIR=str(missing))
    assert "KYSO_VERIFIER__POLICY_DIR: expected an existing directory" in problem
    monkeypatch.delenv("KYSO_VERIFIER__POLICY_DIR")
    a_file = _write(tmp_path / "policy.json", "{}")
    assert (
        "verifier.policy_dir: expected an existing directory, got an existing file"
        in _error(tmp_path, f'[verifier]\npolicy_dir = "{a_file}"\n').message_en
    )
    (tmp_path / "policies").mkdir()
    settings = _load(tmp_path, '[verifier]\npolicy_dir = "policies"\n')
    assert settings.verifier.policy_dir == tmp_path.resolve() / "policies"


# -- the documentation -----------------------------------------------------------------


def test_configuration_doc_is_generated_from_the_models() -> None:
    doc = (REPO / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert settings_doc.current(doc) == settings_doc.render(), (
        "docs/configuration.md is out of date: run `python -m kyso.server.settings_doc`"
    )


def test_every_setting_is_documented() -> None:
    doc = (REPO / "docs" / "configuration.md").read_text(encoding="utf-8")
    parts = {p.split("\n", 1)[0]: p for p in doc.split("\n### ")[1:]}
    sections = settings_doc.sections()
    assert {model for _, model, _ in sections} >= {ServerSettings, KeySettings}
    for heading, model, _ in sections:
        assert heading in parts, f"no table for {heading}"
        for name, info in model.model_fields.items():
            if settings_doc.type_name(info.annotation) == "table":
                continue
            assert f"| `{name}` |" in parts[heading], f"{heading} {name} is not documented"
            assert info.description, f"{heading} {name} has no description"
