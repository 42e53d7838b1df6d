//! Near-duplicate keys: the same story or cross-post forms one cluster.
//!
//! A mention joins a cluster by its canonical URL first (the same link shared twice), then by
//! a 64-bit SimHash of its words: two texts whose SimHashes differ in at most
//! [`MAX_HAMMING`] bits are near-duplicates. Candidates are found by banding: the hash is cut
//! into four 16-bit bands, and by the pigeonhole principle two hashes within 3 bits agree on
//! at least one whole band, so only mentions sharing a band are compared. Texts shorter than
//! [`MIN_WORDS`] words get no SimHash (short replies like "+1, same here" would collide).

/// Largest Hamming distance between near-duplicate SimHashes.
pub const MAX_HAMMING: u32 = 3;
/// Words a text needs before its SimHash is trusted.
pub const MIN_WORDS: usize = 8;

/// FNV-1a, 64-bit: a small stable hash (the index stores its values, so it must never change).
pub fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in bytes {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

/// A final mix so that similar inputs (FNV of near-identical words) spread over all bits.
fn mix(mut x: u64) -> u64 {
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    x ^ (x >> 33)
}

/// The key of a canonical URL (scheme and a trailing slash do not matter).
pub fn url_key(url: &str) -> u64 {
    let trimmed = url.trim().trim_end_matches('/');
    let without_scheme = trimmed.split_once("://").map_or(trimmed, |(_, rest)| rest);
    let without_www = without_scheme.strip_prefix("www.").unwrap_or(without_scheme);
    mix(fnv1a(without_www.to_lowercase().as_bytes()))
}

/// The SimHash of a text's words (lower case, letters and digits), or `None` when it has
/// fewer than [`MIN_WORDS`] words. Links, @mentions, "RT" and "via" are left out first, so
/// a cross-post that only adds those keeps the same hash. Features are words and word pairs,
/// weighted by count. A 64-bit SimHash within 3 bits means nearly the same words: copies with
/// small additions cluster, a post with a word changed in twenty usually does not.
pub fn simhash(text: &str) -> Option<u64> {
    let words: Vec<String> = text
        .split_whitespace()
        .filter(|token| !is_noise(token))
        .flat_map(|token| token.split(|c: char| !c.is_alphanumeric()))
        .filter(|word| !word.is_empty())
        .map(str::to_lowercase)
        .collect();
    if words.len() < MIN_WORDS {
        return None;
    }
    let mut weights = [0i32; 64];
    let mut add = |feature: u64| {
        let hash = mix(feature);
        for (bit, weight) in weights.iter_mut().enumerate() {
            if hash >> bit & 1 == 1 { *weight += 1 } else { *weight -= 1 }
        }
    };
    for word in &words {
        add(fnv1a(word.as_bytes()));
    }
    for pair in words.windows(2) {
        add(fnv1a(pair[0].as_bytes()) ^ fnv1a(pair[1].as_bytes()).rotate_left(17));
    }
    Some(weights.iter().enumerate().fold(0u64, |acc, (bit, weight)| if *weight > 0 { acc | 1 << bit } else { acc }))
}

/// What cross-posts add or drop around the same words: links, @mentions, "RT", "via".
fn is_noise(token: &str) -> bool {
    token.contains("://")
        || token.starts_with("www.")
        || token.starts_with('@')
        || token.eq_ignore_ascii_case("rt")
        || token.eq_ignore_ascii_case("via")
}

/// The four band terms of a SimHash: band number in the top bits, the band's 16 bits below.
pub fn bands(hash: u64) -> [u64; 4] {
    [0u64, 1, 2, 3].map(|band| band << 16 | (hash >> (band * 16)) & 0xffff)
}

pub fn near(a: u64, b: u64) -> bool {
    (a ^ b).count_ones() <= MAX_HAMMING
}

#[cfg(test)]
mod tests {
    use super::*;

    const STORY: &str = "Acme CRM raised prices again this morning and our whole team is now looking at \
                         Pipedrive and HubSpot before the renewal in March";

    #[test]
    fn identical_and_lightly_edited_texts_are_near() {
        let a = simhash(STORY).unwrap();
        assert_eq!(Some(a), simhash(&STORY.to_uppercase()), "case does not matter");
        let edited = format!("{STORY}!!");
        assert_eq!(Some(a), simhash(&edited), "punctuation does not matter");
        let cross_post = format!("RT @acmewatch {STORY} https://example.com/x via @someone");
        assert_eq!(Some(a), simhash(&cross_post), "links and mentions do not matter");
        let longer = format!("{STORY} (again)");
        let b = simhash(&longer).unwrap();
        assert!(near(a, b), "one word added: {} bits apart", (a ^ b).count_ones());
    }

    #[test]
    fn different_texts_are_far() {
        let a = simhash(STORY).unwrap();
        let other = simhash(
            "Support answered my ticket about the broken calendar sync within an hour, very happy with the service",
        )
        .unwrap();
        assert!(!near(a, other), "{} bits apart", (a ^ other).count_ones());
    }

    #[test]
    fn short_texts_have_no_simhash() {
        assert_eq!(simhash("+1 same here"), None);
    }

    #[test]
    fn near_hashes_share_a_band() {
        let a = simhash(STORY).unwrap();
        for flips in [0b1u64, 0b101 << 20, 0b111 << 40, 1 | 1 << 17 | 1 << 34] {
            let b = a ^ flips;
            assert!(near(a, b));
            assert!(bands(a).iter().zip(bands(b)).any(|(x, y)| *x == y), "{flips:b}");
        }
    }

    #[test]
    fn url_keys_ignore_scheme_www_and_trailing_slash() {
        assert_eq!(url_key("https://www.example.com/a/"), url_key("http://example.com/a"));
        assert_ne!(url_key("https://example.com/a"), url_key("https://example.com/b"));
    }
}
