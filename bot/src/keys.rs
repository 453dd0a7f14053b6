//! `eimza-bot key rotate`: a new encryption key for everything the database holds encrypted.
//!
//! 1. The key file is rewritten (atomically, 0600) in version 2: the new encryption key, the
//!    unchanged lookup key (tokens and codes are stored only as keyed hashes, which cannot be
//!    computed again), and the old encryption key as `previous` — still accepted for reading.
//!    The old file is kept beside it as `eimza.key.before-rotation` until the rotation ends.
//! 2. Every encrypted column (`store::keys::SEALED`) is re-encrypted a batch at a time; a row the
//!    new key opens is skipped, so an interrupted rotation is simply run again.
//! 3. The key file is written once more without `previous`; the old key opens nothing any more.
//!
//! Run it with the bot stopped: a bot still running would go on writing with the old key, and
//! those rows would not open once the old key is dropped.

use std::path::Path;

use anyhow::Context;

use crate::store::Store;
use crate::store::keys::{Cursor, SEALED};
use crate::vault::{KeyFile, Vault};

/// Rows re-encrypted in one transaction.
const BATCH: i64 = 500;

/// How a rotation went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rotation {
    pub rewritten: u64,
    /// False when it stopped early (`stop_after`): run it again to finish.
    pub finished: bool,
}

fn write_key_file(path: &Path, file: &KeyFile) -> anyhow::Result<()> {
    let tmp = path.with_extension("key.tmp");
    let _ = std::fs::remove_file(&tmp);
    crate::vault::write_private(&tmp, file.to_text().as_bytes()).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("replacing {}", path.display()))
}

/// Rotates (or finishes rotating) the key in `key_path` for the database at `database_url`.
/// `stop_after`: stop once at least this many rows were rewritten (tests of an interruption).
pub async fn rotate(key_path: &Path, database_url: &str, stop_after: Option<u64>) -> anyhow::Result<Rotation> {
    let text = std::fs::read_to_string(key_path).with_context(|| format!("reading the key file {}", key_path.display()))?;
    let mut file = KeyFile::parse(&text).map_err(|e| anyhow::anyhow!("{}: {e}", key_path.display()))?;
    // The key must be this database's before anything is rewritten.
    let check = Store::connect(database_url, file.vault()).await.context("opening the database")?;
    let verdict = check.check_key(false).await?;
    check.close().await;
    anyhow::ensure!(
        verdict == crate::store::KeyCheck::Matches,
        "{} is not the key this database was made with; nothing was changed",
        key_path.display()
    );
    if file.previous.is_empty() {
        let backup = key_path.with_extension("key.before-rotation");
        if !backup.exists() {
            crate::vault::write_private(&backup, text.as_bytes()).with_context(|| format!("keeping {}", backup.display()))?;
        }
        let fresh: [u8; 32] = rand::random();
        file = KeyFile { encryption: fresh, lookup: file.lookup, previous: vec![file.encryption] };
        write_key_file(key_path, &file)?;
        tracing::info!(file = %key_path.display(), "new encryption key written; re-encrypting");
    } else {
        tracing::info!(file = %key_path.display(), "an interrupted key rotation goes on");
    }
    let store = Store::connect(database_url, file.vault()).await.context("opening the database")?;
    let known: Vec<(&str, &str)> = SEALED.iter().map(|s| (s.table, s.column)).collect();
    // sqlx's own bookkeeping (migration checksums) is the only binary column that is not ours.
    for (table, column) in store.encrypted_columns_in_schema().await?.into_iter().filter(|(t, _)| !t.starts_with("_sqlx")) {
        anyhow::ensure!(known.contains(&(table.as_str(), column.as_str())), "{table}.{column} is encrypted but not known to the rotation");
    }
    let mut rewritten = 0;
    for sealed in &SEALED {
        let mut cursor = Some(Cursor::start(sealed));
        while let Some(after) = cursor {
            let (n, next) = store.reencrypt_batch(sealed, &after, BATCH).await?;
            rewritten += n;
            cursor = next;
            if stop_after.is_some_and(|limit| rewritten >= limit) {
                store.close().await;
                return Ok(Rotation { rewritten, finished: false });
            }
        }
    }
    store.close().await;
    file.previous.clear();
    write_key_file(key_path, &file)?;
    let _ = std::fs::remove_file(key_path.with_extension("key.before-rotation"));
    tracing::info!(rows = rewritten, "key rotation finished; the old key opens nothing any more");
    Ok(Rotation { rewritten, finished: true })
}

/// The vault of a key file as it is now (tests and tools).
pub fn vault_of(key_path: &Path) -> anyhow::Result<Vault> {
    let text = std::fs::read_to_string(key_path).with_context(|| format!("reading {}", key_path.display()))?;
    Ok(KeyFile::parse(&text).map_err(|e| anyhow::anyhow!("{e}"))?.vault())
}
