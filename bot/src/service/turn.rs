//! One turn of a person's conversation after the engine ran: carrying out its actions, saving
//! the conversation (with the replies a transport still owes), the web chat's transcript, and
//! what is told back to the transport.

use eimza_protocol::Lang;

use super::actions::{self, ActionCx, AfterCommit};
use super::{ChatService, Handled, Owed, ReplyMode, ServiceError};
use crate::core::conversation::{self, ActionResult, Conversation, Ctx, Incoming, Input, Label, Reply};
use crate::core::outbound::{ChatMessage, Outbound, Rendered};
use crate::store::{ChatState, ConversationSave, SavedFrom, StoreError, TranscriptButton, TranscriptEntry, Tx, Unsent};

/// One try at a turn: everything decided before the transaction.
pub(super) struct Turn<'a> {
    pub person_id: i64,
    pub state: &'a ChatState,
    pub incoming: &'a Incoming,
    pub mode: ReplyMode,
    pub transcript: bool,
    pub ctx: Ctx<'a>,
    pub outcome: conversation::Outcome,
    pub lang: Lang,
}

impl ChatService {
    /// A turn whose only effect is the conversation's new state (and the web chat's transcript
    /// lines): saved with the other turns in flight in one commit.
    pub(super) async fn save_only(&self, turn: Turn<'_>) -> Result<Option<Handled>, ServiceError> {
        let replies: Vec<Rendered> = turn.outcome.replies.iter().map(|r| self.texts.reply(turn.lang, r)).collect();
        let unsent = self.owed(&turn, &replies)?;
        let save = ConversationSave {
            person_id: turn.person_id,
            version: turn.state.version,
            conversation: &turn.outcome.conversation,
            unsent: unsent.as_ref(),
            now: turn.ctx.now_ms,
            from: Some(SavedFrom { transport: turn.incoming.transport.code(), user_id: &turn.incoming.user_id, state: turn.state }),
        };
        let transcript = if turn.transcript { self.transcript_lines(&turn, &replies, false) } else { Vec::new() };
        if !self.store.save_turn(&save, &transcript).await? {
            return Ok(None);
        }
        let mistake = is_mistake(&turn.outcome.replies);
        Ok(Some(self.handled(&turn, &turn.outcome.conversation, replies, mistake, false)))
    }

    /// A turn with actions: they and the save in one transaction. `None` when the conversation
    /// changed since it was read (nothing written; the turn runs again).
    pub(super) async fn save_with_actions(&self, turn: Turn<'_>) -> Result<Option<Handled>, ServiceError> {
        match self.try_with_actions(&turn, true).await {
            // A limit presumed not reached was (nothing was written): again, asking.
            Err(ServiceError::Store(StoreError::Presumed)) => {
                tracing::info!(
                    person_id = turn.person_id,
                    "nothing of the turn was written (a limit was reached after all); it runs again"
                );
                self.try_with_actions(&turn, false).await
            }
            done => done,
        }
    }

    /// [`ChatService::save_with_actions`], once; `presume`: see [`ActionCx::presume`].
    async fn try_with_actions(&self, turn: &Turn<'_>, presume: bool) -> Result<Option<Handled>, ServiceError> {
        // SQLite: the turn to write is taken with the first script; a turn whose writes all
        // ride with the COMMIT renders, seals and builds its rows before it (see
        // `Store::begin_deferred`).
        let mut tx = self.store.begin_deferred().await?;
        // SQLite: checked with the transaction's first statements, so the save below can ride
        // with the COMMIT (see `Tx::expect_version`).
        tx.expect_version(turn.person_id, turn.state.version)?;
        let mut after = AfterCommit::default();
        let done = match self.act_and_save(turn, &mut tx, &mut after, presume).await {
            Err(_) if tx.changed() => return Ok(None),
            Err(_) if tx.presumed_wrong() => return Err(StoreError::Presumed.into()),
            done => done?,
        };
        let Some((conversation, rendered, mistake)) = done else {
            return Ok(None); // dropping `tx` rolls back
        };
        match tx.commit().await {
            Err(StoreError::Changed) => return Ok(None),
            committed => committed?,
        }
        for agent in &after.close_agents {
            self.links.close(agent);
        }
        for agent in &after.wake_agents {
            self.links.wake(agent);
        }
        let mut handled = self.handled(turn, &conversation, rendered, mistake, after.delete_incoming);
        if turn.mode == ReplyMode::Outbox {
            handled.replies.clear(); // they are on their way through the outbox
        }
        Ok(Some(handled))
    }

    /// The turn's actions, then its save, transcript and outbox replies, in `tx`; the
    /// conversation as saved, the replies, and whether they explain a mistake. `None` on a
    /// conflict found by the save.
    async fn act_and_save(
        &self,
        turn: &Turn<'_>,
        tx: &mut Tx<'_>,
        after: &mut AfterCommit,
        presume: bool,
    ) -> Result<Option<(Conversation, Vec<Rendered>, bool)>, ServiceError> {
        let mut conversation = turn.outcome.conversation.clone();
        let (mut replies, mut late) = (Vec::new(), Vec::new());
        let mut cx = ActionCx {
            tx,
            store: &self.store,
            settings: &self.settings,
            person_id: turn.person_id,
            lang: turn.lang,
            now: turn.ctx.now_ms,
            form_link_ms: self.form_link_ms,
            open_ticket: turn.state.open_ticket,
            codes_sent: conversation.draft.codes_sent,
            presume,
            incoming: turn.incoming,
            after,
        };
        for action in turn.outcome.actions.iter().cloned() {
            let result = actions::apply(action, &mut cx).await?;
            // The form link is the conversation's next question: it comes after what the engine
            // said (e.g. "your address is verified"); other results answer before it.
            let is_late = matches!(result, ActionResult::FormLink { .. });
            let said = conversation::action_result(&mut conversation, result);
            if is_late { late.extend(said) } else { replies.extend(said) }
        }
        let delete_incoming = cx.after.delete_incoming;
        replies.extend(turn.outcome.replies.iter().cloned());
        replies.extend(late);
        let rendered: Vec<Rendered> = replies.iter().map(|r| self.texts.reply(turn.lang, r)).collect();
        let unsent = self.owed(turn, &rendered)?;
        let save = ConversationSave {
            person_id: turn.person_id,
            version: turn.state.version,
            conversation: &conversation,
            unsent: unsent.as_ref(),
            now: turn.ctx.now_ms,
            from: Some(SavedFrom { transport: turn.incoming.transport.code(), user_id: &turn.incoming.user_id, state: turn.state }),
        };
        if !tx.save_conversation(&save).await? {
            return Ok(None);
        }
        if turn.transcript {
            tx.append_transcript(turn.person_id, &self.transcript_lines(turn, &rendered, delete_incoming)).await?;
        }
        if turn.mode == ReplyMode::Outbox && !rendered.is_empty() {
            let message = Outbound::PersonChat { person_id: turn.person_id, message: ChatMessage::Replies { replies: rendered.clone() } };
            tx.enqueue(format!("turn:{}:{}", turn.person_id, turn.state.version + 1), &message, turn.ctx.now_ms).await?;
        }
        let mistake = is_mistake(&replies);
        Ok(Some((conversation, rendered, mistake)))
    }

    fn handled(
        &self,
        turn: &Turn<'_>,
        conversation: &Conversation,
        replies: Vec<Rendered>,
        mistake: bool,
        delete_incoming: bool,
    ) -> Handled {
        let open = turn.state.open_ticket.is_some();
        let owed = matches!(turn.mode, ReplyMode::SavedUntilSent { .. })
            .then_some(Owed { person_id: turn.person_id, version: turn.state.version + 1 });
        Handled {
            replies,
            lang: turn.lang,
            delete_incoming,
            duplicate: false,
            expects: conversation::expects(conversation, turn.ctx.sensitive_via_web, open),
            mistake,
            owed,
        }
    }

    /// What this and earlier turns still owe the person (Telegram): earlier turns' replies not
    /// confirmed as delivered, then this turn's.
    fn owed(&self, turn: &Turn<'_>, replies: &[Rendered]) -> Result<Option<Unsent>, StoreError> {
        let ReplyMode::SavedUntilSent { delivered } = turn.mode else { return Ok(None) };
        let previous = match (&turn.state.unsent, delivered) {
            (Some(_), Some(delivered)) if delivered >= turn.state.version => None,
            (Some(sealed), _) => Some(self.store.open_unsent(sealed)?),
            _ => None,
        };
        Ok(Unsent::then(previous.as_ref(), delivered, turn.state.version + 1, replies))
    }

    /// The web chat's transcript lines of a turn: what the person said (not a misplaced PIN, and
    /// a T.C. Kimlik No or six digits inside a sentence masked; a button by its label) and the
    /// replies.
    fn transcript_lines(&self, turn: &Turn<'_>, rendered: &[Rendered], deleted: bool) -> Vec<TranscriptEntry> {
        let now = turn.ctx.now_ms;
        let said = match &turn.incoming.input {
            Input::Text(text) if !deleted => Some(conversation::engine::redact(text)),
            Input::Button(id) => Some(match conversation::engine::button_label(&turn.state.conversation, id, &turn.ctx) {
                Some(Label::Msg(m)) => self.texts.msg(turn.lang, &m),
                Some(Label::Verbatim(s)) => s,
                None => id.encode(),
            }),
            _ => None,
        };
        let incoming = said.map(|text| TranscriptEntry { at: now, direction: "in".into(), text, buttons: vec![] });
        incoming
            .into_iter()
            .chain(rendered.iter().map(|r| TranscriptEntry {
                at: now,
                direction: "out".into(),
                text: r.text.clone(),
                buttons: r.buttons.iter().map(|b| TranscriptButton { id: b.id.clone(), label: b.label.clone() }).collect(),
            }))
            .collect()
    }
}

/// Whether the replies explain a wrong answer (their first part is an error message).
fn is_mistake(replies: &[Reply]) -> bool {
    replies.iter().any(|r| r.parts.first().is_some_and(|m| m.id.starts_with("err-") || m.id == "field-error"))
}
