# kyso on embedded defaults (demo PKI, keys and trust store created on first start in
# /var/lib/kyso). Without [tls] kyso listens in plaintext on loopback only, so the default
# command serves 127.0.0.1:50051 inside the container; try it from the same machine with
#   docker build -t kyso . && docker run --network host -v kyso:/var/lib/kyso kyso
# On a network, mount a configuration with listen = "0.0.0.0:50051" and a [tls] section
# (docs/security.md) and a client certificate for the health check:
#   docker run -p 50051:50051 -v kyso:/var/lib/kyso -v /srv/kyso/etc:/etc/kyso:ro \
#     -e KYSO_TLS_CA=/etc/kyso/tls/ca.pem -e KYSO_TLS_CERT=/etc/kyso/tls/health.pem \
#     -e KYSO_TLS_KEY=/etc/kyso/tls/health.key kyso kyso serve --config /etc/kyso/kyso.toml
FROM debian:bookworm-slim

ENV DEBIAN_FRONTEND=noninteractive \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONUNBUFFERED=1

# The same Debian packages as scripts/install.sh (poppler-utils, qpdf and redis-server are
# only used by the test suite, but keep the image and a developer machine alike).
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        python3 python3-venv python3-dev gcc softhsm2 opensc poppler-utils qpdf \
        libnss3-tools fonts-liberation2 redis-server tesseract-ocr tesseract-ocr-vie \
        ca-certificates \
    && rm -rf /var/lib/apt/lists/*

RUN useradd --system --home-dir /var/lib/kyso --create-home --shell /usr/sbin/nologin kyso

WORKDIR /opt/kyso
COPY pyproject.toml README.md ./
COPY kyso ./kyso
COPY signer ./signer
COPY verifier ./verifier
COPY trust_store ./trust_store
COPY proto ./proto
COPY client ./client
# kyso-client (the kyso.v1 stubs) first: kyso depends on it and it is not on PyPI
RUN python3 -m venv /opt/kyso/venv \
    && /opt/kyso/venv/bin/pip install ./client . \
    && rm -rf /root/.cache

USER kyso
ENV KYSO_HOME=/var/lib/kyso \
    PATH=/opt/kyso/venv/bin:$PATH
VOLUME ["/var/lib/kyso"]
EXPOSE 50051

# Plaintext on loopback, or TLS with KYSO_TLS_CA/CERT/KEY (the server certificate must then
# name 127.0.0.1, or set KYSO_SERVER=localhost:50051 and name localhost).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s \
    CMD ["kyso", "health"]

CMD ["kyso", "serve"]
