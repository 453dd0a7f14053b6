//! The forms a turn can come from besides a chat message: the built-in web form (TC Kimlik No
//! and birth date, for people on Telegram and Discord) and Discord's modal (what it shows
//! pre-filled).

use super::{ChatService, ReplyMode, ServiceError};
use crate::core::conversation::{Field, Incoming, Input, Transport};

impl ChatService {
    /// What a platform form (Discord's modal) shows pre-filled: the answers kept so far that the
    /// chat may show (never the TC Kimlik No or birth date when the web form takes them).
    pub async fn form_defaults(&self, transport: Transport, user_id: &str) -> Result<Vec<(Field, String)>, ServiceError> {
        let Some((_, state)) = self.store.chat_state_of(transport.code(), user_id).await? else { return Ok(vec![]) };
        let draft = &state.conversation.draft;
        let via_web = self.settings.web_form.contains(&transport);
        let mut values = vec![
            (Field::Name, draft.name.as_ref().map(|n| n.as_str().to_owned())),
            (Field::Title, draft.title.as_ref().map(|t| t.as_str().to_owned())),
            (Field::Email, draft.email.as_ref().or(draft.pending_email.as_ref()).map(|e| e.as_str().to_owned())),
        ];
        if !via_web {
            values.push((Field::Tckn, draft.tckn.as_ref().map(|t| t.as_str().to_owned())));
            values.push((Field::BirthDate, draft.birth_date.map(|d| d.dmy())));
        }
        Ok(values.into_iter().filter_map(|(f, v)| v.map(|v| (f, v))).collect())
    }

    /// The web form's answers (TC Kimlik No, birth date) for the person's conversation: handled
    /// as a turn whose replies reach the person's chat through the outbox. False when the person
    /// is gone.
    pub async fn submit_form(&self, person_id: i64, fields: Vec<(Field, String)>) -> Result<bool, ServiceError> {
        let Some((transport, user_id)) = self.store.person_address(person_id).await? else { return Ok(false) };
        let Some(platform) = Transport::from_code(&transport) else { return Ok(false) };
        let incoming =
            Incoming { transport: platform, user_id, input: Input::Fields(fields), lang_hint: None, update_id: None, can_delete: false };
        if platform == Transport::Web {
            self.handle_web(person_id, &incoming).await?;
        } else {
            self.handle(&incoming, ReplyMode::Outbox).await?;
        }
        Ok(true)
    }
}
