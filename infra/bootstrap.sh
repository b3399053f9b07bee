#!/usr/bin/env bash
# Make this checkout runnable: uv, the Python 3.11 virtualenv (.venv, from uv.lock) and the
# PostgreSQL 15 server binaries. Idempotent, and silent when everything is already there.
#
# Usage: infra/bootstrap.sh [--no-postgres] [--no-browser]
#   --no-postgres    only set up Python (also skipped when DATABASE_URL is set); no Chromium
#   --no-browser     no Debian Chromium (the board's browser tests need it; installed if missing)
# Environment: PG_BIN (PostgreSQL bin directory), DATABASE_URL (external PostgreSQL).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

want_postgres=1
want_browser=1
for arg in "$@"; do
    case "$arg" in
        --no-postgres) want_postgres=0 want_browser=0 ;;
        --no-browser) want_browser=0 ;;
        -h | --help)
            sed -n '2,8p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
            exit 0
            ;;
        *)
            echo "bootstrap: unknown argument: $arg" >&2
            exit 2
            ;;
    esac
done

say() { echo "bootstrap: $*"; }
die() {
    echo "bootstrap: error: $*" >&2
    exit 1
}

is_root=0
[[ "$(id -u)" == 0 ]] && is_root=1

# Never let uv fetch a Python build: Python 3.11 has to be on the machine.
export UV_PYTHON_DOWNLOADS=never

# --- Python 3.11 ----------------------------------------------------------------------------
is_py311() { "$1" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; }

python=""
for candidate in python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 && is_py311 "$candidate"; then
        python="$candidate"
        break
    fi
done
if [[ -z "$python" ]]; then
    found="$(python3 --version 2>&1 || echo 'no python3')"
    die "Python 3.11 is required (found: $found). Install it, e.g. \`sudo apt-get install python3\` on Debian 12."
fi

# --- uv -------------------------------------------------------------------------------------
uv=()
if command -v uv >/dev/null 2>&1; then
    uv=(uv)
elif "$python" -c 'import uv' >/dev/null 2>&1; then
    uv=("$python" -m uv)
else
    if ! "$python" -m pip --version >/dev/null 2>&1; then
        if ((is_root)) && command -v apt-get >/dev/null 2>&1; then
            say "installing python3-pip (apt-get) to get uv"
            apt-get update -qq >/dev/null
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
                python3-pip >/dev/null
        else
            die "uv is not installed and $python has no pip. Install uv (https://docs.astral.sh/uv/) or pip (\`sudo apt-get install python3-pip\`)."
        fi
    fi
    pip_args=(install --quiet --disable-pip-version-check)
    ((is_root)) || pip_args+=(--user)
    say "installing uv with pip"
    # Debian marks its Python as externally managed (PEP 668); uv is a standalone tool.
    PIP_BREAK_SYSTEM_PACKAGES=1 "$python" -m pip "${pip_args[@]}" uv
    "$python" -c 'import uv' >/dev/null 2>&1 || die "uv was installed with pip but '$python -m uv' does not work."
    uv=("$python" -m uv)
fi

# --- .venv from uv.lock ---------------------------------------------------------------------
[[ -f uv.lock ]] || die "uv.lock is missing in $(pwd); run \`uv lock\` and commit it."
sync_args=(sync --frozen --all-groups)
if ! "${uv[@]}" "${sync_args[@]}" --check --quiet >/dev/null 2>&1; then
    "${uv[@]}" "${sync_args[@]}" --quiet ||
        die "\`uv sync --frozen --all-groups\` failed (Python 3.11 must be installed; uv will not download one)."
    say "synced .venv with uv.lock"
fi

# --- Chromium for the board's browser tests (Playwright drives Debian's, downloads none) ----
if ((want_browser)) && ! command -v chromium >/dev/null 2>&1; then
    if ((is_root)) && command -v apt-get >/dev/null 2>&1; then
        say "installing chromium with apt-get (for the board's browser tests)"
        chromium_log="$(mktemp)"
        if ! {
            apt-get update -qq &&
                DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
                    chromium
        } >"$chromium_log" 2>&1; then
            cat "$chromium_log" >&2
            rm -f "$chromium_log"
            die "apt-get install chromium failed (see above)."
        fi
        rm -f "$chromium_log"
    else
        die "chromium is missing and only root can install it: \`sudo apt-get install chromium\` (the board's browser tests need it; \`make run\` does not)."
    fi
fi

# --- PostgreSQL 15 server binaries -----------------------------------------------------------
if ((!want_postgres)) || [[ -n "${DATABASE_URL:-}" ]]; then
    exit 0
fi

if [[ -n "${PG_BIN:-}" ]]; then
    [[ -x "$PG_BIN/initdb" ]] || die "PG_BIN=$PG_BIN has no initdb; point it at the PostgreSQL 15 bin directory or unset it."
    exit 0
fi
pg_bin=/usr/lib/postgresql/15/bin
[[ -x "$pg_bin/initdb" ]] && exit 0

if ((!is_root)); then
    echo "bootstrap: PostgreSQL 15 server binaries not found ($pg_bin/initdb)." >&2
    echo "bootstrap: install them with:  sudo apt-get install postgresql-15" >&2
    echo "bootstrap: (or set PG_BIN to their directory, or DATABASE_URL to use an external server)" >&2
    exit 1
fi
command -v apt-get >/dev/null 2>&1 ||
    die "PostgreSQL 15 not found and apt-get is not available; install PostgreSQL 15 and set PG_BIN."

# Keep the package from starting a server (policy-rc.d exit 101 = "action forbidden").
policy=/usr/sbin/policy-rc.d
policy_backup=""
restore_policy() {
    if [[ -n "$policy_backup" ]]; then
        mv -f "$policy_backup" "$policy"
    else
        rm -f "$policy"
    fi
}
if [[ -e "$policy" ]]; then
    policy_backup="$(mktemp "${policy}.bootstrap.XXXXXX")"
    cp -p "$policy" "$policy_backup"
fi
trap restore_policy EXIT
printf '#!/bin/sh\nexit 101\n' >"$policy"
chmod 755 "$policy"

say "installing postgresql-15 with apt-get (this takes a minute)"
apt_log="$(mktemp)"
if ! {
    apt-get update -qq &&
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql-15
} >"$apt_log" 2>&1; then
    cat "$apt_log" >&2
    rm -f "$apt_log"
    die "apt-get install postgresql-15 failed (see above)."
fi
rm -f "$apt_log"
[[ -x "$pg_bin/initdb" ]] || die "postgresql-15 was installed but $pg_bin/initdb is missing."
say "installed postgresql-15 ($pg_bin)"
