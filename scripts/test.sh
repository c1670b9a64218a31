#!/usr/bin/env bash
# Installs what the tests need and runs the whole suite (unit + end-to-end on a real lab; needs root).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npm test -- "$@"
