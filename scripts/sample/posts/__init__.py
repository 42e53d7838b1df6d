"""The sample's posts, one module per source kind, written by hand.

Each post is a dict made by `P`:

- `cat`: what the post is, and so what a reader would flag: `complaint`, `intent` (buying
  intent), `competitor` (talk about competitors, no flag of its own) or `chatter` (events,
  releases, praise, questions: no flag). `complaint=True` / `intent=True` add a flag to another
  category (a complaint about a competitor by someone shopping is `intent` with
  `complaint=True`).
- `text` (and `title` where the source has titles): plain text; blank lines separate paragraphs.
  `html` replaces the rendered HTML of the text where a post carries markup of its own (the
  hostile posts).
- `by`: `c:<key>` for a customer of `world.STORY_CUSTOMERS`, `staff:<handle>` for someone at
  Acme, a handle for anyone else; left out, someone from the source's crowd is picked.
- `d`: the day (`MM-DD`, 2026), when the post belongs to a moment of the story; posts without
  one fall between their neighbours.
- `known`: the name of a case `sample/expected.json` lists for the tests.
- `hostile`: what is odd about it (markup, links, unicode), for the manifest.
"""


def P(cat, text, **fields):
    assert cat in ("complaint", "intent", "competitor", "chatter"), cat
    return dict(cat=cat, text=text.strip("\n"), **fields)
