//! Bytes to UTF-8: BOM, then strict UTF-8, then statistical detection (chardetng,
//! the detector Firefox uses), and a refusal for anything that is not text.

use encoding_rs::Encoding;
use newsflow_record::{Reason, Stage, StageError};

/// Text decoded from a file, and the encoding it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    pub text: String,
    pub encoding: &'static str,
}

/// Signatures of common binary formats scrapers leave in drop folders.
const MAGIC: &[(&[u8], &str)] = &[
    (b"\x89PNG\r\n\x1a\n", "PNG image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"GIF87a", "GIF image"),
    (b"GIF89a", "GIF image"),
    (b"%PDF-", "PDF document"),
    (b"PK\x03\x04", "ZIP archive (or DOCX/XLSX)"),
    (b"\x7fELF", "ELF executable"),
    (b"RIFF", "RIFF media (WebP/WAV/AVI)"),
    (b"\x00\x00\x01\x00", "icon"),
    (b"wOFF", "web font"),
    (b"wOF2", "web font"),
    (b"\x28\xb5\x2f\xfd", "zstd archive"),
    (b"BZh", "bzip2 archive"),
    (b"\xfd7zXZ\x00", "xz archive"),
];

fn err(reason: Reason, message: String) -> StageError {
    StageError::new(Stage::Normalizer, reason, message)
}

/// Decodes `bytes` into text, or says why they are not text.
pub fn decode(bytes: &[u8]) -> Result<Decoded, StageError> {
    decode_with_hint(bytes, None)
}

/// [`decode`], trusting a declared encoding (an HTML page's `<meta charset>`)
/// over detection when the bytes are not UTF-8.
pub fn decode_with_hint(
    bytes: &[u8],
    declared: Option<&'static Encoding>,
) -> Result<Decoded, StageError> {
    if bytes.is_empty() {
        return Err(err(
            Reason::Empty,
            "the file is empty (0 bytes); nothing to ingest".into(),
        ));
    }
    if let Some((enc, bom_len)) = Encoding::for_bom(bytes) {
        let (text, had_errors) = enc.decode_without_bom_handling(&bytes[bom_len..]);
        return finish(text.into_owned(), enc.name(), had_errors);
    }
    if bytes.starts_with(b"\x1f\x8b") {
        return Err(err(
            Reason::UnsupportedFormat,
            "gzip data inside gzip data is not supported; decompress the outer layer".into(),
        ));
    }
    if let Some((_, what)) = MAGIC.iter().find(|(m, _)| bytes.starts_with(m)) {
        return Err(err(
            Reason::Binary,
            format!("the file is a {what}, not text; only text, HTML, JSON and RSS/Atom news items (optionally gzipped) can be ingested"),
        ));
    }
    let head = &bytes[..bytes.len().min(8192)];
    if head.contains(&0) {
        return Err(err(
            Reason::Binary,
            "the file contains NUL bytes and no UTF-16 byte-order mark, so it is binary, not text"
                .into(),
        ));
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => finish(s.to_owned(), "UTF-8", false),
        Err(_) => {
            let enc = declared
                .filter(|e| *e != encoding_rs::UTF_8)
                .unwrap_or_else(|| {
                    let mut det = chardetng::EncodingDetector::new();
                    det.feed(bytes, true);
                    det.guess(None, true)
                });
            let (text, _, had_errors) = enc.decode(bytes);
            finish(text.into_owned(), enc.name(), had_errors)
        }
    }
}

/// NFC, so that "é" typed two ways is one string for rules, dedup and consumers;
/// stray control characters dropped (line breaks, tabs and form feeds stay).
fn clean(text: String, maybe_stray: bool) -> String {
    use unicode_normalization::UnicodeNormalization;
    let text = if is_nfc(&text) {
        text
    } else {
        text.nfc().collect()
    };
    let stray = |c: char| c.is_control() && !matches!(c, '\n' | '\r' | '\t' | '\x0c' | '\u{85}');
    // Over bytes first (see `census`); the char pass only when there is one.
    let b = text.as_bytes();
    let any_stray = maybe_stray
        && (b.iter().any(|&x| is_c0_stray(x))
            || memchr::memchr_iter(0xc2, b)
                .any(|i| matches!(b.get(i + 1), Some(0x80..=0x84 | 0x86..=0x9f))));
    if any_stray {
        text.chars().filter(|c| !stray(*c)).collect()
    } else {
        text
    }
}

/// Characters, and control (other than line breaks, tabs, form feeds) or
/// replacement characters, of `text`, counted over its UTF-8 bytes: a char by
/// char pass with Unicode lookups was a tenth of the time of a 200 KB page.
/// Control characters are U+0000–U+001F and U+007F–U+009F (`char::is_control`):
/// one byte, or 0xC2 then 0x80–0x9F; U+FFFD is EF BF BD.
fn census(text: &str) -> (usize, usize) {
    // Plain filter-counts, which the compiler vectorises; the two-byte and
    // three-byte cases only for text that has any non-ASCII byte.
    let b = text.as_bytes();
    // std's char count is word-at-a-time; the control count adds up in u8
    // lanes (a usize fold vectorised four bytes at a time: a tenth of a page).
    let total = text.chars().count();
    let c0: usize = b
        .chunks(255)
        .map(|c| usize::from(c.iter().fold(0u8, |a, &x| a + u8::from(is_c0_stray(x)))))
        .sum();
    let high = if text.is_ascii() {
        0
    } else {
        // C1 controls are 0xC2 then 0x80–0x9F; memchr finds the rare 0xC2 fast.
        memchr::memchr_iter(0xc2, b)
            .filter(|&i| matches!(b.get(i + 1), Some(0x80..=0x9f)))
            .count()
            + memchr::memmem::find_iter(b, "\u{fffd}".as_bytes()).count()
    };
    (total, c0 + high)
}

/// A one-byte control character other than line breaks, tabs, form feeds.
fn is_c0_stray(x: u8) -> bool {
    // Bitwise, not short-circuit: no branch, so the counting loop vectorises.
    (x < 0x20) & (x != b'\n') & (x != b'\r') & (x != b'\t') & (x != 0x0c) | (x == 0x7f)
}

/// The first non-ASCII byte at or after `from`: 32-byte blocks are checked
/// whole (word at a time), which a byte-by-byte `position` was not.
fn next_non_ascii(b: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    while i + 32 <= b.len() && b[i..i + 32].is_ascii() {
        i += 32;
    }
    b[i..].iter().position(|x| !x.is_ascii()).map(|k| i + k)
}

/// Whether `text` is in NFC, by the quick check run only over its non-ASCII
/// stretches, each with the character before it: ASCII characters are starters
/// that compose with nothing before them, so the check cannot change across
/// them, and most of a page is ASCII.
fn is_nfc(text: &str) -> bool {
    use unicode_normalization::{is_nfc_quick, IsNormalized};
    let b = text.as_bytes();
    let mut i = 0;
    while let Some(start) = next_non_ascii(b, i) {
        let end = b[start..]
            .iter()
            .position(u8::is_ascii)
            .map_or(b.len(), |n| start + n);
        let from = if start > 0 { start - 1 } else { 0 };
        if is_nfc_quick(text[from..end].chars()) != IsNormalized::Yes {
            return false;
        }
        i = end;
    }
    true
}

fn finish(text: String, encoding: &'static str, had_errors: bool) -> Result<Decoded, StageError> {
    let (total, control) = census(&text);
    let total = total.max(1);
    // A few stray control characters or replacement characters occur in real scraped
    // text; a high share means the "text" is really binary data that happened to decode.
    if control * 100 > total * 2 || (had_errors && control * 1000 > total * 5) {
        return Err(err(
            Reason::Binary,
            format!(
                "the bytes decode as {encoding} but {control} of {total} characters are control or \
                 undecodable characters, so this is not text"
            ),
        ));
    }
    Ok(Decoded {
        // No control character at all (the usual case): nothing to strip.
        text: clean(text, control > 0),
        encoding,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use unicode_normalization::UnicodeNormalization;

    #[test]
    fn the_byte_census_counts_as_a_char_pass_would() {
        for text in [
            "plain ascii\n\twith tabs",
            "Grüße\u{1}\u{7f}\u{80}\u{85}\u{9f}\u{a0}é€\u{fffd}x\u{fffd}",
            "",
            "\u{c2}\u{ef}\u{bf}",
        ] {
            let total = text.chars().count();
            let control = text
                .chars()
                .filter(|&c| {
                    (c.is_control() && !matches!(c, '\n' | '\r' | '\t' | '\x0c')) || c == '\u{fffd}'
                })
                .count();
            assert_eq!(census(text), (total, control), "{text:?}");
        }
        assert_eq!(clean("a\u{1}b\u{85}c\u{90}d".into(), true), "ab\u{85}cd");
        // NFC: a combining mark after an ASCII letter, and one after a non-ASCII one.
        assert_eq!(clean("Cafe\u{301} ok".into(), false), "Café ok");
        assert_eq!(
            clean("“x” Å\u{30a}".into(), false),
            "“x” Å\u{30a}".nfc().collect::<String>()
        );
        for t in ["plain", "é", "e\u{301}", "“quoted” – ©", "가\u{11a8}"] {
            use unicode_normalization::{is_nfc_quick, IsNormalized};
            assert_eq!(
                is_nfc(t),
                is_nfc_quick(t.chars()) == IsNormalized::Yes,
                "{t:?}"
            );
        }
    }

    #[test]
    fn utf8_plain_and_with_bom() {
        assert_eq!(decode("Grüße".as_bytes()).unwrap().text, "Grüße");
        let d = decode(b"\xef\xbb\xbfHello").unwrap();
        assert_eq!((d.text.as_str(), d.encoding), ("Hello", "UTF-8"));
    }

    #[test]
    fn utf16_both_orders() {
        let le: Vec<u8> = [0xff, 0xfe]
            .into_iter()
            .chain("Zoë".encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        let be: Vec<u8> = [0xfe, 0xff]
            .into_iter()
            .chain("Zoë".encode_utf16().flat_map(u16::to_be_bytes))
            .collect();
        assert_eq!(decode(&le).unwrap().text, "Zoë");
        assert_eq!(decode(&be).unwrap().text, "Zoë");
    }

    #[test]
    fn windows_1252_is_decoded_not_refused() {
        // "Café “quoted” – naïve" in Windows-1252.
        let bytes =
            b"Caf\xe9 \x93quoted\x94 \x96 na\xefve, the minister said on Thursday in Berlin.";
        let d = decode(bytes).unwrap();
        assert!(d.text.starts_with("Café “quoted” – naïve"), "{}", d.text);
        assert_eq!(d.encoding, "windows-1252");
    }

    #[test]
    fn text_is_nfc_without_stray_controls() {
        // "é" as e + combining acute, and a stray BEL.
        let long = "The new café on the market square opens its doors to the public today";
        let d = decode(format!("Cafe\u{301} opens\u{7} today\n{long}").as_bytes()).unwrap();
        assert_eq!(d.text, format!("Café opens today\n{long}"));
    }

    #[test]
    fn binary_is_refused_with_a_reason() {
        assert_eq!(decode(b"").unwrap_err().reason, Reason::Empty);
        assert_eq!(
            decode(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR").unwrap_err().reason,
            Reason::Binary
        );
        assert_eq!(decode(b"abc\0def").unwrap_err().reason, Reason::Binary);
        let noise: Vec<u8> = (0..4096u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8 | 1)
            .collect();
        assert_eq!(decode(&noise).unwrap_err().reason, Reason::Binary);
        assert_eq!(
            decode(b"\x1f\x8b\x08\0").unwrap_err().reason,
            Reason::UnsupportedFormat
        );
    }
}
