"""The ``[tls]`` section of the configuration (apart from :mod:`kyso.server.settings`, which
composes the sections)."""

from __future__ import annotations

from pydantic import Field, model_validator

from kyso.settings import FilePath, OptionalFilePath, SettingsModel


class TlsSettings(SettingsModel):
    """The ``[tls]`` section: the server's certificate and, for mTLS, the client CA.

    TLS 1.2 and 1.3 as gRPC's BoringSSL negotiates them (1.3 when both ends have it). The
    files are read at start-up and again when they change (:mod:`kyso.server.tls`).
    """

    certificate: FilePath = Field(
        description="server certificate chain (PEM), leaf first; its SANs must name the "
        "address clients dial"
    )
    private_key: FilePath = Field(description="private key (PEM) of the server certificate")
    client_ca: OptionalFilePath = Field(
        None,
        description="CA certificates (PEM) every client certificate must chain to (mTLS); "
        "required unless `allow_token_only = true`",
    )
    allow_token_only: bool = Field(
        False,
        description="accept clients without a certificate (bearer tokens only) when "
        "`client_ca` is not set",
    )

    @model_validator(mode="after")
    def _mtls_unless_allowed(self) -> TlsSettings:
        if self.client_ca is None and not self.allow_token_only:
            raise ValueError(
                "client_ca is required (mTLS); set allow_token_only = true to accept "
                "clients without a certificate"
            )
        return self
