//! What the conversation engine asks the service to do: one function per [`Action`], each
//! working in the turn's transaction (in the manner of mini-redis's `Command::apply`). What
//! must happen once the transaction is committed (closing or waking agent connections) is
//! collected in [`AfterCommit`].

use eimza_protocol::Lang;
use eimza_protocol::pairing::PairingCode;

use super::PAIRING_TTL_MS;
use crate::core::conversation::{Action, ActionResult, DeviceView, Incoming, PairingDecision, PendingCode, Settings, TicketBrief};
use crate::core::domain::{AgentId, EmailCode, KurumEmail, RequestId, TicketNo};
use crate::core::outbound::{Mail, Outbound, StaffMessage};
use crate::core::ticket::TicketState;
use crate::store::{Actor, Decided, OpenOutcome, PairingDecisionRow, Store, StoreError, TicketNote, Tx};
use crate::vault::{random_id, random_nonce, random_secret};

/// Agent connections to close or wake once the turn is committed, and whether the person's
/// message should be removed.
#[derive(Default)]
pub(super) struct AfterCommit {
    pub close_agents: Vec<AgentId>,
    pub wake_agents: Vec<AgentId>,
    pub delete_incoming: bool,
}

/// What an action works with.
pub(super) struct ActionCx<'a, 's> {
    pub tx: &'a mut Tx<'s>,
    pub store: &'a Store,
    pub settings: &'a Settings,
    pub person_id: i64,
    pub lang: Lang,
    pub now: i64,
    pub form_link_ms: i64,
    pub open_ticket: Option<TicketBrief>,
    /// Codes already mailed during this application (part of the idempotency key).
    pub codes_sent: u8,
    /// A limit's count may be presumed not reached (`Tx::count_code_mail`): false when the
    /// turn runs again because it was.
    pub presume: bool,
    pub incoming: &'a Incoming,
    pub after: &'a mut AfterCommit,
}

pub(super) async fn apply(action: Action, cx: &mut ActionCx<'_, '_>) -> Result<ActionResult, StoreError> {
    match action {
        Action::OpenTicket(draft) => open_ticket(cx, *draft).await,
        Action::CancelTicket(number) => cancel_ticket(cx, number).await,
        Action::DeletePersonalData => delete_personal_data(cx).await,
        Action::DeleteIncomingMessage => {
            cx.after.delete_incoming = true;
            Ok(ActionResult::MessageDeleted(cx.incoming.can_delete))
        }
        Action::SendEmailCode { email } => send_email_code(cx, email).await,
        Action::IssuePairingCode => issue_pairing_code(cx).await,
        Action::DecidePairing { request_id, approve } => decide_pairing(cx, request_id, approve).await,
        Action::IssueFormLink => issue_form_link(cx).await,
        Action::AskStaff { text } => ask_staff(cx, text).await,
        Action::ListDevices => list_devices(cx).await,
        Action::UnlinkDevice { agent_id } => unlink_device(cx, agent_id).await,
        Action::RecheckCard => recheck_card(cx).await,
        Action::ApproveForm => approve_form(cx).await,
    }
}

async fn open_ticket(cx: &mut ActionCx<'_, '_>, draft: crate::core::conversation::Draft) -> Result<ActionResult, StoreError> {
    Ok(match cx.tx.open_ticket(cx.person_id, &draft, cx.lang, cx.now).await? {
        OpenOutcome::Opened(number) => {
            tracing::info!(ticket = %number, person_id = cx.person_id, "ticket opened");
            ActionResult::TicketOpened(number)
        }
        OpenOutcome::AlreadyOpen(existing) => ActionResult::OpenRefused { existing, draft: Box::new(draft) },
    })
}

async fn cancel_ticket(cx: &mut ActionCx<'_, '_>, number: TicketNo) -> Result<ActionResult, StoreError> {
    Ok(match cx.tx.cancel_own_ticket(cx.person_id, number, cx.now).await? {
        Ok(_) => ActionResult::TicketCancelled(number),
        Err(refusal) => ActionResult::CancelRefused(refusal),
    })
}

async fn delete_personal_data(cx: &mut ActionCx<'_, '_>) -> Result<ActionResult, StoreError> {
    cx.tx.delete_personal_data(cx.person_id, cx.now).await?;
    cx.after.close_agents.extend(cx.tx.forget_agents(cx.person_id, cx.now).await?);
    tracing::info!(person_id = cx.person_id, "personal data deleted on request");
    Ok(ActionResult::DataDeleted)
}

async fn send_email_code(cx: &mut ActionCx<'_, '_>, email: KurumEmail) -> Result<ActionResult, StoreError> {
    if let Err(minutes) = cx.tx.count_code_mail(email.as_str(), cx.now, cx.presume).await? {
        tracing::info!(person_id = cx.person_id, "a verification e-mail was not sent: the address's limit is reached");
        return Ok(ActionResult::EmailCodeLimited { minutes });
    }
    let code = EmailCode::generate(&mut rand::rng());
    let mail = Mail::EmailCode { to: email.as_str().to_owned(), code: code.display(), lang: cx.lang };
    let key = format!("email-code:{}:{}:{}", cx.person_id, cx.now, cx.codes_sent);
    cx.tx.enqueue(key, &Outbound::Email(mail), cx.now).await?;
    tracing::info!(person_id = cx.person_id, "e-mail ownership code queued");
    Ok(ActionResult::EmailCodeSent { hash: code.hash(), expires_at: cx.now + PendingCode::VALID_MS })
}

async fn issue_pairing_code(cx: &mut ActionCx<'_, '_>) -> Result<ActionResult, StoreError> {
    let code = PairingCode::generate(|n| rand::random_range(0..n));
    cx.tx.issue_pairing_code(cx.person_id, &code, cx.now, PAIRING_TTL_MS).await?;
    tracing::info!(person_id = cx.person_id, "pairing code issued");
    Ok(ActionResult::PairingCode {
        code: code.display(),
        minutes: PAIRING_TTL_MS / 60_000,
        server: cx.settings.public_url.trim_end_matches('/').to_owned(),
    })
}

async fn decide_pairing(cx: &mut ActionCx<'_, '_>, request_id: RequestId, approve: bool) -> Result<ActionResult, StoreError> {
    let agent_id = AgentId::from_id(random_id("a"));
    let token = random_secret();
    let row = PairingDecisionRow {
        person_id: cx.person_id,
        request_id: &request_id,
        approve,
        agent_id: &agent_id,
        token: &token,
        now: cx.now,
        ttl_ms: PAIRING_TTL_MS,
    };
    Ok(match cx.tx.decide_pairing(&row).await? {
        Decided::Approved { agent_id, pc_name, pc_os } => {
            tracing::info!(person_id = cx.person_id, agent = %agent_id, "agent paired");
            let ticket = cx.tx.request_card_step(cx.person_id, &agent_id, &random_id("w"), &random_nonce(), cx.now).await?;
            cx.after.wake_agents.push(agent_id);
            ActionResult::PairingDecided(PairingDecision::Approved { name: pc_name, os: pc_os, ticket: ticket.map(|t| t.to_string()) })
        }
        Decided::Rejected { pc_name } => ActionResult::PairingDecided(PairingDecision::Rejected { name: pc_name }),
        Decided::Stale => ActionResult::PairingDecided(PairingDecision::Stale),
    })
}

async fn issue_form_link(cx: &mut ActionCx<'_, '_>) -> Result<ActionResult, StoreError> {
    let token = random_secret();
    cx.tx.issue_form_link(cx.person_id, &token, cx.now, cx.form_link_ms).await?;
    tracing::info!(person_id = cx.person_id, "web form link issued");
    Ok(ActionResult::FormLink {
        url: format!("{}/form/{token}", cx.settings.public_url.trim_end_matches('/')),
        minutes: cx.form_link_ms / 60_000,
    })
}

/// A question for the desk goes to every staff chat, under the person's open ticket.
async fn ask_staff(cx: &mut ActionCx<'_, '_>, text: String) -> Result<ActionResult, StoreError> {
    let staff_chats = cx.store.routing().staff_chats.clone();
    let (Some(open), Some(ticket_id)) = (cx.open_ticket, cx.tx.open_ticket_id(cx.person_id).await?) else {
        return Ok(ActionResult::QuestionUnavailable);
    };
    if staff_chats.is_empty() {
        return Ok(ActionResult::QuestionUnavailable);
    }
    let update = cx.incoming.update_id.clone().unwrap_or_else(|| "-".to_owned());
    for platform in staff_chats {
        let post = Outbound::StaffChat { platform, ticket_id: Some(ticket_id), message: StaffMessage::Question { text: text.clone() } };
        let key = format!("question:{ticket_id}:{}:{}:{update}", post.channel().code(), cx.now);
        cx.tx.enqueue(key, &post, cx.now).await?;
    }
    let note = TicketNote { ticket_id, actor: &Actor::applicant(cx.person_id), event: "question", note: None, detail: None, at: cx.now };
    cx.tx.note_on_ticket(&note).await?;
    Ok(ActionResult::QuestionForwarded { ticket: open.number.to_string() })
}

async fn list_devices(cx: &mut ActionCx<'_, '_>) -> Result<ActionResult, StoreError> {
    let agents = cx.store.agents_of(cx.person_id).await?;
    Ok(ActionResult::Devices(
        agents.into_iter().map(|a| DeviceView { agent_id: a.id, name: a.pc_name, os: a.pc_os, last_seen_ms: a.last_seen_at }).collect(),
    ))
}

async fn unlink_device(cx: &mut ActionCx<'_, '_>, agent_id: AgentId) -> Result<ActionResult, StoreError> {
    let name = cx.store.agent(&agent_id).await?.filter(|a| a.person_id == cx.person_id).map(|a| a.pc_name);
    match name {
        Some(name) if cx.tx.revoke_agent(&agent_id, Some(cx.person_id), &Actor::applicant(cx.person_id), cx.now).await? => {
            tracing::info!(person_id = cx.person_id, agent = %agent_id, "agent unlinked by its person");
            cx.after.close_agents.push(agent_id);
            Ok(ActionResult::Unlinked { name })
        }
        _ => Ok(ActionResult::UnlinkStale),
    }
}

/// "Check my card again": the card step goes to the person's most recent PC once more.
async fn recheck_card(cx: &mut ActionCx<'_, '_>) -> Result<ActionResult, StoreError> {
    let Some(open) = cx.open_ticket else { return Ok(ActionResult::CardRecheckNotNeeded(None)) };
    let Some(ticket_id) = cx.tx.open_ticket_id(cx.person_id).await? else { return Ok(ActionResult::CardRecheckNotNeeded(None)) };
    if open.state != TicketState::CardStep {
        return Ok(ActionResult::CardRecheckNotNeeded(Some(open.state)));
    }
    match cx.tx.resend_card_step(ticket_id, &Actor::applicant(cx.person_id), &random_id("w"), &random_nonce(), cx.now).await? {
        Some(resent) => {
            cx.after.wake_agents.push(resent.agent_id);
            Ok(ActionResult::CardRecheckQueued { ticket: resent.ticket, pc: resent.pc_name })
        }
        None => Ok(ActionResult::CardRecheckNoPc),
    }
}

/// "Onayladım": the renewal form is approved; the request completes.
async fn approve_form(cx: &mut ActionCx<'_, '_>) -> Result<ActionResult, StoreError> {
    match cx.tx.approve_form(cx.person_id, cx.now).await? {
        Some((ticket, Ok(_))) => {
            tracing::info!(ticket = %ticket, "the renewal form approved");
            Ok(ActionResult::FormApproved { ticket })
        }
        Some((_, Err(_))) => Ok(ActionResult::FormApprovalNotWaiting(cx.open_ticket.map(|t| t.state))),
        None => Ok(ActionResult::FormApprovalNotWaiting(None)),
    }
}
