#!/usr/bin/env bash
# Installs what the tests need beyond Python packages, only when it is missing:
#   node + npm   (real MicroPython, the WebAssembly port, runs the device's pure logic)
#   PostgreSQL   (the server's tests start their own cluster from its binaries)
#   Mosquitto    (the MQTT bridge's tests start their own broker)
#   Chromium     (the operator pages are tested in a real headless browser, via chromedriver)
# Uses Debian's packages; needs root (CI and the workplace machines run as root).
set -euo pipefail

missing=()
command -v node >/dev/null 2>&1 || missing+=(nodejs)
if ! compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null && ! command -v initdb >/dev/null; then
  missing+=(postgresql)
fi
command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || missing+=(mosquitto)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)

if [ ${#missing[@]} -eq 0 ] && command -v npm >/dev/null 2>&1; then
  exit 0
fi
echo "installing system packages: ${missing[*]:-npm}"
if [ "$(id -u)" -ne 0 ]; then
  echo "error: ${missing[*]} missing and not root: install them, then run make again" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# Installing the server packages must not leave services running: the tests start their own.
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod +x /usr/sbin/policy-rc.d
  trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# Some nodejs builds bring npm along, Debian's does not (and the two conflict): only if needed.
command -v npm >/dev/null 2>&1 || apt-get install -y -qq --no-install-recommends npm >/dev/null
