#!/bin/sh
# The image's entrypoint: make sure the GCP credentials are one readable
# JSON key file, then hand over to the `contracts` binary (exec, so that
# signals such as a CronJob's SIGTERM reach it; the image runs this under
# tini, which forwards them).
#
# - GOOGLE_APPLICATION_CREDENTIALS names the key file. When that file is
#   missing or is not valid JSON, the key is written there from
#   GOOGLE_APPLICATION_CREDENTIALS_JSON_BASE64 (base64), or else from
#   GOOGLE_APPLICATION_CREDENTIALS_JSON (JSON, or base64 of it), mode 0600,
#   through a fresh temporary file (mktemp: an unpredictable name, never an
#   existing file or symlink) renamed into place.
# - With only a variable, the key goes to
#   $HOME_DIR/.config/gcloud/credentials.json ($HOME when HOME_DIR is unset).
# - Both variables are removed from the environment the binary sees, so
#   that every client (GCS reads GOOGLE_APPLICATION_CREDENTIALS_JSON before
#   the file; BigQuery reads only the file) authenticates as the one key
#   file's identity. The secret is never printed.
# - With none of them, the binary runs without credentials (the local
#   setup).
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

# Writes the key in $1 (base64 of the JSON, or with $2 = maybe-plain, also
# the JSON itself) to the file $key, or fails naming the variable $3.
write_key() {
    folder="$(dirname "$key")"
    mkdir -p "$folder" 2>/dev/null || fail "cannot create $folder for the key file"
    [ -w "$folder" ] || fail "cannot write the key file into $folder (read-only?): point GOOGLE_APPLICATION_CREDENTIALS at a writable path"
    partial="$(umask 077 && mktemp "$folder/.credentials.XXXXXXXXXX")" ||
        fail "cannot create a temporary file in $folder"
    if ! printf '%s' "$1" | base64 -d >"$partial" 2>/dev/null || ! is_json_file "$partial"; then
        if [ "$2" = maybe-plain ]; then
            printf '%s' "$1" >"$partial"
        fi
    fi
    if ! is_json_file "$partial"; then
        rm -f "$partial"
        fail "$3 does not hold a JSON key file (as JSON or base64)"
    fi
    chmod 600 "$partial"
    mv -f "$partial" "$key" || { rm -f "$partial"; fail "cannot write $key"; }
}

from_base64="${GOOGLE_APPLICATION_CREDENTIALS_JSON_BASE64:-}"
from_json="${GOOGLE_APPLICATION_CREDENTIALS_JSON:-}"
unset GOOGLE_APPLICATION_CREDENTIALS_JSON_BASE64 GOOGLE_APPLICATION_CREDENTIALS_JSON

if [ -n "${GOOGLE_APPLICATION_CREDENTIALS:-}" ] || [ -n "$from_base64" ] || [ -n "$from_json" ]; then
    if [ -n "${GOOGLE_APPLICATION_CREDENTIALS:-}" ]; then
        key="$GOOGLE_APPLICATION_CREDENTIALS"
    else
        home="${HOME_DIR:-${HOME:-}}"
        [ -n "$home" ] || fail "neither GOOGLE_APPLICATION_CREDENTIALS, HOME_DIR nor HOME is set: set GOOGLE_APPLICATION_CREDENTIALS to where the key file should be"
        key="$home/.config/gcloud/credentials.json"
    fi
    if ! is_json_file "$key"; then
        if [ -n "$from_base64" ]; then
            write_key "$from_base64" base64-only GOOGLE_APPLICATION_CREDENTIALS_JSON_BASE64
        elif [ -n "$from_json" ]; then
            write_key "$from_json" maybe-plain GOOGLE_APPLICATION_CREDENTIALS_JSON
        else
            fail "the credentials file $key is missing or not valid JSON, and neither GOOGLE_APPLICATION_CREDENTIALS_JSON_BASE64 nor GOOGLE_APPLICATION_CREDENTIALS_JSON is set: mount the key file or set one of them"
        fi
    fi
    export GOOGLE_APPLICATION_CREDENTIALS="$key"
fi

exec "$binary" "$@"
