//! Language of a line or a document, for gating language-specific rules.
//!
//! Rule packs are written per language; a German "Video …" caption rule must not
//! remove an English sentence that starts with "Video". whatlang (trigram model)
//! is cheap enough to run on the few lines a rule matches.

use std::collections::HashMap;

/// ISO 639-1 code of `text`'s language when whatlang is confident, else None.
pub fn detect(text: &str) -> Option<&'static str> {
    let info = whatlang::detect(text)?;
    if !info.is_reliable() {
        return None;
    }
    isolang::Language::from_639_3(info.lang().code())?.to_639_1()
}

/// A document's language twice over, from one whatlang call: strict (reliable
/// guesses only, as [`detect`]) for the rules, and lenient for the classifier's
/// stopwords and site words. whatlang calls a guess unreliable when a close
/// language scores near it (Dutch and Afrikaans), even over a page of text; over
/// thirty words its first guess is still right far more often than not, and
/// without it the classifier has no stopword list. The rules keep the strict
/// answer: a wrong language there would stop a rule from applying at all.
pub fn detect_document(sample: &str) -> DocLang {
    let Some(info) = whatlang::detect(sample) else {
        return DocLang::default();
    };
    let code = isolang::Language::from_639_3(info.lang().code()).and_then(|l| l.to_639_1());
    let strict = code.filter(|_| info.is_reliable());
    DocLang {
        strict,
        lenient: strict.or(code.filter(|_| sample.split_whitespace().count() >= 30)),
        confidence: info.confidence(),
    }
}

/// What [`detect_document`] reads of a document: its paragraphs of prose (ten
/// words or more), in order, up to [`SAMPLE_CHARS`]; the start of the text when
/// there is too little prose. whatlang's time grows with the text (lowercasing,
/// sorting its trigrams, scoring every character against every alphabet):
/// 2,000 characters of prose cost ~270 µs against ~400 µs for the first 4,000
/// of the page, and name the language at least as often, because the menus and
/// banners at the top are left out (on the 655 labelled fixture documents:
/// confident and right 644 times against 642, never wrong either way).
pub fn document_sample<'a>(paras: impl Iterator<Item = &'a str>, text: &str) -> String {
    let (mut sample, mut chars) = (String::new(), 0);
    for p in paras.filter(|p| p.split_whitespace().nth(9).is_some()) {
        if chars >= SAMPLE_CHARS {
            break;
        }
        if !sample.is_empty() {
            sample.push('\n');
        }
        sample.push_str(p);
        chars += p.chars().count() + 1;
    }
    if sample.len() < MIN_PROSE_SAMPLE {
        return text.chars().take(SAMPLE_CHARS).collect();
    }
    match sample.char_indices().nth(SAMPLE_CHARS) {
        Some((end, _)) => sample[..end].to_string(),
        None => sample,
    }
}

/// Characters of a document given to whatlang.
pub const SAMPLE_CHARS: usize = 2000;
/// Less prose than this (bytes) and the sample is the start of the text instead.
const MIN_PROSE_SAMPLE: usize = 400;

/// What [`detect_document`] found.
#[derive(Debug, Clone, Copy, Default)]
pub struct DocLang {
    /// The language when whatlang is confident (rules are gated by it).
    pub strict: Option<&'static str>,
    /// Its first guess over thirty words or more (stopwords for the classifier).
    pub lenient: Option<&'static str>,
    /// whatlang's confidence in its guess.
    pub confidence: f64,
}

/// The most distinct lines of one document whose own language is detected.
///
/// A whatlang call costs about 0.1 ms however short the line (it scores every
/// language's trigram profile), so a document of tens of thousands of short lines
/// that rules match took seconds. Real articles have a few dozen boilerplate lines;
/// past this many, a line's language counts as not told and the document's decides.
pub const LINE_DETECT_BUDGET: usize = 256;

/// Languages of the lines of one document, each distinct line detected once and
/// at most [`LINE_DETECT_BUDGET`] lines detected in all.
#[derive(Debug, Default)]
pub struct LineLangs {
    known: HashMap<String, Option<&'static str>>,
}

impl LineLangs {
    pub fn new() -> LineLangs {
        LineLangs::default()
    }

    /// [`detect`] for a line of the document, or None once the budget is spent.
    pub fn detect(&mut self, line: &str) -> Option<&'static str> {
        if let Some(&lang) = self.known.get(line) {
            return lang;
        }
        if self.known.len() >= LINE_DETECT_BUDGET {
            return None;
        }
        let lang = detect(line);
        self.known.insert(line.to_owned(), lang);
        lang
    }

    /// How many distinct lines were run through the detector.
    pub fn detected(&self) -> usize {
        self.known.len()
    }
}

/// Does a rule written for `rule_langs` apply whatever the language (`*` or none
/// listed)? Then no line needs detecting for it.
pub fn any_language(rule_langs: &[String]) -> bool {
    rule_langs.is_empty() || rule_langs.iter().any(|l| l == "*")
}

/// Languages whatlang readily confuses on short text are treated as one family, so
/// a Portuguese line read as Spanish still meets the Portuguese rules.
const FAMILIES: &[&[&str]] = &[
    &["es", "pt", "gl", "ca", "it", "fr"],
    &["de", "nl", "af"],
    &["da", "no", "nb", "nn", "sv"],
];

/// May a rule written for `rule_langs` apply to text in `lang`? Unknown language,
/// or a rule for any language (`*` or none listed), always may.
pub fn compatible(rule_langs: &[String], lang: Option<&str>) -> bool {
    let Some(lang) = lang else { return true };
    if any_language(rule_langs) || rule_langs.iter().any(|l| l == lang) {
        return true;
    }
    FAMILIES
        .iter()
        .any(|fam| fam.contains(&lang) && rule_langs.iter().any(|l| fam.contains(&l.as_str())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_sample_is_its_prose() {
        let menu = "Home\nNews\nSport\nAccedi per commentare\n";
        let prose = "The city council approved the new budget on Tuesday after a long debate about the costs of the tram line.";
        let text = format!("{menu}{}", [prose; 4].join("\n"));
        let sample = document_sample(text.split('\n'), &text);
        assert!(!sample.contains("Home") && sample.starts_with("The city council"));
        // Too little prose: the start of the text, menus and all.
        let short = "Home\nNews\nA short note.";
        assert_eq!(document_sample(short.split('\n'), short), short);
        // Never more than SAMPLE_CHARS characters, cut on a character boundary.
        let long = "Überall in der Stadt wurden am Dienstag neue Fahrradwege eröffnet, sagte die Bürgermeisterin.\n".repeat(100);
        assert_eq!(
            document_sample(long.split('\n'), &long).chars().count(),
            SAMPLE_CHARS
        );
    }

    #[test]
    fn gating() {
        let de = vec!["de".to_string()];
        assert!(!compatible(&de, Some("en")));
        assert!(compatible(&de, Some("nl")));
        assert!(compatible(&de, None));
        assert!(compatible(&["*".to_string()], Some("en")));
        assert_eq!(
            detect("Video shows police officers pushing protesters back from the square"),
            Some("en")
        );
    }
}
