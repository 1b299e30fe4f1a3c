#!/usr/bin/env bash
# Prepares the Python tools the tests use, in a virtual environment, from
# PyPI: aiosmtpd (the alert tests' SMTP receiver; scripts/alert_receivers.py
# is started by each alert test on 127.0.0.1), jsonschema and PyYAML (the
# ODCS tests validate exported documents against the standard's JSON Schema
# with the reference validator, as a YAML 1.1 reader such as
# datacontract-cli's reads them); and a throwaway certificate for 127.0.0.1
# that the SMTP receiver presents for STARTTLS.
#
#   scripts/python_tools.sh install   # the venv (once) and a fresh certificate
#   scripts/python_tools.sh env       # the variables the tests read, as `export` lines
set -euo pipefail

DIR="${DATACONTRACT_PYTHON_TOOLS:-/var/tmp/datacontract-python-tools}"
PACKAGES=(aiosmtpd==1.4.6 jsonschema==4.23.0 PyYAML==6.0.2)

install() {
  if ! "$DIR/venv/bin/python" -c "import aiosmtpd, jsonschema, yaml" 2>/dev/null; then
    echo "installing ${PACKAGES[*]} into $DIR/venv"
    rm -rf "$DIR/venv"
    mkdir -p "$DIR"
    python3 -m venv "$DIR/venv"
    "$DIR/venv/bin/pip" install --quiet --disable-pip-version-check "${PACKAGES[@]}"
  fi
  "$(dirname "$0")/test_certificates.sh" "$DIR/tls"
}

print_env() {
  echo "export DATACONTRACT_TEST_PYTHON=$DIR/venv/bin/python"
  echo "export DATACONTRACT_ALERT_TLS=$DIR/tls"
}

case "${1:-}" in
  install) install ;;
  env) print_env ;;
  *) echo "usage: $0 install|env" >&2; exit 2 ;;
esac
