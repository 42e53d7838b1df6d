#!/usr/bin/env python3
"""Throughput of ONNX encoder graphs with onnxruntime, the way hark batches texts.

Texts are tokenized with tokenizer.json (truncation 128, no fixed padding), sorted by
length, cut into batches of --batch, each padded to its longest text. Reports texts/s for
the session runs alone (tokenization excluded) and, for int8 models, the mean / min cosine of
sentence embeddings against the first model given.

  models/.venv/bin/python scripts/model/bench.py models/all-MiniLM-L6-v2/model.onnx [more.onnx ...]
"""
import argparse
import json
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer


def batches(model_dir, data, batch, limit):
    tok = Tokenizer.from_file(str(Path(model_dir) / "tokenizer.json"))
    tok.no_padding()
    tok.enable_truncation(128)
    texts = [json.loads(line)["text"] for line in open(data, encoding="utf-8") if line.strip()]
    if limit:
        texts = texts[:limit]
    encs = tok.encode_batch(texts)
    order = sorted(range(len(encs)), key=lambda i: len(encs[i].ids))
    out = []
    for s in range(0, len(order), batch):
        idx = order[s : s + batch]
        S = max(len(encs[i].ids) for i in idx)
        ids = np.zeros((len(idx), S), np.int64)
        mask = np.zeros_like(ids)
        for r, i in enumerate(idx):
            n = len(encs[i].ids)
            ids[r, :n] = encs[i].ids
            mask[r, :n] = 1
        out.append((idx, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}))
    ntok = sum(len(e.ids) for e in encs)
    return out, len(texts), ntok


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("models", nargs="+")
    ap.add_argument("--model-dir", default="models/all-MiniLM-L6-v2")
    ap.add_argument("--data", default=str(Path(__file__).resolve().parents[3] / "shared/data/tweeteval-sentiment/valid.jsonl"))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--repeat", type=int, default=2, help="timed passes; per batch the fastest counts")
    ap.add_argument("--limit", type=int, default=0)
    args = ap.parse_args()

    bs, n, ntok = batches(args.model_dir, args.data, args.batch, args.limit)
    print(f"{n} texts, mean {ntok / n:.1f} tokens, {len(bs)} batches of <= {args.batch}, {args.threads} threads, ORT {ort.__version__}")
    sessions = []
    for path in args.models:
        so = ort.SessionOptions()
        so.intra_op_num_threads = args.threads
        so.inter_op_num_threads = 1
        so.log_severity_level = 3
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
        out_name = "sentence_embedding" if any(o.name == "sentence_embedding" for o in sess.get_outputs()) else None
        sess.run(None, bs[len(bs) // 2][1])  # warm-up
        sessions.append((path, sess, out_name, np.zeros((n, 384), np.float32), []))
    # Interleaved at batch level (every model runs each batch in turn) so that a busy neighbour on
    # the machine hits all models alike; per batch the fastest of --repeat runs counts.
    for r in range(args.repeat):
        for b, (idx, feed) in enumerate(bs):
            for path, sess, out_name, emb, times in sessions:
                t0 = time.perf_counter()
                res = sess.run([out_name] if out_name else None, feed)
                dt = time.perf_counter() - t0
                if r == 0:
                    times.append(dt)
                    emb[idx] = res[0] if out_name else res[0].mean(1)
                else:
                    times[b] = min(times[b], dt)
    base = sessions[0][3]
    for k, (path, sess, out_name, emb, times) in enumerate(sessions):
        best = sum(times)
        line = f"{path}: {n / best:.1f} texts/s ({best:.2f} s)"
        if k:
            cos = (emb * base).sum(-1) / np.linalg.norm(emb, axis=-1) / np.linalg.norm(base, axis=-1)
            line += f", cosine to first: mean {cos.mean():.5f} min {cos.min():.5f}"
        print(line, flush=True)


if __name__ == "__main__":
    main()
