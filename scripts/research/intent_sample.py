#!/usr/bin/env python3
"""Pick public posts to label for buying intent, and summarise the labelled result (hark research).

Python 3 standard library only; deterministic given the input files and the seed.

Pools (train splits only, from the shared data folder, default ../shared/data next to the repository):
  tweeteval-sentiment/train.jsonl      (SemEval-2017 Task 4 training tweets, 2013-2016, mixed topics)
  complaints-preotiuc2019/train.jsonl  (tweets to and about brands plus random tweets, 2017-2018)
Never read: airline-complaints (non-commercial licence), any valid or test split, purchase-intent-iphonex
(its labels count praise as intent), and the original public files these splits were cut from.

Exclusions, before anything is drawn:
  - every post of intent-social (train and valid; it is labelled already and its valid file is the
    intent head's validation data), matched exactly and by a loose key (lower-cased letters and digits
    only, without @mentions, links and HTML entities), and also when one loose key contains the other
    (retweets, cropped copies; keys of at least 20 characters);
  - the posts of crates/hark-classifier/data/intent-supplement.jsonl, the same way;
  - near-copies inside a pool: only the first post (file order) of each loose key is eligible.

Picks (random.Random(SEED), one generator, drawn in this order):
  random    a uniform sample of each pool's eligible posts (RANDOM_N per pool): the natural mix, used for
            the base rate of buying intent;
  enriched  from the eligible posts not already drawn, a uniform sample of those matching buying cues, in
            two tiers per pool (ENRICHED_N): "strong" cues (asking for recommendations, prices, comparisons,
            switching, worth it, ...) and "broad" cues (buy, deal, upgrade, vs, tickets, order, plan, ...)
            matched by posts with no strong cue. The cues only choose what gets read; they never decide a
            label, and the look-alike negatives they catch (sports "vs", sellers, events, questions, praise,
            complaints) are kept. Then a third tier, "focused": every remaining eligible post with one of the
            most explicit buying phrases (FOCUSED: should I get, where can I buy, thinking of getting, need a
            new, in stock, how much is, ...), in file order, no sampling.

Usage:
  python3 scripts/research/intent_sample.py pick [--data DIR] [--out FILE]   # write the candidates (JSONL)
  python3 scripts/research/intent_sample.py check LABELLED [SKIPPED]         # labelled + skipped == candidates
  python3 scripts/research/intent_sample.py stats LABELLED [SKIPPED]         # counts, base rate (Wilson 95%)

Candidate lines: {"id", "text", "source": "<dataset>/train", "pick": "random"|"enriched", "tier"}.
Labelled lines:  {"text", "label": "intent"|"no_intent", "source", "pick"} (the candidate order, skipped
posts left out). Skipped lines: {"text", "source", "pick", "skip": reason}.
"""
import argparse
import json
import math
import os
import random
import re
import sys
from collections import Counter

SEED = 13
POOLS = ["tweeteval-sentiment", "complaints-preotiuc2019"]
RANDOM_N = {"tweeteval-sentiment": 300, "complaints-preotiuc2019": 100}
ENRICHED_N = {  # (strong tier, broad tier)
    "tweeteval-sentiment": (200, 100),
    "complaints-preotiuc2019": (40, 60),
}

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_DATA = os.path.join(os.path.dirname(REPO), "shared", "data")
SUPPLEMENT = os.path.join(REPO, "crates", "hark-classifier", "data", "intent-supplement.jsonl")

STRONG = re.compile(
    r"\b(recommend\w*|suggestions?|any(one|body) (know|use|tried|recommend)\w*|looking for|look(ing)? to (buy|get)"
    r"|which (one|is better|should|would)|should i (get|buy|go with|switch)|worth (it|the|buying|getting)"
    r"|how much|price[sd]?|pricing|quotes?|cost(s|ing)?|cheape?s?t?\w*|afford\w*|discount\w*|coupons?"
    r"|switch(ing|ed)? (to|from)|alternatives? to|compar\w*|versus|thinking (of|about) (getting|buying|switching)"
    r"|need a new|want(ing)? to (buy|get|order|book)|where (can|do|should) i (get|buy|find|order)"
    r"|in stock|pre-?order\w*)\b",
    re.IGNORECASE,
)
# The most explicit buying phrases: every eligible post that has one and was not drawn above is added.
FOCUSED = re.compile(
    r"\b(should i (get|buy|go with|switch|order|book)|where (can|do|should) i (get|buy|find|order)"
    r"|(thinking|think) (of|about) (getting|buying|switching)|need a new|want(ing)? to (buy|get|order|book)"
    r"|(gonna|going to|about to|planning to|plan to) (buy|order|book|get (a|an|the|my|some) new)|in stock"
    r"|any(one|body) (know|recommend|suggest)\w* (where|a good|any|what)|recommend (a|an|me|any)"
    r"|looking for (a|an) (good|new|cheap)|which (one|phone|laptop) should|how much (is|are|does|do)"
    r"|worth (buying|getting)|alternatives? to)\b",
    re.IGNORECASE,
)
BROAD = re.compile(
    r"\b(buy\w*|bought|purchas\w*|deals?|upgrad\w*|vs\.?|order\w*|book(ing|ed)?|tickets?|subscri\w*|plans?"
    r"|shop\w*|sale|store|new (phone|laptop|car|tv|iphone)|get (a|an|the) new)\b",
    re.IGNORECASE,
)

_ENTITY = re.compile(r"&[a-z]+;|&#\d+;")
_MENTION = re.compile(r"@\w+")
_LINK = re.compile(r"https?://\S+|www\.\S+")


def loose_key(text):
    text = _LINK.sub(" ", _MENTION.sub(" ", _ENTITY.sub(" ", text.lower())))
    return "".join(ch for ch in text if ch.isalnum())


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


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


def eligible(data, banned):
    """Per pool: eligible posts in file order (first of each loose key, not banned, not empty)."""
    out = {}
    for pool in POOLS:
        seen = set()
        rows = []
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


def pick(data):
    banned_texts = []
    for split in ("train", "valid"):
        banned_texts += [r["text"] for r in read_jsonl(os.path.join(data, "intent-social", f"{split}.jsonl"))]
    if os.path.exists(SUPPLEMENT):
        banned_texts += [r["text"] for r in read_jsonl(SUPPLEMENT)]
    pools = eligible(data, Banned(banned_texts))
    rng = random.Random(SEED)
    candidates = []
    drawn = {pool: set() for pool in POOLS}
    for pool in POOLS:
        for i in rng.sample(range(len(pools[pool])), RANDOM_N[pool]):
            drawn[pool].add(i)
            candidates.append((pool, "random", "-", pools[pool][i]))
    for pool in POOLS:
        rest = [i for i in range(len(pools[pool])) if i not in drawn[pool]]
        strong = [i for i in rest if STRONG.search(pools[pool][i])]
        broad = [i for i in rest if not STRONG.search(pools[pool][i]) and BROAD.search(pools[pool][i])]
        n_strong, n_broad = ENRICHED_N[pool]
        for tier, idx, n in (("strong", strong, n_strong), ("broad", broad, n_broad)):
            for i in rng.sample(idx, n):
                drawn[pool].add(i)
                candidates.append((pool, "enriched", tier, pools[pool][i]))
    for pool in POOLS:
        for i, text in enumerate(pools[pool]):
            if i not in drawn[pool] and FOCUSED.search(text):
                candidates.append((pool, "enriched", "focused", text))
    lines = []
    counters = Counter()
    for pool, how, tier, text in candidates:
        counters[how] += 1
        cid = f"{how[0]}{counters[how]:04d}"
        lines.append({"id": cid, "text": text, "source": f"{pool}/train", "pick": how, "tier": tier})
    sizes = {pool: len(rows) for pool, rows in pools.items()}
    return lines, sizes


def check(candidates, labelled, skipped):
    """Labelled and skipped posts together are exactly the candidates, in candidate order."""
    want = [(c["text"], c["source"], c["pick"]) for c in candidates]
    got_l = [(r["text"], r["source"], r["pick"]) for r in labelled]
    got_s = {(r["text"], r["source"], r["pick"]) for r in skipped}
    problems = []
    for r in labelled:
        if r.get("label") not in ("intent", "no_intent"):
            problems.append(f"bad label: {r.get('label')!r} for {r['text'][:60]!r}")
        if set(r) != {"text", "label", "source", "pick"}:
            problems.append(f"unexpected fields {sorted(r)} for {r['text'][:60]!r}")
    expected_l = [w for w in want if w not in got_s]
    if got_l != expected_l:
        missing = set(expected_l) - set(got_l)
        extra = set(got_l) - set(expected_l)
        problems.append(f"labelled file differs from candidates minus skipped: {len(missing)} missing, "
                        f"{len(extra)} not candidates, order {'differs' if not missing and not extra else '?'}")
    if not got_s <= set(want):
        problems.append("skipped posts that are not candidates")
    return problems


def wilson(k, n, z=1.959964):
    if n == 0:
        return (float("nan"),) * 3
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return p, max(0.0, centre - half), min(1.0, centre + half)


def stats(labelled, skipped, candidates):
    table = Counter((r["source"], r["pick"], r["label"]) for r in labelled)
    print("| source | pick | intent | no_intent | total |")
    print("|---|---|---:|---:|---:|")
    for source in sorted({r["source"] for r in labelled}):
        for how in ("random", "enriched"):
            i, n = table[(source, how, "intent")], table[(source, how, "no_intent")]
            print(f"| {source} | {how} | {i} | {n} | {i + n} |")
    li = Counter(r["label"] for r in labelled)
    print(f"| all | all | {li['intent']} | {li['no_intent']} | {len(labelled)} |")
    print()
    tiers = {(c["text"], c["source"], c["pick"]): c["tier"] for c in candidates}
    by_tier = Counter((r["source"], tiers.get((r["text"], r["source"], r["pick"]), "?"), r["label"])
                      for r in labelled if r["pick"] == "enriched")
    print("| source | tier | intent | no_intent |")
    print("|---|---|---:|---:|")
    for source in sorted({r["source"] for r in labelled}):
        for tier in ("strong", "broad", "focused"):
            print(f"| {source} | {tier} | {by_tier[(source, tier, 'intent')]} | {by_tier[(source, tier, 'no_intent')]} |")
    print()
    print("skipped:", dict(Counter((r["source"], r["pick"], r["skip"]) for r in skipped)))
    print()
    print("intent rate in the random pick (Wilson 95% interval):")
    groups = [(s, [r for r in labelled if r["pick"] == "random" and r["source"] == s])
              for s in sorted({r["source"] for r in labelled})]
    groups.append(("both pools", [r for r in labelled if r["pick"] == "random"]))
    for name, rows in groups:
        k = sum(r["label"] == "intent" for r in rows)
        p, lo, hi = wilson(k, len(rows))
        print(f"  {name}: {k}/{len(rows)} = {100 * p:.1f}% [{100 * lo:.1f}%, {100 * hi:.1f}%]")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("command", choices=["pick", "check", "stats"])
    ap.add_argument("labelled", nargs="?")
    ap.add_argument("skipped", nargs="?")
    ap.add_argument("--data", default=DEFAULT_DATA, help="shared data folder (default: %(default)s)")
    ap.add_argument("--out", help="candidates file for `pick` (default: standard output)")
    args = ap.parse_args()
    if args.command == "pick":
        lines, sizes = pick(args.data)
        out = open(args.out, "w", encoding="utf-8") if args.out else sys.stdout
        for line in lines:
            out.write(json.dumps(line, ensure_ascii=False) + "\n")
        if args.out:
            out.close()
        print(f"eligible posts: {sizes}; candidates: {dict(Counter(l['pick'] for l in lines))}", file=sys.stderr)
        return 0
    if not args.labelled:
        ap.error(f"{args.command} needs the labelled file")
    labelled = read_jsonl(args.labelled)
    skipped = read_jsonl(args.skipped) if args.skipped else []
    candidates, _ = pick(args.data)
    if args.command == "check":
        problems = check(candidates, labelled, skipped)
        for p in problems:
            print(p, file=sys.stderr)
        print(f"{len(labelled)} labelled + {len(skipped)} skipped = {len(candidates)} candidates: "
              f"{'ok' if not problems else 'MISMATCH'}")
        return 1 if problems else 0
    stats(labelled, skipped, candidates)
    return 0


if __name__ == "__main__":
    sys.exit(main())
