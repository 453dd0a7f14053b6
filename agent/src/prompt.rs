//! Asking the person at the terminal: a visible answer, a hidden PIN, and the PIN-then-sign
//! dialogue the sign test and the e-Onay step share. On a terminal the PIN is read without echo;
//! from a pipe (help-desk scripts, tests) every answer is one line.
//!
//! The PIN rules of the card layer hold here as well: the tries left are shown before each
//! attempt, the last try is used only after the person types the confirmation word, and a wrong
//! PIN is never sent again by us — the person may type another one, which is their own try.

use std::io::{BufRead, IsTerminal, Write};

use eimza_protocol::{Catalog, Lang};
use zeroize::Zeroizing;

use crate::card::{Card, CardError, LastTry, Pin, PinTries, Unverified, Verified};
use crate::report;

/// Reads one line: hidden on a terminal, plain from a pipe.
pub fn read_secret(prompt: &str) -> Option<Zeroizing<String>> {
    if std::io::stdin().is_terminal() {
        rpassword::prompt_password(format!("{prompt} ")).ok().map(Zeroizing::new)
    } else {
        print!("{prompt} ");
        std::io::stdout().flush().ok()?;
        let line = read_stdin_line()?;
        println!();
        Some(line)
    }
}

/// Reads one visible answer (`None` at the end of input).
pub fn read_answer(prompt: &str) -> Option<String> {
    print!("{prompt} ");
    std::io::stdout().flush().ok()?;
    let line = read_stdin_line()?;
    if !std::io::stdin().is_terminal() {
        println!();
    }
    Some(line.trim().to_owned())
}

fn read_stdin_line() -> Option<Zeroizing<String>> {
    let mut line = Zeroizing::new(String::new());
    match std::io::stdin().lock().read_line(&mut line) {
        Ok(0) | Err(_) => None,
        Ok(_) => Some(line),
    }
}

/// Why no signature came.
#[derive(Debug)]
pub enum Stop {
    /// The person did not confirm the last try, or typed nothing.
    Declined,
    /// Three answers were not six digits: nothing reached the card.
    FormatGiveUp,
    /// The card refused or went away; the message says what to do.
    Card(CardError),
}

/// How many PIN attempts the person may make in one dialogue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Attempts {
    /// One: the sign test.
    One,
    /// As many as the person chooses to type, while the card allows (the e-Onay step).
    WhileTheCardAllows,
}

/// Asks for the PIN, verifies it and signs `message`. Everything that happens is printed in the
/// person's words, the reason for stopping included; the caller only decides what follows.
pub fn sign_with_pin(catalog: &Catalog, lang: Lang, card: Card<Unverified>, message: &[u8], attempts: Attempts) -> Result<Vec<u8>, Stop> {
    let mut verified = verify(catalog, lang, card, attempts)?;
    verified.sign(message).map_err(|e| said(catalog, lang, e))
}

/// Prints a card error and hands it on.
fn said(catalog: &Catalog, lang: Lang, error: CardError) -> Stop {
    println!("{}", report::card_error(catalog, lang, &error));
    Stop::Card(error)
}

fn verify(catalog: &Catalog, lang: Lang, mut card: Card<Unverified>, attempts: Attempts) -> Result<Card<Verified>, Stop> {
    let t = |id: &str| catalog.text(lang, id, &[]);
    loop {
        // The counter is read again right before each attempt: it may have changed.
        let tries = card.pin_tries().map_err(|e| said(catalog, lang, e))?;
        if tries.is_locked() {
            return Err(said(catalog, lang, CardError::PinLocked));
        }
        println!("{}", report::tries(catalog, lang, tries));
        let last_try = if tries == PinTries::Final {
            let answer = read_secret(&t("sign-last-try-confirm")).unwrap_or_default();
            if eimza_protocol::turkish::to_upper(answer.trim()) != t("sign-last-try-word") {
                println!("{}", t("sign-last-try-declined"));
                return Err(Stop::Declined);
            }
            LastTry::Confirmed
        } else {
            LastTry::NotConfirmed
        };
        let pin = ask_pin(catalog, lang)?;
        match card.verify_pin(&pin, last_try) {
            Ok(verified) => return Ok(verified),
            Err(refused) => {
                let again = matches!(refused.error, CardError::WrongPin { .. }) && attempts == Attempts::WhileTheCardAllows;
                if !again {
                    return Err(said(catalog, lang, refused.error));
                }
                println!("{}", report::card_error(catalog, lang, &refused.error));
                card = refused.card;
            }
        }
    }
}

/// A PIN of the right shape; a wrongly formatted one never reaches the card, so asking again
/// costs nothing.
fn ask_pin(catalog: &Catalog, lang: Lang) -> Result<Pin, Stop> {
    for _ in 0..3 {
        let Some(typed) = read_secret(&catalog.text(lang, "sign-pin-prompt", &[])) else { return Err(Stop::Declined) };
        match Pin::parse(typed) {
            Ok(pin) => return Ok(pin),
            Err(e) => println!("{}", report::card_error(catalog, lang, &CardError::PinFormat(e))),
        }
    }
    println!("{}", catalog.text(lang, "sign-format-give-up", &[]));
    Err(Stop::FormatGiveUp)
}
