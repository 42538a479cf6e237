//! Boilerplate rule packs: TOML files of phrases and patterns that match whole
//! lines after folding (case, punctuation, whitespace and digits), so one phrase
//! covers "Please enter your comment!" and "PLEASE ENTER YOUR COMMENT".
//!
//! The format is documented in `config/rules/README.md`. Rules are compiled into one
//! `RegexSet`, so a line is tested against every rule in a single pass.

use crate::lang::LineLangs;
use regex::{Regex, RegexSet};
use serde::Deserialize;
use std::collections::HashSet;
use std::fmt;
use std::path::Path;

/// The packs shipped in `config/rules/`, compiled in so the daemon runs on its
/// defaults without the repository beside it.
pub const BUILTIN_PACKS: &[(&str, &str)] = &[
    ("en.toml", include_str!("../../../config/rules/en.toml")),
    ("de.toml", include_str!("../../../config/rules/de.toml")),
    ("fr.toml", include_str!("../../../config/rules/fr.toml")),
    ("es.toml", include_str!("../../../config/rules/es.toml")),
    ("it.toml", include_str!("../../../config/rules/it.toml")),
    ("pt.toml", include_str!("../../../config/rules/pt.toml")),
    ("nl.toml", include_str!("../../../config/rules/nl.toml")),
];

/// Lazy DFA cache for the combined rule set, per concurrent search.
const DFA_CACHE_BYTES: usize = 16 << 20;

/// Default longest line (in folded words) a rule may remove: boilerplate is short,
/// and this keeps a rule from eating a real paragraph that happens to quote it.
pub const DEFAULT_MAX_WORDS: usize = 40;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PackFile {
    pack: PackMeta,
    #[serde(default, rename = "rule")]
    rules: Vec<RuleSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PackMeta {
    /// Languages the pack's rules are written for (ISO 639-1), unless a rule says otherwise.
    languages: Vec<String>,
    #[serde(default)]
    description: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
enum MatchMode {
    /// The folded line equals a phrase.
    #[default]
    Line,
    /// The folded line starts with a phrase.
    Prefix,
    /// A phrase occurs in the folded line, on word boundaries.
    Contains,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleSpec {
    id: String,
    kind: String,
    #[serde(default)]
    languages: Option<Vec<String>>,
    #[serde(default)]
    phrases: Vec<String>,
    #[serde(default)]
    patterns: Vec<String>,
    #[serde(default, rename = "match")]
    mode: MatchMode,
    #[serde(default)]
    max_words: Option<usize>,
    #[serde(default)]
    unterminated: bool,
}

/// One compiled rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub id: String,
    pub kind: String,
    pub languages: Vec<String>,
    pub max_words: usize,
    /// Only lines that do not end in terminal punctuation (headline-shaped lines).
    pub unterminated: bool,
    pub pack: String,
}

/// Why a pack could not be loaded: which pack, which rule, what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError {
    pub pack: String,
    pub message: String,
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "rule pack {}: {}", self.pack, self.message)
    }
}

impl std::error::Error for RuleError {}

/// All rules of all packs, compiled.
#[derive(Debug, Clone)]
pub struct RuleSet {
    rules: Vec<Rule>,
    /// The patterns that start with `^`, and the rest: see [`Patterns`].
    anchored: Patterns,
    floating: Patterns,
    packs: Vec<String>,
    /// The largest `max_words` of any rule: longer lines skip matching altogether.
    longest: usize,
}

/// Some of the rules' patterns, compiled into one set.
///
/// The patterns are split by whether they start with `^` because one set of
/// both kinds is slow: every unanchored pattern makes the lazy DFA track every
/// start position for all the others, so its states multiply, and building them
/// was a fifth of the HTML path's time. A set whose patterns all start with `^`
/// is searched anchored, and on most lines dies after a few bytes.
#[derive(Debug, Clone)]
struct Patterns {
    set: RegexSet,
    /// Pattern `i` of the set belongs to rule `owner[i]`.
    owner: Vec<usize>,
}

impl Patterns {
    fn build(sources: &[(String, usize)], anchored: bool) -> Result<Patterns, RuleError> {
        let (sources, owner): (Vec<&str>, Vec<usize>) = sources
            .iter()
            .filter(|(s, _)| s.starts_with('^') == anchored)
            .map(|(s, o)| (s.as_str(), *o))
            .unzip();
        // Caches are pooled per concurrent search (normalizer workers), not per
        // thread; one too small for the set is cleared over and over and matching
        // falls back to the slow NFA.
        let set = regex::RegexSetBuilder::new(&sources)
            .dfa_size_limit(DFA_CACHE_BYTES)
            .build()
            .map_err(|e| RuleError {
                pack: "(all packs)".into(),
                message: format!("the combined rule set does not compile: {e}"),
            })?;
        Ok(Patterns { set, owner })
    }

    /// The rules with a pattern matching `folded`, into `out`.
    fn matching(&self, folded: &str, out: &mut Vec<usize>) {
        out.extend(self.set.matches(folded).iter().map(|i| self.owner[i]));
    }
}

/// A rule that fired on a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleMatch<'a> {
    pub rule: &'a Rule,
}

impl RuleSet {
    /// The packs compiled into the binary.
    pub fn builtin() -> RuleSet {
        let packs: Vec<(String, String)> = BUILTIN_PACKS
            .iter()
            .map(|(n, t)| (n.to_string(), t.to_string()))
            .collect();
        RuleSet::from_packs(&packs).expect("built-in rule packs are checked by tests")
    }

    /// Every `*.toml` in `dir`, in name order.
    pub fn load_dir(dir: &Path) -> Result<RuleSet, RuleError> {
        let fail = |message: String| RuleError {
            pack: dir.display().to_string(),
            message,
        };
        let entries = std::fs::read_dir(dir)
            .map_err(|e| fail(format!("cannot read the rules directory: {e}")))?;
        let mut paths: Vec<_> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        paths.sort();
        if paths.is_empty() {
            return Err(fail("no *.toml rule packs in it".into()));
        }
        let mut packs = Vec::new();
        for p in paths {
            let text = std::fs::read_to_string(&p).map_err(|e| RuleError {
                pack: p.display().to_string(),
                message: format!("cannot read: {e}"),
            })?;
            packs.push((p.display().to_string(), text));
        }
        RuleSet::from_packs(&packs)
    }

    /// Compiles packs given as (name, TOML text).
    pub fn from_packs(packs: &[(String, String)]) -> Result<RuleSet, RuleError> {
        let mut rules = Vec::new();
        let mut owner = Vec::new();
        let mut sources = Vec::new();
        let mut seen = HashSet::new();
        for (name, text) in packs {
            let fail = |message: String| RuleError {
                pack: name.clone(),
                message,
            };
            let file: PackFile = toml::from_str(text).map_err(|e| fail(e.to_string()))?;
            let _ = &file.pack.description;
            for spec in file.rules {
                if !seen.insert(spec.id.clone()) {
                    return Err(fail(format!(
                        "rule id `{}` is used twice; ids must be unique",
                        spec.id
                    )));
                }
                if spec.phrases.is_empty() && spec.patterns.is_empty() {
                    return Err(fail(format!(
                        "rule `{}` has neither `phrases` nor `patterns`",
                        spec.id
                    )));
                }
                let idx = rules.len();
                for phrase in &spec.phrases {
                    let folded = fold(phrase);
                    if folded.is_empty() {
                        return Err(fail(format!(
                            "rule `{}`: phrase {phrase:?} has no letters or digits",
                            spec.id
                        )));
                    }
                    let esc = regex::escape(&folded);
                    sources.push(match spec.mode {
                        MatchMode::Line => format!("^{esc}$"),
                        MatchMode::Prefix => format!("^{esc}(?: |$)"),
                        MatchMode::Contains => format!("(?:^| ){esc}(?: |$)"),
                    });
                    owner.push(idx);
                }
                for pat in &spec.patterns {
                    // A Unicode word boundary forces the regex engine off its DFA onto
                    // a slow NFA simulation for every non-ASCII line; folded lines have
                    // single spaces between words, so a boundary is a space or an end.
                    if pat.contains(r"\b") || pat.contains(r"\B") {
                        return Err(fail(format!(
                            "rule `{}`: pattern {pat:?} uses \\b; write (?:^| ) or (?: |$) instead \
                             (folded lines separate words by single spaces)",
                            spec.id
                        )));
                    }
                    Regex::new(pat).map_err(|e| {
                        fail(format!("rule `{}`: bad pattern {pat:?}: {e}", spec.id))
                    })?;
                    sources.push(pat.clone());
                    owner.push(idx);
                }
                rules.push(Rule {
                    id: spec.id,
                    kind: spec.kind,
                    languages: spec
                        .languages
                        .unwrap_or_else(|| file.pack.languages.clone()),
                    max_words: spec.max_words.unwrap_or(DEFAULT_MAX_WORDS),
                    unterminated: spec.unterminated,
                    pack: name.clone(),
                });
            }
        }
        let sources: Vec<(String, usize)> = sources.into_iter().zip(owner).collect();
        let anchored = Patterns::build(&sources, true)?;
        let floating = Patterns::build(&sources, false)?;
        let longest = rules.iter().map(|r| r.max_words).max().unwrap_or(0);
        Ok(RuleSet {
            longest,
            rules,
            anchored,
            floating,
            packs: packs.iter().map(|(n, _)| n.clone()).collect(),
        })
    }

    pub fn len(&self) -> usize {
        self.rules.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    pub fn packs(&self) -> &[String] {
        &self.packs
    }

    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The first rule (in pack order) that matches `line`, honouring each rule's
    /// word limit, terminal-punctuation condition and languages.
    /// `allow_unterminated = false` skips rules that only describe headline-shaped
    /// lines. A rule for other languages applies only if the line's language cannot
    /// be told, from the line itself or else from `doc_lang`.
    pub fn find(
        &self,
        line: &str,
        allow_unterminated: bool,
        doc_lang: Option<&str>,
    ) -> Option<RuleMatch<'_>> {
        self.find_in(line, allow_unterminated, doc_lang, &mut LineLangs::new())
    }

    /// [`RuleSet::find`] for one line of a document, with `langs` holding the
    /// languages of the document's lines detected so far: language detection is by
    /// far the dearest step, so it runs only for rules limited to some languages,
    /// once per distinct line, and within the document's budget.
    pub fn find_in(
        &self,
        line: &str,
        allow_unterminated: bool,
        doc_lang: Option<&str>,
        langs: &mut LineLangs,
    ) -> Option<RuleMatch<'_>> {
        let folded = fold(line);
        if folded.is_empty() {
            return None;
        }
        let words = folded.split(' ').count();
        if words > self.longest {
            return None;
        }
        let terminated = ends_terminated(line);
        let mut line_lang: Option<Option<&str>> = None;
        let mut hits = Vec::new();
        self.anchored.matching(&folded, &mut hits);
        self.floating.matching(&folded, &mut hits);
        // The first rule in pack order wins, whichever set found it.
        hits.sort_unstable();
        hits.dedup();
        hits.into_iter()
            .map(|i| &self.rules[i])
            .find(|r| {
                if words > r.max_words || (r.unterminated && (!allow_unterminated || terminated)) {
                    return false;
                }
                if crate::lang::any_language(&r.languages) {
                    return true;
                }
                // A rule of the document's language applies without asking
                // whatlang about the line (a call per line was a third of the
                // normalizer's time); a rule of another language needs the line
                // itself to be in that language.
                if doc_lang.is_some() && crate::lang::compatible(&r.languages, doc_lang) {
                    return true;
                }
                let lang = *line_lang.get_or_insert_with(|| langs.detect(line).or(doc_lang));
                crate::lang::compatible(&r.languages, lang)
            })
            .map(|rule| RuleMatch { rule })
    }
}

/// Folds a line for matching: lowercase, every run of non-alphanumerics becomes one
/// space, every digit becomes `0`.
pub fn fold(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut pending_space = false;
    for c in line.chars() {
        if c.is_alphanumeric() {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            if c.is_numeric() {
                out.push('0');
            } else {
                out.extend(c.to_lowercase());
            }
        } else {
            pending_space = true;
        }
    }
    out
}

/// Does the line end like a sentence (period, question or exclamation mark,
/// ellipsis, or a closing quote or bracket after one)?
pub fn ends_terminated(line: &str) -> bool {
    let t = line.trim_end_matches(|c: char| {
        c.is_whitespace()
            || matches!(
                c,
                '"' | '\'' | '”' | '’' | '»' | '«' | '›' | '‹' | '“' | ')' | ']'
            )
    });
    t.ends_with(['.', '!', '?', '…', ':', ';'])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(toml: &str) -> RuleSet {
        RuleSet::from_packs(&[("t.toml".into(), toml.into())]).unwrap()
    }

    #[test]
    fn sentences_ending_in_any_closing_quote_mark_are_terminated() {
        for line in [
            "»Das darf sich nicht wiederholen.«",
            "« C'est fini. »",
            "“It is over.”",
            "‹Non.›",
        ] {
            assert!(ends_terminated(line), "{line}");
        }
        assert!(!ends_terminated("Watch: the storm hits the coast"));
    }

    #[test]
    fn folding() {
        assert_eq!(fold("  IE 11 is NOT supported. "), "ie 00 is not supported");
        assert_eq!(
            fold("Please enter your comment!"),
            "please enter your comment"
        );
        assert_eq!(fold("Ça coûte 3,50 €"), "ça coûte 0 00");
    }

    #[test]
    fn modes_and_limits() {
        let s = set(r#"
            [pack]
            languages = ["en"]
            [[rule]]
            id = "a"
            kind = "comment-form"
            phrases = ["Please enter your comment!"]
            [[rule]]
            id = "b"
            kind = "advertisement"
            match = "prefix"
            phrases = ["advertisement"]
            max_words = 3
            [[rule]]
            id = "c"
            kind = "video-caption"
            patterns = [" explains$"]
            unterminated = true
        "#);
        assert_eq!(
            s.find("PLEASE ENTER YOUR COMMENT", true, None)
                .unwrap()
                .rule
                .id,
            "a"
        );
        assert!(s
            .find("Please enter your comment about the law", true, None)
            .is_none());
        assert_eq!(
            s.find("Advertisement - scroll", true, None)
                .unwrap()
                .rule
                .id,
            "b"
        );
        assert!(s
            .find(
                "Advertisement revenue fell sharply in the quarter",
                true,
                None
            )
            .is_none());
        assert_eq!(
            s.find("Why now? Jane Doe explains", true, None)
                .unwrap()
                .rule
                .id,
            "c"
        );
        assert!(s.find("Why now? Jane Doe explains.", true, None).is_none());
        assert!(s.find("Why now? Jane Doe explains", false, None).is_none());
    }

    #[test]
    fn line_languages_are_detected_once_per_line_and_within_budget() {
        use crate::lang::LINE_DETECT_BUDGET;
        let s = set(r#"
            [pack]
            languages = ["en"]
            [[rule]]
            id = "any"
            kind = "share-bar"
            languages = ["*"]
            phrases = ["x"]
            [[rule]]
            id = "video"
            kind = "video-caption"
            match = "prefix"
            phrases = ["video"]
        "#);
        let mut langs = LineLangs::new();
        // A rule for any language needs no detection at all.
        for _ in 0..1000 {
            assert_eq!(
                s.find_in("x", true, None, &mut langs).unwrap().rule.id,
                "any"
            );
        }
        assert_eq!(langs.detected(), 0);
        // Nor does a rule of the document's own language.
        for i in 0..1000 {
            assert!(s
                .find_in(&format!("Video {i:x}"), true, Some("en"), &mut langs)
                .is_some());
        }
        assert_eq!(langs.detected(), 0);
        // In a German document, the English rule asks about the line; a repeated
        // line is detected once.
        for _ in 0..1000 {
            s.find_in("Video", true, Some("de"), &mut langs);
        }
        assert_eq!(langs.detected(), 1);
        // Distinct lines: no more than the budget, then the document's language decides.
        for i in 0..1000 {
            s.find_in(&format!("Video {i:x}"), true, Some("de"), &mut langs);
        }
        assert_eq!(langs.detected(), LINE_DETECT_BUDGET);
        assert!(s
            .find_in(
                "Video shows the flooded streets of the old town",
                true,
                Some("de"),
                &mut langs
            )
            .is_none());
        assert_eq!(langs.detected(), LINE_DETECT_BUDGET);
    }

    #[test]
    fn bad_packs_say_where() {
        let e = RuleSet::from_packs(&[(
            "w.toml".into(),
            "[pack]\nlanguages=[]\n[[rule]]\nid='wb'\nkind='k'\npatterns=['^x\\b']\n".into(),
        )])
        .unwrap_err();
        assert!(
            e.to_string().contains("`wb`") && e.to_string().contains("(?: |$)"),
            "{e}"
        );
        let e = RuleSet::from_packs(&[(
            "x.toml".into(),
            "[pack]\nlanguages=[]\n[[rule]]\nid='a'\nkind='k'\npatterns=['(']\n".into(),
        )])
        .unwrap_err();
        assert!(
            e.to_string().contains("x.toml") && e.to_string().contains("`a`"),
            "{e}"
        );
        let e = RuleSet::from_packs(&[(
            "y.toml".into(),
            "[pack]\nlanguages=[]\n[[rule]]\nid='a'\nkind='k'\nphraze=['x']\n".into(),
        )])
        .unwrap_err();
        assert!(e.to_string().contains("phraze"), "{e}");
    }

    #[test]
    fn builtin_packs_compile() {
        let s = RuleSet::builtin();
        assert!(s.len() >= 40, "only {} built-in rules", s.len());
        assert_eq!(s.packs().len(), BUILTIN_PACKS.len());
    }

    #[test]
    fn long_consent_notices_are_removed_whole() {
        // Consent banners run to 60-90 words; a 55-word limit let this one through.
        let line = "Avec votre accord, nous et nos 214 partenaires utilisons des cookies ou \
            technologies similaires pour stocker et accéder à des informations personnelles \
            comme votre visite sur ce site. Vous pouvez retirer votre consentement ou vous \
            opposer aux traitements basés sur l'intérêt légitime à tout moment en cliquant sur \
            « En savoir plus » ou dans notre politique de confidentialité.";
        let s = RuleSet::builtin();
        let m = s
            .find(line, true, Some("fr"))
            .expect("the consent notice is boilerplate");
        assert_eq!(m.rule.id, "fr.cookie-consent");
    }
}
