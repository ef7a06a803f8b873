#!/usr/bin/env bash
# System packages the tests and reports use, from Debian (no browser download at run time):
# chromium (browser tests, report PDFs, chart PNGs via kaleido), poppler-utils (pdftoppm, to
# look at report pages), a CJK font (Chinese text in PDFs and PNGs) and the OpenMP runtime
# LightGBM's wheel links against (the global forecasting model).
set -euo pipefail
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v pdftoppm >/dev/null 2>&1 || missing+=(poppler-utils)
fc-list 2>/dev/null | grep -qi "wenquanyi\|wqy" || missing+=(fonts-wqy-microhei)
ldconfig -p 2>/dev/null | grep -q "libgomp.so.1" || missing+=(libgomp1)
if ((${#missing[@]})); then
  echo "installing Debian packages: ${missing[*]} ..."
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
