//! Re-encryption under a new data key (`eimza-bot key rotate`, see `crate::keys`): every
//! encrypted column, a batch at a time, each batch its own transaction. A row the new key
//! already opens is left alone, so a rotation interrupted anywhere continues where it stopped.

use sqlx::Row;

use super::{Result, Store};

/// Where a row of a table is: its key, a number or a text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cursor {
    Int(i64),
    Text(String),
}

/// An encrypted column: its table, the table's key (and whether it is a number), the column,
/// and the purpose it is sealed for.
pub struct Sealed {
    pub table: &'static str,
    pub key: &'static str,
    pub numeric_key: bool,
    pub column: &'static str,
    pub purpose: &'static str,
}

/// Every encrypted column of the schema. A new one must be added here (the rotation test fails
/// on a table it does not know).
pub const SEALED: [Sealed; 10] = [
    Sealed { table: "tickets", key: "id", numeric_key: true, column: "tckn_enc", purpose: super::tickets::TCKN },
    Sealed { table: "tickets", key: "id", numeric_key: true, column: "birth_enc", purpose: super::tickets::BIRTH },
    Sealed { table: "conversations", key: "person_id", numeric_key: true, column: "state_enc", purpose: super::chat::CONVERSATION },
    Sealed { table: "conversations", key: "person_id", numeric_key: true, column: "unsent_enc", purpose: super::chat::UNSENT },
    Sealed { table: "webchat_messages", key: "id", numeric_key: true, column: "body_enc", purpose: super::webchat::TRANSCRIPT },
    Sealed { table: "outbox", key: "id", numeric_key: true, column: "payload_enc", purpose: super::outbox::PAYLOAD },
    Sealed { table: "roster", key: "tckn_hash", numeric_key: false, column: "tckn_enc", purpose: super::tickets::TCKN },
    Sealed { table: "pairings", key: "id", numeric_key: true, column: "token_enc", purpose: super::agents::TOKEN },
    Sealed { table: "ticket_notes", key: "id", numeric_key: true, column: "body_enc", purpose: super::staff::NOTE },
    Sealed { table: "key_check", key: "id", numeric_key: true, column: "sealed", purpose: super::KEY_CHECK },
];

impl Cursor {
    pub fn start(sealed: &Sealed) -> Cursor {
        if sealed.numeric_key { Cursor::Int(i64::MIN) } else { Cursor::Text(String::new()) }
    }
}

impl Store {
    /// Re-encrypts under the current key up to `limit` rows of `sealed` after `after`: the rows
    /// rewritten, and where to go on (`None`: the column is done).
    pub async fn reencrypt_batch(&self, sealed: &Sealed, after: &Cursor, limit: i64) -> Result<(u64, Option<Cursor>)> {
        let current = self.vault.current_only();
        let Sealed { table, key, column, purpose, .. } = *sealed;
        // Names from the constant list above; every value is bound.
        let select =
            format!("SELECT {key} AS k, {column} AS v FROM {table} WHERE {column} IS NOT NULL AND {key} > $1 ORDER BY {key} LIMIT $2");
        let update = format!("UPDATE {table} SET {column} = $1 WHERE {key} = $2");
        let mut tx = self.begin().await?;
        let query = sqlx::query(sqlx::AssertSqlSafe(select));
        let query = match after {
            Cursor::Int(n) => query.bind(*n),
            Cursor::Text(s) => query.bind(s.clone()),
        };
        let rows = query.bind(limit).fetch_all(&mut tx.tx).await?;
        let mut rewritten = 0;
        let mut last = None;
        for row in &rows {
            let at = if sealed.numeric_key { Cursor::Int(row.try_get("k")?) } else { Cursor::Text(row.try_get("k")?) };
            let value: Vec<u8> = row.try_get("v")?;
            if current.decrypt(purpose, &value).is_err() {
                // A damaged value opens under no key: it is left as it is (and said), so one bad
                // row cannot hold the rotation up for ever.
                let Ok(plain) = self.vault.decrypt(purpose, &value) else {
                    tracing::error!(table, column, "a value that no key opens was left as it is");
                    last = Some(at);
                    continue;
                };
                let q = sqlx::query(sqlx::AssertSqlSafe(update.clone())).bind(current.encrypt(purpose, &plain));
                let q = match &at {
                    Cursor::Int(n) => q.bind(*n),
                    Cursor::Text(s) => q.bind(s.clone()),
                };
                q.execute(&mut tx.tx).await?;
                rewritten += 1;
            }
            last = Some(at);
        }
        tx.commit().await?;
        Ok((rewritten, if (rows.len() as i64) < limit { None } else { last }))
    }

    /// The tables of this database, to check that every one with an encrypted column is known.
    pub async fn encrypted_columns_in_schema(&self) -> Result<Vec<(String, String)>> {
        let sql = match self.backend {
            super::Backend::Postgres => {
                "SELECT table_name::text AS t, column_name::text AS c FROM information_schema.columns
                 WHERE table_schema = current_schema() AND data_type = 'bytea'"
            }
            super::Backend::Sqlite => {
                "SELECT m.name AS t, p.name AS c FROM sqlite_master m JOIN pragma_table_info(m.name) p
                 WHERE m.type = 'table' AND p.type = 'BLOB'"
            }
        };
        let rows = sqlx::query(sql).fetch_all(&self.pool).await?;
        rows.iter().map(|r| Ok((r.try_get("t")?, r.try_get("c")?))).collect()
    }
}
