"""The server's TLS credentials, reloaded without a restart when their files change.

gRPC asks :meth:`CertificateReloader.fetch` for the configuration at each new handshake
(``grpc.dynamic_ssl_server_credentials``); it answers ``None`` (keep the current one) unless
a file's modification time, size or inode changed or SIGHUP marked them stale. A new set
of files that cannot be read, is not PEM, or whose key does not match the certificate keeps
the old configuration and logs one warning (never the key). TLS 1.2 and 1.3 are negotiated
by gRPC's BoringSSL: its defaults, 1.3 preferred.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

import grpc
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from kyso.errors import InvalidInput
from kyso.server.settings import TlsSettings

log = logging.getLogger("kyso.server")

_Stamp = tuple[tuple[int, int, int], ...]


class _Files:
    """The PEM bytes of one configuration, checked: certificate, key, client CA."""

    def __init__(self, tls: TlsSettings) -> None:
        """Raises :class:`ValueError` naming the setting and what is wrong with its file."""
        self.chain = _read(tls.certificate, "tls.certificate")
        self.key = _read(tls.private_key, "tls.private_key")
        self.client_ca = _read(tls.client_ca, "tls.client_ca") if tls.client_ca else None
        try:
            leaf = x509.load_pem_x509_certificate(self.chain)
        except ValueError:
            raise ValueError("tls.certificate: not a PEM certificate") from None
        try:
            key = serialization.load_pem_private_key(self.key, password=None)
        except (ValueError, TypeError):
            raise ValueError("tls.private_key: not an unencrypted PEM private key") from None
        public = serialization.PublicFormat.SubjectPublicKeyInfo
        encoding = serialization.Encoding.DER
        if key.public_key().public_bytes(encoding, public) != leaf.public_key().public_bytes(
            encoding, public
        ):
            raise ValueError("tls.private_key: does not match tls.certificate")
        if self.client_ca is not None:
            try:
                x509.load_pem_x509_certificates(self.client_ca)
            except ValueError:
                raise ValueError("tls.client_ca: not PEM certificates") from None
        self.serial = leaf.serial_number

    def configuration(self) -> grpc.ServerCertificateConfiguration:
        return grpc.ssl_server_certificate_configuration(
            [(self.key, self.chain)], root_certificates=self.client_ca
        )


def _read(path: Path, setting: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ValueError(f"{setting}: cannot read {path}: {exc.strerror or exc}") from None


class CertificateReloader:
    """Holds the current TLS configuration and replaces it when the files change."""

    def __init__(self, tls: TlsSettings) -> None:
        """Reads the files; raises :class:`InvalidInput` (CONFIG_INVALID) if they are bad."""
        self._tls = tls
        self._paths = [p for p in (tls.certificate, tls.private_key, tls.client_ca) if p]
        self._lock = threading.Lock()
        self._stale = False
        self._stamp = self._stat()
        try:
            self._files = _Files(tls)
        except ValueError as exc:
            raise InvalidInput("CONFIG_INVALID", problem=str(exc)) from None
        self._refused: _Stamp | None = None

    def _stat(self) -> _Stamp:
        out = []
        for path in self._paths:
            try:
                st = os.stat(path)
                out.append((st.st_mtime_ns, st.st_size, st.st_ino))
            except OSError:
                out.append((-1, -1, -1))
        return tuple(out)

    def mark_stale(self) -> None:
        """Re-read the files at the next handshake (SIGHUP); safe in a signal handler."""
        self._stale = True

    @property
    def serial(self) -> int:
        """The serial number of the certificate served now."""
        return self._files.serial

    def initial(self) -> grpc.ServerCertificateConfiguration:
        return self._files.configuration()

    def fetch(self) -> grpc.ServerCertificateConfiguration | None:
        """gRPC's fetcher: a new configuration if the files changed and are good, else None."""
        try:
            with self._lock:
                stamp = self._stat()
                if stamp == self._stamp and not self._stale:
                    return None
                if stamp == self._refused and not self._stale:
                    return None  # already warned about these files
                self._stale = False
                try:
                    files = _Files(self._tls)
                except ValueError as exc:
                    self._refused = stamp
                    log.warning("TLS files not reloaded, the previous ones stay: %s", exc)
                    return None
                self._files, self._stamp, self._refused = files, stamp, None
                log.info("TLS certificate reloaded (serial %x)", files.serial)
                return files.configuration()
        except Exception:  # a fetcher must not raise into gRPC's handshake
            log.exception("TLS reload failed, the previous configuration stays")
            return None

    def credentials(self) -> grpc.ServerCredentials:
        """Server credentials asking for client certificates when a client CA is set."""
        return grpc.dynamic_ssl_server_credentials(
            self.initial(),
            self.fetch,
            require_client_authentication=self._tls.client_ca is not None,
        )


__all__ = ["CertificateReloader"]
