#!/usr/bin/env python3
"""Generate news documents with known near-duplicate clusters (syndication).

Purpose: ground truth for evaluating a MinHash-LSH near-duplicate detector.
Real sentences are drawn from local source folders, assembled into distinct
"stories", and some stories are republished several times with the kind of
changes outlets make when they syndicate a wire article.

Usage:
    scripts/gen-syndicated.py --sources DIR [DIR ...] --out OUT_DIR --docs N \\
        [--seed S] [--dup-share 0.5]

Example:
    scripts/gen-syndicated.py \\
        --sources tests/fixtures/seeds /work/shared/corpus/readability-dev \\
        --out /tmp/gen-test --docs 2000 --seed 1

Sources: each DIR may hold
  * ``*.txt`` files directly inside it (plain-text articles), and/or
  * subfolders holding ``expected.html`` (tags stripped with html.parser);
    a DIR that itself holds ``expected.html`` is read too.
Text is split into blocks (lines / block-level HTML elements), then into
sentences on ``(?<=[.!?])\\s+``. A sentence is kept if it has 8-45 words, is
mostly letters (>= 80% of its non-space characters), ends with terminal
punctuation (optionally followed by a closing quote/bracket), does not contain
"lorem"/"ipsum", and is not one of the banner/footer boilerplate lines used
below. Sentences are deduplicated (case- and whitespace-insensitively). The
pool size is printed to stderr.

Stories (base articles): 12-40 sentences (range scaled up if the pool's
sentences are short, so documents average roughly 5 KB), sampled without
replacement from the pool, grouped into paragraphs of 1-4 sentences. In every
sentence 2-4 words of >= 4 letters are replaced by invented consonant-vowel
words from a per-story vocabulary, so two stories that happen to reuse a pool
sentence still differ. Headline: 6-12 words of the first sentence, title-cased.

Clusters: about ``dup-share`` of the N documents belong to clusters of 2-20
documents (one story each; the first member is the "original", the others are
variants); the remaining documents are singletons. Total is exactly N.

Every document (original or not) gets a banner line, a headline and a footer
line. Variants always get a different banner, a reworded headline and a
different footer ("banner", "headline", "footer" ops), plus body operations
drawn independently:
  drop_para   p=0.4  drop one or two paragraphs
  add_para    p=0.3  insert one paragraph of other pool sentences
  edit        p=0.8  replace (synonym / other word) or delete 1-5% of words
  reorder     p=0.4  swap two adjacent sentences in a paragraph
                     ("reorder_sentences") or two paragraphs
                     ("reorder_paragraphs")
  excerpt     p=0.1  keep only the first 25-50% of paragraphs; exclusive with
                     drop_para/add_para; only if the story has >= 25 sentences
Every variant gets at least 2 body operations (if fewer were drawn, random
eligible ones are added), so no variant differs from its original only in
banner/headline/footer.

Output: OUT_DIR/doc-000001.txt ... doc-NNNNNN.txt (banner, blank line,
headline, blank line, paragraphs separated by blank lines, blank line, footer)
in shuffled order, except that within a cluster the original always has the
lowest file number. OUT_DIR/truth.json:
    {"docs": {"doc-000001.txt": {"cluster": "c000123", "original": true,
                                 "ops": [...]}, ...},
     "params": {...}}
Singletons are originals of a cluster of size 1 (own cluster id, ops []).

Output is deterministic for a given --seed and the same sources (Python's
string hashing is never used for ordering).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from html.parser import HTMLParser
from pathlib import Path

SENT_SPLIT = re.compile(r"(?<=[.!?])\s+")
WORD_RE = re.compile(r"\w+")
CORE_RE = re.compile(r"^(\W*)(.*?)(\W*)$", re.S)
TERMINAL_RE = re.compile(r"[.!?][\"'”’»)\]]*$")

MIN_WORDS, MAX_WORDS = 8, 45
BASE_MIN_SENT, BASE_MAX_SENT = 12, 40
EXCERPT_MIN_SENT = 25
TARGET_DOC_CHARS = 5000

BANNERS = [
    "IE 11 is not supported. For an optimal experience visit our site on another browser.",
    "We use cookies to improve your experience on our site. By continuing to browse, you agree to our use of cookies.",
    "This website uses cookies. Accept all cookies | Manage preferences",
    "Subscribe to our newsletter for the latest headlines delivered to your inbox.",
    "Advertisement",
    "ADVERTISEMENT - SCROLL TO CONTINUE WITH CONTENT",
    "Skip to main content",
    "You have reached your limit of free articles this month. Subscribe for unlimited access.",
    "Breaking News: Sign up for alerts on your phone",
    "Your browser is out of date. Please update it to view this site correctly.",
    "JavaScript is disabled in your browser. Some features of this site may not work.",
    "Listen to this article (5 min)",
    "Support independent journalism. Donate today.",
    "Get the app: Download our news app for iOS and Android.",
    "Menu | Search | Sign in | Subscribe",
    "Already a subscriber? Log in to continue reading.",
]

OUTLETS = [
    "The Daily Ledger", "Riverside Courier", "Northern Star Tribune",
    "Metro Post", "The Evening Standard-Gazette", "Coastline Herald",
    "Capital Wire Service", "Valley Chronicle", "The Morning Dispatch",
    "Global Affairs Monitor", "Lakeshore Times", "Summit News Network",
]

FOOTER_TEMPLATES = [
    "© {year} {outlet}. All rights reserved.",
    "Copyright {year} {outlet}. This material may not be published, broadcast, rewritten or redistributed.",
    "Share this article: Facebook | Twitter | LinkedIn | Email",
    "Share this article",
    "Read more: {headline}",
    "Read more: {headline} | {outlet}",
    "This article was originally published by {outlet} and is republished here with permission.",
    "This story has been republished from a wire agency feed without modifications to the text.",
    "The views expressed in this article are the author's own and do not necessarily reflect those of {outlet}.",
    "Reporting by {outlet} staff; editing by the news desk.",
    "Have a news tip? Contact {outlet} at tips@example.com.",
    "Follow {outlet} on social media for the latest updates.",
]

# Boilerplate lines that must not enter the sentence pool (compared lowercase).
BOILERPLATE_FRAGMENTS = [b.lower() for b in BANNERS] + [
    "for an optimal experience visit our site on another browser",
    "please enter your comment",
    "please enter your name here",
    "all rights reserved",
]

SMALL_WORDS = {
    "a", "an", "and", "as", "at", "but", "by", "for", "in", "nor", "of",
    "on", "or", "the", "to", "up", "via", "with", "from", "into",
}

SYNONYMS = {
    "said": ["stated", "noted", "added", "told reporters"],
    "says": ["states", "notes", "argues"],
    "big": ["large", "major"], "large": ["big", "major", "sizable"],
    "small": ["minor", "little", "modest"], "new": ["fresh", "latest"],
    "important": ["key", "crucial", "significant"], "key": ["main", "central"],
    "many": ["numerous", "several", "multiple"], "also": ["too", "additionally"],
    "however": ["but", "yet", "still"], "but": ["yet", "however"],
    "about": ["around", "roughly", "regarding"], "very": ["highly", "extremely"],
    "help": ["assist", "aid", "support"], "show": ["reveal", "indicate"],
    "shows": ["reveals", "indicates"], "use": ["employ", "utilize"],
    "used": ["employed", "utilized"], "start": ["begin", "launch"],
    "began": ["started", "launched"], "end": ["finish", "conclude"],
    "make": ["create", "produce"], "made": ["created", "produced"],
    "get": ["obtain", "receive"], "buy": ["purchase", "acquire"],
    "need": ["require", "want"], "needs": ["requires", "wants"],
    "people": ["individuals", "residents", "citizens"], "quickly": ["rapidly", "swiftly"],
    "often": ["frequently", "regularly"], "because": ["since", "as"],
    "before": ["prior to", "ahead of"], "after": ["following", "once"],
    "think": ["believe", "feel"], "know": ["understand", "realize"],
    "government": ["administration", "authorities"], "country": ["nation", "state"],
    "officials": ["authorities", "representatives"], "meeting": ["talks", "session"],
    "week": ["weekend", "month"], "year": ["season", "decade"],
    "increase": ["rise", "growth", "jump"], "decrease": ["decline", "drop", "fall"],
    "plan": ["proposal", "scheme"], "problem": ["issue", "challenge"],
    "problems": ["issues", "challenges"], "like": ["such as", "similar to"],
    "would": ["could", "might"], "could": ["might", "may"], "will": ["would", "shall"],
    "major": ["significant", "large"], "recent": ["latest", "current"],
    "first": ["initial", "earliest"], "last": ["previous", "final"],
    "good": ["positive", "favorable"], "bad": ["poor", "negative"],
    "told": ["informed", "said to"], "warned": ["cautioned", "alerted"],
    "announced": ["declared", "revealed", "unveiled"], "expected": ["anticipated", "projected"],
}

CONSONANTS = "bcdfghjklmnprstvwz"
VOWELS = "aeiou"


# --------------------------------------------------------------------------
# Source reading
# --------------------------------------------------------------------------

class _TextExtractor(HTMLParser):
    BLOCK = {
        "p", "div", "section", "article", "header", "footer", "aside", "nav",
        "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "dl", "dt", "dd",
        "blockquote", "pre", "table", "tr", "td", "th", "figure", "figcaption",
        "br", "hr", "main", "form", "caption", "tbody", "thead",
    }
    SKIP = {"script", "style", "noscript", "template", "svg", "math"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self.skip += 1
        elif tag in self.BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in self.SKIP:
            self.skip = max(0, self.skip - 1)
        elif tag in self.BLOCK:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def html_to_blocks(html: str) -> list[str]:
    p = _TextExtractor()
    p.feed(html)
    p.close()
    return "".join(p.parts).split("\n")


def iter_source_blocks(dirs: list[str]):
    """Yield text blocks (paragraph-ish units) from all sources, in a
    deterministic order (argument order, then sorted names)."""
    for d in dirs:
        root = Path(d)
        if not root.is_dir():
            print(f"warning: source {d} is not a directory, skipped", file=sys.stderr)
            continue
        html_files = []
        if (root / "expected.html").is_file():
            html_files.append(root / "expected.html")
        for child in sorted(root.iterdir(), key=lambda p: p.name):
            if child.is_dir() and (child / "expected.html").is_file():
                html_files.append(child / "expected.html")
        for f in sorted(root.glob("*.txt"), key=lambda p: p.name):
            if f.is_file():
                yield from f.read_text(encoding="utf-8", errors="replace").split("\n")
        for f in html_files:
            yield from html_to_blocks(f.read_text(encoding="utf-8", errors="replace"))


def keep_sentence(s: str) -> bool:
    words = s.split()
    if not (MIN_WORDS <= len(words) <= MAX_WORDS):
        return False
    low = s.lower()
    if "lorem" in low or "ipsum" in low:
        return False
    chars = [c for c in s if not c.isspace()]
    letters = sum(1 for c in chars if c.isalpha())
    if letters < 0.8 * len(chars):
        return False
    if not TERMINAL_RE.search(s):
        return False
    if any(frag in low for frag in BOILERPLATE_FRAGMENTS):
        return False
    return True


def build_pool(dirs: list[str]) -> list[str]:
    pool: list[str] = []
    seen: dict[str, None] = {}
    for block in iter_source_blocks(dirs):
        block = " ".join(block.split())
        if not block:
            continue
        for s in SENT_SPLIT.split(block):
            s = s.strip()
            if not keep_sentence(s):
                continue
            key = " ".join(WORD_RE.findall(s.lower()))
            if key in seen:
                continue
            seen[key] = None
            pool.append(s)
    return pool


# --------------------------------------------------------------------------
# Text helpers
# --------------------------------------------------------------------------

def invent_word(rng: random.Random) -> str:
    n = rng.choice((2, 2, 3, 3, 4))
    w = "".join(rng.choice(CONSONANTS) + rng.choice(VOWELS) for _ in range(n))
    if rng.random() < 0.3:
        w += rng.choice(CONSONANTS)
    return w


def split_token(tok: str) -> tuple[str, str, str]:
    m = CORE_RE.match(tok)
    return m.group(1), m.group(2), m.group(3)


def match_case(word: str, like: str) -> str:
    if like.isupper() and len(like) > 1:
        return word.upper()
    if like[:1].isupper():
        return word[:1].upper() + word[1:]
    return word


def tokenize_for_perturb(sentence: str) -> tuple[list[tuple[str, str, str]], list[int]]:
    """Split into (prefix, core, suffix) tokens and list the indices of words
    with >= 4 letters (the ones perturb_sentence may replace)."""
    toks = [split_token(t) for t in sentence.split()]
    eligible = [i for i, (_, core, _) in enumerate(toks)
                if sum(c.isalpha() for c in core) >= 4]
    return toks, eligible


def perturb_sentence(tokenized, rng: random.Random, vocab: list[str]) -> str:
    toks, eligible = tokenized
    out = ["".join(t) for t in toks]
    k = min(len(eligible), rng.randint(2, 4))
    for i in rng.sample(eligible, k):
        pre, core, post = toks[i]
        out[i] = pre + match_case(rng.choice(vocab), core) + post
    return " ".join(out)


def title_case(words: list[str]) -> str:
    out = []
    for i, w in enumerate(words):
        pre, core, post = split_token(w)
        if i > 0 and core.lower() in SMALL_WORDS:
            core = core.lower()
        elif core[:1].islower():
            core = core[:1].upper() + core[1:]
        out.append(pre + core + post)
    text = " ".join(out)
    return text.strip(" \"'“”‘’«»()[]").rstrip(".,;:!?-–—").strip(" \"'“”‘’«»") or text


def headline_from(sentence: str, rng: random.Random) -> str:
    words = sentence.split()
    k = min(len(words), rng.randint(6, 12))
    words = words[:k]
    # do not end a headline on "of", "the", ...
    while len(words) > 4 and split_token(words[-1])[1].lower() in SMALL_WORDS:
        words.pop()
    return title_case(words)


# --------------------------------------------------------------------------
# Generator
# --------------------------------------------------------------------------

class Generator:
    def __init__(self, pool: list[str], seed: int, sent_range: tuple[int, int]):
        self.pool = pool
        self.seed = seed
        self.sent_min, self.sent_max = sent_range
        vocab: dict[str, None] = {}
        for s in pool:
            for w in WORD_RE.findall(s):
                # ASCII only: edits should not drop Czech words into English text
                if len(w) >= 3 and w.isascii() and w.isalpha() and w.islower():
                    vocab.setdefault(w, None)
        self.vocab = list(vocab)
        self.pool_tok = [tokenize_for_perturb(s) for s in pool]

    # ---- pieces -----------------------------------------------------------

    def story_vocab(self, rng: random.Random) -> list[str]:
        return [invent_word(rng) for _ in range(30)]

    def make_paragraphs(self, sentences: list[str], rng: random.Random) -> list[list[str]]:
        paras, i = [], 0
        while i < len(sentences):
            n = rng.randint(1, 4)
            paras.append(sentences[i:i + n])
            i += n
        return paras

    def make_story(self, rng: random.Random) -> dict:
        n = rng.randint(self.sent_min, self.sent_max)
        vocab = self.story_vocab(rng)
        sents = [perturb_sentence(self.pool_tok[i], rng, vocab)
                 for i in rng.sample(range(len(self.pool)), n)]
        return {
            "headline": headline_from(sents[0], rng),
            "paragraphs": self.make_paragraphs(sents, rng),
            "n_sent": n,
        }

    def random_headline(self, rng: random.Random) -> str:
        return headline_from(rng.choice(self.pool), rng)

    def footer(self, rng: random.Random, exclude: str | None = None) -> str:
        for _ in range(20):
            f = rng.choice(FOOTER_TEMPLATES).format(
                year=rng.randint(2015, 2025), outlet=rng.choice(OUTLETS),
                headline=self.random_headline(rng))
            if f != exclude:
                return f
        return f + " "

    def banner(self, rng: random.Random, exclude: str | None = None) -> str:
        return rng.choice([b for b in BANNERS if b != exclude])

    def replacement_word(self, core: str, rng: random.Random) -> str:
        syn = SYNONYMS.get(core.lower())
        w = rng.choice(syn) if syn else rng.choice(self.vocab)
        return match_case(w, core)

    def reword_headline(self, story: dict, rng: random.Random) -> str:
        orig = story["headline"]
        for _ in range(10):
            words = orig.split()
            mode = rng.random()
            if mode < 0.35 and len(words) > 5:
                for _ in range(min(rng.randint(1, 3), len(words) - 4)):
                    del words[rng.randrange(len(words))]
                h = title_case(words)
            elif mode < 0.7:
                for _ in range(rng.randint(1, 3)):
                    i = rng.randrange(len(words))
                    pre, core, post = split_token(words[i])
                    if core:
                        words[i] = pre + self.replacement_word(core, rng) + post
                h = title_case(words)
            else:
                sents = [s for p in story["paragraphs"] for s in p][1:]
                h = headline_from(rng.choice(sents), rng) if sents else orig
            if h and h != orig:
                return h
        return orig + " (Updated)"

    # ---- variant operations -----------------------------------------------

    def op_drop(self, paras, rng):
        if len(paras) < 4:
            return None
        k = min(rng.randint(1, 2), len(paras) - 3)
        for _ in range(k):
            del paras[rng.randrange(len(paras))]
        return paras

    def op_add(self, paras, rng):
        vocab = self.story_vocab(rng)
        n = rng.randint(1, 4)
        new = [perturb_sentence(self.pool_tok[i], rng, vocab)
               for i in rng.sample(range(len(self.pool)), n)]
        paras.insert(rng.randint(0, len(paras)), new)
        return paras

    def op_edit(self, paras, rng):
        rate = rng.uniform(0.01, 0.05)
        tok_paras = [[s.split() for s in p] for p in paras]
        positions = [(pi, si, ti)
                     for pi, p in enumerate(tok_paras)
                     for si, s in enumerate(p)
                     for ti in range(len(s))]
        k = max(1, round(rate * len(positions)))
        chosen = rng.sample(positions, k)
        # delete from the end so indices stay valid
        chosen.sort(reverse=True)
        for pi, si, ti in chosen:
            toks = tok_paras[pi][si]
            pre, core, post = split_token(toks[ti])
            if rng.random() < 0.3 and len(toks) > 3:
                del toks[ti]
            elif core:
                toks[ti] = pre + self.replacement_word(core, rng) + post
            else:
                del toks[ti]
        return [[" ".join(s) for s in p if s] for p in tok_paras]

    def op_reorder(self, paras, rng, ops):
        multi = [i for i, p in enumerate(paras) if len(p) >= 2]
        if multi and (rng.random() < 0.5 or len(paras) < 2):
            i = rng.choice(multi)
            j = rng.randrange(len(paras[i]) - 1)
            p = paras[i]
            p[j], p[j + 1] = p[j + 1], p[j]
            ops.append("reorder_sentences")
        elif len(paras) >= 2:
            i, j = rng.sample(range(len(paras)), 2)
            paras[i], paras[j] = paras[j], paras[i]
            ops.append("reorder_paragraphs")
        else:
            return None
        return paras

    def op_excerpt(self, paras, rng):
        frac = rng.uniform(0.25, 0.5)
        k = max(1, round(frac * len(paras)))
        return paras[:k]

    def make_variant(self, story: dict, orig_banner: str, orig_footer: str,
                     rng: random.Random) -> tuple[str, list[str]]:
        paras = [list(p) for p in story["paragraphs"]]
        can_excerpt = story["n_sent"] >= EXCERPT_MIN_SENT and len(paras) >= 2
        chosen = set()
        if can_excerpt and rng.random() < 0.1:
            chosen.add("excerpt")
        else:
            if rng.random() < 0.4 and len(paras) >= 4:
                chosen.add("drop_para")
            if rng.random() < 0.3:
                chosen.add("add_para")
        if rng.random() < 0.8:
            chosen.add("edit")
        if rng.random() < 0.4:
            chosen.add("reorder")
        # at least two body operations per variant
        while len(chosen) < 2:
            cands = ["edit", "reorder"]
            if "excerpt" not in chosen:  # excerpt excludes drop/add
                cands.append("add_para")
                if len(paras) >= 4:
                    cands.append("drop_para")
            cands = [c for c in cands if c not in chosen]
            chosen.add(rng.choice(cands))

        ops = ["banner", "headline", "footer"]
        if "excerpt" in chosen:
            paras = self.op_excerpt(paras, rng)
            ops.append("excerpt")
        if "drop_para" in chosen:
            paras = self.op_drop(paras, rng)
            ops.append("drop_para")
        if "add_para" in chosen:
            paras = self.op_add(paras, rng)
            ops.append("add_para")
        if "reorder" in chosen:
            r = self.op_reorder(paras, rng, ops)
            if r is not None:
                paras = r
            elif "edit" not in chosen:  # nothing to swap: edit instead
                chosen.add("edit")
        if "edit" in chosen:
            paras = self.op_edit(paras, rng)
            ops.append("edit")

        text = render(self.banner(rng, orig_banner), self.reword_headline(story, rng),
                      paras, self.footer(rng, orig_footer))
        return text, ops


def render(banner: str, headline: str, paras: list[list[str]], footer: str) -> str:
    body = "\n\n".join(" ".join(p) for p in paras if p)
    return f"{banner}\n\n{headline}\n\n{body}\n\n{footer}\n"


def cluster_sizes(n_dup: int, rng: random.Random) -> list[int]:
    """Sizes in 2..20 summing exactly to n_dup (n_dup >= 2), skewed small."""
    values = list(range(2, 21))
    weights = [s ** -1.5 for s in values]
    sizes, remaining = [], n_dup
    while remaining >= 2:
        s = min(rng.choices(values, weights)[0], remaining)
        if remaining - s == 1:
            s = s + 1 if s < 20 else s - 1
        sizes.append(s)
        remaining -= s
    return sizes


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sources", nargs="+", required=True, metavar="DIR")
    ap.add_argument("--out", required=True, metavar="OUT_DIR")
    ap.add_argument("--docs", type=int, required=True, metavar="N")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--dup-share", type=float, default=0.5)
    args = ap.parse_args(argv)
    if args.docs < 1:
        ap.error("--docs must be >= 1")
    if not 0.0 <= args.dup_share <= 1.0:
        ap.error("--dup-share must be in [0, 1]")

    pool = build_pool(args.sources)
    print(f"sentence pool: {len(pool)} sentences", file=sys.stderr)
    if len(pool) < BASE_MAX_SENT + 4:
        print(f"error: pool too small (need >= {BASE_MAX_SENT + 4})", file=sys.stderr)
        return 1

    # Scale the story length so documents average roughly TARGET_DOC_CHARS.
    mean_len = sum(len(s) + 1 for s in pool) / len(pool)
    mean_sent = (BASE_MIN_SENT + BASE_MAX_SENT) / 2
    scale = max(1.0, TARGET_DOC_CHARS / (mean_sent * mean_len))
    sent_max = min(round(BASE_MAX_SENT * scale), len(pool) - 4)
    sent_min = min(round(BASE_MIN_SENT * scale), sent_max)
    print(f"mean sentence length {mean_len:.0f} chars; "
          f"{sent_min}-{sent_max} sentences per story", file=sys.stderr)

    master = random.Random(args.seed)
    gen = Generator(pool, args.seed, (sent_min, sent_max))

    n = args.docs
    n_dup = round(args.dup_share * n)
    sizes = cluster_sizes(n_dup, master) if n_dup >= 2 else []
    sizes += [1] * (n - sum(sizes))
    master.shuffle(sizes)  # mix clusters and singletons in id order
    assert sum(sizes) == n

    # slots: (cluster index, member index); member 0 is the original
    slots = [(c, m) for c, size in enumerate(sizes) for m in range(size)]
    master.shuffle(slots)
    pos: dict[int, list[int]] = {}
    for p, (c, m) in enumerate(slots):
        pos.setdefault(c, []).append(p)
    file_of = {}
    for c, ps in pos.items():
        ps.sort()
        # the original takes the cluster's lowest position; variants the rest
        rest = ps[1:]
        master.shuffle(rest)
        file_of[(c, 0)] = ps[0]
        for m, p in zip(range(1, sizes[c]), rest):
            file_of[(c, m)] = p

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    width = max(6, len(str(n)))
    name = lambda p: f"doc-{p + 1:0{width}d}.txt"
    truth: dict[str, dict] = {}
    cluster_seeds = [master.getrandbits(64) for _ in sizes]
    total_bytes = 0
    for c, size in enumerate(sizes):
        rng = random.Random(cluster_seeds[c])
        cid = f"c{c + 1:06d}"
        story = gen.make_story(rng)
        banner = gen.banner(rng)
        footer = gen.footer(rng)
        text = render(banner, story["headline"], story["paragraphs"], footer)
        docs = [(0, text, [])]
        for m in range(1, size):
            vtext, ops = gen.make_variant(story, banner, footer, rng)
            docs.append((m, vtext, ops))
        for m, t, ops in docs:
            fname = name(file_of[(c, m)])
            data = t.encode("utf-8")
            total_bytes += len(data)
            (out / fname).write_bytes(data)
            truth[fname] = {"cluster": cid, "original": m == 0, "ops": ops}

    n_clusters = sum(1 for s in sizes if s >= 2)
    params = {
        "generator": "scripts/gen-syndicated.py",
        "seed": args.seed,
        "docs": n,
        "dup_share": args.dup_share,
        "sources": args.sources,
        "pool_size": len(pool),
        "sentences_per_story": [sent_min, sent_max],
        "clusters": n_clusters,
        "docs_in_clusters": sum(s for s in sizes if s >= 2),
        "singletons": sum(1 for s in sizes if s == 1),
        "mean_doc_bytes": round(total_bytes / n),
    }
    with open(out / "truth.json", "w", encoding="utf-8") as f:
        json.dump({"docs": dict(sorted(truth.items())), "params": params},
                  f, indent=1, ensure_ascii=False)
        f.write("\n")
    print(f"wrote {n} docs ({n_clusters} clusters, {params['singletons']} singletons, "
          f"mean {params['mean_doc_bytes']} bytes) to {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
