//! Ids the bot makes up for things people act on by button (a paired PC, a pairing request):
//! checked by their shape ([`Id`]) wherever they come back from outside.

use std::fmt;

use eimza_protocol::wire::Id;
use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Id);

        impl $name {
            pub fn parse(text: &str) -> Option<$name> {
                Id::new(text).map($name)
            }

            pub fn from_id(id: Id) -> $name {
                $name(id)
            }

            pub fn as_str(&self) -> &str {
                self.0.as_str()
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.0.as_str())
            }
        }
    };
}

id_type!(
    /// A paired PC (`a-…`).
    AgentId
);
id_type!(
    /// A PC's request to pair, waiting for the person's answer in chat (`p-…`).
    RequestId
);
