#!/usr/bin/env bash
# Debian packages, by what they are needed for:
#
#   scripts/sysdeps.sh run          running the app (make run): fonts, WeasyPrint's libraries, gettext
#   scripts/sysdeps.sh test         run + Chromium (browser tests) + PostgreSQL (the PostgreSQL pass)
#   scripts/sysdeps.sh prod-check   run + PostgreSQL + Redis (make prod-check)
#
# Several groups may be named at once (no argument means `run`). Missing
# packages are installed only when run as root; otherwise they are listed so an
# administrator can install them, and the script fails. Nothing a group does
# not need is ever asked for: `make run` works without Chromium or PostgreSQL.
set -euo pipefail

RUN_PKGS=(
  fonts-noto-cjk fonts-wqy-zenhei                       # CJK fonts for pages and PDFs
  fonts-arphic-ukai fonts-arphic-uming                  # free KaiTi / Song faces for official documents (workflow/fonts.py)
  fonts-hanazono                                        # rare characters in names and places (CJK Ext B and beyond)
  libharfbuzz-subset0 libpango-1.0-0 libpangoft2-1.0-0  # WeasyPrint (HarfBuzz subsetter: 15x faster CJK)
  gettext                                               # compilemessages
)
TEST_PKGS=(
  chromium     # browser tests (Playwright drives Debian's Chromium)
  poppler-utils  # pdftoppm: the document tests look at rendered PDF pages
  postgresql   # the PostgreSQL pass (a throwaway cluster, scripts/pg_test.sh)
)
PROD_CHECK_PKGS=(
  postgresql     # a throwaway cluster (scripts/pg_test.sh)
  redis-server   # the broker, started by scripts/prod_check.sh on its own port (never the system service)
)

[ $# -eq 0 ] && set -- run
wanted=()
for group in "$@"; do
  case $group in
    run) wanted+=("${RUN_PKGS[@]}") ;;
    test) wanted+=("${RUN_PKGS[@]}" "${TEST_PKGS[@]}") ;;
    prod-check) wanted+=("${RUN_PKGS[@]}" "${PROD_CHECK_PKGS[@]}") ;;
    *) echo "sysdeps.sh: unknown group '$group' (run, test, prod-check)" >&2; exit 2 ;;
  esac
done
# python3 -m venv needs Debian's python3-venv when python3 is Debian's own.
if ! python3 -c 'import ensurepip, venv' 2>/dev/null; then wanted+=(python3-venv); fi

missing=()
for p in $(printf '%s\n' "${wanted[@]}" | sort -u); do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = "0" ]; then
  echo "Installing Debian packages (for: $*): ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q "${missing[@]}" >/dev/null
else
  echo "Missing Debian packages for '$*' (run as root, or: sudo apt-get install ${missing[*]})" >&2
  exit 1
fi
