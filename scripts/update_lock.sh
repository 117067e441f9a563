#!/usr/bin/env bash
# Regenerates requirements.lock (exact versions and sha256 hashes of every package the setup installs) from
# requirements.txt with pip-tools' pip-compile, resolved against PyPI alone for Python 3.11 on Linux x86_64 (the
# README's fresh Debian machine).
#   scripts/update_lock.sh                              add what requirements.txt gained, keep every other pin
#   scripts/update_lock.sh --upgrade-package numpy      move one package (and what it needs) to its newest release
#   scripts/update_lock.sh --upgrade                    move everything to the newest releases
# Commit requirements.txt and requirements.lock together; tests/test_lock_file.py checks they agree.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
version=$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
if [ "$version" != "3.11" ]; then
    echo "update_lock.sh: the lock is for Python 3.11 (the README's machine), but $PYTHON is $version;" \
         "run it as PYTHON=python3.11 scripts/update_lock.sh" >&2
    exit 1
fi
tools=$(mktemp -d)
trap 'rm -rf "$tools"' EXIT
# PyPI only: no local pip configuration, wheel directories or constraints may leak into the lock's hashes.
export PIP_CONFIG_FILE=/dev/null PIP_FIND_LINKS= PIP_EXTRA_INDEX_URL= PIP_CONSTRAINT= PIP_INDEX_URL=https://pypi.org/simple
"$PYTHON" -m venv "$tools/venv"
"$tools/venv/bin/pip" install -q pip-tools==7.6.2
CUSTOM_COMPILE_COMMAND="scripts/update_lock.sh" "$tools/venv/bin/pip-compile" --quiet --generate-hashes \
    --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links --index-url https://pypi.org/simple \
    --output-file requirements.lock "$@" requirements.txt
echo "requirements.lock updated; install it with the README's command"
