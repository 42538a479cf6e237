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
        _ => return None,
    })
}

/// Quotes are looked for in the first this-many bytes only: the scan keeps a
/// character table of the text (12 bytes a character), which for a 16 MB body
/// would take 200 MB from the daemon's memory bound.
const MAX_TEXT_BYTES: usize = 1_000_000;

/// Every direct quote of `body`, with its speaker where the text says it.
pub fn quotes(body: &str) -> Vec<Quote> {
    let mut cut = body.len().min(MAX_TEXT_BYTES);
    while !body.is_char_boundary(cut) {
        cut -= 1;
    }
    let body = &body[..cut];
    let chars: Vec<char> = body.chars().collect();
    // Byte offset of each char, for slicing context.
    let mut byte_at: Vec<usize> = body.char_indices().map(|(b, _)| b).collect();
    byte_at.push(body.len());
    let mut out: Vec<Quote> = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let Some(close_set) = closers(chars[i]) else {
            i += 1;
            continue;
        };
        // The closing mark within this paragraph, at most 2,000 characters on.
        let mut j = i + 1;
        let mut found = None;
        while j < chars.len() && j - i < 2000 {
            if chars[j] == '\n' && chars.get(j + 1) == Some(&'\n') {
                break;
            }
            if close_set.contains(&chars[j]) {
                found = Some(j);
                break;
            }
            j += 1;
        }
        let Some(j) = found else {
            i += 1;
            continue;
        };
        let inner: String = chars[i + 1..j].iter().collect();
        let text = inner.trim();
        if text.split_whitespace().count() >= 2 {
            out.push(Quote {
                text: text.to_string(),
                speaker: None,
                start: i + 1,
                end: j,
            });
        }
        i = j + 1;
    }
    attribute(body, &chars, &byte_at, &mut out);
    out
}

fn attribute(body: &str, chars: &[char], byte_at: &[usize], quotes: &mut [Quote]) {
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
        let para_start = paragraph_start(chars, start);
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
    fn no_quote_marks_no_quotes_and_unclosed_marks_are_skipped() {
        assert!(quotes("The council met on Monday.").is_empty());
        assert!(quotes("He said “this never ends.\n\nNext paragraph.").is_empty());
    }
}
