#!/usr/bin/env bash
# Fills .fixtures/rfc4475-torture with the RFC 4475 torture messages, extracted byte-exact from a copy
# of the RFC's text that you supply (no download: take the plain-text RFC from wherever you read RFCs):
#   scripts/rfc4475-fixtures.sh path/to/rfc4475.txt [DEST]
# RFC 4475 Appendix B holds the messages as a base64 gzip tarball between "-- BEGIN MESSAGE ARCHIVE --"
# and "-- END MESSAGE ARCHIVE --" lines. The same marker text also appears inside the RFC's decoder
# listing, on one line with other words, so only the lines that are exactly a marker open and close
# the archive. Of the lines between them, the base64 ones are those of a single token: page footers,
# headers and form feeds have spaces or no token at all. Each NAME.dat becomes NAME.sip, and every
# file is checked against the committed SHA-256 sums before anything is written to DEST.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
sums="$root/packages/sip/test/messages/rfc4475-torture.sha256"
if [ "$#" -lt 1 ] || [ "$#" -gt 2 ] || [ ! -f "$1" ]; then
  echo "usage: scripts/rfc4475-fixtures.sh path/to/rfc4475.txt [DEST]   (DEST defaults to .fixtures/rfc4475-torture)" >&2
  exit 2
fi
rfc="$1"
dest="${2:-$root/.fixtures/rfc4475-torture}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

awk '
  { line = $0; sub(/\r$/, "", line); gsub(/^[ \t]+|[ \t]+$/, "", line) }
  line == "-- BEGIN MESSAGE ARCHIVE --" { inside = 1; found = 1; next }
  line == "-- END MESSAGE ARCHIVE --" { inside = 0; next }
  inside && line ~ /^[A-Za-z0-9+\/=]+$/ { print line }
  END { if (!found) exit 3 }
' "$rfc" > "$work/archive.b64" || {
  echo "rfc4475-fixtures: no '-- BEGIN MESSAGE ARCHIVE --' line in $rfc: is it the text of RFC 4475?" >&2
  exit 1
}
base64 -d "$work/archive.b64" > "$work/archive.tgz" 2>/dev/null || {
  echo "rfc4475-fixtures: the archive in $rfc is not valid base64" >&2
  exit 1
}
mkdir "$work/out" "$work/sip"
tar -xzf "$work/archive.tgz" -C "$work/out" 2>/dev/null || {
  echo "rfc4475-fixtures: the archive in $rfc is not a gzip tarball" >&2
  exit 1
}
find "$work/out" -type f -name '*.dat' -print0 | while IFS= read -r -d '' file; do
  name="$(basename "$file" .dat)"
  cp "$file" "$work/sip/$name.sip"
done
cp "$sums" "$work/sip/SHA256SUMS"
if ! (cd "$work/sip" && sha256sum --check --quiet --strict SHA256SUMS); then
  echo "rfc4475-fixtures: the extracted messages do not match $sums; nothing written" >&2
  exit 1
fi
extra="$(cd "$work/sip" && ls *.sip | grep -vxF -f <(awk '{print $2}' SHA256SUMS) || true)"
if [ -n "$extra" ]; then
  echo "rfc4475-fixtures: unexpected files in the archive: $extra; nothing written" >&2
  exit 1
fi
mkdir -p "$dest"
cp "$work/sip/"* "$dest/"
echo "rfc4475-fixtures: $(ls "$work/sip" | grep -c '\.sip$') messages written to $dest"
