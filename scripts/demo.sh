#!/usr/bin/env bash
# `make demo`: the whole pipeline as it exists today, on the bundled sample.
set -euo pipefail
cd "$(dirname "$0")/.."
data="${DEMO_DATA:-demo-data}"
hark="target/debug/hark"
rm -rf "$data"
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "import CRM customers (sample/customers.csv)"
"$hark" --data-dir "$data" import customers sample/customers.csv
step "ingest mentions (sample/mentions.jsonl): each new post is scored by the local model"
"$hark" --data-dir "$data" ingest sample/mentions.jsonl
step "ingest again: nothing is stored twice"
"$hark" --data-dir "$data" ingest sample/mentions.jsonl
step "status"
"$hark" --data-dir "$data" --config sample/hark.toml status
step "score two posts by hand: signals with their cues"
"$hark" classify "Acme support ignored my ticket for a week and now the sync deleted our contacts." \
  "Can anyone recommend a CRM with a shared inbox for a five person team? Pricing matters."
step "customers"
"$hark" --data-dir "$data" customers list
printf '\nThe demo data is in %s/ ; try: %s --data-dir %s customers show CRM-0001\n' "$data" "$hark" "$data"
