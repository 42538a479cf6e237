//! Language of a line or a document, for gating language-specific rules.
//!
//! Rule packs are written per language; a German "Video …" caption rule must not
//! remove an English sentence that starts with "Video". whatlang (trigram model)
//! is cheap enough to run on the few lines a rule matches.

/// ISO 639-1 code of `text`'s language when whatlang is confident, else None.
pub fn detect(text: &str) -> Option<&'static str> {
    let info = whatlang::detect(text)?;
    if !info.is_reliable() {
        return None;
    }
    isolang::Language::from_639_3(info.lang().code())?.to_639_1()
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
    if rule_langs.is_empty() || rule_langs.iter().any(|l| l == "*" || l == lang) {
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
