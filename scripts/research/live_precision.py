#!/usr/bin/env python3
"""Precision of hark's complaint and buying-intent flags on a live-like stream (hark research).

Python 3 standard library only; deterministic given the input files and the seed.

A live stream is mostly posts with no complaint and no buying intent (about 1 post in 200 shows
buying intent, see crates/hark-classifier/data/intent-labelled/README.md), so F1 on a balanced
validation set says little about what the sales and service queues will look like. This script
draws a uniform random sample at the pools' natural mix, scores it with `hark classify`, lists the
posts to label by hand around each head's threshold, and summarises the hand labels: flag rate,
precision with 95% Wilson intervals, precision at higher thresholds, the threshold that meets a
precision target, and what that costs in flags and (roughly) in recall.

Pools (train splits only, from the shared data folder, default ../shared/data next to the repository):
  tweeteval-sentiment/train.jsonl      general tweets, 2013-2016 (news, sports, celebrities, products)
  complaints-preotiuc2019/train.jsonl  tweets to and about brands plus random tweets, 2017-2018
drawn 3 general tweets to 1 brand-pool tweet (1,500 + 500 = 2,000), the mix of the random pick in
intent-labelled, so that pick's base rate applies to this sample. Never read: airline-complaints
(non-commercial licence), any valid or test split, purchase-intent-iphonex.

Exclusions, before anything is drawn (loose key: lower-cased letters and digits only, without
@mentions, links and HTML entities; one key containing the other also counts for keys of 20+ chars):
  - every post already labelled for intent: crates/hark-classifier/data/intent-labelled/ (train and
    skipped), intent-social (train and valid) and crates/hark-classifier/data/intent-supplement.jsonl;
  - near-copies inside a pool: only the first post (file order) of each loose key is eligible.

Usage (from the repository root):
  python3 scripts/research/live_precision.py draw              # live-sample/sample.jsonl (2,000 posts)
  python3 scripts/research/live_precision.py score             # runs target/debug/hark classify once
  python3 scripts/research/live_precision.py review complaint  # the posts to label, highest score first
  python3 scripts/research/live_precision.py review intent
  python3 scripts/research/live_precision.py check             # labels cover exactly the review sets
  python3 scripts/research/live_precision.py report            # the tables of the write-up

Another model (--variant tuned: the tuned encoder with models/heads-tuned; files in live-sample/tuned/):
  python3 scripts/research/live_precision.py score --variant tuned --hark target/release/hark
  python3 scripts/research/live_precision.py carry --variant tuned   # labels the posts already have;
                                                                     # the rest in todo-<signal>.jsonl
  (label the todo posts into tuned/<signal>.jsonl), then check and report with --variant tuned

Files in crates/hark-classifier/data/live-sample/:
  sample.jsonl           {"id", "text", "source"}: the draw, in draw order
  classify-output.jsonl  hark classify --json output for sample.jsonl, line for line, as printed
  scored.jsonl           {"id", "text", "source", "scores": {...}, "flags": {...}}: the two joined
  complaint.jsonl        {"id", "text", "source", "scores", "label": "complaint"|"not_complaint"}
  intent.jsonl           {"id", "text", "source", "scores", "label": "intent"|"no_intent"}
"""
import argparse
import json
import math
import os
import random
import re
import subprocess
import sys
from collections import Counter

SEED = 2026
N = {"tweeteval-sentiment": 1500, "complaints-preotiuc2019": 500}
POOLS = list(N)
# What gets labelled: every post scoring at least (threshold - BAND) on a signal.
BAND = 0.15

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_DATA = os.path.join(os.path.dirname(REPO), "shared", "data")
CLASSIFIER_DATA = os.path.join(REPO, "crates", "hark-classifier", "data")
SAMPLE_DIR = os.path.join(CLASSIFIER_DATA, "live-sample")
# Where scores and labels go, and the heads whose thresholds count: set by --variant.
OUT = SAMPLE_DIR
HEADS = os.path.join(REPO, "models", "heads")
HARK = os.path.join(REPO, "target", "debug", "hark")
VARIANTS = {
    # The frozen encoder and models/heads: files directly in live-sample/.
    "frozen": (SAMPLE_DIR, os.path.join(REPO, "models", "heads"), "frozen"),
    # The tuned encoder and models/heads-tuned: files in live-sample/tuned/.
    "tuned": (os.path.join(SAMPLE_DIR, "tuned"), os.path.join(REPO, "models", "heads-tuned"), "tuned"),
}
ENCODER = "frozen"

SIGNALS = {
    "complaint": ("complaint", "not_complaint"),
    "intent": ("intent", "no_intent"),
}
# Random-pick base rate of buying intent (intent-labelled README): 2 of 398 posts, 3:1 mix.
INTENT_BASE = (2, 398)
# Thresholds tabulated per source, and the candidate defaults whose band is tabulated.
GRID = [0.30, 0.40, 0.50, 0.60, 0.65, 0.70, 0.75, 0.80, 0.85, 0.90]
RECOMMEND = {"complaint": [0.70], "intent": [0.60]}

_ENTITY = re.compile(r"&[a-z]+;|&#\d+;")
_MENTION = re.compile(r"@\w+")
_LINK = re.compile(r"https?://\S+|www\.\S+")


def loose_key(text):
    text = _LINK.sub(" ", _MENTION.sub(" ", _ENTITY.sub(" ", text.lower())))
    return "".join(ch for ch in text if ch.isalnum())


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def write_jsonl(path, rows):
    with open(path, "w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


class Banned:
    """Exact texts and loose keys to keep out, with containment for keys of 20+ characters."""

    def __init__(self, texts):
        self.exact = {t.strip() for t in texts}
        self.keys = {loose_key(t) for t in texts}
        self.long_keys = [k for k in self.keys if len(k) >= 20]

    def __contains__(self, text):
        if text.strip() in self.exact:
            return True
        key = loose_key(text)
        if key in self.keys:
            return True
        if len(key) >= 20:
            return any(key in k or k in key for k in self.long_keys)
        return False


def labelled_texts(data):
    texts = []
    for split in ("train", "valid"):
        texts += [r["text"] for r in read_jsonl(os.path.join(data, "intent-social", f"{split}.jsonl"))]
    for name in ("train.jsonl", "skipped.jsonl"):
        path = os.path.join(CLASSIFIER_DATA, "intent-labelled", name)
        if os.path.exists(path):
            texts += [r["text"] for r in read_jsonl(path)]
    supplement = os.path.join(CLASSIFIER_DATA, "intent-supplement.jsonl")
    if os.path.exists(supplement):
        texts += [r["text"] for r in read_jsonl(supplement)]
    return texts


def eligible(data):
    banned = Banned(labelled_texts(data))
    out = {}
    for pool in POOLS:
        seen, rows = set(), []
        for row in read_jsonl(os.path.join(data, pool, "train.jsonl")):
            text = row["text"].strip()
            key = loose_key(text)
            if not text or not key or key in seen:
                continue
            seen.add(key)
            if text in banned:
                continue
            rows.append(text)
        out[pool] = rows
    return out


def draw(data):
    pools = eligible(data)
    rng = random.Random(SEED)
    rows = []
    for pool in POOLS:
        for i in sorted(rng.sample(range(len(pools[pool])), N[pool])):
            rows.append({"id": f"{'t' if pool.startswith('tweeteval') else 'c'}{i:05d}",
                         "text": pools[pool][i], "source": f"{pool}/train"})
    return rows, {pool: len(rows) for pool, rows in pools.items()}


def score():
    """Run hark classify once over sample.jsonl; keep its output and join it to the sample."""
    sample = read_jsonl(os.path.join(SAMPLE_DIR, "sample.jsonl"))
    raw_path = os.path.join(OUT, "classify-output.jsonl")
    with open(raw_path, "w", encoding="utf-8") as raw:
        subprocess.run([HARK, "classify", "--input", os.path.join(SAMPLE_DIR, "sample.jsonl"), "--json", "-q"],
                       cwd=REPO, stdout=raw, check=True, env={**os.environ, "HARK_ENCODER": ENCODER})
    out = read_jsonl(raw_path)
    if len(out) != len(sample):
        sys.exit(f"hark classify printed {len(out)} results for {len(sample)} posts")
    scored = []
    for s, o in zip(sample, out):
        if o["text"] != s["text"]:
            sys.exit(f"output out of order at {s['id']}")
        scored.append({"id": s["id"], "text": s["text"], "source": s["source"],
                       "scores": {"complaint": round(o["complaint"], 4), "intent": round(o["intent"], 4),
                                  "sentiment": o["sentiment"]},
                       "flags": {"complaint": o["complaint_flag"], "intent": o["intent_flag"]}})
    write_jsonl(os.path.join(OUT, "scored.jsonl"), scored)
    return scored


def head_threshold(signal):
    with open(os.path.join(HEADS, f"{signal}.md"), encoding="utf-8") as f:
        m = re.search(r"threshold: ([0-9.]+)", f.read())
    return float(m.group(1))


def review_set(scored, signal):
    low = head_threshold(signal) - BAND
    rows = [r for r in scored if r["scores"][signal] >= low - 1e-9]
    return sorted(rows, key=lambda r: -r["scores"][signal])


def wilson(k, n, z=1.959964):
    if n == 0:
        return float("nan"), float("nan"), float("nan")
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return p, max(0.0, centre - half), min(1.0, centre + half)


def fmt(p, lo, hi):
    if math.isnan(p):
        return "–"
    return f"{p:.2f} [{lo:.2f}, {hi:.2f}]"


def check(scored):
    problems = []
    for signal, (pos, neg) in SIGNALS.items():
        path = os.path.join(OUT, f"{signal}.jsonl")
        labels = read_jsonl(path)
        want = [r["id"] for r in review_set(scored, signal)]
        got = [r["id"] for r in labels]
        if sorted(want) != sorted(got):
            problems.append(f"{signal}: {len(set(want) - set(got))} to label missing, "
                            f"{len(set(got) - set(want))} labelled outside the review set")
        bad = [r["id"] for r in labels if r.get("label") not in (pos, neg)]
        if bad:
            problems.append(f"{signal}: bad labels on {bad[:5]}")
        print(f"{signal}: {len(labels)} labelled ({Counter(r['label'] for r in labels)})")
    return problems


def report(scored, data):
    n = len(scored)
    by_source = Counter(r["source"] for r in scored)
    print(f"sample: {n} posts {dict(by_source)}\n")
    for signal, (pos, _neg) in SIGNALS.items():
        thr = head_threshold(signal)
        labels = {r["id"]: r["label"] == pos for r in read_jsonl(os.path.join(OUT, f"{signal}.jsonl"))}
        rows = [r for r in scored if r["id"] in labels]
        low = thr - BAND
        print(f"## {signal}: head threshold {thr:.3f}, labelled every post scoring >= {low:.3f} "
              f"({len(rows)} posts, {sum(labels.values())} {pos})\n")
        print("flag rate at the head's threshold (of all posts in the sample):")
        print("| source | posts | flagged | flag rate [95%] | precision of flags [95%] |")
        print("|---|---:|---:|---|---|")
        for source in sorted(by_source) + ["all"]:
            pop = [r for r in scored if source in ("all", r["source"])]
            flagged = [r for r in pop if r["scores"][signal] >= thr]
            k = sum(labels[r["id"]] for r in flagged)
            print(f"| {source} | {len(pop)} | {len(flagged)} | {fmt(*wilson(len(flagged), len(pop)))} | "
                  f"{k}/{len(flagged)} = {fmt(*wilson(k, len(flagged)))} |")
        print()
        found = sum(labels.values())
        print(f"by threshold (recall relative to the {found} {pos} posts found at or above {low:.3f}):")
        print("| threshold | flagged | flag rate | true | precision [95%] | recall within labelled |")
        print("|---:|---:|---:|---:|---|---:|")
        grid = sorted({round(low + 0.05 * i, 3) for i in range(0, 40) if low + 0.05 * i < 1.0} | {thr})
        for t in grid:
            flagged = [r for r in rows if r["scores"][signal] >= t - 1e-9]
            k = sum(labels[r["id"]] for r in flagged)
            mark = " (head)" if abs(t - thr) < 1e-9 else ""
            rec = f"{k / found:.2f}" if found else "–"
            print(f"| {t:.3f}{mark} | {len(flagged)} | {100 * len(flagged) / n:.2f}% | {k} | "
                  f"{fmt(*wilson(k, len(flagged)))} | {rec} |")
        print()
        print("by threshold and source (flagged / true among them):")
        print("| threshold | " + " | ".join(sorted(by_source)) + " |")
        print("|---:|" + "---|" * len(by_source))
        for t in sorted(set(GRID) | {thr}):
            cells = []
            for source in sorted(by_source):
                flagged = [r for r in rows if r["source"] == source and r["scores"][signal] >= t - 1e-9]
                k = sum(labels[r["id"]] for r in flagged)
                cells.append(f"{k}/{len(flagged)} = {fmt(*wilson(k, len(flagged)))}")
            print(f"| {t:.3f} | " + " | ".join(cells) + " |")
        print()
        print("what the uncertainty band sends to community triage (posts in [t - band, t), true among them):")
        for t in sorted({thr} | set(RECOMMEND[signal])):
            cells = []
            for band in (0.05, 0.10, 0.15):
                inside = [r for r in rows if t - band - 1e-9 <= r["scores"][signal] < t - 1e-9]
                cells.append(f"band {band:.2f}: {len(inside)} posts, {sum(labels[r['id']] for r in inside)} true")
            print(f"  t = {t:.3f}: " + "; ".join(cells))
        print()
        # The lowest threshold whose precision (point estimate) meets each target, among scores seen.
        cands = sorted({r["scores"][signal] for r in rows})
        for target in (0.7, 0.8, 0.9):
            best = None
            for t in cands:
                flagged = [r for r in rows if r["scores"][signal] >= t]
                k = sum(labels[r["id"]] for r in flagged)
                if len(flagged) >= 5 and k / len(flagged) >= target:
                    best = (t, len(flagged), k)
                    break
            if best:
                t, m, k = best
                p, lo, hi = wilson(k, m)
                print(f"precision >= {target}: lowest score cut {t:.3f}: {m} flags ({100 * m / n:.2f}%), "
                      f"{k} true, precision {fmt(p, lo, hi)}, recall within labelled {k / found:.2f}")
            else:
                print(f"precision >= {target}: not met with 5+ flags")
        print()
        for source in sorted(by_source):
            sub = [r for r in rows if r["source"] == source]
            print(f"  {source}: {len(sub)} labelled, {sum(labels[r['id']] for r in sub)} {pos}")
        print()
    gold_path = os.path.join(data, "complaints-preotiuc2019", "train.jsonl")
    if os.path.exists(gold_path):
        gold = {r["text"].strip(): r["label"] for r in read_jsonl(gold_path)}
        pool = [r for r in scored if r["source"].startswith("complaints-preotiuc2019") and r["text"] in gold]
        labels = {r["id"]: r["label"] for r in read_jsonl(os.path.join(OUT, "complaint.jsonl"))}
        both = Counter((labels[r["id"]], gold[r["text"]]) for r in pool if r["id"] in labels)
        n_gold = sum(gold[r["text"]] == "complaint" for r in pool)
        print(f"complaints-preotiuc2019 posts: {len(pool)}, {n_gold} complaints by the dataset's own labels "
              f"(the complaint head was trained on all of them)")
        print(f"  hand label vs dataset label on the {sum(both.values())} labelled: {dict(both)}")
        for t in sorted({head_threshold('complaint')} | set(GRID)):
            flagged = [r for r in pool if r["scores"]["complaint"] >= t - 1e-9]
            k = sum(gold[r["text"]] == "complaint" for r in flagged)
            print(f"  t = {t:.3f}: {len(flagged)} flagged, {k} dataset complaints, "
                  f"recall {k / n_gold:.3f}, precision {k / max(1, len(flagged)):.3f}")
        print()
    if os.path.exists(os.path.join(OUT, "intent.jsonl")):
        k, m = INTENT_BASE
        p, lo, hi = wilson(k, m)
        print(f"intent base rate from the intent-labelled random pick: {k}/{m} = {100 * p:.2f}% "
              f"[{100 * lo:.2f}%, {100 * hi:.2f}%] -> expected intent posts in {n}: "
              f"{n * p:.1f} [{n * lo:.1f}, {n * hi:.1f}]")


def carry(scored):
    """For another model's review sets: copy the labels the posts already have (a label belongs to
    the post, whichever model flagged it) from the frozen measurement, and list the posts still to
    label in todo-<signal>.jsonl."""
    for signal in SIGNALS:
        earlier = {r["id"]: r for r in read_jsonl(os.path.join(SAMPLE_DIR, f"{signal}.jsonl"))}
        path = os.path.join(OUT, f"{signal}.jsonl")
        done = {r["id"]: r for r in read_jsonl(path)} if os.path.exists(path) else {}
        labelled, todo = [], []
        for r in review_set(scored, signal):
            known = done.get(r["id"]) or earlier.get(r["id"])
            row = {"id": r["id"], "text": r["text"], "source": r["source"], "scores": r["scores"]}
            if known:
                labelled.append({**row, "label": known["label"]})
            else:
                todo.append(row)
        write_jsonl(path, labelled)
        write_jsonl(os.path.join(OUT, f"todo-{signal}.jsonl"), todo)
        print(f"{signal}: {len(labelled)} labels carried over, {len(todo)} to label", file=sys.stderr)


def main():
    global OUT, HEADS, ENCODER, HARK
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("command", choices=["draw", "score", "review", "carry", "check", "report"])
    ap.add_argument("signal", nargs="?", choices=list(SIGNALS))
    ap.add_argument("--data", default=DEFAULT_DATA, help="shared data folder (default: %(default)s)")
    ap.add_argument("--variant", choices=list(VARIANTS), default="frozen",
                    help="which encoder and heads are measured (default: %(default)s)")
    ap.add_argument("--hark", default=HARK, help="the hark binary that scores (default: %(default)s)")
    args = ap.parse_args()
    OUT, HEADS, ENCODER = VARIANTS[args.variant]
    HARK = args.hark
    os.makedirs(OUT, exist_ok=True)
    if args.command == "draw":
        rows, sizes = draw(args.data)
        write_jsonl(os.path.join(SAMPLE_DIR, "sample.jsonl"), rows)
        print(f"eligible posts: {sizes}; drawn: {dict(Counter(r['source'] for r in rows))}", file=sys.stderr)
        return 0
    if args.command == "score":
        scored = score()
        print(f"scored {len(scored)} posts", file=sys.stderr)
        return 0
    scored = read_jsonl(os.path.join(OUT, "scored.jsonl"))
    if args.command == "review":
        if not args.signal:
            ap.error("review needs a signal")
        for r in review_set(scored, args.signal):
            print(json.dumps({"id": r["id"], "s": r["scores"][args.signal], "text": r["text"]}, ensure_ascii=False))
        return 0
    if args.command == "carry":
        carry(scored)
        return 0
    if args.command == "check":
        problems = check(scored)
        for p in problems:
            print(p, file=sys.stderr)
        return 1 if problems else 0
    report(scored, args.data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
