#!/usr/bin/env bash
# `make demo`: hark on the bundled sample (sample/), offline. `hark demo` does the work: a
# local replay of every source, the sample customers, two pulls, a summary. The steps after it
# look at what it stored.
set -euo pipefail
cd "$(dirname "$0")/.."
data="${DEMO_DATA:-demo-data}"
hark="target/debug/hark"
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "hark demo: every source replayed locally, pulled twice through the pipeline"
"$hark" --data-dir "$data" demo --fresh
step "which customers wrote: automatic matches of authors to CRM records"
"$hark" --data-dir "$data" match list --limit 10
step "prospects: authors who are not customers and show buying intent"
"$hark" --data-dir "$data" prospects --limit 5
step "search what was pulled"
"$hark" --data-dir "$data" search 'acme NEAR/5 sync' --limit 5
step "score two posts by hand: signals with their cues"
"$hark" classify "Acme support ignored my ticket for a week and now the sync deleted our contacts." \
  "Can anyone recommend a CRM with a shared inbox for a five person team? Pricing matters."
printf '\nThe demo data is in %s/ ; try: %s --data-dir %s customers show CRM-0001\n' "$data" "$hark" "$data"
