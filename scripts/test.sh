#!/usr/bin/env bash
# The test command: installs what is missing, builds (debug, tests and the `emzoo` binary
# that the CLI tests run), and runs the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
swift build --build-tests
swift test --skip-build --disable-xctest
# The plugin door: an outside package (Examples/ExponentialMixture) built against a clone of
# HEAD tagged 0.1.0, and its commands run (about 2 minutes).
bash scripts/test-examples.sh
