//! whatlang against lingua on a TSV of `<ISO 639-1>\t<paragraph>` lines: accuracy
//! per language and overall, on the whole paragraph and on its first 40
//! characters (short texts: titles, captions), and paragraphs per second.
//! Each detector is used as the daemon would: whatlang over all its 69 languages
//! (the daemon does not restrict it), lingua over the 20 languages of the set
//! (all 75 would only make it slower and less accurate).

use std::collections::BTreeMap;
use std::time::Instant;

fn short(s: &str) -> &str {
    match s.char_indices().nth(40) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

fn main() {
    let path = std::env::args()
        .nth(1)
        .expect("usage: lang-compare FILE.tsv");
    let text = std::fs::read_to_string(&path).expect("readable TSV");
    let rows: Vec<(String, String)> = text
        .lines()
        .filter_map(|l| l.split_once('\t'))
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    let langs: Vec<lingua::Language> = rows
        .iter()
        .filter_map(|(c, _)| {
            lingua::Language::from_iso_code_639_1(&c.parse::<lingua::IsoCode639_1>().ok()?)
                .into()
        })
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let t = Instant::now();
    let lingua_det = lingua::LanguageDetectorBuilder::from_languages(&langs)
        .with_preloaded_language_models()
        .build();
    let lingua_load = t.elapsed().as_secs_f64();

    let whatlang_code = |s: &str| -> Option<String> {
        let info = whatlang::detect(s)?;
        Some(match info.lang() {
            whatlang::Lang::Eng => "en", whatlang::Lang::Deu => "de", whatlang::Lang::Fra => "fr",
            whatlang::Lang::Spa => "es", whatlang::Lang::Ita => "it", whatlang::Lang::Por => "pt",
            whatlang::Lang::Nld => "nl", whatlang::Lang::Rus => "ru", whatlang::Lang::Ukr => "uk",
            whatlang::Lang::Pol => "pl", whatlang::Lang::Ces => "cs", whatlang::Lang::Ron => "ro",
            whatlang::Lang::Swe => "sv", whatlang::Lang::Tur => "tr", whatlang::Lang::Ara => "ar",
            whatlang::Lang::Cmn => "zh", whatlang::Lang::Jpn => "ja", whatlang::Lang::Kor => "ko",
            whatlang::Lang::Hin => "hi", whatlang::Lang::Ind => "id",
            other => return Some(other.code().to_string()),
        }.to_string())
    };
    let lingua_code = |s: &str| -> Option<String> {
        lingua_det
            .detect_language_of(s)
            .map(|l| l.iso_code_639_1().to_string().to_lowercase())
    };

    type Det<'a> = (&'a str, &'a dyn Fn(&str) -> Option<String>);
    let dets: [Det; 2] = [("whatlang", &whatlang_code), ("lingua", &lingua_code)];
    println!("{} paragraphs, {} languages; lingua models loaded in {lingua_load:.2} s", rows.len(), langs.len());
    for (name, det) in dets {
        for (label, cut) in [("paragraph", false), ("first 40 chars", true)] {
            let t = Instant::now();
            let mut per: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
            let mut ok = 0;
            for (want, p) in &rows {
                let s = if cut { short(p) } else { p.as_str() };
                let got = det(s);
                let e = per.entry(want.as_str()).or_default();
                e.0 += 1;
                if got.as_deref() == Some(want.as_str()) {
                    ok += 1;
                    e.1 += 1;
                }
            }
            let secs = t.elapsed().as_secs_f64();
            let worst: Vec<String> = per
                .iter()
                .filter(|(_, (n, k))| k < n)
                .map(|(l, (n, k))| format!("{l} {k}/{n}"))
                .collect();
            println!(
                "{name:<9} {label:<15} accuracy {:.3}  {:>8.0} paragraphs/s  misses: {}",
                ok as f64 / rows.len() as f64,
                rows.len() as f64 / secs,
                worst.join(", ")
            );
        }
    }
}
