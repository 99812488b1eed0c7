#!/usr/bin/env bash
# Install (scripts/install.sh) and start kyso. Without --config it runs on embedded
# defaults: a demo PKI, keys and trust store created on first start under $KYSO_HOME
# (else the user's data directory), serving gRPC on 127.0.0.1:50051.
# Extra arguments go to `kyso serve`, e.g. --listen 0.0.0.0:50051 or --config kyso.toml.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/install.sh
exec .venv/bin/kyso serve "$@"
