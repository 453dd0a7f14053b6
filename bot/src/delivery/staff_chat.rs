//! The staff chat channels (`staff-telegram`, `staff-discord`): ticket notices and people's
//! questions, posted in the support desk's group or channel in Turkish, with the buttons that
//! fit the notice. Where each post landed is recorded, so a reply to it reaches its ticket.

use std::sync::Arc;
use std::time::Duration;

use eimza_protocol::Lang;

use super::platforms::{Platforms, StaffPost};
use super::{Delivered, Policy, SendError, Worker};
use crate::clock;
use crate::config::ChatDeliveryConfig;
use crate::core::button::{ButtonId, StaffAction};
use crate::core::conversation::{Button, Msg, Reply, Transport};
use crate::core::notice::StaffNotice;
use crate::core::outbound::{Channel, Outbound, StaffMessage};
use crate::i18n::Texts;
use crate::store::{Claimed, Store, StoreError, TicketRow};

/// The staff chat speaks Turkish: the support desk is in Türkiye.
pub const STAFF_LANG: Lang = Lang::Tr;

pub struct StaffChats {
    store: Store,
    texts: Arc<Texts>,
    platforms: Arc<Platforms>,
    platform: Transport,
    institution: String,
    /// Where `/staff` is, for the digest's links.
    public_url: String,
    config: ChatDeliveryConfig,
}

impl StaffChats {
    pub fn new(
        store: Store,
        texts: Arc<Texts>,
        platforms: Arc<Platforms>,
        platform: Transport,
        institution: String,
        public_url: String,
        config: ChatDeliveryConfig,
    ) -> StaffChats {
        StaffChats { store, texts, platforms, platform, institution, public_url, config }
    }

    pub fn policy(&self) -> Policy {
        Policy {
            retry_base_secs: self.config.retry_base_secs,
            max_attempts: self.config.max_attempts,
            lease_ms: 60_000,
            batch: 16,
            poll: Duration::from_secs(2),
            linger: Duration::ZERO,
        }
    }

    /// Posts every due message now (tests; the bot runs [`super::run`]).
    pub async fn deliver_due(&self) -> Result<usize, StoreError> {
        super::drain(&self.store, self, &self.policy()).await
    }

    fn text(&self, msg: &Msg) -> String {
        self.texts.msg(STAFF_LANG, msg)
    }

    /// A ticket notice as the staff chat shows it: what happened, the ticket with the TC Kimlik
    /// No masked, and the buttons that fit the notice.
    fn ticket_post(&self, ticket: &TicketRow, notice: StaffNotice) -> Reply {
        let gone = || self.text(&Msg::new("staff-personal-data-deleted"));
        let msg = Msg::new("staff-post")
            .with("what", Msg::new(notice.message_id()))
            .with("ticket", ticket.number.clone())
            .with("state", Msg::new(ticket.state.message_id()))
            .with("name", ticket.name.clone().unwrap_or_else(gone))
            .with("tckn", ticket.tckn_masked.clone().unwrap_or_else(gone))
            .with("title", ticket.title.clone().unwrap_or_else(gone))
            .with("institution", self.institution.clone());
        let button = |action: StaffAction| Button::new(ButtonId::Staff(action, ticket.id), action.label_id());
        let buttons = match notice {
            StaffNotice::NewTicket => vec![button(StaffAction::ResendCardStep), button(StaffAction::Cancel)],
            StaffNotice::EOnayDone => {
                vec![button(StaffAction::CorporateApplied), button(StaffAction::FormEmailSent), button(StaffAction::Cancel)]
            }
            _ => vec![],
        };
        Reply { parts: vec![msg], buttons }
    }
}

impl Worker for StaffChats {
    fn channel(&self) -> Channel {
        Channel::StaffChat(self.platform)
    }

    async fn deliver(&self, item: &Claimed) -> Result<Result<Delivered, SendError>, StoreError> {
        let Ok(Outbound::StaffChat { ticket_id, message, .. }) = &item.message else {
            return Ok(Err(SendError::Permanent("not a staff chat post".into())));
        };
        let Some(chat) = self.platforms.staff_chat(self.platform) else {
            return Ok(Err(SendError::Temporary("the staff chat is not connected".into())));
        };
        if let StaffMessage::Digest { digest } = message {
            let (_, body) = super::digest::render(&self.texts, STAFF_LANG, digest, &self.public_url);
            let post = StaffPost { ticket_id: None, message: crate::core::outbound::Rendered::plain(body), reply_to: None };
            return Ok(chat.post(&post).await.map(|_| Delivered::Sent));
        }
        let Some(ticket_id) = ticket_id else {
            return Ok(Err(SendError::Permanent("a ticket post without its ticket".into())));
        };
        let Some(ticket) = self.store.ticket_by_id(*ticket_id).await? else {
            return Ok(Err(SendError::Permanent("the ticket of this notice does not exist".into())));
        };
        let (reply, reply_to) = match message {
            StaffMessage::Question { text } => {
                let reply = Reply::text(Msg::new("staff-question-post").with("ticket", ticket.number.clone()).with("text", text.clone()));
                (reply, self.store.staff_post_of(self.platform.code(), ticket.id).await?)
            }
            StaffMessage::TicketNotice { notice } => (self.ticket_post(&ticket, *notice), None),
            StaffMessage::Digest { .. } => return Ok(Err(SendError::Permanent("a digest names no ticket".into()))),
        };
        let post = StaffPost { ticket_id: Some(ticket.id), message: self.texts.reply(STAFF_LANG, &reply), reply_to };
        Ok(match chat.post(&post).await {
            Ok((chat_id, message_id)) => {
                self.store.record_staff_post(self.platform.code(), &chat_id, &message_id, ticket.id, clock::now_ms()).await?;
                Ok(Delivered::Sent)
            }
            Err(e) => Err(e),
        })
    }
}
