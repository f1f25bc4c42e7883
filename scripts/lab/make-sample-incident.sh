#!/usr/bin/env bash
# Regenerates examples/sample-incident/ from one run of the sample-incident lab scenario.
#   sudo bash scripts/lab/make-sample-incident.sh [DEST]      (DEST default examples/sample-incident)
# Only the files a user would bring to pathlens are copied, plus meta.json and truth.json;
# conntrack.log is the `conntrack -E -o timestamp,extended,id` listener (the lab's
# conntrack-ext.log), the format pathlens-collect records.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
dest=${1:-$repo/examples/sample-incident}
run=$(mktemp -d "${TMPDIR:-/tmp}/pl-sample-incident.XXXXXX")
trap 'rm -rf "$run"' EXIT
bash "$here/run.sh" sample-incident "$run/out"
mkdir -p "$dest"
# keep README.md; replace the data files
for f in capture.pcap ip-addr.json ip-route.json ip-rule.json iptables-save.txt nft-ruleset.json trace.log \
  sysctl.txt conntrack-table.txt conntrack-stats.txt meta.json truth.json; do
  cp "$run/out/$f" "$dest/$f"
done
cp "$run/out/conntrack-ext.log" "$dest/conntrack.log"
du -ch "$dest" | tail -n1 >&2
