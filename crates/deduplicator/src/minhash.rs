//! The pure core of near-duplicate detection: word shingles, MinHash signatures,
//! LSH banding and similarity estimates. No state, no I/O.
//!
//! Hand-written rather than taken from a crate: the maintained MinHash crates hash
//! every shingle once per permutation (128 hash calls a shingle), the cost the
//! issue rules out, or fix the shingling; this is the product's own edge and small.
//! A shingle is hashed once (its words' rapidhashes combined), and the signature
//! is made by one-permutation hashing with optimal densification: one pass over
//! the shingles, not one per signature position.

/// How signatures are cut into LSH bands.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Params {
    /// Signature length (`[dedup] permutations`).
    pub permutations: usize,
    /// LSH bands and rows per band (`bands * rows <= permutations`).
    pub bands: usize,
    pub rows: usize,
}

impl Params {
    /// Parameters whose LSH is tuned for `lsh_threshold` (see [`optimal_bands`]).
    pub fn new(permutations: usize, lsh_threshold: f64) -> Params {
        let (bands, rows) = optimal_bands(lsh_threshold, permutations);
        Params {
            permutations,
            bands,
            rows,
        }
    }
}

/// Hashes a word case-folded. `plain` says the word is ASCII without capitals,
/// so it is hashed as it is.
fn word_hash(word: &str, plain: bool, buf: &mut String) -> u64 {
    if plain {
        return rapidhash::v3::rapidhash_v3(word.as_bytes());
    }
    buf.clear();
    for c in word.chars() {
        buf.extend(c.to_lowercase());
    }
    rapidhash::v3::rapidhash_v3(buf.as_bytes())
}

/// Hashes of the word shingles of `text`: words are maximal runs of letters and
/// digits (any script), case-folded; a text shorter than one shingle gives one
/// shingle of all its words. Duplicates are kept: they change nothing in a
/// signature.
pub fn shingles(text: &str, words_per_shingle: usize) -> Vec<u64> {
    let n = words_per_shingle.max(1);
    let mut buf = String::new();
    let mut words: Vec<u64> = Vec::with_capacity(text.len() / 5);
    for_each_word(text, |w, plain| words.push(word_hash(w, plain, &mut buf)));
    if words.is_empty() {
        return Vec::new();
    }
    if words.len() < n {
        return vec![combine(&words)];
    }
    words.windows(n).map(combine).collect()
}

/// Hashes of the character n-grams of `text`, for scripts written without spaces
/// between words (Chinese, Japanese, Thai): letters and digits only, case-folded,
/// everything else skipped.
pub fn char_shingles(text: &str, n: usize) -> Vec<u64> {
    let n = n.max(1);
    let chars: Vec<u32> = text
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .map(u32::from)
        .collect();
    if chars.is_empty() {
        return Vec::new();
    }
    let mut bytes = Vec::with_capacity(4 * n);
    let mut hash = |w: &[u32]| {
        bytes.clear();
        for c in w {
            bytes.extend_from_slice(&c.to_le_bytes());
        }
        rapidhash::v3::rapidhash_v3(&bytes)
    };
    if chars.len() < n {
        return vec![hash(&chars)];
    }
    chars.windows(n).map(hash).collect()
}

/// Byte classes for the word scanner: ASCII separators, lowercase letters and
/// digits, capitals, and bytes of non-ASCII characters (judged by decoding).
const SEP: u8 = 0;
const LOW: u8 = 1;
const UP: u8 = 2;
const HIGH: u8 = 3;
static CLASS: [u8; 256] = {
    let mut t = [SEP; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        t[i] = if b >= 0x80 {
            HIGH
        } else if b.is_ascii_lowercase() || b.is_ascii_digit() {
            LOW
        } else if b.is_ascii_uppercase() {
            UP
        } else {
            SEP
        };
        i += 1;
    }
    t
};

/// Calls `f` with each maximal run of alphanumeric characters, and whether it is
/// ASCII without capitals. ASCII bytes are judged by a table, without decoding
/// (this loop is the largest cost of the stage); other characters by
/// `char::is_alphanumeric`.
fn for_each_word(text: &str, mut f: impl FnMut(&str, bool)) {
    let bytes = text.as_bytes();
    let n = bytes.len();
    let mut start: Option<usize> = None;
    let mut plain = true;
    let mut i = 0;
    while i < n {
        // The common case: a run of lowercase letters and digits.
        while i < n && CLASS[bytes[i] as usize] == LOW {
            if start.is_none() {
                start = Some(i);
            }
            i += 1;
        }
        if i >= n {
            break;
        }
        let (word_char, len) = match CLASS[bytes[i] as usize] {
            UP => {
                plain = false;
                (true, 1)
            }
            HIGH => {
                let c = text[i..].chars().next().unwrap_or(' ');
                let w = c.is_alphanumeric();
                if w {
                    plain = false;
                }
                (w, c.len_utf8())
            }
            _ => (false, 1),
        };
        if word_char {
            if start.is_none() {
                start = Some(i);
            }
        } else {
            if let Some(s) = start.take() {
                f(&text[s..i], plain);
            }
            plain = true;
        }
        i += len;
    }
    if let Some(s) = start {
        f(&text[s..], plain);
    }
}

fn combine(words: &[u64]) -> u64 {
    let mut h = 0x243f_6a88_85a3_08d3u64;
    for (i, w) in words.iter().enumerate() {
        h ^= w.rotate_left((i as u32 * 21) % 64);
        h = h.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        h ^= h >> 29;
    }
    h
}

/// The MinHash signature of a set of shingle hashes, by one-permutation hashing
/// with optimal densification (Li, Owen & Zhang 2012; Shrivastava 2017): each
/// shingle's hash picks one of `perms.len()` bins by its high bits and competes
/// for that bin's minimum with its low bits; each empty bin then borrows the
/// value of a non-empty bin chosen by a fixed hash of (bin, attempt). Equal
/// positions of two signatures have probability equal to the Jaccard similarity,
/// as with k permutations, at the cost of one pass over the shingles instead of
/// k. An empty set has an all-`u32::MAX` signature.
pub fn signature(shingles: &[u64], permutations: usize) -> Vec<u32> {
    let k = permutations.max(1);
    let mut sig = vec![u32::MAX; k];
    let mut filled = vec![false; k];
    for &s in shingles {
        let h = mix64(s);
        let bin = (((h >> 32) * k as u64) >> 32) as usize;
        let v = h as u32;
        filled[bin] = true;
        if v < sig[bin] {
            sig[bin] = v;
        }
    }
    if shingles.is_empty() {
        return sig;
    }
    for j in 0..k {
        if filled[j] {
            continue;
        }
        let mut attempt = 0u64;
        loop {
            let r = mix64(((j as u64) << 32) | attempt);
            let b = (((r >> 32) * k as u64) >> 32) as usize;
            if filled[b] {
                sig[j] = sig[b];
                break;
            }
            attempt += 1;
        }
    }
    sig
}

/// A bijective 64-bit finalizer (splitmix64's), so that bin and value bits are
/// independent of how the shingle hash was made.
fn mix64(mut x: u64) -> u64 {
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// The LSH keys of a signature: one per band, the band's index mixed in so that
/// equal values in different bands do not collide.
pub fn band_keys(sig: &[u32], p: &Params) -> Vec<u64> {
    let mut bytes = Vec::with_capacity(4 * p.rows + 2);
    (0..p.bands)
        .map(|band| {
            bytes.clear();
            bytes.extend_from_slice(&(band as u16).to_le_bytes());
            for r in &sig[band * p.rows..(band + 1) * p.rows] {
                bytes.extend_from_slice(&r.to_le_bytes());
            }
            rapidhash::v3::rapidhash_v3(&bytes)
        })
        .collect()
}

/// Estimated Jaccard similarity: the share of equal signature positions.
pub fn jaccard(a: &[u32], b: &[u32]) -> f64 {
    if a.is_empty() || a.len() != b.len() {
        return 0.0;
    }
    a.iter().zip(b).filter(|(x, y)| x == y).count() as f64 / a.len() as f64
}

/// Estimated containment of the smaller set in the larger, from the Jaccard
/// estimate and the set sizes: |A∩B| = J(|A|+|B|)/(1+J). An excerpt of a long
/// article has a low Jaccard with it but a containment near 1.
pub fn containment(j: f64, size_a: usize, size_b: usize) -> f64 {
    let small = size_a.min(size_b).max(1) as f64;
    let inter = j * (size_a + size_b) as f64 / (1.0 + j);
    (inter / small).min(1.0)
}

/// Probability that two documents of Jaccard `s` share at least one band.
pub fn collision_probability(s: f64, bands: usize, rows: usize) -> f64 {
    1.0 - (1.0 - s.powi(rows as i32)).powi(bands as i32)
}

/// Bands and rows for `permutations` that minimise the false-positive area below
/// `threshold` plus the false-negative area above it (equal weights), as
/// datasketch's `_optimal_param` does.
pub fn optimal_bands(threshold: f64, permutations: usize) -> (usize, usize) {
    let integrate = |f: &dyn Fn(f64) -> f64, lo: f64, hi: f64| {
        let steps = 200;
        let h = (hi - lo) / steps as f64;
        (0..steps)
            .map(|i| f(lo + (i as f64 + 0.5) * h) * h)
            .sum::<f64>()
    };
    let mut best = (1, permutations.max(1));
    let mut best_err = f64::MAX;
    for bands in 1..=permutations.max(1) {
        for rows in 1..=permutations / bands {
            let fp = integrate(&|s| collision_probability(s, bands, rows), 0.0, threshold);
            let fn_ = integrate(
                &|s| 1.0 - collision_probability(s, bands, rows),
                threshold,
                1.0,
            );
            if fp + fn_ < best_err {
                best_err = fp + fn_;
                best = (bands, rows);
            }
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Exact Jaccard of two shingle lists, as sets.
    fn exact_jaccard(a: &[u64], b: &[u64]) -> f64 {
        let a: std::collections::HashSet<u64> = a.iter().copied().collect();
        let b: std::collections::HashSet<u64> = b.iter().copied().collect();
        let inter = a.intersection(&b).count();
        let union = a.len() + b.len() - inter;
        if union == 0 {
            0.0
        } else {
            inter as f64 / union as f64
        }
    }

    #[test]
    fn words_are_runs_of_letters_and_digits_in_any_script() {
        let mut got = Vec::new();
        for_each_word("Grüße, Köln!  x2 東京 a-b É", |w, plain| {
            got.push((w.to_string(), plain))
        });
        let want = [
            ("Grüße", false),
            ("Köln", false),
            ("x2", true),
            ("東京", false),
            ("a", true),
            ("b", true),
            ("É", false),
        ];
        assert_eq!(
            got,
            want.iter()
                .map(|(w, p)| (w.to_string(), *p))
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn shingles_fold_case_and_punctuation() {
        assert_eq!(
            shingles("The Minister said, \"no.\"", 2),
            shingles("the minister SAID no", 2)
        );
        assert_ne!(shingles("a b c", 2), shingles("b a c", 2));
        assert_eq!(shingles("Émile Zola", 2), shingles("émile zola", 2));
        assert_eq!(shingles("one", 3).len(), 1);
        assert!(shingles(" ,. ", 3).is_empty());
    }

    #[test]
    fn character_shingles_for_text_without_spaces() {
        let a = char_shingles("東京都は、新しい計画を発表した。", 3);
        let b = char_shingles("東京都は新しい計画を発表した", 3);
        assert_eq!(a, b, "punctuation is skipped");
        assert_eq!(a.len(), "東京都は新しい計画を発表した".chars().count() - 2);
        assert_eq!(char_shingles("AB", 3), char_shingles("ab", 3));
        assert!(char_shingles("。、", 3).is_empty());
    }

    #[test]
    fn the_estimate_tracks_exact_jaccard() {
        let words: Vec<String> = (0..400).map(|i| format!("w{i}")).collect();
        let a = words.join(" ");
        // Every 10th word changed.
        let b: Vec<String> = words
            .iter()
            .enumerate()
            .map(|(i, w)| {
                if i % 10 == 0 {
                    format!("x{i}")
                } else {
                    w.clone()
                }
            })
            .collect();
        let (sa, sb) = (shingles(&a, 3), shingles(&b.join(" "), 3));
        let exact = exact_jaccard(&sa, &sb);
        let perms = 256;
        let est = jaccard(&signature(&sa, perms), &signature(&sb, perms));
        assert!((est - exact).abs() < 0.08, "estimate {est} exact {exact}");
        assert_eq!(jaccard(&signature(&sa, perms), &signature(&sa, perms)), 1.0);
    }

    #[test]
    fn containment_sees_an_excerpt() {
        // A fifth of a document: Jaccard 0.2, containment 1.
        assert!((containment(0.2, 100, 500) - 1.0).abs() < 1e-9);
        assert!(containment(0.02, 500, 500) < 0.05);
    }

    #[test]
    fn bands_follow_the_threshold() {
        let (b, r) = optimal_bands(0.5, 128);
        assert!(b * r <= 128);
        // Documents well above the threshold nearly always collide, well below rarely.
        assert!(collision_probability(0.7, b, r) > 0.95, "{b}x{r}");
        assert!(collision_probability(0.2, b, r) < 0.2, "{b}x{r}");
        let (b2, r2) = optimal_bands(0.8, 128);
        assert!(r2 > r || b2 < b);
    }
}
