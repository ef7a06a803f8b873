#!/usr/bin/env bash
# The Java runtime the Spark tests need (pyspark runs on a JVM, 17 or newer), from Debian,
# only where no `java` is on the machine.
set -euo pipefail
if ! command -v java >/dev/null 2>&1; then
  echo "installing Debian packages: default-jre-headless ..."
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq default-jre-headless >/dev/null
fi
