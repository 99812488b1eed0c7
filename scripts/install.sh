#!/usr/bin/env bash
# Install kyso on Debian 12: system packages (when run as root) and a virtualenv in .venv.
# Idempotent: packages already present are not reinstalled, and the virtualenv is only
# refreshed when pyproject.toml changed. Without root, missing packages are reported.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PACKAGES=(python3 python3-venv python3-dev gcc softhsm2 opensc poppler-utils qpdf
          libnss3-tools fonts-liberation2 redis-server)

missing=()
if command -v dpkg-query >/dev/null 2>&1; then
    for pkg in "${PACKAGES[@]}"; do
        if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
            missing+=("$pkg")
        fi
    done
fi
if ((${#missing[@]})); then
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "install: apt-get install ${missing[*]}" >&2
        export DEBIAN_FRONTEND=noninteractive
        apt-get update
        apt-get install -y --no-install-recommends "${missing[@]}"
    else
        echo "install: warning: missing Debian packages: ${missing[*]} (run as root to install)" >&2
    fi
fi

PYTHON="${PYTHON:-python3}"
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    echo "install: kyso needs Python 3.11 or newer ($PYTHON is $("$PYTHON" -V 2>&1))" >&2
    exit 1
fi

# Debian's pip is externally managed (PEP 668): everything goes into .venv. System
# site-packages stay visible so Python libraries already installed are reused.
if [ ! -x .venv/bin/python ]; then
    echo "install: creating .venv" >&2
    "$PYTHON" -m venv --system-site-packages .venv
fi
stamp=.venv/.kyso-installed
want="$(sha256sum pyproject.toml | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ] || [ ! -x .venv/bin/kyso ]; then
    echo "install: pip install -e '.[test]'" >&2
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
    echo "$want" > "$stamp"
fi
echo "install: ready ($(.venv/bin/python -V), $(pwd)/.venv)" >&2
