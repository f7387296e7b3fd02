#!/usr/bin/env bash
# Installs the Debian packages SciPlan needs and that pip cannot bring:
#   fonts-noto-cjk      — Chinese glyphs embedded in generated PDFs
#   libpango-1.0-0 …    — the text layout WeasyPrint renders PDFs with
#   poppler-utils       — pdftoppm/pdftotext, to look at generated PDFs
#   chromium            — the browser the end-to-end tests drive (only with --browser)
#   libreoffice-writer, libreoffice-calc — convert the DOCX/XLSX files to PDF in the office-render
#                         tests (only with --browser; no GUI extras)
# Only missing packages are installed. Without root it prints what to install and stops.
set -euo pipefail
packages=(fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 poppler-utils)
if [[ "${1:-}" == "--browser" ]]; then
  packages+=(chromium libreoffice-writer libreoffice-calc)
fi
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
