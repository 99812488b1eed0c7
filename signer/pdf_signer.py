"""The signing service: checks, placement, appearance and level around pyHanko's PdfSigner.

One :class:`SigningService` lives per server process and keeps everything that is costly
to rebuild (keys and token sessions, the precheck cache, prepared images, TSA clients), so
a request only does the PDF work: read the trailer, add the field, hash, sign once.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import io
import logging
import shutil
import tempfile
import unicodedata
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO, Protocol
from zoneinfo import ZoneInfo

from asn1crypto import x509
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields
from pyhanko.sign.general import SigningError
from pyhanko.sign.signers import PdfSignatureMetadata, PdfSigner
from pyhanko.sign.signers.pdf_byterange import PreparedByteRangeDigest
from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes, Signer
from pyhanko.sign.signers.pdf_signer import PdfTBSDocument
from pyhanko.sign.timestamps import TimestampRequestError
from pyhanko.stamp.base import BaseStampStyle

from kyso.errors import InvalidInput, KysoError, Precondition, Unavailable, quoted
from kyso.pdf import input as document_input
from kyso.pdf.page_geometry import MM, PageGeometry, page_geometry
from kyso.pdf.pdfa import PdfA, declared_pdfa
from signer import appearance, deadline, event_loop, levels, personal_signature
from signer.keys.registry import KeyRegistry
from signer.model import (
    DocumentWork,
    PadesLevel,
    PreparedDocument,
    Profile,
    SignOptions,
    SignResult,
)
from signer.placement import (
    OnDisk,
    SignatureBox,
    checked_rect,
    find_default_personal_box,
    find_personal_box,
    seal_box,
    top_right_box,
)
from signer.precheck import Precheck
from signer.settings import KeySettings, SignerSettings
from trust_store import TrustSnapshot

log = logging.getLogger("kyso.signer")

VN_TIME = ZoneInfo("Asia/Ho_Chi_Minh")
_CHUNK = 1024 * 1024
_MAX_TEXT = 200


def _text(value: str | None, what: str) -> str | None:
    """Short single-line text from a caller; control characters are refused."""
    if value is None or value == "":
        return None
    value = unicodedata.normalize("NFC", value).strip()
    if len(value) > _MAX_TEXT or any(unicodedata.category(c).startswith("C") for c in value):
        raise InvalidInput(
            "OPTION_INVALID", option=what, problem="too long or has control characters"
        )
    return value


def _common_name(cert: x509.Certificate) -> str:
    native = cert.subject.native
    return str(native.get("common_name") or cert.subject.human_friendly)


def _organisation(cert: x509.Certificate) -> str:
    native = cert.subject.native
    return str(native.get("organization_name") or native.get("common_name") or "")


class DocumentCage(Protocol):
    """Runs a signature's PDF work (:mod:`signer.document_work`) out of this process: on
    ``document`` (a real file, updated in place), with ``signer`` (None for a two-step
    preparation) making the one raw signature the work asks for. Returns what
    :func:`signer.document_work.perform` returns; raises its errors and the cage's."""

    def __call__(
        self, work: DocumentWork, document: BinaryIO, signer: Signer | None
    ) -> SignResult | PreparedDocument: ...


@dataclass
class Plan:
    """Everything decided before pyHanko touches the document."""

    writer: IncrementalPdfFileWriter
    pdf_signer: PdfSigner
    now: datetime
    box: SignatureBox | None
    field_name: str
    profile: Profile
    level: PadesLevel
    existing_field: bool
    bytes_reserved: int
    subject: str
    pdfa: PdfA | None = None


class SigningService:
    """Signs PDFs with configured keys; shared by every request of a server process."""

    def __init__(
        self,
        settings: SignerSettings,
        keys: Sequence[KeySettings],
        snapshot: Callable[[], TrustSnapshot],
        fetcher_backend: Any,
    ) -> None:
        self.settings = settings
        self._snapshot = snapshot
        self._fetchers = fetcher_backend
        #: the one fetch layer (kyso.pki.fetching): TSA requests go through it as well
        self.http = fetcher_backend.http
        self.keys = KeyRegistry(keys)
        self.precheck = Precheck(fetcher_backend, settings.precheck_cache_seconds)
        self.images = appearance.ImageCache()
        self._key_images: dict[str, bytes] = {}
        #: where the PDF work runs when not here (kyso.server.sign_jobs: the worker pool)
        self.isolate: DocumentCage | None = None

    def close(self) -> None:
        """Close the keys' PKCS#11 sessions."""
        self.keys.close()

    # ------------------------------------------------------------------ public
    def sign(
        self,
        key_name: str,
        options: SignOptions,
        source: BinaryIO,
        output: BinaryIO,
        source_path: Path | None = None,
        hash_output: bool = True,
        owner_pin: str | None = None,
    ) -> SignResult:
        """Sign ``source`` (seekable) into ``output``; nothing useful is in ``output`` on error.

        ``output`` may be ``source`` itself (opened for update): the incremental update is
        then appended in place, which saves copying a large spooled document. ``owner_pin``
        (``consent = "pin"``) logs in to the key's token for this signature only."""
        key = self.keys.get(key_name)
        cert, chain, signer = key.for_request(owner_pin)
        if self.isolate is not None:
            # decided here, not by the worker: the key's profiles, the level, the precheck
            profile, level = self.profile_and_level(options, key.config)
            options = dataclasses.replace(options, profile=profile, level=level)
            self.check_signer(cert, chain)  # cached in this process; uncached, in the cage
            work = DocumentWork(
                cert.dump(),
                tuple(c.dump() for c in chain),
                options,
                key_name=key_name,
                mechanism=signer.get_signature_mechanism_for_digest("sha256").dump(),
                der_size=key.der_size,
                subject=key.subject,
            )
            with _in_place(source, output) as document:
                result = self.isolate(work, document, signer)
            if not isinstance(result, SignResult) or (result.profile, result.level) != (
                profile,
                level,
            ):
                raise Precondition("SIGNING_BINDING_FAILED", problem="not the work asked for")
            return finished(result, output, hash_output)  # once ``output`` holds it all
        plan = self.plan(
            cert,
            chain,
            key.config,
            signer,
            options,
            source,
            source_path,
            der_size=key.der_size,
            subject=key.subject,
        )
        self.run(plan, output)
        return finished(self.result(plan), output, hash_output)

    def plan(
        self,
        cert: x509.Certificate,
        chain: tuple[x509.Certificate, ...],
        key_config: KeySettings | None,
        signer: Signer,
        options: SignOptions,
        source: BinaryIO,
        source_path: Path | None,
        der_size: int | None = None,
        subject: str | None = None,
        check: bool = True,
    ) -> Plan:
        """Decide everything before pyHanko writes: profile (limited to the key's configured ones
        for a server key), level, appearance and its box, field name, bytes reserved for the CMS.
        ``check``: run the certificate precheck (:meth:`check_signer`) first; off where the
        server ran it already (the cage's side of :mod:`signer.document_work`).

        Raises :class:`InvalidInput` (not a signable PDF, a profile the key is not
        configured for, a bad option, image, field or placement), :class:`NotFound` (anchor
        text missing) and :class:`Precondition` (e.g. the key's image is unreadable)."""
        profile, level = self.profile_and_level(options, key_config)
        snapshot = self.check_signer(cert, chain) if check else self._snapshot()
        writer = document_input.open_for_signing(source)
        now = datetime.now(VN_TIME).replace(microsecond=0)
        # one time for /ModDate and xmp:ModifyDate (PDF/A: the two must agree)
        writer.document_meta.last_modified = now
        pdfa = declared_pdfa(writer.prev)
        field_name = _text(options.field_name, "field_name") or (
            f"kyso-{profile.value}-{uuid.uuid4().hex[:8]}"
        )
        style, box, existing = self._appearance(
            profile,
            options,
            writer.prev,
            cert,
            chain,
            key_config,
            snapshot,
            source,
            source_path,
            now,
            pdfa,
        )
        if existing:
            field_name = existing
        settings = levels.settings(level, self.settings.tsa_url, snapshot, chain, self._fetchers)
        meta = PdfSignatureMetadata(
            field_name=field_name,
            md_algorithm="sha256",
            subfilter=fields.SigSeedSubFilter.PADES,
            reason=_text(options.reason, "reason"),
            location=_text(options.location, "location"),
            embed_validation_info=settings.embed_validation_info,
            use_pades_lta=settings.use_pades_lta,
            validation_context=settings.validation_context,
        )
        spec = (
            None
            if existing or box is None
            else fields.SigFieldSpec(
                sig_field_name=field_name,
                on_page=box.page - 1,
                box=(box.x1, box.y1, box.x2, box.y2),  # type: ignore[arg-type]  # floats are fine
            )
        )
        pdf_signer = PdfSigner(
            meta,
            signer=signer,
            timestamper=settings.timestamper,
            stamp_style=style,
            new_field_spec=spec,
        )
        return Plan(
            writer,
            pdf_signer,
            now,
            box,
            field_name,
            profile,
            level,
            bool(existing),
            levels.bytes_reserved(cert, chain, level, der_size),
            subject or cert.subject.human_friendly,
            pdfa,
        )

    def profile_and_level(
        self, options: SignOptions, key_config: KeySettings | None
    ) -> tuple[Profile, PadesLevel]:
        """The profile (a server key is limited to its configured ones; a client's own token in
        the two-step flow may sign any) and the PAdES level a request asks for. Raises
        :class:`InvalidInput` (``PROFILE_NOT_ALLOWED``) and what :func:`levels.resolve` raises."""
        allowed = (
            tuple(Profile(p) for p in key_config.profiles if p in Profile._value2member_map_)
            if key_config
            else tuple(Profile)
        )
        profile = options.profile or (allowed[0] if allowed else Profile.PERSONAL)
        if profile not in allowed:
            raise InvalidInput(
                "PROFILE_NOT_ALLOWED",
                key=key_config.name if key_config else "",
                profile=profile.value,
            )
        cfg = self.settings
        return profile, levels.resolve(options.level, cfg.default_level, cfg.tsa_url)

    def check_signer(
        self, cert: x509.Certificate, chain: tuple[x509.Certificate, ...]
    ) -> TrustSnapshot:
        """The certificate precheck (:class:`signer.precheck.Precheck`) under the current trust
        snapshot, which is returned; raises :class:`Precondition` and, past the deadline,
        ``SIGNING_DEADLINE_EXCEEDED``."""
        snapshot = self._snapshot()
        self.precheck.check(cert, chain, snapshot)
        deadline.check("precheck")
        return snapshot

    # ------------------------------------------------------------------ appearance
    def _appearance(
        self,
        profile: Profile,
        options: SignOptions,
        reader: PdfFileReader,
        cert: x509.Certificate,
        chain: tuple[x509.Certificate, ...],
        key_config: KeySettings | None,
        snapshot: TrustSnapshot,
        source: BinaryIO,
        source_path: Path | None,
        now: datetime,
        pdfa: PdfA | None = None,
    ) -> tuple[BaseStampStyle, SignatureBox | None, str | None]:
        """The style (upright on the page's /Rotate), the widget box and an existing field."""
        style, box, existing = self._placed(
            profile, options, reader, cert, key_config, snapshot, source, source_path, now, pdfa
        )
        page = box.page if box is not None else _field_page(reader, existing)
        if page is not None and isinstance(style, appearance.Decree30Style):
            style = style.rotated(_geometry(reader, page).rotate)
        return style, box, existing

    def _placed(
        self,
        profile: Profile,
        options: SignOptions,
        reader: PdfFileReader,
        cert: x509.Certificate,
        key_config: KeySettings | None,
        snapshot: TrustSnapshot,
        source: BinaryIO,
        source_path: Path | None,
        now: datetime,
        pdfa: PdfA | None,
    ) -> tuple[appearance.Decree30Style, SignatureBox | None, str | None]:
        placement = options.placement
        if profile is Profile.ATTACHMENT:
            number = _text(options.document_number, "document_number")
            if not number:
                raise InvalidInput("NUMBER_REQUIRED")
            if not number.startswith("Số"):
                number = f"Số: {number}"
            # NFC: the text box draws precomposed letters straight from the font's cmap
            lines = [
                unicodedata.normalize("NFC", line)
                for line in (_organisation(cert), number, now.isoformat(timespec="seconds"))
                if line
            ]
            font = self.settings.font_regular
            style = appearance.text_style(lines, font)
            if placement.field_name:
                return style, None, self._empty_field(reader, placement.field_name)
            if placement.rect:
                return style, self._checked_box(reader, placement.rect), None
            size = appearance.text_box_size(lines, font)
            return style, top_right_box(1, _geometry(reader, 1), size, 20, 5), None

        png = options.image_png or self._configured_image(key_config)
        mode = appearance.ink_mode(pdfa.colour_components if pdfa else None)
        if profile is Profile.PERSONAL:
            img = self.images.get(png, appearance.BLUE)
            style = appearance.image_style(img, mode)
            if placement.field_name:
                return style, None, self._empty_field(reader, placement.field_name)
            if placement.rect:
                return style, self._checked_box(reader, placement.rect), None
            geometry = functools.partial(_geometry, reader)
            with OnDisk(source, source_path) as path:
                # an anchor the caller set, even empty, is theirs (empty: ANCHOR_INVALID);
                # without one, the document's signer block (issue 10 §4)
                if placement.anchor_text is not None:
                    box = find_personal_box(path, placement.anchor_text, img.aspect, geometry)
                else:
                    display = key_config.display_name if key_config else None
                    box = find_default_personal_box(
                        path,
                        img.aspect,
                        geometry,
                        names=[n for n in (display, _common_name(cert)) if n],
                        titles=[key_config.title] if key_config and key_config.title else [],
                        fallback=self.settings.personal_placement_fallback,
                    )
            return style, box, None

        # ORGANISATION: Decree 30 Art. 32 - only over a valid personal signature
        img = self.images.get(png, appearance.RED)
        style = appearance.image_style(img, mode)
        personal = personal_signature.find_valid(reader, snapshot, self._fetchers, exclude=cert)
        if placement.field_name:
            return style, None, self._empty_field(reader, placement.field_name)
        if placement.rect:
            return style, self._checked_box(reader, placement.rect), None
        diameter = (key_config.seal_diameter_mm if key_config else 36.0) * MM
        geo = _geometry(reader, personal.page)
        return style, seal_box(personal, geo, diameter, img.aspect), None

    def _configured_image(self, key_config: KeySettings | None) -> bytes:
        if key_config is None or key_config.image is None:
            raise InvalidInput("IMAGE_REQUIRED")
        data = self._key_images.get(key_config.name)
        if data is None:
            try:
                data = key_config.image.read_bytes()
            except OSError as exc:
                raise Precondition("IMAGE_UNAVAILABLE", key=key_config.name) from exc
            self._key_images[key_config.name] = data
        return data

    @staticmethod
    def _checked_box(reader: PdfFileReader, rect: SignatureBox) -> SignatureBox:
        count = int(reader.root["/Pages"]["/Count"])
        return checked_rect(rect, count, lambda page: _geometry(reader, page).box)

    @staticmethod
    def _empty_field(reader: PdfFileReader, name: str) -> str:
        name = _text(name, "field_name") or ""
        for fq_name, value, _ in fields.enumerate_sig_fields(reader, filled_status=None):
            if fq_name == name:
                if value is not None:
                    raise InvalidInput("FIELD_FILLED", field=name)
                return name
        raise InvalidInput("FIELD_NOT_FOUND", field=name)

    # ------------------------------------------------------------------ pyHanko flow
    def run(
        self, plan: Plan, output: BinaryIO, on_digest: Callable[[int, int], None] | None = None
    ) -> None:
        """pyHanko's flow for ``plan`` into ``output``: field, placeholder, ByteRange digest
        (``on_digest`` gets the placeholder's start and end offsets), signature, then the
        level's timestamp, DSS and document timestamp."""

        async def _go() -> None:
            prepared, tbs, out, attrs = await self.digest(plan, output)
            if on_digest is not None:
                on_digest(prepared.reserved_region_start, prepared.reserved_region_end)
            deadline.check("signature")  # the key is not used for a caller that has gone
            post = await tbs.perform_signature(
                document_digest=prepared.document_digest, pdf_cms_signed_attrs=attrs
            )
            await post.post_signature_processing(out, chunk_size=_CHUNK)

        guard_pyhanko(lambda: event_loop.run(_go()))

    async def digest(
        self, plan: Plan, output: BinaryIO
    ) -> tuple[PreparedByteRangeDigest, PdfTBSDocument, Any, PdfCMSSignedAttributes]:
        """Field, appearance and placeholder written to ``output``; the ByteRange digest."""
        session = plan.pdf_signer.init_signing_session(
            plan.writer, existing_fields_only=plan.existing_field
        )
        session.system_time = plan.now
        if plan.level.rank >= PadesLevel.B_LT.rank:
            deadline.check("revocation data")
        validation_info = await session.perform_presign_validation(plan.writer)
        tbs = session.prepare_tbs_document(
            validation_info=validation_info, bytes_reserved=plan.bytes_reserved
        )
        in_place = output is plan.writer.prev.stream
        prepared, out = tbs.digest_tbs_document(
            output=None if in_place else output, in_place=in_place, chunk_size=_CHUNK
        )
        attrs = PdfCMSSignedAttributes(
            signing_time=plan.now,
            adobe_revinfo_attr=None
            if validation_info is None
            else validation_info.adobe_revinfo_attr,
        )
        return prepared, tbs, out, attrs

    @staticmethod
    def result(plan: Plan) -> SignResult:
        """``plan``'s description, without the output's size and SHA-256 (see :func:`finished`)."""
        return SignResult(
            plan.field_name,
            plan.profile,
            plan.level,
            plan.subject,
            plan.now,
            plan.box,
            0,
            "",
            plan.pdfa.label if plan.pdfa is not None else "",
        )


def finished(result: SignResult, output: BinaryIO, hash_output: bool = True) -> SignResult:
    """``result`` with the size of ``output`` (bytes) and, with ``hash_output``, its SHA-256."""
    size = output.seek(0, 2)
    digest = ""
    if hash_output:
        if isinstance(output, io.BytesIO):
            digest = hashlib.sha256(output.getbuffer()).hexdigest()
        else:
            h = hashlib.sha256()
            output.seek(0)
            while chunk := output.read(_CHUNK):
                h.update(chunk)
            digest = h.hexdigest()
    return dataclasses.replace(result, size=size, sha256=digest)


@contextlib.contextmanager
def _in_place(source: BinaryIO, output: BinaryIO) -> Iterator[BinaryIO]:
    """A file on disk holding ``source`` that is updated in place: ``source`` itself when it is
    ``output`` and a real file, else a temporary copy whose result is copied to ``output``."""
    if output is source and _has_fd(source):
        source.flush()
        yield source
        source.seek(0)  # the worker moved the shared offset; our buffer knows nothing of it
        return
    with tempfile.TemporaryFile(prefix="kyso-sign-") as tmp:
        source.seek(0)
        shutil.copyfileobj(source, tmp, _CHUNK)
        tmp.flush()
        yield tmp
        tmp.seek(0)
        output.seek(0)
        output.truncate()
        shutil.copyfileobj(tmp, output, _CHUNK)


def _has_fd(stream: BinaryIO) -> bool:
    try:
        stream.fileno()
    except (OSError, AttributeError, io.UnsupportedOperation):
        return False
    return True


def guard_pyhanko(fn: Callable[[], None]) -> None:
    """pyHanko's and the TSA's failures as kyso errors; details go to the log only."""
    try:
        fn()
    except KysoError:
        raise
    except TimestampRequestError as exc:
        log.warning("TSA request failed: %s", quoted(str(exc)))
        raise Unavailable("TSA_UNAVAILABLE") from exc
    except SigningError as exc:
        log.info("pyHanko refused to sign: %s", quoted(str(exc)))
        raise InvalidInput("SIGNING_REFUSED") from exc
    except (PdfError, KeyError, TypeError, ValueError, IndexError) as exc:
        log.info("PDF structure error while signing: %s", quoted(repr(exc)))
        raise InvalidInput("NOT_A_PDF", problem="damaged structure") from exc


def _geometry(reader: PdfFileReader, page: int) -> PageGeometry:
    """The geometry of the 1-based ``page`` (visible box, /Rotate, /UserUnit)."""
    ref, _ = reader.find_page_for_modification(page - 1)
    geo = page_geometry(ref.get_object())
    if geo is None:
        raise InvalidInput("NOT_A_PDF", problem=f"page {page} has no MediaBox")
    return geo


def _field_page(reader: PdfFileReader, name: str | None) -> int | None:
    """The 1-based page of the widget of the signature field ``name`` (None: not known)."""
    if name is None:
        return None
    for fq_name, _, ref in fields.enumerate_sig_fields(reader, filled_status=None):
        if fq_name == name:
            box = personal_signature.widget_box(reader, ref.get_object())
            return box.page if box is not None else None
    return None
