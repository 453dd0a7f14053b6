//! What operators ask of the database: is it there, are the migrations applied, how deep is
//! each outbox channel.

use sqlx::Row;

use super::{Result, Store, opt};

/// One outbox channel's waiting messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboxDepth {
    pub channel: String,
    pub pending: i64,
    /// When the oldest waiting message was written (ms).
    pub oldest_at: Option<i64>,
}

impl Store {
    /// A round trip to the database.
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1 AS one").fetch_one(&self.pool).await?;
        Ok(())
    }

    /// (applied, known): the migrations this database has and the ones this binary carries.
    pub async fn migrations(&self) -> Result<(i64, i64)> {
        let applied: i64 =
            sqlx::query("SELECT COUNT(*) AS n FROM _sqlx_migrations WHERE success = TRUE").fetch_one(&self.pool).await?.try_get("n")?;
        Ok((applied, super::migrator(self.backend).iter().count() as i64))
    }

    /// Waiting (not sent, not failed) messages per channel.
    pub async fn outbox_depths(&self) -> Result<Vec<OutboxDepth>> {
        let rows = sqlx::query(
            "SELECT channel, COUNT(*) AS n, MIN(created_at) AS oldest FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL GROUP BY channel",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok(OutboxDepth { channel: r.try_get("channel")?, pending: r.try_get("n")?, oldest_at: opt(r, "oldest")? }))
            .collect()
    }
}

impl Store {
    /// SQLite's own check of every page and index.
    pub async fn integrity_ok(&self) -> Result<bool> {
        if self.backend != super::Backend::Sqlite {
            return Ok(true);
        }
        let row = sqlx::query("PRAGMA integrity_check").fetch_one(&self.pool).await?;
        Ok(row.try_get::<String, _>(0).is_ok_and(|s| s == "ok"))
    }

    /// Whether the data key's check value was ever written (every database the bot has run on).
    pub async fn has_key_check(&self) -> Result<bool> {
        Ok(sqlx::query("SELECT COUNT(*) AS n FROM key_check").fetch_one(&self.pool).await?.try_get::<i64, _>("n")? > 0)
    }
}

/// A consistent copy of the SQLite database at `source` into `target` while the bot may be
/// writing it (`VACUUM INTO`: one read transaction), over a read-only connection — nothing is
/// migrated or written in the live file.
pub async fn sqlite_backup(source: &std::path::Path, target: &std::path::Path) -> Result<()> {
    use sqlx::{ConnectOptions, Connection};
    let mut conn = sqlx::sqlite::SqliteConnectOptions::new().filename(source).read_only(true).connect().await?;
    sqlx::query("VACUUM INTO ?").bind(target.display().to_string()).execute(&mut conn).await?;
    conn.close().await?;
    Ok(())
}
