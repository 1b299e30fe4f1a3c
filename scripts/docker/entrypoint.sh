#!/bin/sh
# The image's entrypoint: make sure the GCP credentials are a readable JSON
# key file, then hand over to the `contracts` binary (exec, so that signals
# such as a CronJob's SIGTERM reach it).
#
# - GOOGLE_APPLICATION_CREDENTIALS names the key file. When that file is
#   missing or is not valid JSON and GOOGLE_APPLICATION_CREDENTIALS_JSON_BASE64
#   is set, the variable is decoded into the file (mode 0600). The secret is
#   never printed, and is removed from the environment the binary sees.
# - With only the base64 variable, the key goes to
#   $HOME_DIR/.config/gcloud/credentials.json.
# - With neither, the binary runs without credentials (the local setup).
# - When a key is needed but cannot be had, this exits 78 (EX_CONFIG) with
#   one line saying what to set.
#
# CONTRACTS_BIN overrides the binary (tests).
set -eu

binary="${CONTRACTS_BIN:-contracts}"

fail() {
    echo "entrypoint: $*" >&2
    exit 78
}

is_json_file() {
    [ -s "$1" ] && jq -e . "$1" >/dev/null 2>&1
}

if [ -n "${GOOGLE_APPLICATION_CREDENTIALS:-}" ] || [ -n "${GOOGLE_APPLICATION_CREDENTIALS_JSON_BASE64:-}" ]; then
    key="${GOOGLE_APPLICATION_CREDENTIALS:-${HOME_DIR:-$HOME}/.config/gcloud/credentials.json}"
    if ! is_json_file "$key"; then
        if [ -z "${GOOGLE_APPLICATION_CREDENTIALS_JSON_BASE64:-}" ]; then
            fail "the credentials file $key is missing or not valid JSON, and GOOGLE_APPLICATION_CREDENTIALS_JSON_BASE64 is not set: mount the key file or set the variable"
        fi
        folder="$(dirname "$key")"
        mkdir -p "$folder" 2>/dev/null || fail "cannot create $folder for the key file"
        [ -w "$folder" ] || fail "cannot write the key file into $folder (read-only?): point GOOGLE_APPLICATION_CREDENTIALS at a writable path"
        partial="$key.partial.$$"
        (umask 077 && : >"$partial") 2>/dev/null || fail "cannot write $partial"
        printf '%s' "$GOOGLE_APPLICATION_CREDENTIALS_JSON_BASE64" | base64 -d >"$partial" 2>/dev/null ||
            { rm -f "$partial"; fail "GOOGLE_APPLICATION_CREDENTIALS_JSON_BASE64 is not valid base64"; }
        if ! is_json_file "$partial"; then
            rm -f "$partial"
            fail "GOOGLE_APPLICATION_CREDENTIALS_JSON_BASE64 does not decode to a JSON key file"
        fi
        chmod 600 "$partial"
        mv "$partial" "$key" || fail "cannot write $key"
    fi
    export GOOGLE_APPLICATION_CREDENTIALS="$key"
fi
unset GOOGLE_APPLICATION_CREDENTIALS_JSON_BASE64

exec "$binary" "$@"
