//! Recognising an AKİS card by the historical bytes of its ATR, the way Kamu SM's own library
//! does (CARD.md): not by a fixed ATR, because chip makers and versions change the other bytes.

use serde::Serialize;

/// The AKİS generations we recognise.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AkisFamily {
    /// "UEKAE" cards, 2011–2019.
    Uekae,
    /// "TC" cards, 2020 onwards.
    Tc,
    /// The first cards, historical bytes "UEKAE V1.0".
    V1,
}

impl AkisFamily {
    /// The Fluent id of the family's name as the diagnosis shows it.
    pub fn message_id(self) -> &'static str {
        match self {
            AkisFamily::Uekae => "akis-family-uekae",
            AkisFamily::Tc => "akis-family-tc",
            AkisFamily::V1 => "akis-family-v1",
        }
    }
}

/// Hex patterns over the historical bytes; `..` matches any byte.
const PATTERNS: &[(&str, AkisFamily)] =
    &[("806755454B4145....318073B3A180", AkisFamily::Uekae), ("80655443......31C073F6218081..", AkisFamily::Tc)];

/// "UEKAE V1" — the old cards carry readable text as their historical bytes.
const V1_PREFIX: &[u8] = b"UEKAE V1";

/// Which AKİS family an ATR belongs to, or `None` for any other card (or a malformed ATR).
pub fn recognise(atr: &[u8]) -> Option<AkisFamily> {
    let historical = historical_bytes(atr)?;
    for (pattern, family) in PATTERNS {
        if matches(pattern, historical) {
            return Some(*family);
        }
    }
    historical.starts_with(V1_PREFIX).then_some(AkisFamily::V1)
}

/// The historical bytes of an ATR (ISO 7816-3 § 8.2): skip TS, T0 and the interface bytes that
/// T0/TDi announce; the count K is T0's low nibble.
pub fn historical_bytes(atr: &[u8]) -> Option<&[u8]> {
    let t0 = *atr.get(1)?;
    let count = usize::from(t0 & 0x0F);
    let mut y = t0 >> 4;
    let mut at = 2;
    loop {
        // TA, TB, TC present per bits 1..3 of Y; TD per bit 4 and it carries the next Y.
        at += usize::from(y & 1) + usize::from((y >> 1) & 1) + usize::from((y >> 2) & 1);
        if y & 0x8 == 0 {
            break;
        }
        let td = *atr.get(at)?;
        at += 1;
        y = td >> 4;
    }
    atr.get(at..at + count)
}

fn matches(pattern: &str, bytes: &[u8]) -> bool {
    let pattern = pattern.as_bytes();
    if pattern.len() != bytes.len() * 2 {
        return false;
    }
    pattern.chunks(2).zip(bytes).all(|(hex, byte)| match hex {
        b".." => true,
        _ => std::str::from_utf8(hex).ok().and_then(|h| u8::from_str_radix(h, 16).ok()) == Some(*byte),
    })
}

/// Upper-case hex without separators, the way pcsc-tools and help desks write ATRs.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

pub fn from_hex(s: &str) -> Option<Vec<u8>> {
    let s: String = s.chars().filter(|c| !c.is_whitespace() && *c != ':').collect();
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn atr(s: &str) -> Vec<u8> {
        from_hex(s).unwrap()
    }

    #[test]
    fn the_published_akis_atrs_are_recognised() {
        assert_eq!(recognise(&atr("3B9F968131FE45806755454B41451292318073B3A1806A")), Some(AkisFamily::Uekae));
        assert_eq!(recognise(&atr("3B9F978131FE458065544353228231C073F62180810553")), Some(AkisFamily::Tc));
        assert_eq!(recognise(&atr("3BBA11008131FE4D55454B41452056312E30AE")), Some(AkisFamily::V1));
    }

    #[test]
    fn other_chip_bytes_in_the_wildcards_still_match() {
        // Same family, other chip revision bytes where the pattern has `..`.
        assert_eq!(recognise(&atr("3B9F968131FE45806755454B41450101318073B3A18000")), Some(AkisFamily::Uekae));
        assert_eq!(recognise(&atr(concat!("3B9F978131FE45", "80655443010203", "31C073F6218081", "99", "00"))), Some(AkisFamily::Tc));
    }

    #[test]
    fn other_cards_are_not_akis() {
        // A German eID, a Yubikey, a bank card, garbage.
        for s in ["3B8A80010031C173C8400000900090", "3BFD1300008131FE158073C021C057597562694B657940", "3B6800000073C84013009000", "3B", ""]
        {
            assert_eq!(recognise(&atr(s)), None, "{s}");
        }
        // A truncated AKİS ATR is not recognised either.
        assert_eq!(recognise(&atr("3B9F968131FE45806755454B4145")), None);
    }

    #[test]
    fn historical_bytes_follow_the_interface_bytes() {
        assert_eq!(historical_bytes(&atr("3BBA11008131FE4D55454B41452056312E30AE")).unwrap(), b"UEKAE V1.0");
        assert_eq!(historical_bytes(&atr("3B00")).unwrap(), b"");
        assert_eq!(hex(&[0x3B, 0x0A]), "3B0A");
        assert_eq!(from_hex("3b:0a"), Some(vec![0x3B, 0x0A]));
        assert_eq!(from_hex("3"), None);
    }
}
