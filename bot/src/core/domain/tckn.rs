//! The identity number's user-facing errors; the type itself is shared with the agent.

use eimza_protocol::Arg;
pub use eimza_protocol::tckn::{Tckn, TcknError};

use super::UserError;

impl UserError for TcknError {
    fn message(&self) -> (&'static str, Vec<(&'static str, Arg)>) {
        match self {
            TcknError::Empty => ("err-tckn-empty", vec![]),
            TcknError::NotDigits => ("err-tckn-not-digits", vec![]),
            TcknError::Length(n) => ("err-tckn-length", vec![("count", Arg::from(*n))]),
            TcknError::LeadingZero => ("err-tckn-leading-zero", vec![]),
            TcknError::Checksum => ("err-tckn-checksum", vec![]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_has_a_message() {
        for e in [TcknError::Empty, TcknError::NotDigits, TcknError::Length(3), TcknError::LeadingZero, TcknError::Checksum] {
            assert!(e.message().0.starts_with("err-tckn-"));
        }
    }
}
