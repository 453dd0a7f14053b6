//! ISO 7816-4 command and response APDUs, and the exchange rules every card needs: `61xx` means
//! "more data, ask with GET RESPONSE", `6Cxx` means "send the same command again with Le = xx".
//! Pure: the bytes go through a [`Transport`], which is the only thing that knows about PC/SC.

use super::CardError;

/// Sends one command APDU and returns the card's raw answer (data followed by SW1 SW2).
pub trait Transport {
    fn transmit_raw(&mut self, command: &[u8]) -> Result<Vec<u8>, CardError>;
}

/// A command APDU. `le` is the number of answer bytes expected (`None` = no answer data);
/// 256 in short form and 65,536 in extended form are written as zero, as the standard says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Command {
    pub cla: u8,
    pub ins: u8,
    pub p1: u8,
    pub p2: u8,
    pub data: Vec<u8>,
    pub le: Option<usize>,
}

impl Command {
    pub fn new(cla: u8, ins: u8, p1: u8, p2: u8) -> Command {
        Command { cla, ins, p1, p2, data: Vec::new(), le: None }
    }

    pub fn data(mut self, data: impl Into<Vec<u8>>) -> Command {
        self.data = data.into();
        self
    }

    pub fn le(mut self, le: usize) -> Command {
        self.le = Some(le);
        self
    }

    /// Short form when data ≤ 255 bytes and Le ≤ 256, extended form otherwise.
    pub fn to_bytes(&self) -> Vec<u8> {
        let extended = self.data.len() > 255 || self.le.is_some_and(|le| le > 256);
        let mut out = vec![self.cla, self.ins, self.p1, self.p2];
        if extended {
            out.push(0);
            if !self.data.is_empty() {
                out.extend_from_slice(&(self.data.len() as u16).to_be_bytes());
                out.extend_from_slice(&self.data);
            }
            if let Some(le) = self.le {
                out.extend_from_slice(&((le.min(65_536) % 65_536) as u16).to_be_bytes());
            }
        } else {
            if !self.data.is_empty() {
                out.push(self.data.len() as u8);
                out.extend_from_slice(&self.data);
            }
            if let Some(le) = self.le {
                out.push((le % 256) as u8);
            }
        }
        out
    }
}

/// A card's answer: data and the two status bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    pub data: Vec<u8>,
    pub sw: u16,
}

impl Response {
    pub fn parse(raw: &[u8]) -> Result<Response, CardError> {
        if raw.len() < 2 {
            return Err(CardError::Protocol("answer shorter than a status word"));
        }
        let (data, sw) = raw.split_at(raw.len() - 2);
        Ok(Response { data: data.to_vec(), sw: u16::from_be_bytes([sw[0], sw[1]]) })
    }

    pub fn is_ok(&self) -> bool {
        self.sw == sw::OK
    }
}

/// The status words that matter (CARD.md).
pub mod sw {
    pub const OK: u16 = 0x9000;
    pub const END_OF_FILE: u16 = 0x6282;
    pub const WRONG_LENGTH: u16 = 0x6700;
    pub const SECURITY_STATUS: u16 = 0x6982;
    pub const PIN_BLOCKED: u16 = 0x6983;
    pub const PIN_BLOCKED_V1: u16 = 0x6984;
    pub const CONDITIONS: u16 = 0x6985;
    pub const FILE_NOT_FOUND: u16 = 0x6A82;
    pub const REF_NOT_FOUND: u16 = 0x6A88;
    pub const INS_NOT_SUPPORTED: u16 = 0x6D00;
    pub const CLA_NOT_SUPPORTED: u16 = 0x6E00;

    /// `63Cx`: a PIN verification answer with x tries left.
    pub fn tries_left(sw: u16) -> Option<u8> {
        (sw & 0xFFF0 == 0x63C0).then_some((sw & 0x0F) as u8)
    }
}

/// At most this many GET RESPONSE rounds: a card that keeps saying "more" is broken, and we
/// must not loop forever on it.
const MAX_CHAINED: usize = 64;

/// Sends `command` and follows `61xx` / `6Cxx` until the card gives a final answer.
pub fn exchange(transport: &mut dyn Transport, command: &Command) -> Result<Response, CardError> {
    let mut response = Response::parse(&transport.transmit_raw(&command.to_bytes())?)?;
    if response.sw & 0xFF00 == 0x6C00 {
        let le = match response.sw & 0xFF {
            0 => 256,
            n => n as usize,
        };
        let again = Command { le: Some(le), ..command.clone() };
        response = Response::parse(&transport.transmit_raw(&again.to_bytes())?)?;
    }
    let mut data = std::mem::take(&mut response.data);
    let mut rounds = 0;
    while response.sw & 0xFF00 == 0x6100 {
        rounds += 1;
        if rounds > MAX_CHAINED {
            return Err(CardError::Protocol("the card keeps announcing more data"));
        }
        let le = match response.sw & 0xFF {
            0 => 256,
            n => n as usize,
        };
        let get_response = Command::new(command.cla, 0xC0, 0, 0).le(le);
        response = Response::parse(&transport.transmit_raw(&get_response.to_bytes())?)?;
        data.append(&mut response.data);
    }
    Ok(Response { data, sw: response.sw })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Answers from a script and records what was sent.
    struct Scripted {
        answers: Vec<Vec<u8>>,
        sent: Vec<Vec<u8>>,
    }

    impl Transport for Scripted {
        fn transmit_raw(&mut self, command: &[u8]) -> Result<Vec<u8>, CardError> {
            self.sent.push(command.to_vec());
            if self.answers.is_empty() {
                return Err(CardError::Protocol("script ran out"));
            }
            Ok(self.answers.remove(0))
        }
    }

    fn scripted(answers: &[&[u8]]) -> Scripted {
        Scripted { answers: answers.iter().map(|a| a.to_vec()).collect(), sent: Vec::new() }
    }

    #[test]
    fn short_and_extended_encodings() {
        assert_eq!(Command::new(0, 0xA4, 4, 0x0C).data(b"PKCS-15".to_vec()).to_bytes(), b"\x00\xA4\x04\x0C\x07PKCS-15");
        assert_eq!(Command::new(0, 0xB0, 0, 0).le(256).to_bytes(), [0, 0xB0, 0, 0, 0]);
        assert_eq!(Command::new(0, 0x20, 0, 0x81).to_bytes(), [0, 0x20, 0, 0x81]);
        let long = Command::new(0, 0x2A, 0x9E, 0x9A).data(vec![7; 300]).le(512).to_bytes();
        assert_eq!(&long[..7], &[0, 0x2A, 0x9E, 0x9A, 0, 0x01, 0x2C]);
        assert_eq!(&long[long.len() - 2..], &[0x02, 0x00]);
        assert_eq!(long.len(), 4 + 3 + 300 + 2);
        assert_eq!(Command::new(0, 0xB0, 0, 0).le(65_536).to_bytes(), [0, 0xB0, 0, 0, 0, 0, 0]);
    }

    #[test]
    fn get_response_chains_are_joined() {
        let mut t = scripted(&[b"\x61\x03", b"abc\x61\x02", b"de\x90\x00"]);
        let r = exchange(&mut t, &Command::new(0, 0x2A, 0x9E, 0x9A).data(vec![1]).le(256)).unwrap();
        assert_eq!(r, Response { data: b"abcde".to_vec(), sw: sw::OK });
        assert_eq!(t.sent[1], [0, 0xC0, 0, 0, 3]);
        assert_eq!(t.sent[2], [0, 0xC0, 0, 0, 2]);
    }

    #[test]
    fn wrong_le_is_resent_with_the_length_the_card_asks_for() {
        let mut t = scripted(&[b"\x6C\x10", b"0123456789abcdef\x90\x00"]);
        let r = exchange(&mut t, &Command::new(0, 0xB0, 0, 0).le(0xE7)).unwrap();
        assert_eq!(r.data.len(), 16);
        assert_eq!(t.sent[1], [0, 0xB0, 0, 0, 0x10]);
    }

    #[test]
    fn a_card_that_never_stops_announcing_data_is_an_error_not_a_hang() {
        let mut t = Scripted { answers: vec![b"x\x61\x01".to_vec(); 100], sent: Vec::new() };
        assert!(matches!(exchange(&mut t, &Command::new(0, 0xB0, 0, 0).le(1)), Err(CardError::Protocol(_))));
    }

    #[test]
    fn status_words() {
        assert_eq!(sw::tries_left(0x63C2), Some(2));
        assert_eq!(sw::tries_left(0x63C0), Some(0));
        assert_eq!(sw::tries_left(0x9000), None);
        assert!(Response::parse(&[0x90]).is_err());
    }
}
