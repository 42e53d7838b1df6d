#!/usr/bin/env bash
# `make demo`: hark on the bundled sample (sample/), offline. `hark demo` does the work: a
# local replay of every source, the sample's 200 CRM customers, about 500 posts pulled in three
# passes, a summary. The steps after it look at what it stored; the last one serves the web app
# on it, with a sign-in per role.
set -euo pipefail
cd "$(dirname "$0")/.."
data="${DEMO_DATA:-demo-data}"
addr="${DEMO_ADDR:-127.0.0.1:8080}"
hark="target/debug/hark"
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "hark demo: every source replayed locally, pulled three times through the pipeline"
"$hark" --data-dir "$data" demo --fresh --no-serve
step "service: complaints by customers, most urgent first"
"$hark" --data-dir "$data" queue list --queue service --limit 5
step "sales: buying intent by people who are not customers yet"
"$hark" --data-dir "$data" queue list --queue sales --limit 5
step "which customers wrote: matches of authors to CRM records, and the ones a person should confirm"
"$hark" --data-dir "$data" match list --limit 5
"$hark" --data-dir "$data" match list --state proposed --limit 5
step "prospects: authors who are not customers and show buying intent"
"$hark" --data-dir "$data" prospects --limit 5
step "search what was pulled"
"$hark" --data-dir "$data" search 'acme NEAR/5 sync' --limit 5
step "score two posts by hand: signals with their cues"
"$hark" classify "Acme support ignored my ticket for a week and now the sync deleted our contacts." \
  "Can anyone recommend a CRM with a shared inbox for a five person team? Pricing matters."
step "the web app on the demo data (Ctrl-C stops it)"
exec "$hark" --data-dir "$data" demo --serve-only --addr "$addr"
