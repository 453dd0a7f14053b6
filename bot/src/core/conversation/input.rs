use crate::core::button::ButtonId;

/// What a person sent.
#[derive(Clone, PartialEq, Eq)]
pub enum Input {
    Text(String),
    Button(ButtonId),
    /// A button id we never showed (stale, or made up): the person hears that the button is old.
    UnknownButton,
    /// Several answers at once: the built-in web form (TC Kimlik No, birth date) or a
    /// platform's form (a Discord modal). Each is validated like the typed answer.
    Fields(Vec<(super::Field, String)>),
    /// The conversation's opening on a transport that has no first message of its own (the web
    /// chat shows its greeting when the page opens).
    Open,
}

impl Input {
    /// A platform's button data, parsed at the edge.
    pub fn button(data: &str) -> Input {
        ButtonId::parse(data).map(Input::Button).unwrap_or(Input::UnknownButton)
    }
}

/// What people type may hold their identity number, birth date or a PIN: `Debug` shows only its
/// length (and which fields a form carried).
impl std::fmt::Debug for Input {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Input::Text(text) => write!(f, "Text(<{} chars>)", text.chars().count()),
            Input::Button(id) => f.debug_tuple("Button").field(id).finish(),
            Input::UnknownButton => f.write_str("UnknownButton"),
            Input::Fields(fields) => {
                let names: Vec<&str> = fields.iter().map(|(field, _)| field.code()).collect();
                write!(f, "Fields({names:?})")
            }
            Input::Open => f.write_str("Open"),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    Start,
    Status,
    Cancel,
    Help,
    Delete,
    Turkish,
    English,
    /// A pairing code for the desktop agent.
    Pair,
    /// The paired PCs, each with an unlink button.
    Devices,
    /// Check the card again (the card step goes to the PC once more).
    CardRecheck,
}

/// `/durum`, `/Durum@eimza_bot`, `/status` … → a command; `None` for plain text; `Some(Err)`
/// with the typed name for an unknown command.
pub fn parse_command(text: &str) -> Option<Result<Command, String>> {
    let rest = text.trim().strip_prefix('/')?;
    let word = rest.split_whitespace().next().unwrap_or("");
    let name = word.split('@').next().unwrap_or("");
    let key = eimza_protocol::turkish::deaccent(&eimza_protocol::turkish::to_lower(name));
    let command = match key.as_str() {
        "basla" | "start" | "baslat" | "yenileme" | "renew" => Command::Start,
        "durum" | "status" => Command::Status,
        "iptal" | "cancel" => Command::Cancel,
        "yardim" | "help" => Command::Help,
        "sil" | "delete" => Command::Delete,
        "turkce" | "tr" => Command::Turkish,
        "english" | "en" | "ingilizce" => Command::English,
        "eslestir" | "esle" | "pair" => Command::Pair,
        "cihazlar" | "cihaz" | "devices" => Command::Devices,
        "kart" | "kartdenetle" | "card" | "checkcard" => Command::CardRecheck,
        _ => return Some(Err(word.chars().take(32).collect())),
    };
    Some(Ok(command))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_in_both_languages() {
        assert_eq!(parse_command("/basla"), Some(Ok(Command::Start)));
        assert_eq!(parse_command("/başla"), Some(Ok(Command::Start)));
        assert_eq!(parse_command("/BAŞLA"), Some(Ok(Command::Start)));
        assert_eq!(parse_command("/start"), Some(Ok(Command::Start)));
        assert_eq!(parse_command(" /durum@eimza_bot "), Some(Ok(Command::Status)));
        assert_eq!(parse_command("/yardım"), Some(Ok(Command::Help)));
        assert_eq!(parse_command("/İPTAL"), Some(Ok(Command::Cancel)));
        assert_eq!(parse_command("/sil"), Some(Ok(Command::Delete)));
        assert_eq!(parse_command("/english"), Some(Ok(Command::English)));
        assert_eq!(parse_command("/türkçe"), Some(Ok(Command::Turkish)));
        assert_eq!(parse_command("/eşleştir"), Some(Ok(Command::Pair)));
        assert_eq!(parse_command("/ESLESTIR"), Some(Ok(Command::Pair)));
        assert_eq!(parse_command("/pair"), Some(Ok(Command::Pair)));
        assert_eq!(parse_command("/cihazlar"), Some(Ok(Command::Devices)));
        assert_eq!(parse_command("/devices"), Some(Ok(Command::Devices)));
        assert_eq!(parse_command("/kart"), Some(Ok(Command::CardRecheck)));
        assert_eq!(parse_command("/KART"), Some(Ok(Command::CardRecheck)));
        assert_eq!(parse_command("/card"), Some(Ok(Command::CardRecheck)));
        assert_eq!(parse_command("/foo bar"), Some(Err("foo".into())));
        assert_eq!(parse_command("merhaba"), None);
    }

    #[test]
    fn debug_shows_no_typed_text() {
        let input = Input::Text("TC 10000000146, PIN 123456".into());
        assert_eq!(format!("{input:?}"), "Text(<26 chars>)");
        let form = Input::Fields(vec![(crate::core::conversation::Field::Tckn, "10000000146".into())]);
        assert!(!format!("{form:?}").contains("10000000146"));
        assert_eq!(Input::button("consent:yes"), Input::Button(ButtonId::ConsentYes));
        assert_eq!(Input::button("consent:maybe"), Input::UnknownButton);
    }
}
