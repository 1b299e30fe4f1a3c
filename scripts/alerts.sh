#!/usr/bin/env bash
# Prepares the real receivers the alert tests send to (the tests start
# them, one set per test, on 127.0.0.1; see scripts/alert_receivers.py):
# Python's aiosmtpd from PyPI in a virtual environment, and a throwaway
# certificate for 127.0.0.1 the SMTP receiver presents for STARTTLS.
#
#   scripts/alerts.sh install   # the venv (once) and a fresh certificate
#   scripts/alerts.sh env       # the variables the tests read, as `export` lines
set -euo pipefail

DIR="${DATACONTRACT_ALERTS:-/var/tmp/datacontract-alerts}"
AIOSMTPD_VERSION="1.4.6"

install() {
  if ! "$DIR/venv/bin/python" -c "import aiosmtpd" 2>/dev/null; then
    echo "installing aiosmtpd $AIOSMTPD_VERSION into $DIR/venv"
    rm -rf "$DIR/venv"
    mkdir -p "$DIR"
    python3 -m venv "$DIR/venv"
    "$DIR/venv/bin/pip" install --quiet --disable-pip-version-check "aiosmtpd==$AIOSMTPD_VERSION"
  fi
  "$(dirname "$0")/test_certificates.sh" "$DIR/tls"
}

print_env() {
  echo "export DATACONTRACT_ALERT_PYTHON=$DIR/venv/bin/python"
  echo "export DATACONTRACT_ALERT_TLS=$DIR/tls"
}

case "${1:-}" in
  install) install ;;
  env) print_env ;;
  *) echo "usage: $0 install|env" >&2; exit 2 ;;
esac
