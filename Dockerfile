# kyso in a container: a builder stage with a compiler makes the virtualenv from the hashed
# lock file (requirements.lock); the runtime stage gets that virtualenv and the tools kyso
# calls at run time (pdftotext/pdftoppm, tesseract with Vietnamese, fonts), no compiler, no
# test tools, and runs as uid 10001.
#
#   docker build -t kyso:0.1.0 .
#   docker run --network host -v kyso:/var/lib/kyso kyso:0.1.0      # embedded demo, loopback
#
# On a network, mount a configuration with listen = "0.0.0.0:50051", a [tls] section
# (docs/security.md) and health_listen = "0.0.0.0:8081" (the plaintext, health-only port the
# HEALTHCHECK and Kubernetes probes ask), e.g.
#   docker run -p 50051:50051 -v kyso:/var/lib/kyso -v /srv/kyso/etc:/etc/kyso:ro \
#     -v /opt/hsm:/opt/hsm:ro kyso:0.1.0 kyso serve --config /etc/kyso/kyso.toml
# A real HSM: mount its vendor's PKCS#11 library (here /opt/hsm) and name it as `module` in
# each [[keys]] table; SoftHSM2 (PKCS11_PACKAGES) is in the image for trials and the demo.
# deploy/ has Kubernetes manifests and a compose file; docs/operations.md, "Deployment and
# scaling". Pinned: the base image, every Debian package (bump with `apt-cache policy NAME`
# in the base image) and every Python package (requirements.lock, with hashes).

ARG PYTHON_IMAGE=python:3.11.7-slim-bookworm

FROM ${PYTHON_IMAGE} AS builder
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
ENV DEBIAN_FRONTEND=noninteractive \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
# python-pkcs11 builds from source (Cython); the rest are wheels.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        gcc=4:12.2.0-3 \
        libc6-dev=2.36-9+deb12u14 \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY requirements.lock ./
RUN python -m venv /opt/kyso/venv \
    && /opt/kyso/venv/bin/pip install --require-hashes --no-deps -r requirements.lock
COPY pyproject.toml README.md ./
COPY kyso ./kyso
COPY signer ./signer
COPY verifier ./verifier
COPY trust_store ./trust_store
COPY proto ./proto
COPY client ./client
# kyso-client (client/: the kyso.v1 stubs; not on PyPI) and kyso itself, against the locked
# dependencies only (--no-deps: nothing unpinned slips in)
RUN /opt/kyso/venv/bin/pip install --no-deps ./client . \
    && /opt/kyso/venv/bin/pip check

FROM ${PYTHON_IMAGE} AS runtime
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
ARG PKCS11_PACKAGES="softhsm2=2.6.1-2.1 opensc=0.23.0-0.3+deb12u2"
ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        poppler-utils=22.12.0-2+deb12u3 \
        tesseract-ocr=5.3.0-2 \
        tesseract-ocr-vie=1:4.1.0-2 \
        fonts-liberation2=2.1.5-1 \
        ca-certificates=20250419~deb12u2 \
    && rm -rf /var/lib/apt/lists/*
# The PKCS#11 packages, pinned in the ARG above (empty: none, a vendor's library is mounted).
# hadolint ignore=DL3008
RUN if [ -n "${PKCS11_PACKAGES}" ]; then \
        apt-get update \
        && echo "${PKCS11_PACKAGES}" | xargs apt-get install -y --no-install-recommends \
        && rm -rf /var/lib/apt/lists/*; \
    fi
RUN groupadd --system --gid 10001 kyso \
    && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/kyso --create-home \
        --shell /usr/sbin/nologin kyso \
    && chmod 0700 /var/lib/kyso
COPY --from=builder /opt/kyso/venv /opt/kyso/venv

USER 10001:10001
ENV KYSO_HOME=/var/lib/kyso \
    PATH=/opt/kyso/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /var/lib/kyso
VOLUME ["/var/lib/kyso"]
EXPOSE 50051 8081

# The standard gRPC health service: on the health-only port when the configuration has
# health_listen = "0.0.0.0:8081", else on 127.0.0.1:50051 (the embedded defaults). Exit 0 only
# for SERVING (NOT_SERVING: no usable key, trust store unreadable, shutting down).
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import sys, grpc; from grpc_health.v1 import health_pb2 as h, health_pb2_grpc as g\nfor a in ('127.0.0.1:8081', '127.0.0.1:50051'):\n    try:\n        s = g.HealthStub(grpc.insecure_channel(a)).Check(h.HealthCheckRequest(), timeout=3).status\n    except grpc.RpcError:\n        continue\n    sys.exit(0 if s == h.HealthCheckResponse.SERVING else 1)\nsys.exit(1)"]

CMD ["kyso", "serve"]
