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
    /// A consistent copy of a SQLite database while it runs (`VACUUM INTO`: one read
    /// transaction, a compact file). PostgreSQL has `pg_dump`.
    pub async fn backup_to(&self, path: &std::path::Path) -> Result<()> {
        if self.backend != super::Backend::Sqlite {
            return Err(super::StoreError::Corrupt("backup_to is for SQLite; use pg_dump".into()));
        }
        sqlx::query("VACUUM INTO $1").bind(path.display().to_string()).execute(&self.pool).await?;
        Ok(())
    }
}
