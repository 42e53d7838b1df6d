#!/usr/bin/env bash
# `make train-encoder`: the multi-task LoRA fine-tune of all-MiniLM-L6-v2 (train_encoder.py) in its
# own pinned venv (models/.train-venv, scripts/model/train-requirements.txt: JAX CPU wheels from
# PyPI). Needs `make model` first (the base weights and tokenizer) and the labelled sets in
# ../shared/data (HARK_SHARED_DATA to point elsewhere).
#
# Writes models/adapters/minilm-multitask-lora.safetensors (+ .json: command, seed, time,
# per-epoch validation). To ship a new adapter: commit it, then pin its sha256 in fetch.sh
# (ADAPTER_SHA256) so `make model` exports it; train the heads on it (see docs/model-card.md).
# Extra arguments for train_encoder.py: TRAIN_ARGS="--epochs 1 ...".
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
MODELS_DIR="${MODELS_DIR:-$ROOT/models}"
PYTHON="${PYTHON:-python3}"
VENV="$MODELS_DIR/.train-venv"
DATA="${HARK_SHARED_DATA:-$ROOT/../shared/data}"
req="$HERE/train-requirements.txt"
req_sum="$(sha256sum "$req" | cut -d' ' -f1)"
[[ -f "$MODELS_DIR/all-MiniLM-L6-v2/model.safetensors" ]] || { echo "train-encoder: run 'make model' first" >&2; exit 1; }
[[ -d "$DATA/tweeteval-sentiment" ]] || { echo "train-encoder: labelled sets not found in $DATA (set HARK_SHARED_DATA)" >&2; exit 1; }
if [[ ! -x "$VENV/bin/python" || ! -f "$VENV/.requirements.sha256" || "$(cat "$VENV/.requirements.sha256")" != "$req_sum" ]]; then
    echo "train-encoder: creating $VENV (pinned: $req)"
    rm -rf "$VENV"
    "$PYTHON" -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$req"
    echo "$req_sum" > "$VENV/.requirements.sha256"
fi
# The shipped adapter's run (docs/model-card.md): seed 13, 1 epoch, 9,000 sentiment texts, the
# four hand-labelled intent files.
# shellcheck disable=SC2086
"$VENV/bin/python" "$HERE/train_encoder.py" --model-dir "$MODELS_DIR/all-MiniLM-L6-v2" --data-dir "$DATA" \
    --seed 13 --epochs 1 --sentiment-per-epoch 9000 --complaint-repeats 2 --intent-repeats 2 \
    --labelled train.jsonl iphonex-train.jsonl lookalike-train.jsonl lookalike2-train.jsonl ${TRAIN_ARGS:-}
