use eimza_protocol::Arg;
use serde::{Deserialize, Serialize};

use super::UserError;

const MAX_LEN: usize = 254;

/// The institution's e-mail domains, as configured.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailDomains {
    pub domains: Vec<String>,
    /// When true, `birim.kurum.gov.tr` is accepted for `kurum.gov.tr`.
    #[serde(default)]
    pub allow_subdomains: bool,
}

impl EmailDomains {
    fn accepts(&self, domain: &str) -> bool {
        self.domains.iter().any(|d| {
            let d = d.trim().trim_start_matches('@').to_ascii_lowercase();
            domain == d || (self.allow_subdomains && domain.ends_with(&format!(".{d}")))
        })
    }

    /// "@kurum.gov.tr, @il.kurum.gov.tr" for messages.
    pub fn display(&self) -> String {
        self.domains.iter().map(|d| format!("@{}", d.trim_start_matches('@'))).collect::<Vec<_>>().join(", ")
    }
}

/// Kurum E-Posta: a syntactically valid address in one of the institution's domains. The local
/// part is kept as typed, the domain lower-cased. Stored and read back as text; `Debug` masks it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct KurumEmail(String);

impl std::fmt::Debug for KurumEmail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KurumEmail({})", self.masked())
    }
}

impl From<KurumEmail> for String {
    fn from(e: KurumEmail) -> String {
        e.0
    }
}

/// What was stored was checked when it was typed; reading it back checks the shape again (the
/// institution's domains may have changed since, which does not make the address wrong).
impl TryFrom<String> for KurumEmail {
    type Error = EmailError;
    fn try_from(s: String) -> Result<KurumEmail, EmailError> {
        let (local, domain) = s.rsplit_once('@').ok_or(EmailError::Invalid)?;
        if s.len() > MAX_LEN || !valid_local_part(local) || !valid_domain(domain) || domain != domain.to_ascii_lowercase() {
            return Err(EmailError::Invalid);
        }
        Ok(KurumEmail(s))
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    #[error("empty")]
    Empty,
    #[error("not an e-mail address")]
    Invalid,
    #[error("domain is not one of the institution's")]
    DomainNotAllowed { allowed: String },
}

impl UserError for EmailError {
    fn message(&self) -> (&'static str, Vec<(&'static str, Arg)>) {
        match self {
            EmailError::Empty => ("err-email-empty", vec![]),
            EmailError::Invalid => ("err-email-invalid", vec![]),
            EmailError::DomainNotAllowed { allowed } => ("err-email-domain", vec![("domains", Arg::from(allowed.clone()))]),
        }
    }
}

fn valid_local_part(local: &str) -> bool {
    // RFC 5322 dot-atom: atext characters, dots only between them.
    !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local.chars().all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c))
}

fn valid_domain(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

impl KurumEmail {
    pub fn parse(input: &str, allowed: &EmailDomains) -> Result<KurumEmail, EmailError> {
        let s = input.trim().trim_start_matches("mailto:");
        if s.is_empty() {
            return Err(EmailError::Empty);
        }
        if s.len() > MAX_LEN || s.chars().any(char::is_whitespace) {
            return Err(EmailError::Invalid);
        }
        let Some((local, domain)) = s.rsplit_once('@') else {
            return Err(EmailError::Invalid);
        };
        let domain = domain.to_ascii_lowercase();
        if !valid_local_part(local) || !valid_domain(&domain) {
            return Err(EmailError::Invalid);
        }
        if !allowed.accepts(&domain) {
            return Err(EmailError::DomainNotAllowed { allowed: allowed.display() });
        }
        Ok(KurumEmail(format!("{local}@{domain}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `i***@kurum.gov.tr`: enough for the person to recognise their own address.
    pub fn masked(&self) -> String {
        let (local, domain) = self.0.rsplit_once('@').unwrap_or(("", &self.0));
        let first: String = local.chars().take(1).collect();
        format!("{first}***@{domain}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kurum(sub: bool) -> EmailDomains {
        EmailDomains { domains: vec!["kurum.gov.tr".into(), "@ornek.edu.tr".into()], allow_subdomains: sub }
    }

    #[test]
    fn accepts_institution_addresses() {
        assert_eq!(KurumEmail::parse(" Ayse.Yilmaz@KURUM.gov.tr ", &kurum(false)).unwrap().as_str(), "Ayse.Yilmaz@kurum.gov.tr");
        assert!(KurumEmail::parse("a+b@ornek.edu.tr", &kurum(false)).is_ok());
        assert!(KurumEmail::parse("ali@bim.kurum.gov.tr", &kurum(true)).is_ok());
    }

    #[test]
    fn refuses_with_a_reason() {
        let d = kurum(false);
        assert_eq!(KurumEmail::parse("", &d), Err(EmailError::Empty));
        for bad in
            ["ayse", "ayse@", "@kurum.gov.tr", "a..b@kurum.gov.tr", "a b@kurum.gov.tr", "ayşe@kurum.gov.tr", "a@kurum", "a@-kurum.gov.tr"]
        {
            assert_eq!(KurumEmail::parse(bad, &d), Err(EmailError::Invalid), "{bad}");
        }
        assert!(matches!(KurumEmail::parse("ayse@gmail.com", &d), Err(EmailError::DomainNotAllowed { .. })));
        assert!(matches!(KurumEmail::parse("ali@bim.kurum.gov.tr", &d), Err(EmailError::DomainNotAllowed { .. })));
        // a look-alike domain is not a subdomain
        assert!(matches!(KurumEmail::parse("ali@evilkurum.gov.tr", &kurum(true)), Err(EmailError::DomainNotAllowed { .. })));
        assert_eq!(d.display(), "@kurum.gov.tr, @ornek.edu.tr");
    }

    #[test]
    fn stored_addresses_read_back_and_debug_masks_them() {
        let e = KurumEmail::parse("Ilgaz.Isik@kurum.gov.tr", &kurum(false)).unwrap();
        let json = serde_json::to_string(&e).unwrap();
        assert_eq!(serde_json::from_str::<KurumEmail>(&json).unwrap(), e);
        assert!(serde_json::from_str::<KurumEmail>("\"not an address\"").is_err());
        assert_eq!(format!("{e:?}"), "KurumEmail(I***@kurum.gov.tr)");
        assert!(!format!("{e:?}").contains("Isik"));
    }

    proptest::proptest! {
        #[test]
        fn parse_never_panics(s in "\\PC{0,300}") {
            let _ = KurumEmail::parse(&s, &kurum(true));
        }
    }
}
