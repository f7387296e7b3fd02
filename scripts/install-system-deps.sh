#!/usr/bin/env bash
# Installs the Debian packages SciPlan needs and that pip cannot bring:
#   fonts-noto-cjk      — Chinese glyphs embedded in generated PDFs
#   libpango-1.0-0 …    — the text layout WeasyPrint renders PDFs with
#   poppler-utils       — pdftoppm/pdftotext, to look at generated PDFs
#   chromium            — the browser the end-to-end tests drive (only with --browser)
#   libreoffice-writer, libreoffice-calc — convert the DOCX/XLSX files to PDF in the office-render
#                         tests (only with --browser; no GUI extras)
#   nginx, pgbouncer    — the reverse proxy and the connection pooler of the production shape that
#                         `make bench` runs (only with --bench; started unprivileged by bench/run.py on
#                         127.0.0.1 high ports, never as system services)
# Only missing packages are installed. Without root it prints what to install and stops.
set -euo pipefail
packages=(fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 poppler-utils)
case "${1:-}" in
  --browser) packages+=(chromium libreoffice-writer libreoffice-calc) ;;
  --bench) packages+=(nginx pgbouncer) ;;
esac
missing=()
for pkg in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done
if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi
if [[ $(id -u) -ne 0 ]]; then
  echo "Please install these Debian packages first: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
echo "Installing Debian packages: ${missing[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# The benchmark runs its own unprivileged instances: the packages' system services are not wanted.
# Stop (and disable) the services the packages may just have started.
for service in nginx pgbouncer; do
  if [[ " ${missing[*]} " == *" $service "* ]]; then
    if command -v systemctl >/dev/null && systemctl is-system-running -q 2>/dev/null; then
      systemctl disable --now -q "$service" || true
    elif command -v service >/dev/null; then
      service "$service" stop >/dev/null 2>&1 || true
    fi
  fi
done
