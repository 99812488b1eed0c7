# kyso on embedded defaults (demo PKI, keys and trust store created on first start in
# /var/lib/kyso). Mount a volume there to keep them, or pass --config for a real setup:
#   docker build -t kyso . && docker run -p 50051:50051 -v kyso:/var/lib/kyso kyso
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
        libnss3-tools fonts-liberation2 redis-server ca-certificates \
    && rm -rf /var/lib/apt/lists/*

RUN useradd --system --home-dir /var/lib/kyso --create-home --shell /usr/sbin/nologin kyso

WORKDIR /opt/kyso
COPY pyproject.toml README.md ./
COPY kyso ./kyso
COPY signer ./signer
COPY verifier ./verifier
COPY trust_store ./trust_store
COPY proto ./proto
RUN python3 -m venv /opt/kyso/venv \
    && /opt/kyso/venv/bin/pip install . \
    && rm -rf /root/.cache

USER kyso
ENV KYSO_HOME=/var/lib/kyso \
    PATH=/opt/kyso/venv/bin:$PATH
VOLUME ["/var/lib/kyso"]
EXPOSE 50051

HEALTHCHECK --interval=30s --timeout=5s --start-period=30s \
    CMD ["python3", "-c", "import grpc, sys; from grpc_health.v1 import health_pb2 as h, health_pb2_grpc as g; s = g.HealthStub(grpc.insecure_channel('127.0.0.1:50051')).Check(h.HealthCheckRequest(), timeout=4).status; sys.exit(0 if s == h.HealthCheckResponse.SERVING else 1)"]

CMD ["kyso", "serve", "--listen", "0.0.0.0:50051"]
