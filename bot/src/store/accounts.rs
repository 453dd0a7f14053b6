//! Staff accounts, their sessions, the one-time setup link and the audit log. Passwords arrive
//! here already hashed (argon2id, `service::accounts`); session and setup tokens are kept only
//! as keyed hashes, so a copy of the database opens no session.

use sqlx::Row;

use super::{Result, Store, corrupt, opt};
use crate::core::staff::Role;

const SESSION: &str = "staff-session";
const SETUP: &str = "staff-setup";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    pub id: i64,
    pub name: String,
    pub role: Role,
    pub created_at: i64,
    pub disabled_at: Option<i64>,
}

/// A signed-in staff member.
#[derive(Clone, Debug)]
pub struct StaffSession {
    pub account: Account,
    /// The token every form of this session carries.
    pub csrf: String,
    pub created_at: i64,
}

/// One row of the audit log: a login, a failure, a reveal of personal data, an export.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEntry {
    pub at: i64,
    pub kind: String,
    pub account: String,
    pub address: String,
    pub ticket: Option<String>,
    pub detail: Option<String>,
}

/// At most `max` audit rows of a kind for an account from `since` on ([`Store::audit_within`]).
#[derive(Clone, Copy, Debug)]
pub struct AuditLimit {
    pub since: i64,
    pub max: i64,
}

/// A login attempt to count ([`Store::begin_login`]).
#[derive(Clone, Copy, Debug)]
pub struct LoginAttempt<'a> {
    /// The typed account name as the audit log keeps it.
    pub account: &'a str,
    pub address: &'a str,
    /// Failed logins from this time on count.
    pub since: i64,
    pub per_account: i64,
    pub per_address: i64,
    pub now: i64,
}

/// The first admin account made with a setup link ([`Store::use_setup_token`]).
#[derive(Clone, Copy, Debug)]
pub struct FirstAdmin<'a> {
    /// The link's token, and the time it must have been made after to be good.
    pub token: &'a str,
    pub made_after: i64,
    pub name: &'a str,
    pub password_hash: &'a str,
    /// Where the link was used from (the audit row's address).
    pub address: &'a str,
    /// The new account's first session: its token and CSRF secret.
    pub session: &'a str,
    pub csrf: &'a str,
    pub now: i64,
}

/// What a setup link did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetupOutcome {
    Created(i64),
    /// Unknown, used, or too old.
    InvalidLink,
    /// Someone made an account in the meantime: the link is void.
    AccountsExist,
}

fn account(row: &sqlx::any::AnyRow) -> Result<Account> {
    let role: String = row.try_get("role")?;
    Ok(Account {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        role: Role::parse(&role).ok_or_else(|| corrupt(format!("unknown staff role {role}")))?,
        created_at: row.try_get("created_at")?,
        disabled_at: opt(row, "disabled_at")?,
    })
}

/// Every session of the account `name` ends (in the transaction that changes the account).
async fn end_sessions_of(tx: &mut super::Tx<'_>, name: &str) -> Result<()> {
    sqlx::query("DELETE FROM staff_sessions WHERE account_id IN (SELECT id FROM staff_accounts WHERE name = $1)")
        .bind(name.to_owned())
        .execute(&mut tx.tx)
        .await?;
    Ok(())
}

impl Store {
    /// A new account; `false` when the name is taken.
    pub async fn create_account(&self, name: &str, role: Role, password_hash: &str, now: i64) -> Result<bool> {
        let done = self.write_count(sqlx::query(
            "INSERT INTO staff_accounts (name, role, password_hash, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO NOTHING",
        )
        .bind(name.to_owned())
        .bind(role.code())
        .bind(password_hash.to_owned())
        .bind(now)
        )
        .await?;
        Ok(done == 1)
    }

    /// A new password; every session of the account ends. A closed account stays closed (a
    /// reset must not bring back a former colleague). `false` when there is no such account.
    pub async fn set_password(&self, name: &str, password_hash: &str) -> Result<bool> {
        let mut tx = self.begin().await?;
        let done = sqlx::query("UPDATE staff_accounts SET password_hash = $2 WHERE name = $1")
            .bind(name.to_owned())
            .bind(password_hash.to_owned())
            .execute(&mut tx.tx)
            .await?;
        end_sessions_of(&mut tx, name).await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    /// A new role; the account's sessions end (they carried the old one in the browser's mind).
    pub async fn set_role(&self, name: &str, role: Role) -> Result<bool> {
        let mut tx = self.begin().await?;
        let done = sqlx::query("UPDATE staff_accounts SET role = $2 WHERE name = $1")
            .bind(name.to_owned())
            .bind(role.code())
            .execute(&mut tx.tx)
            .await?;
        end_sessions_of(&mut tx, name).await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    /// Disables an account (its history stays) and ends its sessions.
    pub async fn disable_account(&self, name: &str, now: i64) -> Result<bool> {
        let mut tx = self.begin().await?;
        let done = sqlx::query("UPDATE staff_accounts SET disabled_at = $2 WHERE name = $1 AND disabled_at IS NULL")
            .bind(name.to_owned())
            .bind(now)
            .execute(&mut tx.tx)
            .await?;
        end_sessions_of(&mut tx, name).await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn accounts(&self) -> Result<Vec<Account>> {
        sqlx::query("SELECT id, name, role, created_at, disabled_at FROM staff_accounts ORDER BY name")
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(account)
            .collect()
    }

    /// An active account and its password hash, for a login.
    pub async fn account_for_login(&self, name: &str) -> Result<Option<(Account, String)>> {
        let row = sqlx::query(
            "SELECT id, name, role, created_at, disabled_at, password_hash FROM staff_accounts WHERE name = $1 AND disabled_at IS NULL",
        )
        .bind(name.to_owned())
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| Ok((account(&r)?, r.try_get("password_hash")?))).transpose()
    }

    pub async fn create_staff_session(&self, account_id: i64, token: &str, csrf: &str, now: i64) -> Result<()> {
        self.write_count(self.session_insert(account_id, token, csrf, now)).await?;
        Ok(())
    }

    /// The statement that stores a new session (only the token's hash).
    fn session_insert(&self, account_id: i64, token: &str, csrf: &str, now: i64) -> super::AnyQuery<'static> {
        sqlx::query("INSERT INTO staff_sessions (token_hash, account_id, csrf, created_at, last_seen_at) VALUES ($1, $2, $3, $4, $4)")
            .bind(self.vault.lookup_hash(SESSION, token))
            .bind(account_id)
            .bind(csrf.to_owned())
            .bind(now)
    }

    /// The session of `token` if it is alive: not idle since `idle_before`, not started before
    /// `started_after`, of an active account. A dead one is removed; a live one is marked seen
    /// (at most once a minute: a page load should not always write).
    pub async fn staff_session(&self, token: &str, now: i64, idle_before: i64, started_after: i64) -> Result<Option<StaffSession>> {
        let hash = self.vault.lookup_hash(SESSION, token);
        let Some(row) = sqlx::query(
            "SELECT s.csrf, s.created_at AS started, s.last_seen_at, a.id, a.name, a.role, a.created_at, a.disabled_at
             FROM staff_sessions s JOIN staff_accounts a ON a.id = s.account_id WHERE s.token_hash = $1",
        )
        .bind(hash.clone())
        .fetch_optional(&self.pool)
        .await?
        else {
            return Ok(None);
        };
        let account = account(&row)?;
        let (started, seen): (i64, i64) = (row.try_get("started")?, row.try_get("last_seen_at")?);
        if seen < idle_before || started < started_after || account.disabled_at.is_some() {
            self.write_count(sqlx::query("DELETE FROM staff_sessions WHERE token_hash = $1").bind(hash)).await?;
            return Ok(None);
        }
        if now - seen > 60_000 {
            self.write_count(sqlx::query("UPDATE staff_sessions SET last_seen_at = $2 WHERE token_hash = $1").bind(hash).bind(now)).await?;
        }
        Ok(Some(StaffSession { account, csrf: row.try_get("csrf")?, created_at: started }))
    }

    pub async fn end_staff_session(&self, token: &str) -> Result<()> {
        self.write_count(sqlx::query("DELETE FROM staff_sessions WHERE token_hash = $1").bind(self.vault.lookup_hash(SESSION, token)))
            .await?;
        Ok(())
    }

    /// "Log out everywhere": every session of the account; returns how many.
    pub async fn end_all_staff_sessions(&self, account_id: i64) -> Result<u64> {
        self.write_count(sqlx::query("DELETE FROM staff_sessions WHERE account_id = $1").bind(account_id)).await
    }

    /// Sessions idle or started long ago are removed (the retention job).
    pub async fn expire_staff_sessions(&self, idle_before: i64, started_before: i64) -> Result<u64> {
        self.write_count(
            sqlx::query("DELETE FROM staff_sessions WHERE last_seen_at < $1 OR created_at < $2").bind(idle_before).bind(started_before),
        )
        .await
    }

    /// One audit row. `address` is the client address (grouped as the rate limits group it).
    pub async fn audit(
        &self,
        kind: &str,
        account: &str,
        address: &str,
        ticket_id: Option<i64>,
        detail: Option<&str>,
        now: i64,
    ) -> Result<()> {
        self.write_count(
            sqlx::query("INSERT INTO staff_audit (at, kind, account, address, ticket_id, detail) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(now)
                .bind(kind.to_owned())
                .bind(account.to_owned())
                .bind(address.to_owned())
                .bind(ticket_id)
                .bind(detail.map(str::to_owned)),
        )
        .await?;
        Ok(())
    }

    /// A login attempt, counted before its password is checked: under both limits (failed
    /// logins since `since` for this account name and from this address) its `login-failed`
    /// row is written at once and its id returned (made a `login` row by [`Store::logged_in`]
    /// if the password was right); over one, a `login-throttled` row and `None`. Counted and
    /// written in one transaction that counts alone, so attempts sent in parallel cannot all
    /// pass under the limit while their passwords are being checked.
    pub async fn begin_login(&self, attempt: &LoginAttempt<'_>) -> Result<Option<i64>> {
        let LoginAttempt { account, address, since, per_account, per_address, now } = *attempt;
        let mut tx = self.begin().await?;
        tx.count_alone(super::Limit::Logins, &[&format!("account:{account}"), &format!("address:{address}")]).await?;
        let counts = sqlx::query(
            "SELECT (SELECT COUNT(*) FROM staff_audit WHERE kind = 'login-failed' AND account = $1 AND at >= $3) AS by_account,
                    (SELECT COUNT(*) FROM staff_audit WHERE kind = 'login-failed' AND address = $2 AND at >= $3) AS by_address",
        )
        .bind(account.to_owned())
        .bind(address.to_owned())
        .bind(since)
        .fetch_one(&mut tx.tx)
        .await?;
        let over = counts.try_get::<i64, _>("by_account")? >= per_account || counts.try_get::<i64, _>("by_address")? >= per_address;
        let kind = if over { "login-throttled" } else { "login-failed" };
        let id: i64 = sqlx::query("INSERT INTO staff_audit (at, kind, account, address) VALUES ($1, $2, $3, $4) RETURNING id")
            .bind(now)
            .bind(kind)
            .bind(account.to_owned())
            .bind(address.to_owned())
            .fetch_one(&mut tx.tx)
            .await?
            .try_get("id")?;
        tx.commit().await?;
        Ok((!over).then_some(id))
    }

    /// The attempt [`Store::begin_login`] counted had the right password: the account's new
    /// session, and the attempt's row made a `login` row, in one transaction (a right password
    /// never stays counted as a failure, nor a session without its record).
    pub async fn logged_in(&self, attempt: i64, account_id: i64, token: &str, csrf: &str, now: i64) -> Result<()> {
        let mut tx = self.begin().await?;
        self.session_insert(account_id, token, csrf, now).execute(&mut tx.tx).await?;
        let recorded = sqlx::query("UPDATE staff_audit SET kind = 'login', at = $2 WHERE id = $1 AND kind = 'login-failed'")
            .bind(attempt)
            .bind(now)
            .execute(&mut tx.tx)
            .await?;
        if recorded.rows_affected() != 1 {
            return Err(corrupt(format!("login attempt {attempt} is not a counted attempt"))); // dropping `tx` rolls back
        }
        tx.commit().await
    }

    /// Writes an audit row of `kind` for `account` if it has fewer than `max` since `since`;
    /// false (nothing written) when it has that many. Counted alone per account, so requests
    /// in parallel cannot all pass under the limit.
    pub async fn audit_within(&self, kind: &str, account: &str, address: &str, limit: AuditLimit, now: i64) -> Result<bool> {
        let AuditLimit { since, max } = limit;
        let mut tx = self.begin().await?;
        tx.count_alone(super::Limit::AuditedPerAccount, &[account]).await?;
        let written = sqlx::query(
            "INSERT INTO staff_audit (at, kind, account, address)
             SELECT $1, $2, $3, $4
             WHERE (SELECT COUNT(*) FROM staff_audit WHERE kind = $2 AND account = $3 AND at >= $5) < $6",
        )
        .bind(now)
        .bind(kind.to_owned())
        .bind(account.to_owned())
        .bind(address.to_owned())
        .bind(since)
        .bind(max)
        .execute(&mut tx.tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(written == 1)
    }

    /// Login noise (failures, refusals) older than `before` goes; the reveals, exports and
    /// logins stay as the accountability record.
    pub async fn forget_login_failures(&self, before: i64) -> Result<u64> {
        self.write_count(sqlx::query("DELETE FROM staff_audit WHERE kind IN ('login-failed', 'login-throttled') AND at < $1").bind(before))
            .await
    }

    /// The newest audit rows, of one ticket or all.
    pub async fn audit_log(&self, ticket_id: Option<i64>, limit: i64) -> Result<Vec<AuditEntry>> {
        sqlx::query(
            "SELECT a.at, a.kind, a.account, a.address, a.detail, t.number FROM staff_audit a LEFT JOIN tickets t ON t.id = a.ticket_id
             WHERE ($1 = 0 OR a.ticket_id = $2) ORDER BY a.id DESC LIMIT $3",
        )
        .bind(i64::from(ticket_id.is_some()))
        .bind(ticket_id.unwrap_or(0))
        .bind(limit.clamp(1, 1000))
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| {
            Ok(AuditEntry {
                at: r.try_get("at")?,
                kind: r.try_get("kind")?,
                account: r.try_get("account")?,
                address: r.try_get("address")?,
                ticket: opt(r, "number")?,
                detail: opt(r, "detail")?,
            })
        })
        .collect()
    }

    /// A new one-time setup link's token. Each instance that starts without an account prints
    /// its own; any of them makes the first account, and then all are void.
    pub async fn create_setup_token(&self, token: &str, now: i64) -> Result<()> {
        self.write_count(
            sqlx::query("INSERT INTO staff_setup_tokens (token_hash, created_at) VALUES ($1, $2)")
                .bind(self.vault.lookup_hash(SETUP, token))
                .bind(now),
        )
        .await?;
        Ok(())
    }

    /// Whether a setup link is still good (made after `made_after`, and no account exists).
    pub async fn setup_token_valid(&self, token: &str, made_after: i64) -> Result<bool> {
        let row =
            sqlx::query("SELECT created_at FROM staff_setup_tokens WHERE token_hash = $1 AND NOT EXISTS (SELECT 1 FROM staff_accounts)")
                .bind(self.vault.lookup_hash(SETUP, token))
                .fetch_optional(&self.pool)
                .await?;
        Ok(match row {
            Some(r) => r.try_get::<i64, _>("created_at")? >= made_after,
            None => false,
        })
    }

    /// Uses a setup link: the first (admin) account, its first session and the audit row, and
    /// the link is gone — in one transaction, so two people racing with the same link make one
    /// account, and an account is never made without its record.
    pub async fn use_setup_token(&self, admin: &FirstAdmin<'_>) -> Result<SetupOutcome> {
        let FirstAdmin { token, made_after, name, password_hash, address, session, csrf, now } = *admin;
        let mut tx = self.begin().await?;
        let gone = sqlx::query("DELETE FROM staff_setup_tokens WHERE token_hash = $1 AND created_at >= $2")
            .bind(self.vault.lookup_hash(SETUP, token))
            .bind(made_after)
            .execute(&mut tx.tx)
            .await?;
        if gone.rows_affected() != 1 {
            return Ok(SetupOutcome::InvalidLink);
        }
        let existing: i64 = sqlx::query("SELECT COUNT(*) AS n FROM staff_accounts").fetch_one(&mut tx.tx).await?.try_get("n")?;
        if existing > 0 {
            tx.commit().await?;
            return Ok(SetupOutcome::AccountsExist);
        }
        let id: i64 =
            sqlx::query("INSERT INTO staff_accounts (name, role, password_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id")
                .bind(name.to_owned())
                .bind(Role::Admin.code())
                .bind(password_hash.to_owned())
                .bind(now)
                .fetch_one(&mut tx.tx)
                .await?
                .try_get("id")?;
        self.session_insert(id, session, csrf, now).execute(&mut tx.tx).await?;
        sqlx::query("INSERT INTO staff_audit (at, kind, account, address) VALUES ($1, 'setup', $2, $3)")
            .bind(now)
            .bind(name.to_owned())
            .bind(address.to_owned())
            .execute(&mut tx.tx)
            .await?;
        tx.commit().await?;
        Ok(SetupOutcome::Created(id))
    }
}
