//! What people are told about a ticket outside a reply, as typed names: a ticket transition's
//! [`Effect`](super::ticket::Effect) carries one, the outbox row stores it, and the delivery
//! worker renders its message. No list of message ids is kept anywhere else.

use serde::{Deserialize, Serialize};

use super::ticket::FailReason;

/// A notice for the applicant (in their chat and by e-mail).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ApplicantNotice {
    EOnayDone,
    CorporateApplied,
    FormEmailSent,
    /// The renewal form still waits for the person's approval (every two working days, a few
    /// times).
    FormApprovalReminder,
    Completed,
    CancelledByStaff,
    Failed(FailReason),
}

impl ApplicantNotice {
    /// The Fluent message that says it.
    pub fn message_id(self) -> &'static str {
        match self {
            ApplicantNotice::EOnayDone => "notice-eonay-done",
            ApplicantNotice::CorporateApplied => "notice-corporate-applied",
            ApplicantNotice::FormEmailSent => "notice-form-email-sent",
            ApplicantNotice::FormApprovalReminder => "notice-form-approval-reminder",
            ApplicantNotice::Completed => "notice-completed",
            ApplicantNotice::CancelledByStaff => "notice-cancelled-by-staff",
            ApplicantNotice::Failed(FailReason::CardLocked) => "notice-failed-card-locked",
            ApplicantNotice::Failed(FailReason::CertificateExpired) => "notice-failed-certificate-expired",
        }
    }

    /// A stable name for idempotency keys.
    pub fn code(self) -> &'static str {
        self.message_id().trim_start_matches("notice-")
    }

    /// Whether the person answers it with "Onayladım".
    pub fn asks_for_approval(self) -> bool {
        matches!(self, ApplicantNotice::FormEmailSent | ApplicantNotice::FormApprovalReminder)
    }
}

/// A notice for the support desk (the staff chats and the staff e-mail).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StaffNotice {
    NewTicket,
    EOnayDone,
    Completed,
    Cancelled,
    Failed(FailReason),
}

impl StaffNotice {
    pub fn message_id(self) -> &'static str {
        match self {
            StaffNotice::NewTicket => "staff-new-ticket",
            StaffNotice::EOnayDone => "staff-eonay-done",
            StaffNotice::Completed => "staff-completed",
            StaffNotice::Cancelled => "staff-cancelled",
            StaffNotice::Failed(FailReason::CardLocked) => "staff-failed-card-locked",
            StaffNotice::Failed(FailReason::CertificateExpired) => "staff-failed-certificate-expired",
        }
    }

    pub fn code(self) -> &'static str {
        self.message_id().trim_start_matches("staff-")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notices_round_trip_through_the_outbox_format() {
        let all_applicant = [
            ApplicantNotice::EOnayDone,
            ApplicantNotice::CorporateApplied,
            ApplicantNotice::FormEmailSent,
            ApplicantNotice::FormApprovalReminder,
            ApplicantNotice::Completed,
            ApplicantNotice::CancelledByStaff,
            ApplicantNotice::Failed(FailReason::CardLocked),
            ApplicantNotice::Failed(FailReason::CertificateExpired),
        ];
        for n in all_applicant {
            let json = serde_json::to_string(&n).unwrap();
            assert_eq!(serde_json::from_str::<ApplicantNotice>(&json).unwrap(), n);
            assert!(n.message_id().starts_with("notice-"));
        }
        let all_staff = [
            StaffNotice::NewTicket,
            StaffNotice::EOnayDone,
            StaffNotice::Completed,
            StaffNotice::Cancelled,
            StaffNotice::Failed(FailReason::CardLocked),
            StaffNotice::Failed(FailReason::CertificateExpired),
        ];
        for n in all_staff {
            let json = serde_json::to_string(&n).unwrap();
            assert_eq!(serde_json::from_str::<StaffNotice>(&json).unwrap(), n);
        }
    }
}
