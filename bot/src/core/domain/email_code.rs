use sha2::{Digest, Sha256};

/// Letters and digits that cannot be mistaken for each other or spell words: no vowels (so no
/// `E` either, which keeps the `E-` prefix unambiguous), no 0/1.
const ALPHABET: &[u8] = b"23456789BCDFGHJKLMNPQRSTVWXZ";
const LEN: usize = 5;

/// The one-time code that proves a person reads the institutional address: `E-7K4Q2`.
/// Deliberately not six digits, which is what a PIN looks like.
#[derive(Clone, PartialEq, Eq)]
pub struct EmailCode(String);

impl EmailCode {
    /// A fresh code from the given random bytes source.
    pub fn generate(rng: &mut impl rand::Rng) -> EmailCode {
        let body: String = (0..LEN).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char).collect();
        EmailCode(body)
    }

    /// A code as typed, if it has the shape of one.
    pub fn parse(input: &str) -> Option<EmailCode> {
        EmailCode::normalise(input).map(EmailCode)
    }

    /// What a person typed → the code's five characters, if it has the shape of one:
    /// any case, with or without `E-`, spaces and dashes anywhere.
    pub fn normalise(input: &str) -> Option<String> {
        let mut s: String = input.chars().filter(|c| !matches!(c, ' ' | '-' | '\u{a0}')).collect::<String>().to_ascii_uppercase();
        if s.len() == LEN + 1 && s.starts_with('E') {
            s.remove(0);
        }
        (s.len() == LEN && s.bytes().all(|b| ALPHABET.contains(&b))).then_some(s)
    }

    /// How the code is written in the e-mail and in the chat.
    pub fn display(&self) -> String {
        format!("E-{}", self.0)
    }

    /// What is stored: a hash of the normalised code.
    pub fn hash(&self) -> String {
        hash_normalised(&self.0)
    }

    /// Whether `input` is this code, given the stored hash.
    pub fn matches(stored_hash: &str, input: &str) -> bool {
        EmailCode::normalise(input).is_some_and(|n| hash_normalised(&n) == stored_hash)
    }
}

fn hash_normalised(code: &str) -> String {
    let digest = Sha256::digest(format!("eimza-email-code:{code}").as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

impl std::fmt::Debug for EmailCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EmailCode(*****)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_look_right_and_match_forgiving_input() {
        let mut rng = rand::rng();
        for _ in 0..200 {
            let code = EmailCode::generate(&mut rng);
            let shown = code.display();
            assert!(shown.starts_with("E-") && shown.len() == 7, "{shown}");
            assert!(!shown[2..].chars().all(|c| c.is_ascii_digit()) || shown.len() != 8);
            let hash = code.hash();
            assert!(EmailCode::matches(&hash, &shown));
            assert!(EmailCode::matches(&hash, &shown.to_lowercase()));
            assert!(EmailCode::matches(&hash, &shown[2..]));
            assert!(EmailCode::matches(&hash, &format!(" {} ", shown.replace('-', " "))));
        }
        assert_eq!(EmailCode::normalise("E-7K4Q2"), Some("7K4Q2".into()));
        assert_eq!(EmailCode::normalise("e7k4q2"), Some("7K4Q2".into()));
        assert_eq!(EmailCode::normalise("123456"), None, "six digits are never a code");
        assert_eq!(EmailCode::normalise("E-7K4Q"), None);
        assert_eq!(EmailCode::normalise("E-7K4QA"), None, "vowels are not in the alphabet");
        assert!(!format!("{:?}", EmailCode::generate(&mut rng)).contains('-'));
    }
}
