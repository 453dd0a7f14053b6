//! Staff accounts and sign-in: argon2id password hashes, logins throttled per account name and
//! per address (every attempt in the audit log), database sessions with idle and absolute
//! timeouts, and the one-time setup link of a fresh install. The command line and the staff
//! pages both come here.

use argon2::password_hash::SaltString;
use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier};

use crate::config::StaffConfig;
use crate::core::staff::{self, PasswordProblem, Role};
use crate::store::{Account, FirstAdmin, LoginAttempt, SetupOutcome, StaffSession, Store, StoreError};
use crate::vault::random_secret;

const MINUTE_MS: i64 = 60_000;

/// Why an account change is refused; each names its message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccountProblem {
    Name,
    Password(PasswordProblem),
    /// The two passwords typed differ.
    Mismatch,
    Taken,
    NoSuchAccount,
    SetupLink,
    AccountsExist,
}

impl AccountProblem {
    pub fn message_id(self) -> &'static str {
        match self {
            AccountProblem::Name => "staff-account-name-invalid",
            AccountProblem::Password(p) => p.message_id(),
            AccountProblem::Mismatch => "staff-password-mismatch",
            AccountProblem::Taken => "staff-account-taken",
            AccountProblem::NoSuchAccount => "staff-account-unknown",
            AccountProblem::SetupLink => "staff-setup-link-invalid",
            AccountProblem::AccountsExist => "staff-setup-done",
        }
    }
}

/// How a login went.
#[derive(Debug)]
pub enum LoginOutcome {
    /// The session's token, for the cookie.
    Welcome { token: String, account: Account },
    /// A wrong name or password (never which).
    Refused,
    /// Too many failures lately: try again after this many minutes.
    Throttled { minutes: u32 },
}

pub struct Accounts {
    store: Store,
    config: StaffConfig,
}

/// Argon2 runs at most this many at once: each takes 19 MiB and a core for tens of
/// milliseconds, and a burst of logins must not take the machine.
static HASHING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

/// An argon2id hash (OWASP's parameters: 19 MiB, 2 passes) in the PHC string format, off the
/// async threads.
pub async fn hash_password(password: &str) -> String {
    let password = zeroize::Zeroizing::new(password.to_owned());
    let _permit = HASHING.acquire().await;
    tokio::task::spawn_blocking(move || {
        let salt_bytes: [u8; 16] = rand::random();
        let salt = SaltString::encode_b64(&salt_bytes).unwrap_or_else(|_| unreachable!("16 bytes make a salt"));
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .unwrap_or_else(|_| unreachable!("argon2's defaults hash any password under 4 GiB"))
            .to_string()
    })
    .await
    .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))
}

/// Whether `password` matches `hash` (argon2's own comparison is constant-time).
async fn verify_password(password: &str, hash: String) -> bool {
    let password = zeroize::Zeroizing::new(password.to_owned());
    let _permit = HASHING.acquire().await;
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash).is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
    })
    .await
    .unwrap_or(false)
}

/// A hash no password matches, verified against for unknown names so that a login takes as
/// long whether the account exists or not.
async fn decoy_hash() -> String {
    static DECOY: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    DECOY.get_or_init(|| async { hash_password(&random_secret()).await }).await.clone()
}

/// The name as the account is kept: trimmed, lower case.
pub fn normalize_name(name: &str) -> String {
    name.trim().to_ascii_lowercase()
}

impl Accounts {
    pub fn new(store: Store, config: StaffConfig) -> Accounts {
        Accounts { store, config }
    }

    pub fn config(&self) -> &StaffConfig {
        &self.config
    }

    fn checked(name: &str, password: &str) -> Result<String, AccountProblem> {
        let name = normalize_name(name);
        if !staff::valid_account_name(&name) {
            return Err(AccountProblem::Name);
        }
        staff::check_password(&name, password).map_err(AccountProblem::Password)?;
        Ok(name)
    }

    /// A new account (the command line and the admin page).
    pub async fn add(&self, name: &str, role: Role, password: &str, now: i64) -> Result<Result<String, AccountProblem>, StoreError> {
        let name = match Self::checked(name, password) {
            Ok(name) => name,
            Err(problem) => return Ok(Err(problem)),
        };
        let hash = hash_password(password).await;
        Ok(if self.store.create_account(&name, role, &hash, now).await? { Ok(name) } else { Err(AccountProblem::Taken) })
    }

    /// A new password; the account's sessions end.
    pub async fn set_password(&self, name: &str, password: &str) -> Result<Result<String, AccountProblem>, StoreError> {
        let name = match Self::checked(name, password) {
            Ok(name) => name,
            Err(problem) => return Ok(Err(problem)),
        };
        let hash = hash_password(password).await;
        Ok(if self.store.set_password(&name, &hash).await? { Ok(name) } else { Err(AccountProblem::NoSuchAccount) })
    }

    /// Checks a login. `address` is the client's (as the rate limits group it). Every attempt
    /// is an audit row; a throttled one is refused before the password is looked at.
    pub async fn login(&self, name: &str, password: &str, address: &str, now: i64) -> Result<LoginOutcome, StoreError> {
        let name = normalize_name(name);
        // What the audit log keeps of a typed name: the name if it could be one, never free text.
        let logged = if staff::valid_account_name(&name) { name.clone() } else { "-".to_owned() };
        let window = i64::from(self.config.lockout_minutes.max(1)) * MINUTE_MS;
        let attempt = LoginAttempt {
            account: &logged,
            address,
            since: now - window,
            per_account: i64::from(self.config.failures_per_account.max(1)),
            per_address: i64::from(self.config.failures_per_address.max(1)),
            now,
        };
        let Some(attempt_row) = self.store.begin_login(&attempt).await? else {
            return Ok(LoginOutcome::Throttled { minutes: self.config.lockout_minutes.max(1) });
        };
        let found = self.store.account_for_login(&logged).await?;
        let hash = match &found {
            Some((_, hash)) => hash.clone(),
            None => decoy_hash().await,
        };
        let matches = verify_password(password, hash).await && password.chars().count() <= staff::MAX_PASSWORD_CHARS;
        match found {
            Some((account, _)) if matches => {
                let token = random_secret();
                self.store.logged_in(attempt_row, account.id, &token, &random_secret(), now).await?;
                tracing::info!(staff = %account.name, "staff login");
                Ok(LoginOutcome::Welcome { token, account })
            }
            _ => {
                // Its `login-failed` row was written before the password was checked.
                tracing::info!("a staff login failed");
                Ok(LoginOutcome::Refused)
            }
        }
    }

    /// The live session of a cookie's token.
    pub async fn session(&self, token: &str, now: i64) -> Result<Option<StaffSession>, StoreError> {
        if token.is_empty() || token.len() > 64 {
            return Ok(None);
        }
        let idle = i64::from(self.config.idle_minutes.max(1)) * MINUTE_MS;
        let absolute = i64::from(self.config.session_hours.max(1)) * 60 * MINUTE_MS;
        self.store.staff_session(token, now, now - idle, now - absolute).await
    }

    pub async fn logout(&self, token: &str) -> Result<(), StoreError> {
        self.store.end_staff_session(token).await
    }

    pub async fn logout_everywhere(&self, account_id: i64) -> Result<u64, StoreError> {
        self.store.end_all_staff_sessions(account_id).await
    }

    /// On a start with no account: a new one-time link for the first admin (older ones void).
    pub async fn setup_link(&self, public_url: &str, now: i64) -> Result<Option<String>, StoreError> {
        if !self.store.accounts().await?.is_empty() {
            return Ok(None);
        }
        let token = random_secret();
        self.store.create_setup_token(&token, now).await?;
        Ok(Some(format!("{}/staff/setup/{token}", public_url.trim_end_matches('/'))))
    }

    fn setup_made_after(&self, now: i64) -> i64 {
        now - i64::from(self.config.setup_link_hours.max(1)) * 60 * MINUTE_MS
    }

    pub async fn setup_link_valid(&self, token: &str, now: i64) -> Result<bool, StoreError> {
        if token.len() > 64 {
            return Ok(false);
        }
        self.store.setup_token_valid(token, self.setup_made_after(now)).await
    }

    /// The first admin from the setup link; signed in at once (the session's token).
    pub async fn complete_setup(
        &self,
        token: &str,
        name: &str,
        password: &str,
        repeated: &str,
        address: &str,
        now: i64,
    ) -> Result<Result<(String, Account), AccountProblem>, StoreError> {
        if !self.setup_link_valid(token, now).await? {
            return Ok(Err(AccountProblem::SetupLink));
        }
        let name = match Self::checked(name, password) {
            Ok(name) => name,
            Err(problem) => return Ok(Err(problem)),
        };
        if password != repeated {
            return Ok(Err(AccountProblem::Mismatch));
        }
        let hash = hash_password(password).await;
        let session = random_secret();
        let admin = FirstAdmin {
            token,
            made_after: self.setup_made_after(now),
            name: &name,
            password_hash: &hash,
            address,
            session: &session,
            csrf: &random_secret(),
            now,
        };
        match self.store.use_setup_token(&admin).await? {
            SetupOutcome::InvalidLink => Ok(Err(AccountProblem::SetupLink)),
            SetupOutcome::AccountsExist => Ok(Err(AccountProblem::AccountsExist)),
            SetupOutcome::Created(id) => {
                let account = Account { id, name, role: Role::Admin, created_at: now, disabled_at: None };
                Ok(Ok((session, account)))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_are_argon2id_and_salted() {
        let a = hash_password("doğru-at-pil-zımba").await;
        let b = hash_password("doğru-at-pil-zımba").await;
        assert!(a.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{a}");
        assert_ne!(a, b, "a salt each time");
        assert!(verify_password("doğru-at-pil-zımba", a.clone()).await);
        assert!(!verify_password("dogru-at-pil-zimba", a).await);
        assert!(!verify_password("x", "not a hash".into()).await);
    }
}
