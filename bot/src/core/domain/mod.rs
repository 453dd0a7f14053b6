//! Domain values that validate when they are built, so an invalid one cannot exist. Each parse
//! error names the Fluent message that explains it to the person ([`UserError::message`]).
//! Pure: no I/O, no clock (today's date is passed in).

mod birth_date;
mod email;
mod email_code;
mod full_name;
mod ids;
mod tckn;
mod title;

pub use birth_date::{BirthDate, BirthDateError, parse_day};
pub use eimza_protocol::ticket_no::{TicketNo, TicketNoError};
pub use email::{EmailDomains, EmailError, KurumEmail};
pub use email_code::EmailCode;
pub use full_name::{FullName, FullNameError};
pub use ids::{AgentId, RequestId};
pub use tckn::{Tckn, TcknError};
pub use title::{Title, TitleError};

use eimza_protocol::Arg;

/// A mistake in what a person typed: which message explains it, with its variables.
pub trait UserError {
    fn message(&self) -> (&'static str, Vec<(&'static str, Arg)>);
}
