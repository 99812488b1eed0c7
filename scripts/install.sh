#!/usr/bin/env bash
# Install kyso on Debian 12: system packages (when run as root) and a virtualenv in .venv.
# `install.sh` installs what serving needs; `install.sh --test` adds the test extras (pytest,
# ruff, mypy, ...). The virtualenv is isolated from system site-packages, so a pytest or a
# library installed outside the project never stands in for the project's own.
# Idempotent: packages already present are not reinstalled, and the virtualenv is only
# refreshed when pyproject.toml or client/pyproject.toml (or the extras asked for) changed.
# Without root, missing packages are reported.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

extras=""
mode=serve
case "${1:-}" in
    --test) extras="[test]"; mode=test ;;
    "") ;;
    *) echo "install: unknown argument $1 (expected --test or nothing)" >&2; exit 2 ;;
esac

PACKAGES=(python3 python3-venv python3-dev gcc softhsm2 opensc poppler-utils qpdf nginx
          libnss3-tools fonts-liberation2 redis-server tesseract-ocr tesseract-ocr-vie)

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

# Debian's pip is externally managed (PEP 668): everything goes into .venv, which does not
# see system site-packages. A .venv made earlier with them visible is made again.
if [ -f .venv/pyvenv.cfg ] && grep -qi '^include-system-site-packages *= *true' .venv/pyvenv.cfg; then
    echo "install: .venv sees system site-packages; recreating it" >&2
    rm -rf .venv
fi
if [ ! -x .venv/bin/python ]; then
    echo "install: creating .venv" >&2
    "$PYTHON" -m venv .venv
fi
stamp=.venv/.kyso-installed
hash="$(cat pyproject.toml client/pyproject.toml | sha256sum | cut -d' ' -f1)"
# The stamp says what was installed for which pyproject.toml: "<sha256> serve|test".
# A test install also serves; a serving install is extended when the tests ask for more.
case "$(cat "$stamp" 2>/dev/null || true)" in
    "$hash test") current=1 ;;
    "$hash serve") [ "$mode" = serve ] && current=1 || current=0 ;;
    *) current=0 ;;
esac
if [ "$current" -eq 0 ] || [ ! -x .venv/bin/kyso ]; then
    # kyso-client first (client/: the kyso.v1 stubs and the Python client): kyso depends on it
    echo "install: pip install -e client" >&2
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -e client
    echo "install: pip install -e '.$extras'" >&2
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".$extras"
    echo "$hash $mode" > "$stamp"
fi
echo "install: ready ($(.venv/bin/python -V), $(pwd)/.venv)" >&2
