//! Direct quotes and who said them.
//!
//! Hand-written: no maintained Rust crate extracts quotations with speakers, and
//! the rules are the product's own (news prose conventions). A quote is text
//! between quotation marks (“…”, "…", «…», „…“, mixed pairs as scrapers leave
//! them) of at least two words, inside one paragraph; single words in quotes are
//! scare quotes and skipped. The speaker is read from the words right after the
//! quote ("…," Blinken said / said Blinken / he asked) or right before it
//! (Lavrov replied: "…"); a pronoun goes to the nearest named speaker before it, a
//! quote with no attribution in a paragraph that continues another quote takes
//! that quote's speaker, and a surname is widened to the fullest form of the
//! name the article uses ("Blinken" → "Antony Blinken").

use crate::entities::{Mention, MentionOf};
pub use newsflow_record::Quote;
use regex::Regex;
use std::sync::LazyLock;

/// Speech verbs, English, German, French, Spanish, Italian.
const VERBS: &str = r"said|says|asked|asks|added|adds|told|tells|replied|replies|wrote|writes|noted|notes|warned|warns|explained|explains|stressed|insisted|argued|declared|continued|recalled|sagte|sagt|fragte|erklärte|betonte|fügte|meinte|dit|a dit|a déclaré|déclare|a ajouté|ajoute|a affirmé|affirme|a expliqué|dijo|afirmó|añadió|explicó|declaró|ha detto|ha dichiarato|ha aggiunto|ha spiegato";

/// A name: one to four capitalised words (particles allowed inside), possibly
/// after a title that is stripped.
const NAME: &str = r"(?:(?:Mr|Mrs|Ms|Dr|Prof|Herr|Frau|M\.|Mme)\.?\s+)?\p{Lu}[\p{L}'’\-]+(?:\s+(?:(?:de|van|von|der|da|di|del|la|le|bin|al)\s+)?\p{Lu}[\p{L}'’\-]+){0,3}";

static AFTER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"^[\s,.!?;:—–-]*(?:(?P<a>{NAME})\s+(?:{VERBS})\b|(?:{VERBS})\s+(?P<b>(?:the\s+)?{NAME})|(?P<p>he|she|they|er|sie|il|elle|él|ella|lui|lei)\s+(?:{VERBS})\b)"
    ))
    .expect("quote-after pattern")
});

static BEFORE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?:(?P<a>{NAME})\s+(?:{VERBS})(?:\s+\p{{Ll}}+){{0,3}}\s*[:,]|(?:{VERBS})\s+(?P<b>{NAME})\s*[:,])\s*$"
    ))
    .expect("quote-before pattern")
});

/// Titles and honorifics dropped from a speaker's name.
const TITLES: &[&str] = &[
    "Mr",
    "Mrs",
    "Ms",
    "Dr",
    "Prof",
    "Herr",
    "Frau",
    "M",
    "Mme",
    "President",
    "Secretary",
    "Minister",
    "Chancellor",
    "Prime",
    "Foreign",
    "Defense",
    "Defence",
    "State",
    "General",
    "Senator",
    "Governor",
    "Mayor",
    "Spokesman",
    "Spokeswoman",
    "Ambassador",
    "Sir",
    "Lord",
    "Präsident",
    "Kanzler",
    "Ministerin",
    "Président",
    "Ministre",
    "Presidente",
    "Ministro",
    "The",
    "Der",
    "Die",
    "Le",
    "La",
    "El",
];

/// Words that start a capitalised run without being a name.
const NOT_NAMES: &[&str] = &[
    "It", "This", "That", "These", "Those", "There", "But", "And", "In", "On", "At", "As", "We",
    "I", "You", "They", "He", "She", "His", "Her", "Its", "Our", "When", "While", "After",
    "Before", "If", "Asked", "Speaking", "Es", "Das", "Il", "Elle", "Ce",
];

fn clean_name(raw: &str) -> Option<String> {
    let all: Vec<&str> = raw
        .split_whitespace()
        .map(|w| w.trim_end_matches('.'))
        .collect();
    // Everything up to the last title is the title ("Ukrainian President …",
    // "Secretary of State …").
    let from = all
        .iter()
        .rposition(|w| TITLES.contains(w) || w.eq_ignore_ascii_case("of") || *w == "the")
        .map_or(0, |i| i + 1);
    let words = &all[from..];
    let first = *words.first()?;
    // "Being …", "Speaking …": a gerund opens a clause, not a name.
    if NOT_NAMES.contains(&first) || first.ends_with("ing") || !first.chars().next()?.is_uppercase()
    {
        return None;
    }
    Some(words.join(" "))
}

/// Opening marks and the closing marks that may end them.
fn closers(open: char) -> Option<&'static [char]> {
    Some(match open {
        '“' => &['”', '"', '“'],
        '"' => &['"', '”', '“'],
        '«' => &['»'],
        '„' => &['“', '”', '"'],
        '‹' => &['›'],
        // German »…«; a French closing » was consumed with its opening «.
        '»' => &['«'],
        _ => return None,
    })
}

/// Quotes are looked for in the first this-many bytes only: the scan keeps a
/// character table of the text (12 bytes a character), which for a 16 MB body
/// would take 200 MB from the daemon's memory bound.
const MAX_TEXT_BYTES: usize = 1_000_000;

/// Every direct quote of `body`, with its speaker where the text says it.
pub fn quotes(body: &str) -> Vec<Quote> {
    quotes_with(body, &[])
}

/// Every direct quote of `body`, speakers read from the entity `mentions` the
/// tagger found (byte ranges, text order) where it found one near the quote.
pub fn quotes_with(body: &str, mentions: &[Mention]) -> Vec<Quote> {
    let mut cut = body.len().min(MAX_TEXT_BYTES);
    while !body.is_char_boundary(cut) {
        cut -= 1;
    }
    let body = &body[..cut];
    // Scanned in bytes; a quote's offsets are characters, counted on the way
    // (a table of every character of the body was a quarter of the time).
    let char_at = |at: usize| match body.as_bytes()[at] {
        b if b.is_ascii() => char::from(b),
        _ => body[at..].chars().next().unwrap_or('\0'),
    };
    let mut out: Vec<Quote> = Vec::new();
    // Byte ranges of the quotes with their marks.
    let mut ranges: Vec<(usize, usize)> = Vec::new();
    let (mut i, mut ci) = (0, 0);
    while i < body.len() {
        // (Of ASCII, only '"' opens a quote.)
        if body.as_bytes()[i].is_ascii() && body.as_bytes()[i] != b'"' {
            i += 1;
            ci += 1;
            continue;
        }
        let open = char_at(i);
        let Some(close_set) = closers(open) else {
            i += open.len_utf8();
            ci += 1;
            continue;
        };
        // The closing mark within this paragraph, at most 2,000 characters on.
        let (mut j, mut cj) = (i + open.len_utf8(), ci + 1);
        let mut found = None;
        while j < body.len() && cj - ci < 2000 {
            if !matches!(body.as_bytes()[j], b'"' | b'\n' | 0x80..) {
                j += 1;
                cj += 1;
                continue;
            }
            let c = char_at(j);
            if c == '\n' && body[j + 1..].starts_with('\n') {
                // A quote running on over paragraphs leaves each one open and
                // opens the next: this paragraph's part ends here.
                let next = body[j..].chars().find(|c| !c.is_whitespace());
                if next.is_some_and(|c| closers(c).is_some()) {
                    found = Some((j, cj, c));
                }
                break;
            }
            if close_set.contains(&c) {
                found = Some((j, cj, c));
                break;
            }
            j += c.len_utf8();
            cj += 1;
        }
        let Some((j, cj, close)) = found else {
            i += open.len_utf8();
            ci += 1;
            continue;
        };
        let text = body[i + open.len_utf8()..j].trim();
        if text.split_whitespace().nth(1).is_some() {
            out.push(Quote {
                text: text.to_string(),
                speaker: None,
                start: ci + 1,
                end: cj,
            });
            ranges.push((i, j + close.len_utf8()));
        }
        i = j + close.len_utf8();
        ci = cj + 1;
    }
    if mentions.is_empty() {
        attribute(body, &mut out);
    } else {
        attribute_by_mentions(body, &ranges, mentions, &mut out);
    }
    out
}

/// Speech verbs and attribution words, lower case, one word each (the first
/// word of "according to", "fügte hinzu", "ha detto" is enough). English, German,
/// French, Spanish, Italian.
const SPEECH_WORDS: &[&str] = &[
    "said",
    "says",
    "say",
    "told",
    "tells",
    "added",
    "adds",
    "asked",
    "asks",
    "replied",
    "replies",
    "wrote",
    "writes",
    "noted",
    "notes",
    "warned",
    "warns",
    "explained",
    "explains",
    "stressed",
    "stresses",
    "insisted",
    "insists",
    "argued",
    "argues",
    "declared",
    "declares",
    "continued",
    "recalled",
    "recalls",
    "acknowledged",
    "admitted",
    "conceded",
    "announced",
    "claimed",
    "claims",
    "countered",
    "urged",
    "vowed",
    "promised",
    "predicted",
    "suggested",
    "observed",
    "remarked",
    "commented",
    "tweeted",
    "posted",
    "testified",
    "concluded",
    "complained",
    "cautioned",
    "according",
    "shouted",
    "joked",
    "quipped",
    "responded",
    "emphasised",
    "emphasized",
    "agreed",
    "pointed",
    "put",
    "wondered",
    "told",
    "sagte",
    "sagt",
    "sagten",
    "erklärte",
    "erklärt",
    "betonte",
    "betont",
    "fügte",
    "meinte",
    "meint",
    "warnte",
    "warnt",
    "kritisierte",
    "kritisiert",
    "forderte",
    "fordert",
    "schrieb",
    "schreibt",
    "räumte",
    "sprach",
    "spricht",
    "ergänzte",
    "bekräftigte",
    "versicherte",
    "kündigte",
    "unterstrich",
    "mahnte",
    "so",
    "zufolge",
    "hieß",
    "heißt",
    "antwortete",
    "rief",
    "klagte",
    "erinnerte",
    "sagt",
    "stellte",
    "verwies",
    "entgegnete",
    "beklagte",
    "dit",
    "déclaré",
    "déclare",
    "ajouté",
    "ajoute",
    "affirmé",
    "affirme",
    "expliqué",
    "explique",
    "souligné",
    "souligne",
    "estimé",
    "estime",
    "assuré",
    "assure",
    "indiqué",
    "indique",
    "lancé",
    "lance",
    "martelé",
    "insisté",
    "prévenu",
    "averti",
    "regretté",
    "dénoncé",
    "reconnu",
    "confié",
    "poursuivi",
    "rappelé",
    "répondu",
    "selon",
    "précisé",
    "jugé",
    "ironisé",
    "tranché",
    "plaidé",
    "résumé",
    "commenté",
    "déploré",
    "fait",
    "observé",
    "dijo",
    "dice",
    "afirmó",
    "afirma",
    "añadió",
    "añade",
    "explicó",
    "explica",
    "declaró",
    "declara",
    "aseguró",
    "asegura",
    "señaló",
    "señala",
    "indicó",
    "indica",
    "subrayó",
    "subraya",
    "insistió",
    "advirtió",
    "criticó",
    "sostuvo",
    "recalcó",
    "apuntó",
    "destacó",
    "manifestó",
    "reconoció",
    "lamentó",
    "respondió",
    "según",
    "agregó",
    "defendió",
    "zanjó",
    "denunció",
    "remarcó",
    "admitió",
    "reprochó",
    "detto",
    "dichiarato",
    "aggiunto",
    "spiegato",
    "secondo",
    "affermato",
    "sottolineato",
    "réagi",
    "confie",
    "glisse",
    "glissé",
    "raconte",
    "raconté",
    "poursuit",
    "tempête",
    "résume",
    "prévient",
    "insiste",
    "juge",
    "dénonce",
    "regrette",
    "reconnaît",
    "martèle",
    "répond",
    "rétorque",
    "rétorqué",
    "consideró",
    "considera",
    "reclamó",
    "advierte",
    "sostiene",
    "recuerda",
    "recordó",
    "lamenta",
    "resumió",
    "replicó",
    "opinó",
    "berichtete",
    "erläuterte",
    "kommentierte",
    "bilanzierte",
    "schimpfte",
    "sagten",
    "ergänzt",
    "betonten",
    "erklärten",
    "stated",
    "states",
    "underlined",
    "underscored",
    "highlighted",
    "described",
    "called",
    "answered",
    "saying",
    "adding",
    "telling",
    "insisting",
    "warning",
    "noting",
    "arguing",
    "stressing",
    "explaining",
    "resume",
    "comentaba",
    "comenta",
];

/// Whether the word before byte `at` is a preposition: "told the BBC", "im
/// Deutschlandfunk", "à l’AFP" name where it was said, not who said it.
fn after_preposition(body: &str, at: usize) -> bool {
    const PREPS: &[&str] = &[
        "to",
        "told",
        "on",
        "in",
        "at",
        "with",
        "the",
        "im",
        "am",
        "beim",
        "dem",
        "der",
        "gegenüber",
        "vor",
        "à",
        "au",
        "aux",
        "l",
        "dans",
        "sur",
        "a",
        "al",
        "en",
        "ante",
        "la",
    ];
    let mut from = at.saturating_sub(40);
    while !body.is_char_boundary(from) {
        from += 1;
    }
    let head = body[from..at].trim_end_matches(['’', '\'']);
    words_of(head)
        .last()
        .is_some_and(|(_, w)| PREPS.contains(&w.to_lowercase().as_str()))
}

/// The words of `s` with their byte offsets.
fn words_of(s: &str) -> impl Iterator<Item = (usize, &str)> {
    s.split(|c: char| !(c.is_alphanumeric() || c == '-' || c == '\''))
        .filter(|w| !w.is_empty())
        .map(move |w| (w.as_ptr() as usize - s.as_ptr() as usize, w))
}

/// Whether `s` holds a speech verb or attribution word ("a-t-il ajouté" too).
fn has_speech(s: &str) -> bool {
    words_of(s).any(|(_, w)| is_speech_word(w))
}

/// Whether `w`, a word of `words_of`, is a speech verb or attribution word.
fn is_speech_word(w: &str) -> bool {
    static SET: LazyLock<rapidhash::RapidHashSet<&'static str>> =
        LazyLock::new(|| SPEECH_WORDS.iter().copied().collect());
    // A short ASCII word is lower-cased on the stack, not in a String.
    let mut buf = [0u8; 32];
    let owned: String;
    let l: &str = if w.is_ascii() && !w.bytes().any(|b| b.is_ascii_uppercase()) {
        w
    } else if w.is_ascii() && w.len() <= buf.len() {
        let buf = &mut buf[..w.len()];
        buf.copy_from_slice(w.as_bytes());
        buf.make_ascii_lowercase();
        std::str::from_utf8(buf).expect("ASCII")
    } else if w.chars().any(char::is_uppercase) {
        owned = w.to_lowercase();
        &owned
    } else {
        w
    };
    SET.contains(l) || (l.contains('-') && l.split('-').any(|p| SET.contains(p)))
}

/// Where the sentence after byte `from` ends (a full stop, question or
/// exclamation mark before white space, an opening quote mark, a paragraph break),
/// at most `max` bytes on.
fn sentence_end(body: &str, from: usize, max: usize) -> usize {
    let limit = (from + max).min(body.len());
    let mut prev_word_len = 0;
    // "«. Die Kandidatin …": a full stop right after the quote ends its sentence.
    let mut seen_word = false;
    for (i, c) in body[from..].char_indices() {
        let at = from + i;
        if at >= limit {
            break;
        }
        if c == '\n' && body[at + 1..].starts_with('\n') || matches!(c, '“' | '„' | '«') {
            return at;
        }
        if matches!(c, '.' | '!' | '?')
            && body[at + 1..].starts_with(char::is_whitespace)
            && (c != '.' || prev_word_len > 2 || !seen_word)
        {
            return at + 1;
        }
        if c.is_alphanumeric() {
            seen_word = true;
            prev_word_len += 1;
        } else {
            prev_word_len = 0;
        }
    }
    let mut l = limit;
    while !body.is_char_boundary(l) {
        l -= 1;
    }
    l
}

/// Where the sentence holding byte `to` starts, no further back than `floor`.
/// A sentence is looked for at most this far back: every quote of a paragraph
/// scanning from the paragraph's start made a 1 MB paragraph of quotes quadratic.
const MAX_SENTENCE_BYTES: usize = 600;

fn sentence_start(body: &str, floor: usize, to: usize) -> usize {
    let mut to = to.max(floor);
    while !body.is_char_boundary(to) {
        to -= 1;
    }
    let mut floor = floor.max(to.saturating_sub(MAX_SENTENCE_BYTES));
    while !body.is_char_boundary(floor) {
        floor += 1;
    }
    // The last sentence end before `to`, looked for from `to` back: the
    // sentence is usually short, the 600 bytes before it read for nothing.
    let part = &body[floor..to];
    let mut next: Option<char> = None;
    for (i, c) in part.char_indices().rev() {
        if (matches!(c, '.' | '!' | '?') && next.is_some_and(char::is_whitespace))
            || matches!(c, '”' | '»' | '“')
        {
            return floor + i + c.len_utf8();
        }
        next = Some(c);
    }
    floor
}

fn attribute_by_mentions(
    body: &str,
    ranges: &[(usize, usize)],
    mentions: &[Mention],
    quotes: &mut [Quote],
) {
    // `ranges`: the quotes' byte ranges with their marks, to skip names inside
    // quotes.
    // Everything below looks things up by position, never by scanning the whole
    // text or all mentions, so a body of many quotes stays linear.
    // Mentions are in text order (one per start): the starts of those inside a quote.
    let inside: rapidhash::RapidHashSet<usize> = {
        let mut r = 0;
        mentions
            .iter()
            .filter(|m| {
                while r < ranges.len() && ranges[r].1 < m.end {
                    r += 1;
                }
                r < ranges.len() && m.start >= ranges[r].0 && m.end <= ranges[r].1
            })
            .map(|m| m.start)
            .collect()
    };
    let outside = |m: &Mention| !inside.contains(&m.start);
    // The mentions starting in from..to.
    let within = |from: usize, to: usize| {
        let a = mentions.partition_point(|m| m.start < from);
        let b = mentions.partition_point(|m| m.start < to);
        mentions[a..b.max(a)].iter().filter(move |m| m.end <= to)
    };
    let people_in =
        move |from: usize, to: usize| within(from, to).filter(|m| m.of == MentionOf::Person);
    let orgs_in =
        move |from: usize, to: usize| within(from, to).filter(|m| m.of == MentionOf::Organization);
    // Paragraph starts, for a binary search instead of a scan back.
    // (Found from each line break: searching for the two-byte string was slower.)
    let mut para_starts: Vec<usize> = vec![0];
    let mut at = 0;
    while let Some(nl) = body[at..].find('\n') {
        at += nl;
        if body[at + 1..].starts_with('\n') {
            para_starts.push(at + 2);
            at += 2;
        } else {
            at += 1;
        }
    }
    let mut last_speaker: Option<(String, usize)> = None;
    // Titles the text gives people, the longest first; a title two people share
    // points to neither.
    let mut roles: Vec<(String, String)> = Vec::new();
    for m in mentions {
        if let Some(r) = &m.role {
            roles.push((r.clone(), m.name.clone()));
            // "Foreign Minister Sergei Lavrov": "the minister" too.
            if let Some(head) = r.split_whitespace().last() {
                roles.push((head.to_string(), m.name.clone()));
            }
        }
    }
    roles.sort();
    roles.dedup();
    let shared: Vec<String> = roles
        .windows(2)
        .filter(|w| w[0].0 == w[1].0)
        .map(|w| w[0].0.clone())
        .collect();
    roles.retain(|(r, _)| !shared.contains(r));
    for k in 0..quotes.len() {
        let (open, close) = ranges[k];
        let p = para_starts.partition_point(|&x| x <= open);
        let para_start = para_starts[p.saturating_sub(1)].min(open);
        let para_end = para_starts
            .get(p)
            .map_or(body.len(), |&next| next - 2)
            .max(close);
        // Who "he said" or a bare verb points to: a person the paragraph names
        // before the quote (outside quotes), else the last speaker if recent, else
        // the last person named.
        let salient = |last_speaker: &Option<(String, usize)>| -> Option<String> {
            // "the secretary of state said": the person the text gave that title.
            let clause = body
                [sentence_start(body, para_start, open)..sentence_end(body, close, 240)]
                .to_lowercase();
            let by_role = roles
                .iter()
                .filter(|(r, _)| {
                    clause.match_indices(r.as_str()).any(|(i, _)| {
                        !clause[..i].ends_with(char::is_alphanumeric)
                            && !clause[i + r.len()..].starts_with(char::is_alphanumeric)
                    })
                })
                .max_by_key(|(r, _)| r.len());
            if let Some((_, name)) = by_role {
                return Some(name.clone());
            }
            // (The paragraph's last 3,000 bytes: a paragraph of a megabyte is
            // not one subject, and reading it all per quote is quadratic.)
            let in_para: Vec<&Mention> = people_in(para_start.max(open.saturating_sub(3000)), open)
                .filter(|m| outside(m))
                .collect();
            // The last speaker if the paragraph names them again, else the
            // paragraph's first person: its subject, more often than the last
            // name it drops.
            if let Some((name, _)) = last_speaker {
                if in_para.iter().any(|m| &m.name == name) {
                    return Some(name.clone());
                }
            }
            if let Some(m) = in_para.first() {
                return Some(m.name.clone());
            }
            // Else the last speaker, unless someone was named since ("Dairy
            // farmer Glenn Whitaker said …" then a quote with "he said").
            let hi = mentions.partition_point(|m| m.start < open);
            let last_named = mentions[hi.saturating_sub(200)..hi]
                .iter()
                .rfind(|m| m.end <= open && m.of == MentionOf::Person && outside(m));
            if let Some((name, at)) = last_speaker {
                if open - at < 1500 && last_named.is_none_or(|m| m.end <= *at) {
                    return Some(name.clone());
                }
            }
            last_named.map(|m| m.name.clone())
        };
        // After the quote: up to the end of its sentence; the attribution is in
        // its first words.
        let after_end = sentence_end(body, close, 240).min(para_end);
        let after = &body[close..after_end];
        // Before it: from the start of its sentence.
        let before_start = sentence_start(body, para_start, open);
        let before = &body[before_start..open];
        let mut speaker: Option<String> = None;
        // The first speech word after the quote; read once for all the tests
        // below (each read the words again).
        let first_speech = words_of(after)
            .find(|(_, w)| is_speech_word(w))
            .map(|(at, _)| close + at);
        if first_speech.is_some() {
            // A person in the first words ("…," said Celeste Saulo, who …), an
            // organization that speaks ("the ministry said", not "told the BBC"),
            // a person later in the sentence, else whoever "he said" points to.
            // The subject of the first speech verb: the name right before it
            // ("the Bank of England said", "Smith told"), else the first after it
            // ("said Clara Mendes"); a name after a preposition is where it was
            // said ("told the BBC"), not who said it.
            // The verb is looked for in the first words only.
            let head_end = words_of(after)
                .nth(13)
                .map_or(after_end, |(at, _)| close + at);
            let verb = first_speech.filter(|&v| v < head_end);
            let speaks = |m: &&Mention| {
                m.of != MentionOf::Place && m.start < head_end && !after_preposition(body, m.start)
            };
            let subject = verb.and_then(|v| {
                mentions
                    .iter()
                    .filter(|m| m.start >= close && m.end <= v)
                    .filter(speaks)
                    .rfind(|m| words_of(&body[m.end..v]).count() <= 3)
                    .or_else(|| {
                        mentions
                            .iter()
                            .filter(|m| m.start >= v && m.end <= after_end)
                            .find(speaks)
                    })
            });
            speaker = subject
                .or_else(|| people_in(close, after_end).find(|m| m.start < head_end))
                .or_else(|| {
                    orgs_in(close, after_end)
                        .find(|m| m.start < head_end && !after_preposition(body, m.start))
                })
                .map(|m| m.name.clone())
                .or_else(|| {
                    AFTER
                        .captures(after)
                        .and_then(|c| c.name("a").or(c.name("b")))
                        .and_then(|m| clean_name(m.as_str()))
                        .filter(|n| {
                            n.split_whitespace()
                                .all(|w| w.starts_with(char::is_uppercase))
                        })
                })
                .or_else(|| {
                    verb.is_none()
                        .then(|| people_in(close, after_end).next().map(|m| m.name.clone()))
                        .flatten()
                })
                .or_else(|| salient(&last_speaker));
        }
        // The last speech word before the quote, if still needed.
        let before_verb = if speaker.is_none() {
            words_of(before)
                .filter(|(_, w)| is_speech_word(w))
                .last()
                .map(|(at, _)| at)
        } else {
            None
        };
        if speaker.is_none() && (before_verb.is_some() || before.trim_end().ends_with(':')) {
            // The subject of the last speech verb: a name before it, or right after
            // it ("said Blinken:"), else whoever the paragraph is about.
            let v = before_start + before_verb.unwrap_or(before.len());
            speaker = people_in(before_start, v)
                .next_back()
                .or_else(|| people_in(v, open).next())
                .or_else(|| orgs_in(before_start, v).next_back())
                .map(|m| m.name.clone())
                .or_else(|| before_verb.and_then(|_| salient(&last_speaker)));
        }
        // A quote opening a sentence right after an attribution sentence
        // ("…, said Secretary Blinken. “Moscow’s actions …”").
        if speaker.is_none() && before.trim().is_empty() && before_start > para_start {
            let prev_start = sentence_start(body, para_start, before_start.saturating_sub(2));
            let prev = &body[prev_start..before_start];
            let no_quote_between = k == 0 || ranges[k - 1].1 <= prev_start;
            if no_quote_between && has_speech(prev) {
                speaker = people_in(prev_start, before_start)
                    .next_back()
                    .map(|m| m.name.clone());
            }
        }
        if speaker.is_none() && k > 0 {
            let (_, prev_close) = ranges[k - 1];
            // The same paragraph's quote before it, or a quote running on into a
            // new paragraph with nobody else named in between.
            let same_para = prev_close >= para_start;
            let runs_on = !same_para
                && body[para_start..open].trim().is_empty()
                && people_in(prev_close, open).next().is_none();
            // In one paragraph a later quote without its own attribution is the
            // same speaker's ("“A,” Smith said. “B.”") unless someone else is
            // named between them.
            let prev = quotes[k - 1].speaker.as_deref();
            let nobody_else = people_in(prev_close, open).all(|m| Some(m.name.as_str()) == prev);
            if (same_para && nobody_else) || runs_on {
                speaker = quotes[k - 1].speaker.clone();
            }
        }
        if speaker.is_some() {
            let mut b = k;
            while b > 0 && quotes[b - 1].speaker.is_none() && ranges[b - 1].1 >= para_start {
                quotes[b - 1].speaker = speaker.clone();
                b -= 1;
            }
            last_speaker = speaker.clone().map(|n| (n, close));
        }
        quotes[k].speaker = speaker;
    }
}

fn attribute(body: &str, quotes: &mut [Quote]) {
    let chars: Vec<char> = body.chars().collect();
    // Byte offset of each char, for slicing context.
    let mut byte_at: Vec<usize> = body.char_indices().map(|(b, _)| b).collect();
    byte_at.push(body.len());
    let names = full_names(body);
    let widen = |n: String| -> String {
        let last = n.split_whitespace().last().unwrap_or("").to_string();
        names
            .iter()
            .filter(|full| full.split_whitespace().last() == Some(last.as_str()))
            .max_by_key(|full| full.len())
            .filter(|full| full.len() > n.len())
            .cloned()
            .unwrap_or(n)
    };
    let mut last_speaker: Option<String> = None;
    for k in 0..quotes.len() {
        let (start, end) = (quotes[k].start, quotes[k].end);
        let para_start = paragraph_start(&chars, start);
        let after_end = (end + 1 + 120).min(chars.len());
        let after = &body[byte_at[(end + 1).min(chars.len())]..byte_at[after_end]];
        // Only this paragraph's words attribute its quotes.
        let after = after.split("\n\n").next().unwrap_or("");
        let before_from = start.saturating_sub(1 + 160).max(para_start);
        let before = &body[byte_at[before_from]..byte_at[start.saturating_sub(1)]];
        let mut speaker = None;
        if let Some(c) = AFTER.captures(after) {
            if let Some(m) = c.name("a").or(c.name("b")) {
                speaker = clean_name(m.as_str());
            } else if c.name("p").is_some() {
                speaker = last_speaker.clone();
            }
        }
        if speaker.is_none() {
            if let Some(c) = BEFORE.captures(before) {
                if let Some(m) = c.name("a").or(c.name("b")) {
                    speaker = clean_name(m.as_str());
                }
            }
        }
        // A quote that continues the one before it in the same paragraph.
        if speaker.is_none() && k > 0 && quotes[k - 1].end >= para_start {
            let gap: String = chars[quotes[k - 1].end + 1..start.saturating_sub(1)]
                .iter()
                .collect();
            if gap.split_whitespace().count() <= 3 {
                speaker = quotes[k - 1].speaker.clone();
            }
        }
        let speaker = speaker.map(&widen);
        // "he asked" after a later quote of the same paragraph names the earlier ones too.
        if speaker.is_some() {
            let mut b = k;
            while b > 0 && quotes[b - 1].speaker.is_none() && quotes[b - 1].end >= para_start {
                quotes[b - 1].speaker = speaker.clone();
                b -= 1;
            }
            last_speaker = speaker.clone();
        }
        quotes[k].speaker = speaker;
    }
}

/// Index of the first character of the paragraph holding `at`.
fn paragraph_start(chars: &[char], at: usize) -> usize {
    let mut p = at.min(chars.len());
    while p > 1 {
        if chars[p - 1] == '\n' && chars[p - 2] == '\n' {
            return p;
        }
        p -= 1;
    }
    0
}

/// Person-like names of two or more capitalised words in the text, to widen a
/// surname to the fullest form the article uses.
fn full_names(body: &str) -> Vec<String> {
    static FULL: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"\p{Lu}\p{Ll}+(?:\s+\p{Lu}\p{Ll}+){1,2}").expect("full-name pattern")
    });
    let mut v: Vec<String> = FULL
        .find_iter(body)
        .filter_map(|m| clean_name(m.as_str()))
        .filter(|n| n.split_whitespace().count() >= 2)
        .collect();
    v.sort();
    v.dedup();
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn speaker_of<'a>(qs: &'a [Quote], start: &str) -> Option<&'a str> {
        qs.iter()
            .find(|q| q.text.starts_with(start))
            .unwrap_or_else(|| panic!("no quote starting {start:?} in {qs:?}"))
            .speaker
            .as_deref()
    }

    #[test]
    fn speakers_after_before_and_by_pronoun() {
        let body = "Secretary of State Antony Blinken spoke in Berlin.\n\n\
            “Russia justifies its actions by claiming that Ukraine poses a threat,” Blinken said.\n\n\
            “Whose troops are surrounding whom?\" he asked. \"Which country has claimed another’s territory through force?\"\n\n\
            Sergei Lavrov replied: «We will not talk under threats, and we never have.»\n\n\
            Ukrainian President Volodymyr Zelenskyy said: “We want peace, not promises.”\n\n\
            „Das ist nicht akzeptabel“, sagte Olaf Scholz am Abend.\n\n\
            It was Russia, not Ukraine or NATO: “Which troops are moving where?”\n\n\
            They promised a “united” response.";
        let qs = quotes(body);
        assert_eq!(speaker_of(&qs, "Russia justifies"), Some("Antony Blinken"));
        assert_eq!(speaker_of(&qs, "Whose troops"), Some("Antony Blinken"));
        assert_eq!(speaker_of(&qs, "Which country"), Some("Antony Blinken"));
        assert_eq!(speaker_of(&qs, "We will not"), Some("Sergei Lavrov"));
        assert_eq!(speaker_of(&qs, "Das ist"), Some("Olaf Scholz"));
        assert_eq!(
            speaker_of(&qs, "We want peace"),
            Some("Volodymyr Zelenskyy")
        );
        assert_eq!(
            speaker_of(&qs, "Which troops"),
            None,
            "a name before a colon is no speaker"
        );
        assert!(
            !qs.iter().any(|q| q.text == "united"),
            "scare quotes are not quotes"
        );
        let q = &qs[0];
        let text: String = body.chars().skip(q.start).take(q.end - q.start).collect();
        assert_eq!(text.trim(), q.text);
    }

    #[test]
    fn a_megabyte_paragraph_of_quotes_is_attributed_in_linear_time() {
        // Each quote once scanned the text before it: 113 s for this body.
        let body = "“We will not go,” Anna Smith said. ".repeat(30_000);
        let gaz = crate::Gazetteer::embedded();
        let t = std::time::Instant::now();
        let (_, m) = crate::entities::analyze(&body, Some("en"), &gaz);
        let qs = quotes_with(&body, &m);
        assert!(
            t.elapsed() < std::time::Duration::from_secs(20),
            "{:?}",
            t.elapsed()
        );
        assert!(
            qs.len() > 25_000,
            "quotes in the first megabyte: {}",
            qs.len()
        );
        assert_eq!(qs[0].speaker.as_deref(), Some("Anna Smith"));
    }

    #[test]
    fn no_quote_marks_no_quotes_and_unclosed_marks_are_skipped() {
        assert!(quotes("The council met on Monday.").is_empty());
        assert!(quotes("He said “this never ends.\n\nNext paragraph.").is_empty());
    }
}
