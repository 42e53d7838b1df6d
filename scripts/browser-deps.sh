#!/usr/bin/env bash
# What the browser tests (crates/hark-server/tests/browser.rs) need, installed by `make test`:
#   - Debian's `chromium` and `chromium-driver` (/usr/bin/chromium, /usr/bin/chromedriver),
#     installed with apt-get only when missing (needs root, as on CI);
#   - axe-core from the npm registry, pinned and sha256-checked, unpacked under
#     target/vendor/axe-core/ (ignored by git, never committed).
#
# Idempotent: each step is skipped when its result is already there and matches the pins.
# Env: HARK_BROWSER_DEPS_SKIP_APT=1 skips the apt step (the tests then say what is missing).
set -euo pipefail

# --- pins -------------------------------------------------------------------------------------
AXE_VERSION=4.14.1
# sha256 of the tarball `npm pack axe-core@4.14.1` writes (axe-core-4.14.1.tgz).
AXE_SHA256=e6b0ce02b84d892e2e33e403485e7f3d6c29e2be6df65daf44d89ba564139745
# ----------------------------------------------------------------------------------------------

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
VENDOR="$ROOT/target/vendor"
AXE_DIR="$VENDOR/axe-core"
AXE_TGZ="$VENDOR/axe-core-$AXE_VERSION.tgz"

say() { printf 'browser-deps: %s\n' "$*"; }
die() { printf 'browser-deps: ERROR: %s\n' "$*" >&2; exit 1; }

# --- Chromium and ChromeDriver ----------------------------------------------------------------
if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then
    say "chromium and chromedriver present ($(chromium --version 2>/dev/null | head -1))"
elif [[ "${HARK_BROWSER_DEPS_SKIP_APT:-0}" == 1 ]]; then
    say "chromium/chromedriver missing; HARK_BROWSER_DEPS_SKIP_APT=1, not installing"
elif [[ "$(id -u)" -ne 0 ]]; then
    die "chromium and chromedriver are missing and installing them needs root: run 'sudo apt-get update && sudo apt-get install -y chromium chromium-driver', or run 'make test' as root"
else
    say "installing Debian's chromium and chromium-driver"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q || die "apt-get update failed (is the Debian mirror reachable?)"
    apt-get install -y -q --no-install-recommends chromium chromium-driver \
        || die "apt-get install chromium chromium-driver failed"
    command -v chromedriver >/dev/null 2>&1 || die "chromium-driver installed but chromedriver is not on PATH"
fi

# --- axe-core ---------------------------------------------------------------------------------
sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

if [[ -f "$AXE_DIR/axe.min.js" && "$(cat "$AXE_DIR/VERSION" 2>/dev/null)" == "$AXE_VERSION" ]]; then
    say "axe-core $AXE_VERSION present ($AXE_DIR/axe.min.js)"
    exit 0
fi
command -v npm >/dev/null 2>&1 || die "npm is needed to fetch axe-core (Debian: apt-get install -y npm)"
mkdir -p "$VENDOR"
if [[ -f "$AXE_TGZ" && "$(sha256_of "$AXE_TGZ")" != "$AXE_SHA256" ]]; then
    rm -f "$AXE_TGZ"
fi
if [[ ! -f "$AXE_TGZ" ]]; then
    say "fetching axe-core@$AXE_VERSION (npm pack)"
    (cd "$VENDOR" && npm pack --silent "axe-core@$AXE_VERSION" >/dev/null) \
        || die "npm pack axe-core@$AXE_VERSION failed (is the npm registry reachable?)"
    [[ -f "$AXE_TGZ" ]] || die "npm pack did not write $AXE_TGZ"
fi
got="$(sha256_of "$AXE_TGZ")"
if [[ "$got" != "$AXE_SHA256" ]]; then
    rm -f "$AXE_TGZ"
    die "axe-core-$AXE_VERSION.tgz has sha256 $got, expected $AXE_SHA256"
fi
rm -rf "$AXE_DIR" "$VENDOR/axe-core.unpack"
mkdir -p "$VENDOR/axe-core.unpack"
tar -xzf "$AXE_TGZ" -C "$VENDOR/axe-core.unpack" package/axe.min.js package/LICENSE package/package.json
mv "$VENDOR/axe-core.unpack/package" "$AXE_DIR"
rmdir "$VENDOR/axe-core.unpack"
echo "$AXE_VERSION" >"$AXE_DIR/VERSION"
say "axe-core $AXE_VERSION unpacked to $AXE_DIR"
