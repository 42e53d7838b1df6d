#!/usr/bin/env python3
"""Writes the demo sample (sample/) from the data in this directory.

    python3 scripts/sample/generate.py [--check]

`--files` prints the list of replayed files that crates/hark-app/src/demo.rs compiles in
(its SAMPLE_FILES; a test there fails when the two differ).

The posts (posts/*.py) and the customers (world.py) are written by hand; this script gives them
times, ids, authors and URLs with a fixed seed and writes, under sample/:

- replay/<kind>/...: what each source's API (or page, or feed) answers, in that source's wire
  format, page by page, as the replay server of `hark demo` serves it;
- replay/replay.json: the demo's sources (one per kind, in hark.toml terms) and the routes
  of the replay server: which file answers which request, before or after the demo's clock
  moves on (the demo pulls every source once, lets the sources "grow" by the posts of the
  second stage, pulls again, which walks the new pages from the cursors, then pulls a third
  time, which finds nothing new);
- customers.csv: the CRM export (the columns `hark import customers` reads);
- mentions.jsonl: every post as mention JSONL (`hark ingest`, `hark bench classify`);
- expected.json: counts and the known cases the tests rely on.

Python 3 standard library only; the same data always gives the same bytes. `--check` writes
nothing and fails when a file would change.
"""

import argparse
import csv
import datetime as dt
import hashlib
import html
import io
import json
import random
import re
import sys
import urllib.parse
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SAMPLE = ROOT / "sample"
sys.dont_write_bytecode = True  # nothing written next to the data
sys.path.insert(0, str(HERE))

import world  # noqa: E402
from posts import bluesky, feeds, forum, hackernews, mastodon, reddit, stackexchange  # noqa: E402

SEED = 20261205
UTC = dt.timezone.utc
YEAR = 2026
# Posts before this moment are there for the demo's first pull; the rest arrive before the second.
STAGE_TWO = dt.datetime(2026, 11, 21, tzinfo=UTC)
CUSTOMER_COUNT = 200

# Page sizes of the replayed sources (the servers may answer fewer items than asked for).
REDDIT_PAGE = 25
MASTODON_PAGE = 40
STACKEXCHANGE_PAGE = 20
FORUM_PAGE = 8

FORUM_HOST = "https://community.acmecrm-users.example"
REVIEWS_SITE = "https://reviews.softcompare.example"
GOOGLE_ALERT = "/alerts/feeds/10429847562019384756/4411923311"
REVIEWS_FEED = "/products/acme-crm/reviews/feed.rss"
MASTODON_SERVER = "fosstodon.org"
MASTODON_TAGS = ["acmecrm", "acmeinbox"]
BLUESKY_QUERIES = ["acme crm", "acme inbox", "acme sync"]
BLUESKY_TAGS = ["acmecrm"]
SUBREDDITS = ["CRM", "sales", "smallbusiness"]
REDDIT_PATH = "/r/" + "+".join(s.lower() for s in SUBREDDITS)

rng = random.Random(SEED)


# ---------------------------------------------------------------------------------------------
# Helpers

def unix(moment):
    return int(moment.timestamp())


def iso_z(moment, millis=True):
    if millis:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def rfc822(moment):
    return moment.strftime("%a, %d %b %Y %H:%M:%S +0000")


def slugify(text, limit=50):
    words = re.sub(r"[^a-z0-9]+", " ", text.lower()).split()
    out = ""
    for word in words:
        candidate = f"{out}_{word}" if out else word
        if len(candidate) > limit:
            break
        out = candidate
    return out or "post"


def base36(number):
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while number:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
    return out or "0"


def tid(moment, clock):
    """An AT Protocol TID: microseconds and a clock id, base32-sortable."""
    alphabet = "234567abcdefghijklmnopqrstuvwxyz"
    value = (unix(moment) * 1_000_000 + moment.microsecond) << 10 | (clock & 0x3FF)
    out = ""
    for _ in range(13):
        value, rest = divmod(value, 32)
        out = alphabet[rest] + out
    return out


def digest(*parts, length=12):
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:length]


def paragraphs(text):
    return [block.strip("\n") for block in re.split(r"\n\s*\n", text.strip()) if block.strip()]


def inline(text):
    """Escaped text with `code` spans as <code>, as Markdown renders them."""
    parts = text.split("`")
    if len(parts) % 2 == 0:
        return html.escape(text, quote=False)
    return "".join(html.escape(part, quote=False) if i % 2 == 0 else f"<code>{html.escape(part, quote=False)}</code>"
                   for i, part in enumerate(parts))


def render_html(text, code_blocks=False):
    """Plain text with blank-line paragraphs → HTML (lists and, on request, indented code)."""
    out = []
    for block in paragraphs(text):
        lines = block.split("\n")
        if code_blocks and all(line.startswith("    ") for line in lines):
            code = "\n".join(line[4:] for line in lines)
            out.append(f"<pre><code>{html.escape(code, quote=False)}\n</code></pre>")
        elif all(re.match(r"^- ", line) for line in lines):
            items = "".join(f"<li>{inline(line[2:])}</li>" for line in lines)
            out.append(f"<ul>\n{items}\n</ul>")
        elif all(re.match(r"^\d+\. ", line) for line in lines):
            items = "".join(f"<li>{inline(line.split('. ', 1)[1])}</li>" for line in lines)
            out.append(f"<ol>\n{items}\n</ol>")
        else:
            out.append("<p>" + inline(block).replace("\n", "<br>") + "</p>")
    return "\n".join(out)


def hn_escape(text):
    """Hacker News' HTML: entities for quotes, apostrophes and slashes, <p> between paragraphs."""
    escaped = [html.escape(block).replace("/", "&#x2F;").replace("\n", " ") for block in paragraphs(text)]
    return "<p>".join(escaped)


def json_text(value, mastodon_style=False):
    text = json.dumps(value, ensure_ascii=not mastodon_style)
    if mastodon_style:
        # Mastodon escapes markup characters inside JSON strings.
        text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return text + "\n"


# ---------------------------------------------------------------------------------------------
# People

CUSTOMERS = world.customers(CUSTOMER_COUNT, SEED)
BY_KEY = {c["key"]: c for c in CUSTOMERS if c["key"]}
CUSTOMER_NAMES = {c["name"].lower() for c in CUSTOMERS}

REDDIT_ADJ = ["Dull", "Quiet", "Brave", "Fuzzy", "Clever", "Rusty", "Sunny", "Lazy", "Odd", "Swift", "Tidy",
              "Grumpy", "Hungry", "Curious", "Plain", "Steady"]
REDDIT_NOUN = ["Lettuce", "Otter", "Spreadsheet", "Pipeline", "Falcon", "Kettle", "Ledger", "Walrus", "Teapot",
               "Invoice", "Badger", "Cactus", "Lantern", "Pancake", "Marmot", "Anchor"]
REDDIT_NAMED = ["northloop_sales", "smb_owner_jess", "throwaway_crm_2026", "ops_by_accident", "quota_crusher_88",
                "landscaper_dave", "bakery_books", "fieldsales_fran", "midwest_msp", "solo_consult_kt",
                "revops_rachelle", "pm_of_rentals", "hvac_hank", "nonprofit_nerd", "agency_ops_lee"]
HN_HANDLES = ["quietbuilder", "mtnfounder", "pdxops", "bytegarden", "fenwick", "leafsprout", "cstross_fan",
              "dataplumber", "nullhypothesis", "tsvmonk", "arcadian", "hollowpoint", "kestrel9", "ohmygrep",
              "saltyops", "rivetjoint", "stackfold", "pnwdev", "amberlamp", "gruntwork", "lowlatency",
              "mdeltas", "thrwawy2026", "oldmainframer", "jkbuilds"]
MASTODON_PEOPLE = [("rosa", "mastodon.social", "Rosa Quintero"), ("devnull", "hachyderm.example", "dev/null"),
                   ("jkl", "fosstodon.org", "Jo K. L."), ("marisol", "mastodon.social", "Marisol 🌻"),
                   ("tobi", "chaos.example", "Tobi"), ("kvetch", "fosstodon.org", "Kate Vetch"),
                   ("ops_anna", "mastodon.social", "Anna (ops)"), ("bram", "mastodon.example", "Bram de Wit"),
                   ("ferns", "fosstodon.org", "Fern S."), ("lucas_pm", "hachyderm.example", "Lucas Ferraz"),
                   ("ingeborg", "chaos.example", "Ingeborg"), ("sol", "mastodon.social", "Sol Ibáñez"),
                   ("teacups", "fosstodon.org", "teacups"), ("nadir", "mastodon.social", "Nadir Osei"),
                   ("wren", "hachyderm.example", "Wren"), ("pavel", "mastodon.example", "Pavel Horák"),
                   ("cass", "fosstodon.org", "Cass Whitlow"), ("mira_k", "chaos.example", "Mira K.")]
BLUESKY_PEOPLE = [("rosa-builds.bsky.social", "Rosa • builds things"), ("mkt-kris.bsky.social", "Kris in marketing"),
                  ("jdlr.bsky.social", "Javier de la Rosa"), ("smallbizsam.bsky.social", "Sam's Small Biz"),
                  ("odile.bsky.social", "Odile M."), ("fernhill.studio", "Fernhill Studio"),
                  ("tomasz-k.bsky.social", "Tomasz K."), ("annika.bsky.social", "Annika Holt"),
                  ("revopsgal.bsky.social", "RevOps Gal"), ("pixelpriya.bsky.social", "Pixel P."),
                  ("leo-ops.bsky.social", "Leo"), ("quietquill.bsky.social", "quiet quill"),
                  ("harrow.bsky.social", "Ned Harrow"), ("kitsune.bsky.social", "Kitsune 🦊"),
                  ("bjarne.bsky.social", "Bjarne Lund"), ("supportsoph.bsky.social", "Soph (support)")]
SE_PEOPLE = [(1120934, "Marco V.", 1840), (3391022, "user3391022", 31), (558210, "dbrennan", 12400),
             (9902144, "Ayesha Q", 205), (2247719, "Pieter Jansen", 3870), (6610393, "kt_dev", 611),
             (4478120, "Hiroshi M.", 2290), (8820041, "Nora Lindahl", 94), (1573320, "codewright", 25980),
             (7001256, "Felipe R", 412), (5238870, "J. Okonkwo", 1377), (9455102, "user9455102", 8),
             (3016645, "Ilse", 760), (2109983, "ramsey_b", 5120)]

def reddit_pool():
    named = list(REDDIT_NAMED)
    generated = [f"{rng.choice(REDDIT_ADJ)}-{rng.choice(REDDIT_NOUN)}-{rng.randint(1000, 9999)}" for _ in range(30)]
    return named + generated


POOLS = {
    "reddit": reddit_pool(),
    "hackernews": HN_HANDLES,
    "mastodon": MASTODON_PEOPLE,
    "bluesky": BLUESKY_PEOPLE,
    "stackexchange": SE_PEOPLE,
}


def pick_stranger(kind):
    pool = POOLS[kind]
    # A few regulars post more often than the rest.
    weights = [2 if i < 3 else 1 for i in range(len(pool))]
    return rng.choices(pool, weights=weights)[0]


def customer_handle(customer, kind):
    raw = customer["handles"].get(kind)
    if raw is None:
        return None
    if kind == "reddit":
        return raw.removeprefix("u/")
    if kind == "mastodon":
        user, server = raw.lstrip("@").split("@")
        return user, server
    if kind == "stackexchange":
        return int(raw.split("/users/")[1].split("/")[0])
    return raw


def author_of(post, kind):
    """(kind-specific author data, customer or None)."""
    by = post.get("by")
    if by and by.startswith("c:"):
        customer = BY_KEY[by[2:]]
        handle = customer_handle(customer, kind)
        if kind == "mastodon":
            return (handle[0], handle[1], customer["name"]), customer
        if kind == "bluesky":
            return (handle, customer["name"]), customer
        if kind == "stackexchange":
            return (handle, customer["name"], rng.randint(150, 4000)), customer
        if handle is None:
            raise SystemExit(f"{post.get('key') or post['text'][:40]}: customer {by} has no {kind} handle")
        return handle, customer
    if by and by.startswith("staff:"):
        return by[6:], None
    if by:
        return by, None
    return pick_stranger(kind), None


# ---------------------------------------------------------------------------------------------
# Time

def assign_times(posts, kind):
    """Gives each post a moment on its day, in list order within a day; replies after parents."""
    by_day = {}
    day = "11-06"
    for post in posts:
        day = post.get("d", day)
        by_day.setdefault(day, []).append(post)
    for day, group in by_day.items():
        month, date = (int(part) for part in day.split("-"))
        start = dt.datetime(YEAR, month, date, 6, 30, tzinfo=UTC)
        minutes = sorted(rng.sample(range(0, 16 * 60), len(group)))
        for post, minute in zip(group, minutes):
            post["at"] = start + dt.timedelta(minutes=minute, seconds=rng.randint(0, 59),
                                              microseconds=rng.randint(0, 999) * 1000)
    for post in posts:
        post["kind"] = kind
        post["stage"] = 1 if post["at"] < STAGE_TWO else 2


def after_parent(post, parent):
    if post["at"] <= parent["at"]:
        post["at"] = parent["at"] + dt.timedelta(minutes=rng.randint(7, 160), seconds=rng.randint(0, 59))
    post["stage"] = 1 if post["at"] < STAGE_TWO else 2


# ---------------------------------------------------------------------------------------------
# Output

class Output:
    def __init__(self):
        self.files = {}
        self.routes = []

    def file(self, name, text):
        assert name not in self.files, name
        self.files[name] = text

    def route(self, kind, path, stage, name, text, content_type, query=None, headers=None):
        self.file(f"replay/{name}", text)
        self.routes.append(dict(kind=kind, path=path, stage=stage, query=query or {}, file=name,
                                content_type=content_type, headers=headers or []))


OUT = Output()
ALL_POSTS = []  # every post, with kind, ids, url, stage
KEYS = {}


def register(post):
    ALL_POSTS.append(post)
    if post.get("key"):
        assert post["key"] not in KEYS, post["key"]
        KEYS[post["key"]] = post


def staged_pages(items, size):
    """`items` (newest first) cut in pages of `size`."""
    return [items[i:i + size] for i in range(0, len(items), size)] or [[]]


# ---------------------------------------------------------------------------------------------
# Reddit

def reddit_build():
    subs = reddit.SUBMISSIONS
    comments = reddit.COMMENTS
    assign_times(subs, "reddit")
    assign_times(comments, "reddit")
    by_key = {p["key"]: p for p in subs if p.get("key")}
    seq = 0
    for post in sorted(subs + comments, key=lambda p: p["at"]):
        parent = by_key.get(post.get("parent")) if post.get("parent") else None
        if parent is not None:
            after_parent(post, parent)
    for post in sorted(subs + comments, key=lambda p: p["at"]):
        seq += 1
        post["rid"] = base36(int("1qa0000", 36) + (unix(post["at"]) - unix(dt.datetime(2026, 11, 1, tzinfo=UTC))) // 10 * 10 + seq % 10)
    assert len({p["rid"] for p in subs + comments}) == len(subs + comments), "reddit ids collide"
    for post in subs:
        post["name"] = "t3_" + post["rid"]
        post["sub"] = post.get("sub", "CRM")
        post["permalink"] = f"/r/{post['sub']}/comments/{post['rid']}/{slugify(post['title'])}/"
        post["url"] = "https://www.reddit.com" + post["permalink"].rstrip("/")
        post["external_id"] = post["name"]
        post["author"], post["customer"] = author_of(post, "reddit")
        post["matches_query"] = True
        register(post)
    for post in comments:
        post["name"] = "t1_" + post["rid"]
        if post.get("parent"):
            parent = by_key[post["parent"]]
            link_id, title, sub = parent["name"], parent["title"], parent["sub"]
        else:
            link_id, title, sub = post["thread"]
        post["link_id"], post["link_title"], post["sub"] = link_id, title, sub
        post["permalink"] = f"/r/{sub}/comments/{link_id[3:]}/{slugify(title)}/{post['rid']}/"
        post["url"] = "https://www.reddit.com" + post["permalink"].rstrip("/")
        post["external_id"] = post["name"]
        post["author"], post["customer"] = author_of(post, "reddit")
        post["matches_query"] = "acme" in post["text"].lower()
        if post["matches_query"]:
            register(post)
    return subs, comments


def reddit_thing(post):
    at = post["at"]
    data = {
        "subreddit": post["sub"],
        "subreddit_name_prefixed": f"r/{post['sub']}",
        "subreddit_type": "public",
        "id": post["rid"],
        "name": post["name"],
        "author": post["author"],
        "author_fullname": "t2_" + digest("reddit", post["author"], length=8),
        "created": float(unix(at)),
        "created_utc": float(unix(at)),
        "score": rng.randint(1, 120),
        "ups": None,
        "edited": False,
        "permalink": post["permalink"],
        "removed_by_category": None,
        "distinguished": None,
        "stickied": False,
        "locked": False,
    }
    data["ups"] = data["score"]
    if post["name"].startswith("t3_"):
        data.update({
            "title": post["title"],
            "selftext": post["text"],
            "selftext_html": '<!-- SC_OFF --><div class="md">' + render_html(post["text"]) + "</div><!-- SC_ON -->",
            "url": "https://www.reddit.com" + post["permalink"],
            "domain": f"self.{post['sub']}",
            "is_self": True,
            "num_comments": rng.randint(0, 60),
            "upvote_ratio": round(rng.uniform(0.6, 0.99), 2),
            "link_flair_text": rng.choice([None, "Question", "Discussion", "Support", "Vendor news"]),
            "over_18": False,
        })
        return {"kind": "t3", "data": data}
    data.update({
        "body": post["text"],
        "body_html": '<div class="md">' + render_html(post["text"]) + "</div>",
        "link_id": post["link_id"],
        "parent_id": post["link_id"],
        "link_title": post["link_title"],
        "is_submitter": False,
        "controversiality": 0,
        "depth": 0,
    })
    return {"kind": "t1", "data": data}


def reddit_listing(items, after):
    return {"kind": "Listing", "data": {
        "after": after, "dist": len(items), "modhash": "", "geo_filter": "", "before": None,
        "children": [reddit_thing(post) for post in items]}}


def reddit_target(name, path, items, query):
    """The listing files of one Reddit target, walked as the connector walks them."""
    ordered = sorted(items, key=lambda p: p["at"], reverse=True)
    before = [p for p in ordered if p["stage"] == 1]
    assert len(before) <= REDDIT_PAGE, f"reddit {name}: {len(before)} items before the second stage"
    content_type = "application/json; charset=UTF-8"
    OUT.route("reddit", path, "before", f"reddit/{name}.before.json",
              json_text(reddit_listing(before, None)), content_type, query)
    pages = staged_pages(ordered, REDDIT_PAGE)
    for index, page in enumerate(pages):
        more = index + 1 < len(pages)
        after = page[-1]["name"] if more else None
        condition = dict(query or {})
        if index > 0:
            condition["after"] = pages[index - 1][-1]["name"]
        OUT.route("reddit", path, "after", f"reddit/{name}.after-{index + 1}.json",
                  json_text(reddit_listing(page, after)), content_type, condition)
        # The connector walks on while a whole page is new.
        if page[-1]["stage"] == 1 or not more:
            break


def reddit_write(subs, comments):
    reddit_target("search", f"{REDDIT_PATH}/search.json", subs, {"q": "acme"})
    reddit_target("comments", f"{REDDIT_PATH}/comments.json", comments, None)


# ---------------------------------------------------------------------------------------------
# Hacker News

def hackernews_build():
    items = hackernews.ITEMS
    assign_times(items, "hackernews")
    keyed = {p["key"]: p for p in items if p.get("key")}
    for post in items:
        if post.get("parent"):
            after_parent(post, keyed[post["parent"]])
    base = dt.datetime(2026, 11, 1, tzinfo=UTC)
    for seq, post in enumerate(sorted(items, key=lambda p: p["at"])):
        post["oid"] = 46_100_000 + (unix(post["at"]) - unix(base)) // 60 * 7 + seq % 7
    assert len({p["oid"] for p in items}) == len(items), "hacker news ids collide"
    for post in items:
        is_story = not post.get("parent")
        post["is_story"] = is_story
        post["external_id"] = str(post["oid"])
        post["url"] = f"https://news.ycombinator.com/item?id={post['oid']}"
        post["author"], post["customer"] = author_of(post, "hackernews")
        if is_story:
            post["story"] = post
        else:
            parent = keyed[post["parent"]]
            post["parent_post"] = parent
            post["story"] = parent["story"] if parent.get("story") else parent
        register(post)
    return items


def hn_hit(post):
    at = post["at"]
    story = post["story"]
    tags = ["story" if post["is_story"] else "comment", f"author_{post['author']}", f"story_{story['oid']}"]
    if post["is_story"] and post.get("title", "").startswith(("Ask HN", "Show HN")):
        tags.insert(1, "ask_hn" if post["title"].startswith("Ask HN") else "show_hn")
    hit = {
        "_highlightResult": {},
        "_tags": tags,
        "author": post["author"],
        "children": [],
        "created_at": iso_z(at, millis=False),
        "created_at_i": unix(at),
        "objectID": str(post["oid"]),
        "updated_at": iso_z(at + dt.timedelta(minutes=5), millis=False),
    }
    if post["is_story"]:
        text = post.get("html") or (hn_escape(post["text"]) if post["text"] else None)
        hit.update({"num_comments": rng.randint(0, 140), "points": rng.randint(2, 480), "story_id": post["oid"],
                    "title": post["title"], "url": post.get("link"), "story_text": text})
    else:
        hit.update({"comment_text": post.get("html") or hn_escape(post["text"]),
                    "parent_id": post["parent_post"]["oid"], "story_id": story["oid"],
                    "story_title": story["title"], "story_url": story.get("link")})
    return hit


def hn_response(items, query, filters=None):
    hits = [hn_hit(p) for p in sorted(items, key=lambda p: p["at"], reverse=True)]
    params = f"query={urllib.parse.quote(query)}&tags=(story,comment)&hitsPerPage=100"
    if filters:
        params += "&numericFilters=" + urllib.parse.quote(filters)
    return {
        "exhaustive": {"nbHits": True, "typo": True},
        "exhaustiveNbHits": True,
        "exhaustiveTypo": True,
        "hits": hits,
        "hitsPerPage": 100,
        "nbHits": len(hits),
        "nbPages": 1 if hits else 0,
        "page": 0,
        "params": params,
        "processingTimeMS": rng.randint(1, 9),
        "query": query,
        "serverTimeMS": rng.randint(2, 14),
    }


def hackernews_write(items):
    path = "/api/v1/search_by_date"
    content_type = "application/json; charset=utf-8"
    before = [p for p in items if p["stage"] == 1]
    assert len(before) <= 100
    OUT.route("hackernews", path, "before", "hackernews/search_by_date.before.json",
              json_text(hn_response(before, "acme")), content_type, {"query": "acme"})
    since = max(unix(p["at"]) for p in before)
    window = [p for p in items if unix(p["at"]) >= since]
    assert len(window) <= 100
    OUT.route("hackernews", path, "after", "hackernews/search_by_date.after.json",
              json_text(hn_response(window, "acme", f"created_at_i>={since}")), content_type, {"query": "acme"})
    newest = max(unix(p["at"]) for p in items)
    latest = [p for p in items if unix(p["at"]) >= newest]
    OUT.route("hackernews", path, "after", "hackernews/search_by_date.caught-up.json",
              json_text(hn_response(latest, "acme", f"created_at_i>={newest}")), content_type,
              {"query": "acme", "numericFilters": f"created_at_i>={newest}"})


# ---------------------------------------------------------------------------------------------
# Mastodon

def mastodon_build():
    statuses = mastodon.STATUSES
    assign_times(statuses, "mastodon")
    for seq, post in enumerate(sorted(statuses, key=lambda p: p["at"])):
        post["sid"] = str((int(post["at"].timestamp() * 1000) << 16) + seq)
    for post in statuses:
        (user, server, display), customer = author_of(post, "mastodon")
        post["author"], post["customer"] = (user, server, display), customer
        post["tags"] = post.get("tags", ["acmecrm"])
        post["uri"] = f"https://{server}/users/{user}/statuses/{post['sid']}"
        post["url"] = f"https://{server}/@{user}/{post['sid']}"
        post["external_id"] = post["uri"]
        register(post)
    return statuses


def mastodon_status(post):
    user, server, display = post["author"]
    local = server == MASTODON_SERVER
    tags_html = " ".join(
        f'<a href="https://{MASTODON_SERVER}/tags/{tag}" class="mention hashtag" rel="tag">#<span>{tag}</span></a>'
        for tag in post["tags"])
    if post.get("html"):
        content = post["html"]
    else:
        blocks = [html.escape(block).replace("\n", "<br>") for block in paragraphs(post["text"])]
        blocks[-1] = f"{blocks[-1]} {tags_html}"
        content = "".join(f"<p>{block}</p>" for block in blocks)
    account_id = str(int(digest("mastodon", user, server, length=10), 16) % 10**15)
    return {
        "id": post["sid"],
        "created_at": iso_z(post["at"]),
        "in_reply_to_id": None,
        "in_reply_to_account_id": None,
        "sensitive": False,
        "spoiler_text": "",
        "visibility": "public",
        "language": "en",
        "uri": post["uri"],
        "url": post["url"],
        "replies_count": rng.randint(0, 12),
        "reblogs_count": rng.randint(0, 20),
        "favourites_count": rng.randint(0, 60),
        "edited_at": None,
        "content": content,
        "reblog": None,
        "application": None if not local else {"name": "Web", "website": None},
        "account": {
            "id": account_id,
            "username": user,
            "acct": user if local else f"{user}@{server}",
            "display_name": display,
            "locked": False,
            "bot": False,
            "discoverable": True,
            "group": False,
            "created_at": "2022-11-07T00:00:00.000Z",
            "note": "",
            "url": f"https://{server}/@{user}",
            "uri": f"https://{server}/users/{user}",
            "avatar": f"https://cdn.{MASTODON_SERVER}/avatars/{account_id}.png",
            "avatar_static": f"https://cdn.{MASTODON_SERVER}/avatars/{account_id}.png",
            "header": "",
            "header_static": "",
            "followers_count": rng.choice([12, 85, 240, 431, 1290, 3400]),
            "following_count": rng.randint(20, 600),
            "statuses_count": rng.randint(40, 9000),
            "last_status_at": post["at"].strftime("%Y-%m-%d"),
            "emojis": [],
            "fields": [],
        },
        "media_attachments": [],
        "mentions": [],
        "tags": [{"name": tag, "url": f"https://{MASTODON_SERVER}/tags/{tag}"} for tag in post["tags"]],
        "emojis": [],
        "card": None,
        "poll": None,
    }


def mastodon_links(tag, page):
    if not page:
        return []
    base = "{base}" + f"/api/v1/timelines/tag/{tag}"
    return [["Link", f'<{base}?limit={MASTODON_PAGE}&max_id={page[-1]["sid"]}>; rel="next", '
                     f'<{base}?limit={MASTODON_PAGE}&min_id={page[0]["sid"]}>; rel="prev"']]


def mastodon_write(statuses):
    content_type = "application/json; charset=utf-8"
    for tag in MASTODON_TAGS:
        path = f"/api/v1/timelines/tag/{tag}"
        ordered = sorted((p for p in statuses if tag in p["tags"]), key=lambda p: int(p["sid"]), reverse=True)
        before = [p for p in ordered if p["stage"] == 1]
        assert len(before) <= MASTODON_PAGE, f"#{tag}: {len(before)} statuses before the second stage"
        OUT.route("mastodon", path, "before", f"mastodon/tag_{tag}.before.json",
                  json_text([mastodon_status(p) for p in before], True), content_type,
                  headers=mastodon_links(tag, before))
        # The second pull asks for what is above the first one's newest status, then walks
        # down along rel="next" until a page comes back empty.
        new = [p for p in ordered if p["stage"] == 2]
        pages = staged_pages(new, MASTODON_PAGE) + [[]]
        for index, page in enumerate(pages):
            condition = {"max_id": pages[index - 1][-1]["sid"]} if index else {}
            OUT.route("mastodon", path, "after", f"mastodon/tag_{tag}.after-{index + 1}.json",
                      json_text([mastodon_status(p) for p in page], True), content_type, condition,
                      headers=mastodon_links(tag, page))


# ---------------------------------------------------------------------------------------------
# Bluesky

def bluesky_matches(text, query):
    lowered = text.lower()
    if query.startswith("#"):
        return query.lower() in lowered
    return all(re.search(rf"\b{re.escape(word)}\b", lowered) for word in query.split())


def bluesky_build():
    posts = bluesky.POSTS
    assign_times(posts, "bluesky")
    for seq, post in enumerate(sorted(posts, key=lambda p: p["at"])):
        post["rkey"] = tid(post["at"], seq)
    for post in posts:
        (handle, display), customer = author_of(post, "bluesky")
        post["author"], post["customer"] = (handle, display), customer
        post["did"] = "did:plc:" + digest("bluesky", handle, length=24)
        post["uri"] = f"at://{post['did']}/app.bsky.feed.post/{post['rkey']}"
        post["url"] = f"https://bsky.app/profile/{handle}/post/{post['rkey']}"
        post["external_id"] = post["uri"]
        queries = [q for q in BLUESKY_QUERIES + ["#" + t for t in BLUESKY_TAGS] if bluesky_matches(post["text"], q)]
        assert queries, f"no bluesky search finds: {post['text'][:60]}"
        assert len(post["text"]) <= 300 or post.get("hostile"), post["text"]
        post["queries"] = queries
        register(post)
    return posts


def bluesky_facets(text):
    facets = []
    for match in re.finditer(r"#(\w+)", text):
        start = len(text[:match.start()].encode())
        end = len(text[:match.end()].encode())
        facets.append({"$type": "app.bsky.richtext.facet", "index": {"byteStart": start, "byteEnd": end},
                       "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": match.group(1)}]})
    return facets


def bluesky_post(post):
    handle, display = post["author"]
    record = {"$type": "app.bsky.feed.post", "createdAt": iso_z(post["at"]), "langs": ["en"], "text": post["text"]}
    facets = bluesky_facets(post["text"])
    if facets:
        record["facets"] = facets
    indexed = post["at"] + dt.timedelta(milliseconds=rng.randint(40, 900))
    return {
        "uri": post["uri"],
        "cid": "bafyrei" + digest("cid", post["uri"], length=52),
        "author": {"did": post["did"], "handle": handle, "displayName": display,
                   "avatar": f"https://cdn.bsky.app/img/avatar/plain/{post['did']}/bafkrei{digest('avatar', handle, length=20)}@jpeg",
                   "labels": [], "createdAt": "2023-05-02T10:00:00.000Z"},
        "record": record,
        "replyCount": rng.randint(0, 9),
        "repostCount": rng.randint(0, 14),
        "likeCount": rng.randint(0, 80),
        "quoteCount": rng.randint(0, 3),
        "indexedAt": iso_z(indexed),
        "labels": [],
    }


def bluesky_write(posts):
    path = "/xrpc/app.bsky.feed.searchPosts"
    content_type = "application/json; charset=utf-8"
    for query in BLUESKY_QUERIES + ["#" + t for t in BLUESKY_TAGS]:
        found = sorted((p for p in posts if query in p["queries"]), key=lambda p: p["at"], reverse=True)
        assert len(found) <= 100
        name = slugify(query.replace("#", "tag "), 30).replace("_", "-")
        for stage, items in (("before", [p for p in found if p["stage"] == 1]), ("after", found)):
            OUT.route("bluesky", path, stage, f"bluesky/search_posts.{name}.{stage}.json",
                      json_text({"posts": [bluesky_post(p) for p in items]}), content_type, {"q": query})


# ---------------------------------------------------------------------------------------------
# Stack Exchange

def stackexchange_build():
    questions = stackexchange.QUESTIONS
    assign_times(questions, "stackexchange")
    for seq, post in enumerate(sorted(questions, key=lambda p: p["at"])):
        post["qid"] = 79_985_000 + seq * 37 + rng.randint(0, 30)
    for post in questions:
        (user_id, display, reputation), customer = author_of(post, "stackexchange")
        post["author"], post["customer"] = (user_id, display, reputation), customer
        post["link"] = f"https://stackoverflow.com/questions/{post['qid']}/{slugify(post['title'], 80).replace('_', '-')}"
        post["url"] = post["link"]
        post["external_id"] = f"stackoverflow/q/{post['qid']}"
        register(post)
    return questions


def se_question(post):
    user_id, display, reputation = post["author"]
    created = unix(post["at"])
    return {
        "tags": post.get("tags", ["acme-crm"]),
        "owner": {"account_id": user_id + 713, "reputation": reputation, "user_id": user_id,
                  "user_type": "registered", "profile_image": "https://www.gravatar.com/avatar/0?s=256&d=identicon",
                  "display_name": html.escape(display),
                  "link": f"https://stackoverflow.com/users/{user_id}/{slugify(display, 40).replace('_', '-')}"},
        "is_answered": rng.random() < 0.6,
        "view_count": rng.randint(12, 900),
        "answer_count": rng.randint(0, 4),
        "score": rng.randint(-1, 9),
        "last_activity_date": created + rng.randint(60, 7200),
        "creation_date": created,
        "question_id": post["qid"],
        "content_license": "CC BY-SA 4.0",
        "link": post["link"],
        "title": html.escape(post["title"]).replace("&#x27;", "&#39;"),
        "body": post.get("html") or render_html(post["text"], code_blocks=True),
    }


def se_response(items, has_more, remaining):
    return {"items": [se_question(p) for p in items], "has_more": has_more, "quota_max": 300,
            "quota_remaining": remaining}


def stackexchange_write(questions):
    path = "/2.3/search/advanced"
    content_type = "application/json; charset=utf-8"
    query = {"q": "acme"}
    ordered = sorted(questions, key=lambda p: p["at"], reverse=True)
    before = [p for p in ordered if p["stage"] == 1]
    assert len(before) <= STACKEXCHANGE_PAGE, f"stackexchange: {len(before)} questions before the second stage"
    OUT.route("stackexchange", path, "before", "stackexchange/search_advanced.before.json",
              json_text(se_response(before, False, 297)), content_type, query)
    since = max(unix(p["at"]) for p in before)
    window = [p for p in ordered if unix(p["at"]) >= since]
    pages = staged_pages(window, STACKEXCHANGE_PAGE)
    for index, page in enumerate(pages):
        condition = dict(query)
        if index:
            condition["page"] = str(index + 1)
        OUT.route("stackexchange", path, "after", f"stackexchange/search_advanced.after-{index + 1}.json",
                  json_text(se_response(page, index + 1 < len(pages), 290 - index)), content_type, condition)
    newest = max(unix(p["at"]) for p in questions)
    latest = [p for p in ordered if unix(p["at"]) >= newest]
    OUT.route("stackexchange", path, "after", "stackexchange/search_advanced.caught-up.json",
              json_text(se_response(latest, False, 280)), content_type, dict(query, fromdate=str(newest)))


# ---------------------------------------------------------------------------------------------
# Feeds

def feeds_build():
    alerts = feeds.ALERTS
    reviews = feeds.REVIEWS
    assign_times(alerts, "rss")
    assign_times(reviews, "rss")
    for post in alerts:
        post["feed"] = "alerts"
        post["entry_id"] = "tag:google.com,2013:googlealerts/feed:" + str(int(digest("alert", post["title"], length=15), 16))
        post["external_id"] = post["entry_id"]
        post["author"], post["customer"] = None, None
    for index, post in enumerate(reviews, start=1):
        post["feed"] = "reviews"
        post["review_id"] = 51_200 + index * 17
        post["url"] = f"{REVIEWS_SITE}/products/acme-crm/reviews/{post['review_id']}"
        post["external_id"] = post["url"]
        post["author"] = post["by"]
        customer = next((c for c in CUSTOMERS if c["name"] == post["by"]), None)
        post["customer"] = customer
        register(post)
    return alerts, reviews


def feeds_resolve(alerts):
    """Links to other posts of the sample, now that every post has its URL."""
    for post in alerts:
        link = post["link"]
        if link.startswith("@"):
            target = KEYS[link[1:]]
            post["duplicate_of"] = target
            post["target"] = target.get("permalink", target["url"]) if target["kind"] == "web" else target["url"]
            if target["kind"] == "reddit":
                post["target"] = "https://www.reddit.com" + target["permalink"]
            post["url"] = target["url"]
        else:
            post["target"] = link
            post["url"] = link if link.startswith("http") else None
        register(post)


def google_link(target, entry_id):
    if not target.startswith("http"):
        return target
    query = urllib.parse.urlencode({"rct": "j", "sa": "t", "url": target, "ct": "ga",
                                    "cd": "CAEYACoU" + digest("cd", entry_id, length=24),
                                    "usg": "AOvVaw" + digest("usg", entry_id, length=22)})
    return f"https://www.google.com/url?{query}"


def atom_feed(entries):
    updated = max(p["at"] for p in entries)
    out = ['<?xml version="1.0" encoding="utf-8"?>',
           '<feed xmlns="http://www.w3.org/2005/Atom" xmlns:idx="urn:atom-extension:indexing">',
           "<id>tag:google.com,2005:reader/user/10429847562019384756/state/com.google/alerts/4411923311</id>",
           "<title>Google Alert - &quot;Acme CRM&quot;</title>",
           '<link href="https://www.google.com/alerts/feeds/10429847562019384756/4411923311" rel="self"></link>',
           f"<updated>{iso_z(updated, millis=False)}</updated>"]
    for post in sorted(entries, key=lambda p: p["at"], reverse=True):
        content = post.get("html") or html.escape(post["text"], quote=False).replace("Acme", "<b>Acme</b>", 1)
        out += ["<entry>",
                f"<id>{post['entry_id']}</id>",
                f'<title type="html">{html.escape(post["title"], quote=False)}</title>',
                f'<link href="{html.escape(google_link(post["target"], post["entry_id"]))}"></link>',
                f"<published>{iso_z(post['at'], millis=False)}</published>",
                f"<updated>{iso_z(post['at'], millis=False)}</updated>",
                f'<content type="html">{html.escape(content, quote=False)}</content>',
                "<author><name></name></author>",
                "</entry>"]
    out.append("</feed>")
    return "\n".join(out) + "\n"


def rss_feed(items):
    newest = max(p["at"] for p in items)
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom">',
           "<channel>",
           "<title>Acme CRM reviews | SoftCompare</title>",
           f"<link>{REVIEWS_SITE}/products/acme-crm/reviews</link>",
           f'<atom:link href="{REVIEWS_SITE}{REVIEWS_FEED}" rel="self" type="application/rss+xml"/>',
           "<description>The latest user reviews of Acme CRM</description>",
           "<language>en-us</language>",
           f"<lastBuildDate>{rfc822(newest)}</lastBuildDate>",
           "<ttl>60</ttl>"]
    for post in sorted(items, key=lambda p: p["at"], reverse=True):
        description = render_html(post["text"])
        out += ["<item>",
                f"<title>{html.escape(post['title'], quote=False)}</title>",
                f"<link>{post['url']}</link>",
                f'<guid isPermaLink="true">{post["url"]}</guid>',
                f"<pubDate>{rfc822(post['at'])}</pubDate>",
                f"<dc:creator>{html.escape(post['by'], quote=False)}</dc:creator>",
                "<category>Acme CRM</category>",
                f"<description><![CDATA[{description}]]></description>",
                "</item>"]
    out += ["</channel>", "</rss>"]
    return "\n".join(out) + "\n"


def feeds_write(alerts, reviews):
    for name, path, items, render, content_type, keep in (
        ("google_alerts", GOOGLE_ALERT, alerts, atom_feed, "application/atom+xml; charset=utf-8", 20),
        ("reviews", REVIEWS_FEED, reviews, rss_feed, "application/rss+xml; charset=utf-8", 12),
    ):
        before = [p for p in items if p["stage"] == 1]
        # A feed keeps its latest entries: everything new, and the newest of the older ones.
        after = [p for p in items if p["stage"] == 2]
        after += sorted(before, key=lambda p: p["at"], reverse=True)[:max(0, keep - len(after))]
        for stage, entries in (("before", before), ("after", after)):
            newest = max(p["at"] for p in entries)
            headers = [["ETag", '"' + digest(name, stage, length=16) + '"'],
                       ["Last-Modified", newest.strftime("%a, %d %b %Y %H:%M:%S GMT")]]
            OUT.route("rss", path, stage, f"rss/{name}.{stage}.xml", render(entries), content_type, headers=headers)


# ---------------------------------------------------------------------------------------------
# The forum

def forum_build():
    threads = forum.THREADS
    everything = []
    for thread in threads:
        posts = thread["posts"]
        assign_times(posts, "web")
        previous = None
        for post in posts:
            if previous is not None:
                after_parent(post, previous)
            previous = post
        for index, post in enumerate(posts):
            post["thread"] = thread
            post["index"] = index
        everything += posts
    for seq, post in enumerate(sorted(everything, key=lambda p: p["at"])):
        post["pid"] = 88_000 + seq * 3 + rng.randint(0, 2)
    for post in everything:
        by = post["by"]
        if by.startswith("c:"):
            post["customer"] = BY_KEY[by[2:]]
            post["author"] = post.get("as_") or post["customer"]["name"]
        else:
            post["customer"] = None
            post["author"] = by
        canonical = f"{FORUM_HOST}/posts/{post['pid']}/"
        post["permalink"] = post.get("permalink", canonical)
        if post["permalink"].startswith("http"):
            post["url"] = canonical.rstrip("/")
            post["external_id"] = post["url"]
        else:
            post["url"] = None
            post["external_id"] = None  # the connector makes one from the page and the text
        register(post)
    return threads


def forum_article(post):
    thread = post["thread"]
    quote = ""
    if post.get("quote") is not None:
        quoted = thread["posts"][post["quote"]]
        first = paragraphs(quoted["text"])[0]
        quote = (f'    <blockquote class="bbCodeBlock bbCodeBlock--quote" data-quote="{html.escape(quoted["author"])}">'
                 f"{html.escape(first, quote=False)}</blockquote>\n")
    body = post.get("html") or render_html(post["text"])
    date = post["at"].strftime("%b %d, %Y").replace(" 0", " ")
    return (f'<article class="message" id="post-{post["pid"]}" data-author="{html.escape(post["author"])}">\n'
            f'  <header class="message-attribution">\n'
            f'    <span class="message-author">{html.escape(post["author"], quote=False)}</span>\n'
            f'    <a class="message-permalink" href="{html.escape(post["permalink"])}">'
            f'<time datetime="{post["at"].strftime("%Y-%m-%dT%H:%M:%S+00:00")}">{date}</time></a>\n'
            f"  </header>\n"
            f'  <div class="message-body">\n{quote}    {body}\n  </div>\n'
            f"</article>\n")


def forum_page(thread, page_posts, number, pages):
    base = f"/community/threads/{thread['slug']}.{thread['id']}/"
    nav = []
    if number > 1:
        previous = base if number == 2 else f"{base}page-{number - 1}"
        nav.append(f'<a class="pageNav-jump pageNav-jump--prev" href="{previous}">Prev</a>')
    for other in range(1, pages + 1):
        href = base if other == 1 else f"{base}page-{other}"
        current = ' pageNav-page--current' if other == number else ""
        nav.append(f'<a class="pageNav-page{current}" href="{href}">{other}</a>')
    if number < pages:
        nav.append(f'<a class="pageNav-jump pageNav-jump--next" href="{base}page-{number + 1}">Next</a>')
    title = html.escape(thread["title"], quote=False)
    canonical = f"{FORUM_HOST}/threads/{thread['slug']}.{thread['id']}/" + ("" if number == 1 else f"page-{number}")
    articles = "\n".join(forum_article(post) for post in page_posts)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}{'' if number == 1 else f' | Page {number}'} | Acme CRM Users Community</title>
<link rel="canonical" href="{canonical}">
<script>window.analytics = {{track: function () {{}}}};</script>
<style>.message {{ border: 1px solid #ddd; }}</style>
</head>
<body>
<header class="p-header"><a href="/community/">Acme CRM Users Community</a> &rsaquo; <a href="/community/forums/{thread['forum'].lower().replace(' & ', '-').replace(' ', '-')}/">{html.escape(thread['forum'])}</a></header>
<main class="p-body">
<h1 class="p-title">{title}</h1>
<nav class="pageNav">{' '.join(nav)}</nav>
<div class="block-body">

{articles}
</div>
<nav class="pageNav">{' '.join(nav)}</nav>
</main>
<footer>&copy; 2026 Acme CRM Users Community. Not affiliated with Acme CRM.</footer>
</body>
</html>
"""


def forum_write(threads):
    content_type = "text/html; charset=utf-8"
    for thread in threads:
        base = f"/community/threads/{thread['slug']}.{thread['id']}/"
        versions = {}
        for stage, posts in (("before", [p for p in thread["posts"] if p["stage"] == 1]), ("after", thread["posts"])):
            assert posts, f"thread {thread['id']} has no posts before the second stage"
            pages = staged_pages(posts, FORUM_PAGE)
            for number, page in enumerate(pages, start=1):
                versions.setdefault(number, {})[stage] = forum_page(thread, page, number, len(pages))
        for number, by_stage in versions.items():
            path = base if number == 1 else f"{base}page-{number}"
            name = f"web/{thread['slug']}.{thread['id']}.page-{number}"
            if by_stage.get("before") == by_stage.get("after"):
                OUT.route("web", path, "always", f"{name}.html", by_stage["after"], content_type)
                continue
            for stage, text in sorted(by_stage.items(), reverse=True):
                OUT.route("web", path, stage, f"{name}.{stage}.html", text, content_type)
    OUT.route("web", "/robots.txt", "always", "web/robots.txt",
              "# The forum of the Acme CRM user community.\nUser-agent: *\nDisallow: /community/admin/\n"
              "Disallow: /community/search/\nDisallow: /community/members/\n\nUser-agent: GPTBot\nDisallow: /\n",
              "text/plain")


# ---------------------------------------------------------------------------------------------
# The demo's sources

def sources(threads):
    return [
        {"kind": "reddit", "id": "reddit", "subreddits": SUBREDDITS, "queries": ["acme"], "comments": True},
        {"kind": "hackernews", "id": "hackernews", "queries": ["acme"]},
        {"kind": "mastodon", "id": "fosstodon", "tags": MASTODON_TAGS},
        {"kind": "bluesky", "id": "bluesky", "queries": BLUESKY_QUERIES, "tags": BLUESKY_TAGS},
        {"kind": "stackexchange", "id": "stackoverflow", "site": "stackoverflow", "queries": ["acme"]},
        {"kind": "rss", "id": "feeds", "feeds": ["{base}" + GOOGLE_ALERT, "{base}" + REVIEWS_FEED]},
        {"kind": "web", "id": "acme-forum",
         "pages": [f"{{base}}/community/threads/{t['slug']}.{t['id']}/" for t in threads],
         "selectors": {"item": "article.message", "body": ".message-body", "author": ".message-author",
                       "date": "time", "link": "a.message-permalink", "next": "a.pageNav-jump--next"},
         "max_pages": 5},
    ]


# ---------------------------------------------------------------------------------------------
# Customers, mentions, expectations

def customers_csv():
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    columns = ["crm_id", "name", "email", "company", "domain", "reddit", "hackernews", "mastodon", "bluesky",
               "stackexchange", "products", "tier", "owner"]
    writer.writerow(columns)
    for c in CUSTOMERS:
        handles = c["handles"]
        writer.writerow([c["crm_id"], c["name"], c["email"], c["company"], c["domain"], handles.get("reddit", ""),
                         handles.get("hackernews", ""), handles.get("mastodon", ""), handles.get("bluesky", ""),
                         handles.get("stackexchange", ""), c["products"], c["tier"], c["owner"]])
    return buffer.getvalue()


def author_json(post):
    kind, author = post["kind"], post["author"]
    if kind == "mastodon":
        user, server, display = author
        return {"handle": f"{user}@{server}", "name": display}
    if kind == "bluesky":
        return {"handle": author[0], "name": author[1]}
    if kind == "stackexchange":
        return {"handle": str(author[0]), "name": author[1]}
    if author is None:
        return None
    return {"handle": author, "name": author} if kind in ("reddit", "hackernews") else {"name": author}


def stored(post):
    """Whether the post becomes a mention of its own (not one linked to another source's)."""
    return not post.get("duplicate_of")


def mention_line(post):
    record = {"source": post["kind"], "external_id": post["external_id"] or f"{post['kind']}:{post.get('key')}"}
    if post.get("url"):
        record["url"] = post["url"]
    author = author_json(post)
    if author:
        record["author"] = author
    if post.get("title"):
        record["title"] = re.sub(r"<[^>]+>", "", post["title"])
    record["text"] = post["text"]
    record["published_at"] = iso_z(post["at"], millis=False)
    return json.dumps(record, ensure_ascii=False)


def case(post, **extra):
    out = {"key": post["key"], "kind": post["kind"], "external_id": post["external_id"], "url": post.get("url"),
           "category": post["cat"], "text_starts": post["text"][:60]}
    if post.get("customer"):
        out["crm_id"] = post["customer"]["crm_id"]
    out.update(extra)
    return out


def expected(source_ids):
    mentions = [p for p in ALL_POSTS if stored(p)]
    per_kind = {}
    for post in mentions:
        per_kind[post["kind"]] = per_kind.get(post["kind"], 0) + 1
    known = [p for p in ALL_POSTS if p.get("known")]
    cases = {}
    for post in known:
        cases.setdefault(post["known"], []).append(post)
    duplicates = [p for p in ALL_POSTS if p.get("duplicate_of")]
    categories = {}
    for post in mentions:
        categories[post["cat"]] = categories.get(post["cat"], 0) + 1
    stage_one = sum(1 for p in mentions if p["stage"] == 1)
    return {
        "comment": "Written by scripts/sample/generate.py. Counts are of mentions stored (a post reached through "
                   "two sources counts once); cases name posts the tests look for by source kind and external id.",
        "customers": len(CUSTOMERS),
        "customers_with_handles": sum(1 for c in CUSTOMERS if c["handles"]),
        "mentions": len(mentions),
        "mentions_first_pull": stage_one,
        "mentions_second_pull": len(mentions) - stage_one,
        "linked": len(duplicates),
        "per_kind": dict(sorted(per_kind.items())),
        "per_source": {source_ids[kind]: count for kind, count in sorted(per_kind.items())},
        "per_category": dict(sorted(categories.items())),
        "by_customers": sum(1 for p in mentions if p.get("customer")),
        "cases": {
            "customer_complaint": [case(p, queue="service") for p in cases.get("customer_complaint", [])],
            "stranger_intent": [case(p, queue="sales") for p in cases.get("stranger_intent", [])],
            "chatter": [case(p, queue=None) for p in cases.get("chatter", [])],
            "hostile": [dict(case(p), what=p["hostile"]) for p in ALL_POSTS if p.get("hostile")],
            "hostile_in_queue": [case(p) for p in cases.get("hostile_in_queue", [])],
            "duplicates": [{"url": p["url"], "first": case(p["duplicate_of"]), "also": {"kind": p["kind"],
                            "external_id": p["external_id"]}} for p in duplicates],
        },
        "posts": [{"kind": p["kind"], "external_id": p["external_id"], "category": p["cat"],
                   "complaint": bool(p.get("complaint") or p["cat"] == "complaint"),
                   "intent": bool(p.get("intent") or p["cat"] == "intent"),
                   **({"crm_id": p["customer"]["crm_id"]} if p.get("customer") else {})}
                  for p in mentions if p["external_id"]],
    }


def check_names():
    """No stranger shares a full name with a customer."""
    strangers = [display for _, _, display in MASTODON_PEOPLE] + [display for _, display in BLUESKY_PEOPLE]
    strangers += [display for _, display, _ in SE_PEOPLE] + [p["by"] for p in feeds.REVIEWS]
    for name in strangers:
        customer = next((c for c in CUSTOMERS if c["name"].lower() == name.lower()), None)
        if customer and customer["key"] is None:
            raise SystemExit(f"stranger {name!r} shares a name with customer {customer['crm_id']}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="write nothing; fail when a file would change")
    parser.add_argument("--files", action="store_true",
                        help="print the routed files as the SAMPLE_FILES list of crates/hark-app/src/demo.rs")
    args = parser.parse_args()

    check_names()
    subs, comments = reddit_build()
    hn_items = hackernews_build()
    statuses = mastodon_build()
    bsky = bluesky_build()
    questions = stackexchange_build()
    alerts, reviews = feeds_build()
    threads = forum_build()
    feeds_resolve(alerts)

    reddit_write(subs, comments)
    hackernews_write(hn_items)
    mastodon_write(statuses)
    bluesky_write(bsky)
    stackexchange_write(questions)
    feeds_write(alerts, reviews)
    forum_write(threads)

    demo_sources = sources(threads)
    source_ids = {s["kind"]: s["id"] for s in demo_sources}
    OUT.file("replay/replay.json", json.dumps({
        "comment": "Written by scripts/sample/generate.py: the demo's sources, and which file the replay server "
                   "answers each request with. stage: before (the first pull), after (the later pulls) or always; "
                   "query: parameters a request must carry (the most specific route wins); {base}: the replay "
                   "server's address.",
        "sources": demo_sources,
        "routes": OUT.routes,
    }, indent=1, ensure_ascii=False) + "\n")
    OUT.file("customers.csv", customers_csv())
    OUT.file("mentions.jsonl", "\n".join(mention_line(p) for p in ALL_POSTS if stored(p)) + "\n")
    OUT.file("expected.json", json.dumps(expected(source_ids), indent=1, ensure_ascii=False) + "\n")

    if args.files:
        for route in OUT.routes:
            print(f'    "{route["file"]}",')
        return 0
    changed = []
    for name, text in sorted(OUT.files.items()):
        path = SAMPLE / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            changed.append(name)
            if not args.check:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8")
    stale = sorted(str(p.relative_to(SAMPLE)) for p in (SAMPLE / "replay").rglob("*")
                   if p.is_file() and str(p.relative_to(SAMPLE)) not in OUT.files)
    if args.check:
        if changed or stale:
            print("sample/ is out of date: " + ", ".join(changed + stale), file=sys.stderr)
            return 1
        return 0
    for name in stale:
        (SAMPLE / name).unlink()
    print(f"{len(OUT.files)} files, {len(changed)} changed, {len(stale)} removed; "
          f"{sum(1 for p in ALL_POSTS if stored(p))} mentions, {len(CUSTOMERS)} customers")
    return 0


if __name__ == "__main__":
    sys.exit(main())
