"""Candidate certificates for path building, chosen before pyhanko-certvalidator sees them.

The certificate sets of a CMS and of a DSS are *unsigned*: anyone holding a signed PDF can add
certificates to them without touching the signature (robustness issue 9, item 4).  Handed to
certvalidator as they are, certificates carrying a CA's name make its path builder walk every
name-matching combination (X⇄Y name loops: exponential; 1,000 copies of the CA's name: a
``RecursionError``), and a key of the wrong type inside a candidate issuer reaches an
``AssertionError`` in its signature check.  So kyso builds the candidate paths itself, over
*signature* edges rather than name edges (RFC 5280 6.1.3 (a)(1) decides anyway):

* the pool is deduplicated by subject, public key and issuer name (copies that differ only in
  serial number or validity collapse into one; cross-certificates, which differ in issuer,
  survive) and capped (:attr:`PathLimits.max_certificates`);
* an issuer candidate of a certificate is a pool certificate or trust anchor whose subject is
  the certificate's issuer name, whose key identifier (when both carry one) matches, **and
  whose public key verifies the certificate's signature**; key-identifier matches are tried
  first, at most :attr:`PathLimits.max_issuers_per_certificate` issuers are kept per
  certificate and at most :attr:`PathLimits.max_signature_checks` signatures are checked per
  search;
* paths are at most :attr:`PathLimits.max_chain_length` certificates below the anchor, never
  repeat a subject and key (no loops), and at most :attr:`PathLimits.max_candidate_paths` are
  returned.

A certificate that verifies nothing is dropped; every limit that was hit is reported by name
(:attr:`PathSearch.limits_hit`).  When no path reaches an anchor, :attr:`PathSearch.chain` is
the one linear chain (first issuer at each level, no repeated name) that certvalidator may
extend through AIA: its own builder then walks a single branch.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from asn1crypto import x509
from asn1crypto.keys import PublicKeyInfo
from cryptography.exceptions import InvalidSignature
from pyhanko_certvalidator.errors import (
    AlgorithmNotSupported,
    DSAParametersUnavailable,
    PSSParameterMismatch,
)
from pyhanko_certvalidator.sig_validate import (
    DEFAULT_VALIDATION_CONTEXT,
    DefaultSignatureValidator,
    SignatureValidationContext,
)


@dataclass(frozen=True)
class PathLimits:
    """Bounds of one certificate path search; the names are the settings' names.

    Defaults fit every chain of the corpus (the longest is four certificates) with room to
    spare; ``[verifier]`` settings of the same names override them (docs/configuration.md).
    """

    max_certificates: int = 64  # distinct certificates taken from the CMS, DSS and store
    max_signature_checks: int = 256  # issuer-candidate signature verifications per search
    max_issuers_per_certificate: int = 4  # verifying issuers kept per certificate
    max_chain_length: int = 8  # certificates between the leaf and the anchor, leaf included
    max_candidate_paths: int = 8  # paths handed to RFC 5280 validation


@dataclass
class PathSearch:
    """What :func:`search_paths` found for one certificate."""

    paths: list[tuple[x509.Certificate, list[x509.Certificate]]] = field(default_factory=list)
    """Each (anchor certificate, intermediates from the anchor down to the leaf's issuer)."""
    chain: list[x509.Certificate] = field(default_factory=list)
    """Without an anchored path: one linear chain above the leaf (for AIA completion)."""
    pool: list[x509.Certificate] = field(default_factory=list)
    """certvalidator's ``other_certs``: the paths' and the chain's certificates, and at most one
    certificate per other subject name (for side validations of OCSP responders, CRL issuers)."""
    limits_hit: set[str] = field(default_factory=set)
    signature_checks: int = 0
    dropped: int = 0  # certificates not taken (duplicates, over the cap, verifying nothing)


class GuardedSignatureValidator(DefaultSignatureValidator):
    """certvalidator's signature check where any failure means "does not verify".

    pyhanko-certvalidator 0.33 asserts the key type (``AssertionError`` for an EC key asked to
    check an RSA signature) and lets pyca ``ValueError``/``TypeError``/``UnsupportedAlgorithm``
    through; those would end a path validation as "failed unexpectedly" instead of "this path
    is invalid".  The exceptions certvalidator itself handles pass unchanged.  Results are
    remembered (bounded) per (signature, key), so the second validation of the same path
    (embedded data first, then fetched; then at the POE) does not verify again.
    """

    _PASS_THROUGH = (
        InvalidSignature,
        PSSParameterMismatch,
        DSAParametersUnavailable,
        AlgorithmNotSupported,
    )

    def validate_signature(
        self,
        signature: bytes,
        signed_data: bytes,
        public_key_info: PublicKeyInfo,
        signature_algorithm: object,
        context: SignatureValidationContext = DEFAULT_VALIDATION_CONTEXT,
    ) -> None:
        try:
            super().validate_signature(
                signature,
                signed_data,
                public_key_info,
                signature_algorithm,  # type: ignore[arg-type]
                context,
            )
        except self._PASS_THROUGH:
            raise
        except Exception as exc:  # certvalidator: any other failure is a bad signature
            raise InvalidSignature(type(exc).__name__) from exc


_GUARD = GuardedSignatureValidator()
_VERIFIED: OrderedDict[tuple[bytes, bytes], bool] = OrderedDict()
_VERIFIED_MAX = 4096
_lock = threading.Lock()


def issued_by_key(cert: x509.Certificate, issuer_key: PublicKeyInfo) -> bool:
    """Whether ``issuer_key`` verifies ``cert``'s signature (any failure: False).

    Remembered per (certificate SHA-256, key SHA-256), at most 4096 answers.
    """
    memo = (cert.sha256, issuer_key.sha256)
    with _lock:
        known = _VERIFIED.get(memo)
    if known is not None:
        return known
    try:
        _GUARD.validate_signature(
            cert["signature_value"].native,
            cert["tbs_certificate"].dump(),
            issuer_key,
            cert["signature_algorithm"],
        )
        ok = True
    except Exception:  # InvalidSignature, unsupported parameters: not this issuer
        ok = False
    with _lock:
        _VERIFIED[memo] = ok
        while len(_VERIFIED) > _VERIFIED_MAX:
            _VERIFIED.popitem(last=False)
    return ok


def _identity(cert: x509.Certificate) -> tuple[bytes, bytes, bytes]:
    return cert.subject.dump(), cert.public_key.dump(), cert.issuer.dump()


def _node(cert: x509.Certificate) -> tuple[bytes, bytes]:
    return cert.subject.dump(), cert.public_key.dump()


def deduplicate(
    certs: Iterable[x509.Certificate], limit: int
) -> tuple[list[x509.Certificate], int, bool]:
    """The first certificate of each (subject, key, issuer), at most ``limit`` of them.

    Returns (kept, how many were not kept, whether ``limit`` cut the list).
    """
    seen: set[tuple[bytes, bytes, bytes]] = set()
    kept: list[x509.Certificate] = []
    dropped = 0
    capped = False
    for cert in certs:
        ident = _identity(cert)
        if ident in seen:
            dropped += 1
            continue
        if len(kept) >= limit:
            dropped += 1
            capped = True
            continue
        seen.add(ident)
        kept.append(cert)
    return kept, dropped, capped


def _name_candidates(
    cert: x509.Certificate, by_subject: dict[bytes, list[x509.Certificate]]
) -> list[x509.Certificate]:
    """Certificates named as ``cert``'s issuer, key-identifier matches first."""
    aki = cert.authority_key_identifier
    matching: list[x509.Certificate] = []
    others: list[x509.Certificate] = []
    for cand in by_subject.get(cert.issuer.dump(), ()):
        ski = cand.key_identifier
        if aki is not None and ski is not None:
            if ski == aki:
                matching.append(cand)
            continue  # both carry identifiers and they differ: not the issuer
        others.append(cand)
    return matching + others


class _Search:
    def __init__(
        self,
        pool: Sequence[x509.Certificate],
        anchors: Sequence[x509.Certificate],
        limits: PathLimits,
        result: PathSearch,
    ) -> None:
        self.limits = limits
        self.result = result
        self.pool_subjects: dict[bytes, list[x509.Certificate]] = {}
        for c in pool:
            self.pool_subjects.setdefault(c.subject.dump(), []).append(c)
        self.anchor_subjects: dict[bytes, list[x509.Certificate]] = {}
        for a in anchors:
            self.anchor_subjects.setdefault(a.subject.dump(), []).append(a)
        self.issuers: dict[bytes, tuple[list[x509.Certificate], list[x509.Certificate]]] = {}
        self.dead: set[bytes] = set()  # certificates from which no anchor was reached

    def _verifies(self, child: x509.Certificate, issuer: x509.Certificate) -> bool:
        if self.result.signature_checks >= self.limits.max_signature_checks:
            self.result.limits_hit.add("max_signature_checks")
            return False
        self.result.signature_checks += 1
        return issued_by_key(child, issuer.public_key)

    def issuers_of(
        self, cert: x509.Certificate
    ) -> tuple[list[x509.Certificate], list[x509.Certificate]]:
        """(anchors, pool certificates) whose key verifies ``cert``, each list capped."""
        memo = self.issuers.get(cert.sha256)
        if memo is not None:
            return memo
        cap = self.limits.max_issuers_per_certificate
        anchors: list[x509.Certificate] = []
        for a in _name_candidates(cert, self.anchor_subjects):
            if len(anchors) >= cap:
                self.result.limits_hit.add("max_issuers_per_certificate")
                break
            if self._verifies(cert, a):
                anchors.append(a)
        found: list[x509.Certificate] = []
        for cand in _name_candidates(cert, self.pool_subjects):
            if cand.sha256 == cert.sha256:
                continue  # a self-signed certificate is not its own intermediate
            if len(found) >= cap:
                self.result.limits_hit.add("max_issuers_per_certificate")
                break
            if self._verifies(cert, cand):
                found.append(cand)
        self.issuers[cert.sha256] = (anchors, found)
        return anchors, found

    def walk(self, path: list[x509.Certificate], nodes: set[tuple[bytes, bytes]]) -> bool:
        """Depth-first from ``path[-1]`` (the leaf first); True when an anchor was reached."""
        cert = path[-1]
        if cert.sha256 in self.dead:
            return False
        anchors, issuers = self.issuers_of(cert)
        reached = False
        for anchor in anchors:
            if len(self.result.paths) >= self.limits.max_candidate_paths:
                self.result.limits_hit.add("max_candidate_paths")
                return True
            self.result.paths.append((anchor, list(reversed(path[1:]))))
            reached = True
        for issuer in issuers:
            if len(self.result.paths) >= self.limits.max_candidate_paths:
                self.result.limits_hit.add("max_candidate_paths")
                return True
            node = _node(issuer)
            if node in nodes:
                continue  # a loop (X⇄Y): never follow it
            if len(path) >= self.limits.max_chain_length:
                self.result.limits_hit.add("max_chain_length")
                continue
            nodes.add(node)
            path.append(issuer)
            reached = self.walk(path, nodes) or reached
            path.pop()
            nodes.discard(node)
        if not reached:
            self.dead.add(cert.sha256)
        return reached

    def linear_chain(self, leaf: x509.Certificate) -> list[x509.Certificate]:
        """The first verifying issuer at each level, no repeated name, no longer than allowed."""
        chain: list[x509.Certificate] = []
        names = {leaf.subject.dump()}
        cert = leaf
        while len(chain) + 1 < self.limits.max_chain_length:
            _anchors, issuers = self.issuers_of(cert)
            nxt = next((c for c in issuers if c.subject.dump() not in names), None)
            if nxt is None:
                break
            chain.append(nxt)
            names.add(nxt.subject.dump())
            cert = nxt
        return chain


def search_paths(
    leaf: x509.Certificate,
    candidates: Iterable[x509.Certificate],
    anchors: Iterable[x509.Certificate],
    limits: PathLimits,
) -> PathSearch:
    """Candidate paths from ``leaf`` to one of ``anchors`` through ``candidates``.

    ``candidates`` come in lookup order (trust store intermediates, learned issuers, the
    CMS's, the DSS's); ``anchors`` are the trust anchors for the purpose.  Pure computation
    bounded by ``limits`` (at most ``max_signature_checks`` signature verifications); raises
    nothing.  Source: RFC 5280 6.1.3 (a)(1) (each certificate's signature verifies with the
    working public key) applied while building, as RFC 4158 3.5.12 recommends.
    """
    result = PathSearch()
    pool, dropped, capped = deduplicate(
        (c for c in candidates if c.sha256 != leaf.sha256), limits.max_certificates
    )
    result.dropped = dropped
    if capped:
        result.limits_hit.add("max_certificates")
    search = _Search(pool, list(anchors), limits, result)
    search.walk([leaf], {_node(leaf)})
    if not result.paths:
        result.chain = search.linear_chain(leaf)
    used: dict[bytes, x509.Certificate] = {}
    for _anchor, interm in result.paths:
        for c in interm:
            used.setdefault(c.sha256, c)
    for c in result.chain:
        used.setdefault(c.sha256, c)
    # Certificates off every path stay available to side validations (OCSP responders, CRL
    # issuers), one per subject name and none named like a certificate the walk met, so
    # certvalidator's own name-driven builder can only ever walk a single branch through them.
    met = {leaf.issuer.dump()}
    for c in used.values():
        met.update((c.subject.dump(), c.issuer.dump()))
    for c in pool:
        if c.sha256 in used:
            continue
        name = c.subject.dump()
        if name in met:
            continue  # named like a certificate on the paths, and verified nothing there
        met.add(name)
        used[c.sha256] = c
    result.pool = list(used.values())
    result.dropped += len(pool) - len(result.pool)
    return result


__all__ = [
    "GuardedSignatureValidator",
    "PathLimits",
    "PathSearch",
    "deduplicate",
    "issued_by_key",
    "search_paths",
]
