#!/usr/bin/env bash
# The journal's acceptance run: a journaled N-tenant parallel onboarding (scripts/bulk_onboard.rhai
# with `full`) killed with SIGKILL at KILLS random points, each followed by a rerun with the same
# journal, must end in exactly the state of one clean run: N tenants, no orphans; each with one
# IdP, five users (and the bot), five licenses (and the bot's), one group, one space, one space
# assignment, one OAuth client; and every customer's secret file present.
#
#   cargo build --release && benches/kill_and_resume.sh [N=50] [KILLS=20]
set -euo pipefail
n=${1:-50}
kills=${2:-20}
root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/target/release/qops"
work=$(mktemp -d)
trap 'kill "$sim" 2>/dev/null || true; rm -rf "$work"' EXIT
cd "$work"
{ echo name; for i in $(seq 1 "$n"); do printf 'kr-%03d\n' "$i"; done; } > customers.csv
"$bin" sim --latency 60 --tenant-quota $((n + 10)) > ready.json &
sim=$!
for _ in $(seq 50); do [ -s ready.json ] && break; sleep 0.1; done
url=$(python3 -c "import json; print(json.load(open('ready.json'))['url'])")
eval "$(python3 -c "import json; [print(f'export {k}={v}') for k, v in json.load(open('ready.json'))['env'].items()]")"
args=(run "$root/scripts/bulk_onboard.rhai" --arg customers=customers.csv
  --arg jwt_key="$root/scripts/keys/example-jwt-signer.pub.pem" --allow-path "$root/scripts/keys"
  --arg full=true --journal journal.jsonl --sim-url "$url" -q)
mid=0
for _ in $(seq "$kills"); do
  "$bin" "${args[@]}" > /dev/null 2>&1 &
  pid=$!
  sleep "$(python3 -c 'import random; print(random.uniform(0.02, 0.35))')"
  # Still running (not merely unreaped): kill it there.
  if [ "$(ps -o stat= -p "$pid" 2>/dev/null | cut -c1)" != "Z" ] && kill -9 "$pid" 2>/dev/null; then
    mid=$((mid + 1))
  fi
  wait "$pid" 2>/dev/null || true
done
"$bin" "${args[@]}" | tail -n 1
echo "killed mid-run: $mid of $kills"
# Secret files go to the simulator's own directory (state_dir()/secrets), not the working directory.
secrets=$("$bin" eval 'state_dir()' --sim-url "$url")/secrets
curl -s "$url/_sim/state" | SECRETS="$secrets" python3 -c "
import json, sys
s = json.load(sys.stdin)
t = [x for x in s['tenants'] if not x['source']]
import os
ok = (len(t) == $n and len({x['name'] for x in t}) == $n
      and all(len(x['identityProviders']) == 1 and x['users'] == 6 and x['licenseAssignments'] == 6
              and x['groups'] == 1 and x['spaces']['count'] == 1 and x['spaceAssignments'] == 1
              and len(x['oauthClients']) == 1 for x in t))
d = os.environ['SECRETS']
secrets = all(json.load(open(f\"{d}/{x['name']}-oauth-client.json\")).get('clientSecret') for x in t if os.path.exists(f\"{d}/{x['name']}-oauth-client.json\"))
files = sum(os.path.exists(f\"{d}/{x['name']}-oauth-client.json\") for x in t)
print(f'secret files {files} of {len(t)}')
ok = ok and secrets and files == $n
print(f'tenants {len(t)}, names {len({x[\"name\"] for x in t})}:', 'exactly one clean run' if ok else 'NOT a clean run')
sys.exit(0 if ok else 1)
"
