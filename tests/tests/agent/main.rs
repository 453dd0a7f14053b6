//! The desktop agent: its command line, the card layer through pcscd + vpcd and SoftHSM2, and
//! pairing and the live link with the real bot, the window under Xvfb. One test binary.

mod agent_cli;
mod card;
mod journey;
mod notify;
mod pairing;
mod pkcs11;
mod window;
