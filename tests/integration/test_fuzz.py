"""Fuzzing, the short run (issue 9 §7): a few hundred mutants of the seeds through Verify,
layout checking, edXML intake and trust-store import, in process through the servicers of the
module's real server, and a handful through gRPC.

Hypothesis draws the seed, the mutator and every choice the mutator makes
(``st.randoms()``), derandomized (the same examples on every run, no database). The long run
is ``bench/fuzz.py --minutes N`` (docs/robustness.md). The oracle is
:meth:`tests.fuzzing.targets.Targets.run`: no exception outside kyso's error hierarchy, no
call past the hang bound, never TOTAL_PASSED with a signed byte changed, TOTAL_PASSED kept when
only the unsigned CMS certificate set of a valid kyso signature changed.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from kyso.cli.main import main
from kyso.v1 import verifier_pb2 as vpb
from kyso.v1 import verifier_pb2_grpc as vgrpc
from tests.fuzzing import input_mutations, pdf_mutations
from tests.fuzzing.pdf_mutations import Seed
from tests.fuzzing.seeds import bundle_seed, certificates, pdf_files
from tests.fuzzing.targets import PASSED, Outcome, Targets
from tests.integration.documents import DECREE30_NAME, decree30_pdf, make_pdf

#: Seeds above this size make an example too slow for the short run (bench/fuzz.py takes all).
SHORT_RUN_SEED_BYTES = 100_000
HANG_SECONDS = 30.0  # generous: the machine is shared; a real hang is minutes

FUZZ = settings(
    deadline=None,
    derandomize=True,
    database=None,
    # No shrinking: a failure names its target, mutator and seed (Outcome), and shrinking a
    # PDF mutant through Verify takes minutes.
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)


class _Items(list[Any]):
    """A fixture's list that hypothesis prints by its length, not its bytes."""

    def __repr__(self) -> str:
        return f"<{len(self)} items>"


def _sign(server: str, tmp: Path, name: str, pdf: bytes, *args: str) -> bytes:
    src, out = tmp / f"{name}.pdf", tmp / f"{name}-signed.pdf"
    src.write_bytes(pdf)
    assert main(["--server", server, "sign", str(src), "-o", str(out), *args]) == 0
    return out.read_bytes()


#: A site bundle whose manifest lists no certificates but ``null`` (found by the fuzzer).
BROKEN_BUNDLE = "fuzz-broken"


@pytest.fixture(scope="module")
def kyso_config(config_factory: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The module's server, with a site bundle directory holding :data:`BROKEN_BUNDLE`."""
    bundles = tmp_path_factory.mktemp("site-bundles")
    (bundles / BROKEN_BUNDLE).mkdir()
    (bundles / BROKEN_BUNDLE / "manifest.json").write_text('{"certificates": null}')
    home = tmp_path_factory.mktemp("kyso-home")
    # OCR (tesseract, up to 12 s a document) is not what is fuzzed here: pages without text
    # get a TEXT_LAYER finding instead.
    return config_factory.make(
        home, trust_store={"bundles_path": bundles}, verifier={"layout_ocr": False}
    )


@pytest.fixture(scope="module")
def targets(kyso_context: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Targets]:
    t = Targets(kyso_context, tmp_path_factory.mktemp("fuzz"), hang_seconds=HANG_SECONDS)
    yield t
    t.close()


@pytest.fixture(scope="module")
def kyso_signed(kyso_server: str, tmp_path_factory: pytest.TempPathFactory) -> list[bytes]:
    """Documents kyso signed: B-T with the Decree 30 anchor, and B-B signed twice."""
    tmp = tmp_path_factory.mktemp("fuzz-seeds")
    bt = _sign(
        kyso_server,
        tmp,
        "bt",
        decree30_pdf(),
        "--key",
        "personal",
        "--level",
        "B-T",
        "--anchor",
        DECREE30_NAME,
    )
    once = _sign(
        kyso_server,
        tmp,
        "bb",
        make_pdf(["Công văn thử nghiệm"]),
        "--key",
        "personal",
        "--level",
        "B-B",
        "--rect",
        "300,100,500,180",
    )
    twice = _sign(
        kyso_server,
        tmp,
        "bb2",
        once,
        "--key",
        "personal",
        "--level",
        "B-B",
        "--rect",
        "300,200,500,280",
    )
    return _Items([bt, once, twice])


@pytest.fixture(scope="module")
def seeds(targets: Targets, kyso_signed: list[bytes]) -> list[Seed]:
    """The short run's seeds with their verdicts: kyso's signed documents, generated ones, and
    the small files of ../shared/corpus, ../shared/cases and tests/corpus."""
    named = [(f"kyso-signed-{i}", d) for i, d in enumerate(kyso_signed)]
    named += [("decree30", decree30_pdf()), ("one-page", make_pdf(["Thông báo"]))]
    named += [(p.name, p.read_bytes()) for p in pdf_files(SHORT_RUN_SEED_BYTES)]
    # Verdicts of kyso's documents only (the others' cost a minute here; bench/fuzz.py takes
    # them): the certificate-set oracle "stays TOTAL_PASSED" applies to these.
    out = [Seed.of(name, data, i < 3 and targets.baseline(data) == PASSED)
           for i, (name, data) in enumerate(named)]  # fmt: skip
    assert all(s.passed for s in out[:3]), "kyso's own signatures must verify TOTAL_PASSED"
    return _Items(out)


def _check(outcome: Outcome) -> None:
    assert outcome.problem is None, (
        f"{outcome.problem} on {outcome.target} {outcome.kind} of {outcome.seed}: "
        f"{outcome.result} in {outcome.seconds:.1f} s\n{outcome.detail}"
    )


@settings(FUZZ, max_examples=80)
@given(data=st.data(), rnd=st.randoms(use_true_random=False))
def test_verify_survives_mutants(
    targets: Targets, seeds: list[Seed], data: Any, rnd: random.Random
) -> None:
    seed = data.draw(st.sampled_from(seeds), label="seed")
    kind = data.draw(st.sampled_from(sorted(pdf_mutations.MUTATORS)), label="mutator")
    mutant = pdf_mutations.mutate(rnd, seed, seeds, kind)
    _check(targets.verify(mutant))


@settings(FUZZ, max_examples=20)
@given(data=st.data(), rnd=st.randoms(use_true_random=False))
def test_certificate_set_tampering_keeps_a_valid_signature_passed(
    targets: Targets, seeds: list[Seed], data: Any, rnd: random.Random
) -> None:
    """Certificates added to the unsigned CMS set of kyso's signatures (issuer-name clones,
    name loops, EC and RSA): the verdict stays TOTAL_PASSED (issue 9 §6)."""
    seed = data.draw(st.sampled_from(seeds[:3]), label="seed")
    mutant = pdf_mutations.mutate(rnd, seed, seeds, "certificate-set")
    assert mutant.expect_passed, mutant.kind
    _check(targets.verify(mutant))


@settings(FUZZ, max_examples=20)
@given(data=st.data(), rnd=st.randoms(use_true_random=False))
def test_object_streams_added_after_signing(
    targets: Targets, seeds: list[Seed], data: Any, rnd: random.Random
) -> None:
    seed = data.draw(st.sampled_from(seeds[:3]), label="seed")
    _check(targets.verify(pdf_mutations.mutate(rnd, seed, seeds, "object-stream")))


@settings(FUZZ, max_examples=40)
@given(data=st.data(), rnd=st.randoms(use_true_random=False))
def test_layout_check_survives_mutants(
    targets: Targets, seeds: list[Seed], data: Any, rnd: random.Random
) -> None:
    seed = data.draw(st.sampled_from(seeds), label="seed")
    mutant = pdf_mutations.mutate(rnd, seed, seeds)
    _check(targets.run("layout", mutant.data, mutant.kind, mutant.seed))


@settings(FUZZ, max_examples=25)
@given(rnd=st.randoms(use_true_random=False))
def test_edxml_intake_survives_mutants(
    targets: Targets, kyso_signed: list[bytes], rnd: random.Random
) -> None:
    package, kind = input_mutations.edxml_mutation(rnd, kyso_signed)
    _check(targets.run("intake", package, kind, "edxml"))


@pytest.fixture(scope="module")
def trust_certificates(pki: Any) -> list[bytes]:
    pems = [pki.root_path, *pki.chain_paths("personal"), pki.cert_path("personal")]
    return _Items(certificates(pems))


@settings(FUZZ, max_examples=60)
@given(rnd=st.randoms(use_true_random=False))
def test_trust_import_survives_mutants(
    targets: Targets, trust_certificates: list[bytes], rnd: random.Random
) -> None:
    bundle, kind = input_mutations.trust_bundle(rnd, trust_certificates)
    _check(targets.run("trust-import", bundle, kind, "certificates"))


@settings(FUZZ, max_examples=40)
@given(rnd=st.randoms(use_true_random=False))
def test_trust_bundle_survives_mutants(targets: Targets, rnd: random.Random) -> None:
    manifest, files = bundle_seed()
    manifest, files, kind = input_mutations.bundle_directory(rnd, manifest, files)
    _check(targets.run("trust-bundle", (manifest, files), kind, "vn-gov"))


def test_the_unmutated_bundle_loads(targets: Targets) -> None:
    outcome = targets.run("trust-bundle", bundle_seed(), "none", "vn-gov")
    assert outcome.problem is None and outcome.result == "bundle 4", outcome


def test_mutants_through_the_real_server(grpc_channel: Any, seeds: list[Seed]) -> None:
    """A few mutants through gRPC: never INTERNAL/UNKNOWN, never a false TOTAL_PASSED, and the
    certificate-set mutants of kyso's signatures stay TOTAL_PASSED."""
    stub = vgrpc.VerifierStub(grpc_channel)
    rnd = random.Random(9)
    kinds = ["certificate-set", "object-stream", "bitflip", "number", "truncate", "prev-loop"]
    for i, kind in enumerate(kinds * 2):
        seed = seeds[i % 3]
        mutant = pdf_mutations.mutate(rnd, seed, seeds, kind)
        try:
            report = stub.Verify(vpb.VerifyRequest(document=mutant.data), timeout=HANG_SECONDS)
        except grpc.RpcError as err:
            assert err.code() == grpc.StatusCode.INVALID_ARGUMENT, (mutant.kind, err)
            continue
        indication = vpb.Indication.Name(report.indication)
        if mutant.signed_changed:
            assert indication != PASSED, mutant.kind
        if mutant.expect_passed:
            assert indication == PASSED, (mutant.kind, [w.code for w in report.warnings])


# -- regressions: each crash the fuzzer found, through the real server -----------------------
def _pss_with_null_parameters(der: bytes) -> bytes:
    """``der`` with its signature algorithm sha256WithRSAEncryption (NULL parameters) renamed
    RSASSA-PSS: the NULL is then not the SEQUENCE PSS parameters must be."""
    sha256_rsa = bytes.fromhex("06092a864886f70d01010b0500")
    pss_null = bytes.fromhex("06092a864886f70d01010a0500")
    assert sha256_rsa in der
    return der.replace(sha256_rsa, pss_null)


def test_regression_pkcs7_with_a_damaged_certificate_is_refused(
    grpc_channel: Any, pki: Any
) -> None:
    """Found by the fuzzer: a PKCS#7 bundle whose certificate has RSASSA-PSS parameters of the
    wrong type raised ValueError while re-encoding it (INTERNAL); now INVALID_ARGUMENT
    TRUST_BAD_BUNDLE, nothing imported."""
    from asn1crypto import cms
    from asn1crypto import x509 as ax509

    from kyso.server.status import error_info
    from kyso.v1 import trust_store_pb2 as tpb
    from kyso.v1 import trust_store_pb2_grpc as tgrpc

    (der,) = certificates([pki.cert_path("personal")])[:1]
    cert = ax509.Certificate.load(_pss_with_null_parameters(der))
    sd = cms.SignedData(
        {
            "version": "v1",
            "digest_algorithms": [],
            "encap_content_info": {"content_type": "data"},
            "certificates": [cert],
            "signer_infos": [],
        }
    )
    p7b = cms.ContentInfo({"content_type": "signed_data", "content": sd}).dump()
    stub = tgrpc.TrustStoreStub(grpc_channel)
    before = stub.Status(tpb.TrustStoreStatusRequest(), timeout=10).version
    with pytest.raises(grpc.RpcError) as err:
        stub.Import(tpb.ImportTrustBundleRequest(bundle=p7b, reason="regression"), timeout=10)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error_info(err.value)[0] == "TRUST_BAD_BUNDLE"
    assert stub.Status(tpb.TrustStoreStatusRequest(), timeout=10).version == before


def test_regression_a_bundle_manifest_of_the_wrong_shape_is_refused(grpc_channel: Any) -> None:
    """Found by the fuzzer: a site bundle whose manifest's ``certificates`` is not a list of
    objects (here ``null``), or whose role or purposes are unknown, raised TypeError or
    ValueError (INTERNAL); now FAILED_PRECONDITION TRUST_BUNDLE_BROKEN."""
    from kyso.server.status import error_info
    from kyso.v1 import trust_store_pb2 as tpb
    from kyso.v1 import trust_store_pb2_grpc as tgrpc

    stub = tgrpc.TrustStoreStub(grpc_channel)
    with pytest.raises(grpc.RpcError) as err:
        stub.InstallBundle(
            tpb.InstallTrustBundleRequest(name=BROKEN_BUNDLE, reason="regression"), timeout=10
        )
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert error_info(err.value)[0] == "TRUST_BUNDLE_BROKEN"


def _shipped_with(key: str, value: object) -> bytes:
    """The shipped manifest with ``key`` of its first certificate set to ``value``."""
    doc = json.loads(bundle_seed()[0])
    doc["certificates"][0][key] = value
    return json.dumps(doc).encode()


@pytest.mark.parametrize(
    "manifest",
    [
        b"[]",
        b'{"certificates": 1}',
        b'{"certificates": [null]}',
        b'{"certificates": [{"file": "a\\u0000.pem", "sha256": "0", "role": "anchor",'
        b' "purposes": []}]}',
        "bad-role",
        "bad-purposes",
    ],
    ids=["list", "number", "null-item", "nul-in-name", "bad-role", "bad-purposes"],
)
def test_regression_bundle_manifest_shapes(targets: Targets, manifest: bytes | str) -> None:
    if manifest == "bad-role":
        manifest = _shipped_with("role", "king")
    elif manifest == "bad-purposes":
        manifest = _shipped_with("purposes", ["everything"])
    assert isinstance(manifest, bytes)
    outcome = targets.run("trust-bundle", (manifest, bundle_seed()[1]), "regression", "manifest")
    assert outcome.problem is None, outcome.detail
    # A NUL in a file name is that file's problem (PIN_MISMATCH "missing"); the rest, the
    # manifest's.
    assert outcome.result in ("TRUST_BUNDLE_BROKEN", "TRUST_BUNDLE_PIN_MISMATCH"), outcome


def test_regression_deeply_nested_edxml_is_refused_at_once(grpc_channel: Any) -> None:
    """Found by bench/fuzz.py: an edXML message with 200,000 nested elements in a header field
    (a 1.6 MB message) kept Intake busy past 60 s (the reader looked up the whole element
    stack for every element: O(n²)); now refused as not edXML within seconds."""
    import time

    from kyso.v1 import intake_pb2 as ipb
    from kyso.v1 import intake_pb2_grpc as igrpc
    from tests.edxml_packages import package

    depth = 200_000
    nested = b"<a>" * depth + b"</a>" * depth
    message = package().replace(b"<edXML:Content>", b"<edXML:Content>" + nested, 1)
    started = time.monotonic()
    report = igrpc.IntakeStub(grpc_channel).Intake(ipb.IntakeRequest(package=message), timeout=60)
    assert time.monotonic() - started < 20
    assert "PACKAGE_NOT_EDXML" in str(report), str(report)[:2000]
