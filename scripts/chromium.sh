#!/usr/bin/env bash
# Headless Chromium for the status-page tests and CI (Debian, root).
#
#   scripts/chromium.sh install   install Debian's chromium (and a font) if missing (idempotent); prints
#                                 the path of the browser
#   scripts/chromium.sh path      print the path of an installed browser; exit 1 if there is none
#
# The tests (tests/sislite/test_http_status.py) call `install` when they run as root and skip with the reason
# otherwise; with SISLITE_REQUIRE_CHROMIUM=1 (set by .ci/run) they fail instead of skipping.
set -euo pipefail

PACKAGES=(chromium fonts-dejavu-core)  # the tests drive the browser from its command line (no WebDriver)

die() { echo "chromium.sh: $*" >&2; exit 1; }
source "$(dirname "$0")/debian_host.sh"

browser_path() {
    local candidate
    for candidate in chromium chromium-browser; do
        if command -v "$candidate" >/dev/null; then command -v "$candidate"; return 0; fi
    done
    return 1
}

case "${1:-}" in
    install)
        install_debian_packages "${PACKAGES[@]}"
        browser_path || die "chromium was installed but neither 'chromium' nor 'chromium-browser' is on PATH"
        ;;
    path)
        browser_path || die "no chromium installed: run '$0 install' as root"
        ;;
    *)
        die "usage: $0 install|path"
        ;;
esac
