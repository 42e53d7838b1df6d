#!/usr/bin/env python3
"""Pick real look-alike posts (invitations, events, jobs, releases, general questions) to label for intent.

hark research. Python 3 standard library only; deterministic given the input files and the seed.

The intent head flags posts that look like buying questions but are not: invitations phrased as
questions ("Anyone up for a board game night this Friday?"), event announcements, job posts, release
notes and questions about anything but buying. This script finds real posts of those shapes in the
public pools so that they can be read and labelled by hand against docs/labelling-guide.md. The cue
patterns only choose what gets read; they never decide a label (a post caught by a cue can be intent).

Pools (train splits only, from the shared data folder, default ../shared/data next to the repository):
  tweeteval-sentiment/train.jsonl, complaints-preotiuc2019/train.jsonl
Never read: any valid or test split of these pools, airline-complaints (non-commercial licence).

Exclusions (a post is dropped when its loose key, lower-cased letters and digits only without @mentions,
links and HTML entities, equals a banned key, or, for keys of 20+ characters, contains one or is contained
in one; exact texts too):
  - intent-social train.jsonl and valid.jsonl (valid is the intent head's validation data);
  - crates/hark-classifier/data/intent-labelled/*.jsonl (posts labelled already), except this script's
    own output files lookalike-*.jsonl;
  - crates/hark-classifier/data/intent-supplement.jsonl;
  - crates/hark-classifier/data/live-sample/sample.jsonl: a held-out evaluation sample, never trained on;
  - the string literals of crates/hark-classifier/tests/tuned.rs (the look-alike test sentences), by key
    as above and also as near-copies (difflib ratio >= NEAR_RATIO on loose keys, or word-set Jaccard >=
    NEAR_JACCARD).
Near-duplicates among the candidates: only the first post (pool order, then file order) of each loose key
is eligible, and a post whose key (20+ characters) contains or is contained in an earlier eligible one's is
dropped.

Cue groups (each post goes to the first group in GROUP_ORDER whose pattern it matches; "question" also
needs a question mark). Up to PER_GROUP posts per group, drawn with random.Random(SEED) within the group
(both pools together), in GROUP_ORDER.

Round 2 (--round 2, files lookalike2-*.jsonl): round 1 left the intent head flagging invitations asked as
"anyone up for / wanna / fancy ...?" questions, a form its 80 invitations held few of. Round 2 takes every
eligible post of one group, "ask-along" (ROUND2_CUE: someone asking others to come along, join or take up
an offer), up to ROUND2_MAX, in pool and file order, with the exclusions above plus round 1's own files.
Round 1's exclusions leave out round 2's files (they came later).

Usage:
  python3 scripts/research/lookalike_pick.py pick [--round N] [--data DIR] [--out FILE]   # write the candidates
  python3 scripts/research/lookalike_pick.py check [--round N] LABELLED SKIPPED          # labelled + skipped ==
                                                                  # candidates, and no overlap with the exclusions

Candidate lines: {"id", "text", "source": "<dataset>/train", "pick": "lookalike", "cue": group}.
Labelled lines:  {"text", "label": "intent"|"no_intent", "source", "pick", "cue"}, in candidate order.
Skipped lines:   {"text", "source", "pick", "skip": reason}.
"""
import argparse
import difflib
import glob
import json
import os
import random
import re
import sys
from collections import Counter

SEED = 13
PER_GROUP = 80
NEAR_RATIO = 0.8
NEAR_JACCARD = 0.6
POOLS = ["tweeteval-sentiment", "complaints-preotiuc2019"]

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_DATA = os.path.join(os.path.dirname(REPO), "shared", "data")
CLASSIFIER = os.path.join(REPO, "crates", "hark-classifier")
LABELLED_DIR = os.path.join(CLASSIFIER, "data", "intent-labelled")
SUPPLEMENT = os.path.join(CLASSIFIER, "data", "intent-supplement.jsonl")
LIVE_SAMPLE = os.path.join(CLASSIFIER, "data", "live-sample", "sample.jsonl")
TUNED_TESTS = os.path.join(CLASSIFIER, "tests", "tuned.rs")

GROUP_ORDER = ["job", "release", "event", "invitation", "question"]
CUES = {
    "job": re.compile(
        r"\b(hiring|job openings?|apply|vacanc(y|ies)|positions?|job (offer|fair|posting|opportunit\w+))\b",
        re.IGNORECASE),
    "release": re.compile(
        r"\b((is|are) (out|now out)|out now|(just |been |officially )?released|new version|update[sd]?"
        r"|now available|launch(es|ed|ing)?|release notes)\b",
        re.IGNORECASE),
    "event": re.compile(
        r"\b(doors open|tickets? (are |go |now )?on sale|starts at|live music|festival|concert tonight"
        r"|kicks? off at)\b",
        re.IGNORECASE),
    "invitation": re.compile(
        r"\b(any(one|body|1) up for|who wants to|who'?s coming|who is coming|join us|come to|come join"
        r"|let'?s go|wanna come|want to come|party|game night|meet-?up|tonight at|this weekend)\b",
        re.IGNORECASE),
    "question": re.compile(
        r"\b(does any(one|body) know|any(one|body) know|what time|how do (i|you)|what'?s the|who is)\b",
        re.IGNORECASE),
}

ROUND2_CUE = re.compile(
    r"\b(any(one|body|1)( else)? (wanna|want to|fancy|up for|down for|care to|feel like)|who'?s (up|down|in) for"
    r"|who (wants|wanna) (to )?(go|come|join|see))\b",
    re.IGNORECASE)
ROUND2_MAX = 200
# Labelled files each round leaves out of its exclusions: its own (and, for round 1, round 2's).
OWN_PREFIXES = {1: ("lookalike-", "lookalike2-"), 2: ("lookalike2-",)}

_ENTITY = re.compile(r"&[a-z]+;|&#\d+;")
_MENTION = re.compile(r"@\w+")
_LINK = re.compile(r"https?://\S+|www\.\S+")
_WORD = re.compile(r"[a-z0-9']+")


def loose_key(text):
    text = _LINK.sub(" ", _MENTION.sub(" ", _ENTITY.sub(" ", text.lower())))
    return "".join(ch for ch in text if ch.isalnum())


def words(text):
    return set(_WORD.findall(_LINK.sub(" ", _MENTION.sub(" ", text.lower()))))


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def test_sentences():
    """String literals of tests/tuned.rs that are sentences (a space, 15+ characters, no "..." placeholder)."""
    with open(TUNED_TESTS, encoding="utf-8") as f:
        src = f.read()
    lits = re.findall(r'"((?:[^"\\]|\\.)*)"', src)
    return [s for s in lits if " " in s and len(s) >= 15 and "{" not in s and "..." not in s]


class Banned:
    """Exact texts and loose keys to keep out, with containment for keys of 20+ characters."""

    def __init__(self, texts, near=()):
        self.exact = {t.strip() for t in texts}
        self.keys = {loose_key(t) for t in texts}
        self.keys.discard("")
        self.long_keys = [k for k in self.keys if len(k) >= 20]
        self.joined = "\n".join(self.long_keys)
        self.near = [(loose_key(t), words(t)) for t in near]

    def reason(self, text):
        if text.strip() in self.exact:
            return "exact"
        key = loose_key(text)
        if key in self.keys:
            return "key"
        if len(key) >= 20:
            if key in self.joined:  # the candidate inside a banned key (keys hold no newline)
                return "contained"
            if any(k in key for k in self.long_keys):
                return "contains"
        ws = words(text)
        for nk, nw in self.near:
            sm = difflib.SequenceMatcher(None, key, nk)
            if sm.real_quick_ratio() >= NEAR_RATIO and sm.quick_ratio() >= NEAR_RATIO and sm.ratio() >= NEAR_RATIO:
                return "near-test"
            if nw and len(ws & nw) / len(ws | nw) >= NEAR_JACCARD:
                return "near-test"
        return None


def build_banned(data, round_no=1):
    files = [os.path.join(data, "intent-social", "train.jsonl"), os.path.join(data, "intent-social", "valid.jsonl")]
    files += sorted(p for p in glob.glob(os.path.join(LABELLED_DIR, "*.jsonl"))
                    if not os.path.basename(p).startswith(OWN_PREFIXES[round_no]))
    files += [SUPPLEMENT, LIVE_SAMPLE]
    texts = []
    for path in files:
        texts += [r["text"] for r in read_jsonl(path)]
    tests = test_sentences()
    return Banned(texts + tests, near=tests), files, tests


def group_of(text, round_no=1):
    if round_no == 2:
        return "ask-along" if ROUND2_CUE.search(text) else None
    for g in GROUP_ORDER:
        if CUES[g].search(text) and (g != "question" or "?" in text):
            return g
    return None


def groups(round_no):
    return ["ask-along"] if round_no == 2 else GROUP_ORDER


def pick(data, round_no=1):
    banned, files, tests = build_banned(data, round_no)
    seen_keys = set()
    eligible = {g: [] for g in groups(round_no)}
    dropped = Counter()
    long_kept = []
    for pool in POOLS:
        for row in read_jsonl(os.path.join(data, pool, "train.jsonl")):
            text = row["text"].strip()
            key = loose_key(text)
            if not text or not key or key in seen_keys:
                continue
            seen_keys.add(key)
            g = group_of(text, round_no)
            if g is None:
                continue
            why = banned.reason(text)
            if why:
                dropped[why] += 1
                continue
            if len(key) >= 20 and any(key in k or k in key for k in long_kept):
                dropped["near-duplicate"] += 1
                continue
            if len(key) >= 20:
                long_kept.append(key)
            eligible[g].append((pool, row["text"]))
    rng = random.Random(SEED)
    lines = []
    n = 0
    for g in groups(round_no):
        rows = eligible[g]
        if round_no == 2:
            chosen = range(min(ROUND2_MAX, len(rows)))
        else:
            chosen = sorted(rng.sample(range(len(rows)), min(PER_GROUP, len(rows))))
        for i in chosen:
            pool, text = rows[i]
            n += 1
            lines.append({"id": f"l{round_no}{n:04d}" if round_no > 1 else f"l{n:04d}", "text": text,
                          "source": f"{pool}/train", "pick": "lookalike", "cue": g})
    info = {"eligible": {g: len(v) for g, v in eligible.items()}, "dropped": dict(dropped),
            "excluded_files": [os.path.relpath(f, os.path.dirname(REPO)) for f in files],
            "test_sentences": len(tests)}
    return lines, info


def check(candidates, labelled, skipped, banned):
    problems = []
    want = [(c["text"], c["source"], c["pick"]) for c in candidates]
    cue = {(c["text"], c["source"], c["pick"]): c["cue"] for c in candidates}
    for r in labelled:
        if r.get("label") not in ("intent", "no_intent"):
            problems.append(f"bad label {r.get('label')!r}: {r['text'][:60]!r}")
        if set(r) != {"text", "label", "source", "pick", "cue"}:
            problems.append(f"unexpected fields {sorted(r)}: {r['text'][:60]!r}")
        elif cue.get((r["text"], r["source"], r["pick"])) not in (None, r["cue"]):
            problems.append(f"cue differs from the candidate's: {r['text'][:60]!r}")
    for r in skipped:
        if set(r) != {"text", "source", "pick", "skip"}:
            problems.append(f"unexpected skipped fields {sorted(r)}: {r['text'][:60]!r}")
    got_l = [(r["text"], r["source"], r["pick"]) for r in labelled]
    got_s = [(r["text"], r["source"], r["pick"]) for r in skipped]
    if len(set(got_s)) != len(got_s) or len(set(got_l)) != len(got_l):
        problems.append("a post appears twice")
    if set(got_l) & set(got_s):
        problems.append("a post is both labelled and skipped")
    expected = [w for w in want if w not in set(got_s)]
    if got_l != expected:
        missing = set(expected) - set(got_l)
        extra = set(got_l) - set(expected)
        problems.append(f"labelled differs from candidates minus skipped: {len(missing)} missing, "
                        f"{len(extra)} not candidates" + ("" if missing or extra else ", order differs"))
    if not set(got_s) <= set(want):
        problems.append("skipped posts that are not candidates")
    for r in labelled + skipped:
        why = banned.reason(r["text"])
        if why:
            problems.append(f"overlaps the excluded files ({why}): {r['text'][:60]!r}")
    return problems


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("command", choices=["pick", "check"])
    ap.add_argument("labelled", nargs="?")
    ap.add_argument("skipped", nargs="?")
    ap.add_argument("--data", default=DEFAULT_DATA, help="shared data folder (default: %(default)s)")
    ap.add_argument("--out", help="candidates file for `pick` (default: standard output)")
    ap.add_argument("--round", type=int, choices=[1, 2], default=1, help="which round of candidates (default 1)")
    args = ap.parse_intermixed_args()
    lines, info = pick(args.data, args.round)
    if args.command == "pick":
        out = open(args.out, "w", encoding="utf-8") if args.out else sys.stdout
        for line in lines:
            out.write(json.dumps(line, ensure_ascii=False) + "\n")
        if args.out:
            out.close()
        per = Counter(l["cue"] for l in lines)
        print(f"excluded files: {info['excluded_files']} + {info['test_sentences']} test sentences", file=sys.stderr)
        print(f"dropped (cue-matching posts): {info['dropped']}", file=sys.stderr)
        for g in groups(args.round):
            print(f"  {g:<10} eligible {info['eligible'][g]:>5}  picked {per[g]:>3}", file=sys.stderr)
        print(f"  {'total':<10} picked {len(lines)}", file=sys.stderr)
        return 0
    if not (args.labelled and args.skipped):
        ap.error("check needs the labelled and the skipped file")
    labelled = read_jsonl(args.labelled)
    skipped = read_jsonl(args.skipped)
    banned, _, _ = build_banned(args.data, args.round)
    problems = check(lines, labelled, skipped, banned)
    for p in problems:
        print(p, file=sys.stderr)
    print(f"{len(labelled)} labelled + {len(skipped)} skipped = {len(lines)} candidates: "
          f"{'ok' if not problems else 'MISMATCH'}")
    print("labels by cue:", dict(sorted(Counter((r["cue"], r["label"]) for r in labelled).items())))
    print("skipped:", dict(Counter(r["skip"] for r in skipped)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
