//! Turkish casing. Rust's `to_lowercase`/`to_uppercase` follow the language-neutral Unicode
//! mapping, which is wrong for Turkish: `"I".to_lowercase()` gives `i` (Turkish: `ı`) and
//! `"İ".to_lowercase()` gives `i̇` (i + combining dot). Names are compared with [`fold`], so
//! "ILGAZ IŞIK" equals "ılgaz ışık" and does not equal "ilgaz işik".

const COMBINING_DOT_ABOVE: char = '\u{307}';

/// Lower-cases with the Turkish rules for the dotted and dotless i.
pub fn to_lower(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            // "I" + U+0307 is a decomposed "İ".
            'I' if chars.peek() == Some(&COMBINING_DOT_ABOVE) => {
                chars.next();
                out.push('i');
            }
            'I' => out.push('ı'),
            'İ' => out.push('i'),
            c => out.extend(c.to_lowercase()),
        }
    }
    out
}

/// Upper-cases with the Turkish rules for the dotted and dotless i.
pub fn to_upper(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            'i' => out.push('İ'),
            'ı' => out.push('I'),
            c => out.extend(c.to_uppercase()),
        }
    }
    out
}

/// The key two spellings of a name are compared by: Turkish lower case, circumflexes dropped
/// (â/î/û are spelling variants of a/i/u in names), white space collapsed.
pub fn fold(s: &str) -> String {
    let lower = to_lower(s);
    let mut out = String::with_capacity(lower.len());
    for word in lower.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.extend(word.chars().map(|c| match c {
            'â' => 'a',
            'î' => 'i',
            'û' => 'u',
            c => c,
        }));
    }
    out
}

/// A loose comparison key for short answers and column names: Turkish-folded, without Turkish
/// letters, punctuation turned into spaces ("Okudum, onaylıyorum!" → "okudum onayliyorum",
/// "Adı Soyadı" → "adi soyadi").
pub fn words_key(s: &str) -> String {
    deaccent(&fold(s))
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Replaces the six Turkish-only letters by their closest ASCII letter; used where a person may
/// have typed without a Turkish keyboard ("Subat", "Agustos").
pub fn deaccent(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            'ç' => 'c',
            'ğ' => 'g',
            'ı' => 'i',
            'ö' => 'o',
            'ş' => 's',
            'ü' => 'u',
            'â' => 'a',
            'î' => 'i',
            'û' => 'u',
            c => c,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotted_and_dotless_i_keep_their_identity() {
        assert_eq!(to_lower("ILGAZ IŞIK"), "ılgaz ışık");
        assert_eq!(to_lower("İSTANBUL"), "istanbul");
        assert_eq!(to_upper("ılgaz ışık"), "ILGAZ IŞIK");
        assert_eq!(to_upper("istanbul çiğdem"), "İSTANBUL ÇİĞDEM");
        assert_eq!(to_lower("I\u{307}PEK"), "ipek");
    }

    #[test]
    fn folding_compares_names_the_turkish_way() {
        assert_eq!(fold("ILGAZ IŞIK"), fold("ılgaz ışık"));
        assert_ne!(fold("ILGAZ IŞIK"), fold("ilgaz işik"));
        assert_eq!(fold("İpek  Öztürk"), fold("ipek öztürk"));
        assert_eq!(fold("Hâlide"), fold("Halide"));
    }

    #[test]
    fn words_keys_ignore_case_accents_and_punctuation() {
        assert_eq!(words_key("Okudum, onaylıyorum!"), "okudum onayliyorum");
        assert_eq!(words_key("  Adı   Soyadı "), "adi soyadi");
        assert_eq!(words_key("KURUM E-POSTA"), "kurum e posta");
    }

    #[test]
    fn deaccent_maps_turkish_letters() {
        assert_eq!(deaccent("şubat ağustos"), "subat agustos");
    }
}
