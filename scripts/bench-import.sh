#!/usr/bin/env bash
# Times `hark import customers` on a generated 100,000-row HubSpot-style export (release
# build). Prints the wall time of a first import and of a re-import that changes nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
rows="${ROWS:-100000}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 - "$rows" > "$work/contacts.csv" <<'PY'
import sys
n = int(sys.argv[1])
print("\ufeffRecord ID,First Name,Last Name,Email,Company Name,Website URL,Twitter Username,Lifecycle Stage,Contact owner,Notes")
for i in range(n):
    company = f'"Company {i % 5000}, Inc."'
    notes = f'"Met at expo\nfollow up {i}"' if i % 10 == 0 else ""
    print(f"{100000 + i},First{i},Last{i},person{i}@company{i % 5000}.example,{company},https://www.company{i % 5000}.example,@handle{i},customer,Owner {i % 40},{notes}")
PY
hark="target/release/hark"
for attempt in first again; do
  start=$(date +%s%N)
  "$hark" --quiet --data-dir "$work/data" import customers "$work/contacts.csv"
  end=$(date +%s%N)
  echo "$attempt import of $rows rows: $(( (end - start) / 1000000 )) ms"
done
