#!/usr/bin/env bash
# Installs what emzoo needs to build when it is missing: GSL's headers and libraries.
set -euo pipefail
if [ -f /usr/include/gsl/gsl_rng.h ]; then
  exit 0
fi
echo "emzoo: installing libgsl-dev (GNU Scientific Library)" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq -o DPkg::Lock::Timeout=300 libgsl-dev >/dev/null
