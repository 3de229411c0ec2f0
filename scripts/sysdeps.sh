#!/usr/bin/env bash
# Debian packages the platform needs. Installed only when missing and only as root;
# otherwise the missing ones are listed so an administrator can install them.
set -euo pipefail
PKGS=(
  fonts-noto-cjk fonts-wqy-zenhei          # CJK fonts for pages and PDFs
  libharfbuzz-subset0 libpango-1.0-0 libpangoft2-1.0-0  # WeasyPrint (HarfBuzz subsetter: 15x faster CJK)
  gettext                                  # compilemessages
  chromium                                 # browser tests (Playwright drives Debian's Chromium)
  postgresql                               # the PostgreSQL test run
)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = "0" ]; then
  echo "Installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q "${missing[@]}" >/dev/null
else
  echo "Missing Debian packages (run as root or install them): ${missing[*]}" >&2
  exit 1
fi
