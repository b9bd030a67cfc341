# Shared by bin/serve and bin/test: a pinned virtual environment from uv.lock.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export UV_PYTHON_DOWNLOADS=never
export UV_PYTHON="${UV_PYTHON:-python3}"
if ! command -v uv >/dev/null 2>&1 && ! python3 -m uv --version >/dev/null 2>&1; then
  echo "Installing uv…"
  python3 -m pip install --quiet --disable-pip-version-check uv
fi
uv() { if command -v uv >/dev/null 2>&1; then command uv "$@"; else python3 -m uv "$@"; fi; }
uv sync --frozen --quiet
export PATH="$PWD/.venv/bin:$PATH"
mkdir -p var
