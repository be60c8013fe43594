#!/usr/bin/env bash
# Make sure Debian's Chromium is at /usr/bin/chromium for the browser test (Playwright drives it;
# `playwright install` is never needed).  Installs it with apt-get when missing (root or sudo).
set -euo pipefail

CHROMIUM=/usr/bin/chromium
if [[ -x "$CHROMIUM" ]]; then
    exit 0
fi
if ! command -v apt-get >/dev/null; then
    echo "ensure-chromium: $CHROMIUM is missing and apt-get is not available;" \
         "install Chromium so that $CHROMIUM exists" >&2
    exit 1
fi
SUDO=""
if [[ "$(id -u)" != 0 ]]; then
    if command -v sudo >/dev/null; then SUDO=sudo; else
        echo "ensure-chromium: run as root, or: apt-get update && apt-get install -y chromium" >&2
        exit 1
    fi
fi
echo "ensure-chromium: installing Debian chromium with apt-get"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq chromium >/dev/null
test -x "$CHROMIUM"
