use eimza_protocol::Lang;
use serde::{Deserialize, Serialize};

use crate::core::domain::{BirthDate, FullName, KurumEmail, Tckn, Title};

/// The fields of a renewal application, in the order they are asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Field {
    Tckn,
    Name,
    Title,
    Email,
    BirthDate,
}

impl Field {
    pub const ORDER: [Field; 5] = [Field::Tckn, Field::Name, Field::Title, Field::Email, Field::BirthDate];

    pub fn code(self) -> &'static str {
        match self {
            Field::Tckn => "tckn",
            Field::Name => "name",
            Field::Title => "title",
            Field::Email => "email",
            Field::BirthDate => "birth-date",
        }
    }

    /// Asked on the built-in web form, not in a foreign chat, when so configured.
    pub fn is_sensitive(self) -> bool {
        matches!(self, Field::Tckn | Field::BirthDate)
    }

    pub fn from_code(code: &str) -> Option<Field> {
        Self::ORDER.into_iter().find(|f| f.code() == code)
    }

    pub fn question_id(self) -> &'static str {
        match self {
            Field::Tckn => "ask-tckn",
            Field::Name => "ask-name",
            Field::Title => "ask-title",
            Field::Email => "ask-email",
            Field::BirthDate => "ask-birth-date",
        }
    }

    pub fn label_id(self) -> &'static str {
        match self {
            Field::Tckn => "field-tckn",
            Field::Name => "field-name",
            Field::Title => "field-title",
            Field::Email => "field-email",
            Field::BirthDate => "field-birth-date",
        }
    }
}

/// Where the conversation stands; each variant is one question waiting for its answer.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Step {
    #[default]
    Idle,
    /// KVKK notice shown; waiting for explicit consent.
    Consent,
    Ask(Field),
    Summary,
    ChooseEdit,
    /// Editing one field; the answer leads back to the summary.
    Edit(Field),
    /// A code was mailed to the institutional address; waiting for it. `editing` leads back
    /// to the summary afterwards.
    VerifyEmail {
        editing: bool,
    },
    /// The TC Kimlik No and birth date are asked on the built-in web form (a one-time link),
    /// not in the chat; waiting for the form. `editing` leads back to the summary.
    WebForm {
        editing: bool,
    },
    ConfirmCancel {
        back: Box<Step>,
    },
    ConfirmDelete {
        back: Box<Step>,
    },
}

/// What has been collected so far. Stored only encrypted (it holds the TC Kimlik No and the
/// birth date). Values are the validated domain types, so a stored draft cannot hold an invalid
/// one (reading it back checks them again), and `Debug` masks each.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Draft {
    pub consent_at: Option<i64>,
    pub tckn: Option<Tckn>,
    pub name: Option<FullName>,
    pub title: Option<Title>,
    /// Set only once the address is proven with the mailed code.
    pub email: Option<KurumEmail>,
    pub birth_date: Option<BirthDate>,
    /// The address waiting for its code, and the code's state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_email: Option<KurumEmail>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_code: Option<PendingCode>,
    /// Codes mailed during this application (a limit keeps anyone from mail-bombing an address).
    #[serde(default)]
    pub codes_sent: u8,
}

/// A mailed code: only its hash is kept.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingCode {
    pub hash: String,
    pub expires_at: i64,
    pub tries_left: u8,
}

impl PendingCode {
    pub const VALID_MS: i64 = 15 * 60 * 1000;
    pub const TRIES: u8 = 5;
    /// At most this many codes per application.
    pub const MAX_SENT: u8 = 4;
}

impl Conversation {
    /// The person's language: their choice, else what their platform says.
    pub fn reading_lang(&self) -> Lang {
        self.lang.or(self.platform_lang).unwrap_or_default()
    }
}

impl Draft {
    pub fn is_complete(&self) -> bool {
        self.consent_at.is_some()
            && self.tckn.is_some()
            && self.name.is_some()
            && self.title.is_some()
            && self.email.is_some()
            && self.birth_date.is_some()
    }

    pub fn has(&self, field: Field) -> bool {
        match field {
            Field::Tckn => self.tckn.is_some(),
            Field::Name => self.name.is_some(),
            Field::Title => self.title.is_some(),
            Field::Email => self.email.is_some(),
            Field::BirthDate => self.birth_date.is_some(),
        }
    }

    /// The first field not answered yet. With `sensitive_via_web` the two fields of the web
    /// form (TC Kimlik No, birth date) come last, together.
    pub fn next_missing(&self, sensitive_via_web: bool) -> Option<Field> {
        let chat_first = |f: &Field| !(sensitive_via_web && f.is_sensitive());
        let in_chat = Field::ORDER.into_iter().filter(chat_first);
        let on_web = Field::ORDER.into_iter().filter(|f| !chat_first(f));
        in_chat.chain(on_web).find(|f| !self.has(*f))
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conversation {
    pub step: Step,
    pub draft: Draft,
    /// The language the person chose with /english or /türkçe; overrides the platform's hint.
    pub lang: Option<Lang>,
    /// The language the person's platform reported last (Telegram's `language_code`, Discord's
    /// locale): what they read when a message does not answer one of theirs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform_lang: Option<Lang>,
    /// Ids of the platform updates handled last, newest at the end: a re-delivered update is
    /// recognised here, saved atomically with the state it changed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recent_updates: Vec<String>,
}

impl Conversation {
    /// How many update ids are remembered per person; platforms re-deliver within minutes.
    pub const RECENT_UPDATES: usize = 32;

    pub fn has_seen(&self, update_id: &str) -> bool {
        self.recent_updates.iter().any(|u| u == update_id)
    }

    pub fn remember(&mut self, update_id: &str) {
        if self.recent_updates.len() >= Self::RECENT_UPDATES {
            self.recent_updates.remove(0);
        }
        self.recent_updates.push(update_id.to_owned());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_the_most_recent_updates_only() {
        let mut c = Conversation::default();
        for i in 0..40 {
            c.remember(&i.to_string());
        }
        assert_eq!(c.recent_updates.len(), Conversation::RECENT_UPDATES);
        assert!(c.has_seen("39") && c.has_seen("8"));
        assert!(!c.has_seen("7"));
        // older stored conversations without the field still load
        let old: Conversation = serde_json::from_str(r#"{"step":"Idle","draft":{},"lang":null}"#).unwrap();
        assert!(old.recent_updates.is_empty());
    }

    #[test]
    fn a_stored_draft_reads_back_checked_and_debug_masks_it() {
        let stored = r#"{"consent_at":1,"tckn":"10000000146","name":"Ilgaz Işık","title":"Uzman","email":"ilgaz.isik@kurum.gov.tr","birth_date":"1980-03-05"}"#;
        let draft: Draft = serde_json::from_str(stored).unwrap();
        assert!(draft.is_complete());
        assert_eq!(serde_json::from_str::<Draft>(&serde_json::to_string(&draft).unwrap()).unwrap(), draft);
        let shown = format!("{draft:?}");
        for secret in ["10000000146", "Ilgaz", "Işık", "ilgaz.isik", "1980-03-05", "05-03-1980"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        // A stored value that is not valid is refused, not carried along.
        assert!(serde_json::from_str::<Draft>(r#"{"tckn":"12345678901"}"#).is_err());
    }
}
