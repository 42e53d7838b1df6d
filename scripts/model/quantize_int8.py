#!/usr/bin/env python3
"""Write an int8 dynamically quantised copy of the exported encoder (weights int8 per channel,
activations quantised at run time; only MatMuls with constant weights are quantised).

  models/.venv/bin/python scripts/model/quantize_int8.py [--in model.onnx] [--out model.int8.onnx]
"""
import argparse
import logging
import re

import onnx
from pathlib import Path

from onnxruntime.quantization import QuantType, quantize_dynamic


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--in", dest="src", default="models/all-MiniLM-L6-v2/model.onnx")
    ap.add_argument("--out", default="models/all-MiniLM-L6-v2/model.int8.onnx")
    ap.add_argument("--per-channel", type=int, default=1)
    ap.add_argument("--ops", default="MatMul", help="comma list of op types to quantise (MatMul, Attention, Gather)")
    ap.add_argument("--exclude", default="", help="regex: nodes whose name matches stay fp32")
    args = ap.parse_args()
    excl = []
    if args.exclude:
        excl = [n.name for n in onnx.load(args.src, load_external_data=False).graph.node if re.search(args.exclude, n.name)]
    logging.getLogger().setLevel(logging.ERROR)
    out = Path(args.out)
    tmp = out.with_suffix(".tmp.onnx")
    quantize_dynamic(
        args.src, str(tmp),
        weight_type=QuantType.QInt8,
        per_channel=bool(args.per_channel),
        op_types_to_quantize=args.ops.split(","),
        nodes_to_exclude=excl,
        extra_options={"MatMulConstBOnly": True, "DefaultTensorType": onnx.TensorProto.FLOAT},
    )
    tmp.replace(out)
    print(f"quantize_int8: wrote {out} ({out.stat().st_size / 1e6:.1f} MB) from {args.src}" + (f", {len(excl)} nodes kept fp32" if excl else ""))


if __name__ == "__main__":
    main()
