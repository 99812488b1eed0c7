"""deploy/: the Kubernetes manifests against the Kubernetes API schemas (kubernetes-validate,
strict, schemas bundled with the package: no network), the compose file against the compose
specification's schema (check-jsonschema's bundled copy), nginx's own ``nginx -t`` on the
compose load balancer, and the kyso.toml files they carry against kyso's settings models."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pydantic import BaseModel

from kyso.demo.pki import free_port
from kyso.server.clients import ClientSettings
from kyso.server.settings import ServerSettings, section_model
from signer.settings import KeySettings

REPO = Path(__file__).resolve().parents[2]
KUBERNETES = REPO / "deploy" / "kubernetes"
COMPOSE = REPO / "deploy" / "compose"
#: The oldest Kubernetes the manifests are meant for (grpc probes are GA since 1.27) and the
#: newest schema kubernetes-validate bundles.
KUBERNETES_VERSIONS = ("1.27.0", "1.37.0")


def _documents() -> list[tuple[str, dict[str, Any]]]:
    out = []
    for path in sorted(KUBERNETES.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if doc:
                out.append((path.name, doc))
    return out


def _kind(kind: str, name: str | None = None) -> dict[str, Any]:
    found = [d for _, d in _documents() if d["kind"] == kind]
    if name is not None:
        found = [d for d in found if d["metadata"]["name"] == name]
    assert len(found) == 1, f"{kind} {name or ''}: {len(found)} found"
    return found[0]


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_every_manifest_passes_the_kubernetes_schema_strictly(version: str) -> None:
    documents = _documents()
    assert documents
    for file, doc in documents:
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.ValidationError as err:
            pytest.fail(f"{file}: {doc['kind']} {doc['metadata']['name']}: {err.message}")


def test_a_bad_manifest_is_caught() -> None:
    """The check can fail: an unknown field under strict validation, a probe of wrong type."""
    deployment = _kind("Deployment")
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    bad = yaml.safe_load(yaml.safe_dump(deployment))
    bad["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["grpc"]["port"] = "x"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(bad, KUBERNETES_VERSIONS[-1], strict=True)
    bad = yaml.safe_load(yaml.safe_dump(deployment))
    bad["spec"]["template"]["spec"]["containers"][0]["livenessProb"] = container["livenessProbe"]
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(bad, KUBERNETES_VERSIONS[-1], strict=True)


def test_the_deployment_set_is_complete() -> None:
    kinds = {d["kind"] for _, d in _documents()}
    assert {
        "Deployment",
        "Service",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "ConfigMap",
        "Secret",
        "StatefulSet",
    } <= kinds
    deployment = _kind("Deployment")
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    for selector in (
        _kind("PodDisruptionBudget")["spec"]["selector"]["matchLabels"],
        _kind("Service", "kyso")["spec"]["selector"],
        deployment["spec"]["selector"]["matchLabels"],
    ):
        assert selector.items() <= labels.items()
    target = _kind("HorizontalPodAutoscaler")["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) == ("Deployment", deployment["metadata"]["name"])


def _kyso_toml() -> dict[str, Any]:
    return tomllib.loads(_kind("ConfigMap", "kyso-config")["data"]["kyso.toml"])


def test_probes_are_grpc_on_the_health_only_port_of_kyso_toml() -> None:
    config = _kyso_toml()
    health_port = int(config["health_listen"].rsplit(":", 1)[1])
    grpc_port = int(config["listen"].rsplit(":", 1)[1])
    pod = _kind("Deployment")["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports == {"grpc": grpc_port, "health": health_port}
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert container[probe]["grpc"]["port"] == health_port, probe
    assert "service" not in container["readinessProbe"]["grpc"]  # "": the overall status
    # non-root, numeric, read-only, no privileges
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert isinstance(pod["securityContext"]["runAsUser"], int)
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    # the grace kyso takes on SIGTERM, after the preStop pause, fits in the pod's
    pause = int(container["lifecycle"]["preStop"]["exec"]["command"][-1])
    assert pause + config["shutdown_grace_seconds"] + 5 <= pod["terminationGracePeriodSeconds"]


def _mebibytes(quantity: str) -> int:
    units = {"Mi": 1, "Gi": 1024}
    return int(quantity[:-2]) * units[quantity[-2:]]


def test_the_cage_fits_the_pods_memory_limit() -> None:
    """Every worker the pool may start (max_size, ~110 MiB each at rest, docs/benchmarks.md
    "Load") and the server (~250 MiB) stay under the pod's limit, with a request's peak of
    room: otherwise a busy pod is OOM-killed. ``workers`` (16) would not fit: the pool's
    default max_size is the number of gRPC threads."""
    config = _kyso_toml()
    pool = config["process_pool"]
    (container,) = _kind("Deployment")["spec"]["template"]["spec"]["containers"]
    limit = _mebibytes(container["resources"]["limits"]["memory"])
    assert pool["size"] <= pool["max_size"]
    assert 250 + pool["max_size"] * 128 + 512 <= limit, (pool, limit)


def _unknown_keys(table: dict[str, Any], model: type[BaseModel], where: str) -> list[str]:
    """Keys of ``table`` that ``model`` has no field for, sections and arrays of tables
    followed (kyso refuses them at start-up; the files the paths name are not here)."""
    unknown = []
    for key, value in table.items():
        info = model.model_fields.get(key)
        if info is None:
            unknown.append(f"{where}{key}")
            continue
        kind = section_model(info.annotation)
        if isinstance(value, dict) and isinstance(kind, type) and issubclass(kind, BaseModel):
            unknown += _unknown_keys(value, kind, f"{where}{key}.")
    return unknown


@pytest.mark.parametrize("source", ["kubernetes", "compose"])
def test_the_kyso_toml_files_use_only_real_settings(source: str) -> None:
    config = (
        _kyso_toml()
        if source == "kubernetes"
        else tomllib.loads((COMPOSE / "kyso.toml").read_text(encoding="utf-8"))
    )
    keys = config.pop("keys")
    clients = config.pop("clients")
    unknown = _unknown_keys(config, ServerSettings, "")
    for index, key in enumerate(keys):
        unknown += _unknown_keys(key, KeySettings, f"keys[{index}].")
    for index, client in enumerate(clients):
        unknown += _unknown_keys(client, ClientSettings, f"clients[{index}].")
    assert not unknown
    assert _unknown_keys({"redis_ulr": "x"}, ServerSettings, "") == ["redis_ulr"]
    # one thing a typo would break silently elsewhere: every pin_env is given to the pod
    if source == "kubernetes":
        (container,) = _kind("Deployment")["spec"]["template"]["spec"]["containers"]
        assert {k["pin_env"] for k in keys} <= {e["name"] for e in container["env"]}


def test_secrets_in_the_manifests_are_placeholders() -> None:
    for path in [*KUBERNETES.glob("*"), *COMPOSE.glob("*")]:
        text = path.read_text(encoding="utf-8")
        assert "PRIVATE KEY" not in text and "BEGIN CERTIFICATE" not in text, path.name
    for name in ("kyso-tls", "kyso-secrets"):
        secret = _kind("Secret", name)
        assert "data" not in secret
        assert all(v.lstrip("# ").startswith("REPLACE") for v in secret["stringData"].values())


def test_the_compose_file_passes_the_compose_specification() -> None:
    checker = Path(sys.executable).with_name("check-jsonschema")
    run = [str(checker), "--builtin-schema", "vendor.compose-spec"]
    done = subprocess.run(
        [*run, str(COMPOSE / "compose.yaml")], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    compose = yaml.safe_load((COMPOSE / "compose.yaml").read_text(encoding="utf-8"))
    assert compose["services"]["kyso"]["deploy"]["replicas"] >= 2
    assert {"redis", "nginx"} <= set(compose["services"])
    assert compose["services"]["kyso"]["user"].split(":")[0].isdigit()


def test_a_bad_compose_file_is_caught(tmp_path: Path) -> None:
    compose = yaml.safe_load((COMPOSE / "compose.yaml").read_text(encoding="utf-8"))
    compose["services"]["kyso"]["deploy"]["replica"] = 3  # a typo: no such key
    bad = tmp_path / "compose.yaml"
    bad.write_text(yaml.safe_dump(compose), encoding="utf-8")
    checker = Path(sys.executable).with_name("check-jsonschema")
    done = subprocess.run(
        [str(checker), "--builtin-schema", "vendor.compose-spec", str(bad)],
        capture_output=True,
        timeout=120,
    )
    assert done.returncode != 0


def _self_signed(directory: Path) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kyso.example.vn")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    pem = cert.public_bytes(serialization.Encoding.PEM)
    (directory / "server.pem").write_bytes(pem)
    (directory / "ca.pem").write_bytes(pem)
    (directory / "server.key").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


def test_nginx_accepts_the_compose_load_balancer(tmp_path: Path) -> None:
    """``nginx -t`` (Debian's nginx) on deploy/compose/nginx.conf, with the compose host
    names and paths mapped to this machine: the grpc and http2 directives are real."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        pytest.fail("nginx not found: scripts/install.sh installs it")
    _self_signed(tmp_path)
    text = (COMPOSE / "nginx.conf").read_text(encoding="utf-8")
    assert "grpc_pass grpcs://kyso;" in text
    text = text.replace("server kyso:50051", "server 127.0.0.1:50051")
    text = text.replace("/etc/nginx/tls/", f"{tmp_path}/")
    text = re.sub(r"listen 443 ", f"listen 127.0.0.1:{free_port()} ", text)
    text = text.replace("pid /tmp/nginx.pid", f"pid {tmp_path}/nginx.pid")
    conf = tmp_path / "nginx.conf"
    conf.write_text(text, encoding="utf-8")
    done = subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-c", str(conf), "-e", str(tmp_path / "error.log")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    conf.write_text(text.replace("grpc_pass grpcs://kyso;", "grpc_pass grpcs://kyso"))
    broken = subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-c", str(conf), "-e", str(tmp_path / "error.log")],
        capture_output=True,
        timeout=60,
    )
    assert broken.returncode != 0


def test_health_listen_is_validated_and_a_taken_port_is_one_error(tmp_path: Path) -> None:
    """The setting the probes depend on: HOST:PORT like ``listen``; a port in use is
    CONFIG_INVALID naming ``health_listen``, not a gRPC traceback."""
    import socket

    from grpc_health.v1.health import HealthServicer

    from kyso.errors import InvalidInput
    from kyso.server.app import build_health_server
    from kyso.server.settings import load_settings

    config = tmp_path / "kyso.toml"
    config.write_text(f'home = "{tmp_path}"\nhealth_listen = "0.0.0.0:8081"\n')
    assert load_settings(config).health_listen == "0.0.0.0:8081"
    config.write_text(f'home = "{tmp_path}"\nhealth_listen = "8081"\n')
    with pytest.raises(InvalidInput) as bad:
        load_settings(config)
    assert "health_listen: expected HOST:PORT" in bad.value.message_en
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        address = f"127.0.0.1:{taken.getsockname()[1]}"
        with pytest.raises(InvalidInput) as in_use:
            build_health_server(HealthServicer(), address)
    assert in_use.value.code == "CONFIG_INVALID"
    assert "health_listen: cannot listen on" in in_use.value.message_en
