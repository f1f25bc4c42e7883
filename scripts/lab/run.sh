#!/usr/bin/env bash
# pathlens lab driver.
#   npm run lab -- list                 one line per scenario
#   npm run lab -- SCENARIO OUTDIR      run one scenario into OUTDIR (created if missing)
#   npm run lab -- all OUTDIR           every scenario into OUTDIR/<scenario>
# A scenario exits 77 when it cannot run here (e.g. conntrack-full on a kernel where a netns
# cannot lower nf_conntrack_max); `all` reports it as skipped.
# Each scenario is scripts/lab/scenarios/<name>.sh; its first "# desc:" line is its summary.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# Scenario order = the order they were written in (simple ones first).
ORDER=(portforward firewall clusterip local udp-dns policy-routing ipv6 syn-unanswered mtu-blackhole
  rp-filter conntrack-full loopback-martian stale-udp-backend snat-port-reuse zero-window sample-incident)

scenarios() {
  local s
  for s in "${ORDER[@]}"; do
    if [[ -f "$here/scenarios/$s.sh" ]]; then echo "$s"; fi
  done
}

usage() {
  cat <<USAGE
usage: npm run lab -- list
       npm run lab -- <scenario> <outdir>
       npm run lab -- all <outdir>
Runs as root; every scenario builds its own network namespaces (pl-<scenario>-<role>-<runid>)
and removes them on exit. See scripts/lab/README.md.
USAGE
}

cmd=${1:-}
case "$cmd" in
  list)
    while read -r s; do
      desc=$(sed -n 's/^# desc: //p' "$here/scenarios/$s.sh" | head -n1)
      printf '%-18s %s\n' "$s" "$desc"
    done < <(scenarios)
    ;;
  all)
    out=${2:?usage: all OUTDIR}
    rc=0
    while read -r s; do
      echo "== $s" >&2
      src=0
      bash "$here/scenarios/$s.sh" "$out/$s" || src=$?
      # 77: the scenario cannot run on this kernel/machine (it says why); not a failure
      if ((src == 77)); then
        echo "lab: $s skipped (not possible here)" >&2
      elif ((src != 0)); then
        echo "lab: $s failed ($src)" >&2
        rc=1
      fi
    done < <(scenarios)
    exit "$rc"
    ;;
  "" | -h | --help | help) usage ;;
  *)
    if [[ ! -f "$here/scenarios/$cmd.sh" ]]; then
      echo "lab: unknown scenario '$cmd' (npm run lab -- list)" >&2
      exit 2
    fi
    [[ $# -ge 2 ]] || { usage >&2; exit 2; }
    exec bash "$here/scenarios/$cmd.sh" "$2"
    ;;
esac
