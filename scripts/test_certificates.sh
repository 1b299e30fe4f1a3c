#!/usr/bin/env bash
# Makes a throwaway certificate authority and, signed by it, a certificate
# for 127.0.0.1, for test servers that speak TLS (the databases, the SMTP
# receiver): the tests check that TLS is verified against the CA, and
# refused without it.
#
#   scripts/test_certificates.sh DIR   # writes DIR/ca.pem, DIR/server.pem, DIR/server.key
set -euo pipefail

tls="${1:?usage: $0 DIR}"
rm -rf "$tls"
mkdir -p "$tls"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=datacontract test CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign" \
  -keyout "$tls/ca.key" -out "$tls/ca.pem" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
  -keyout "$tls/server.key" -out "$tls/server.csr" 2>/dev/null
printf '%s\n' "basicConstraints=CA:FALSE" "keyUsage=digitalSignature,keyEncipherment" \
  "extendedKeyUsage=serverAuth" "subjectAltName=IP:127.0.0.1" >"$tls/server.ext"
openssl x509 -req -in "$tls/server.csr" -CA "$tls/ca.pem" -CAkey "$tls/ca.key" \
  -CAcreateserial -days 2 -extfile "$tls/server.ext" -out "$tls/server.pem" 2>/dev/null
chmod 644 "$tls/ca.pem" "$tls/server.pem"
