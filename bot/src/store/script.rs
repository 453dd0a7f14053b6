//! SQLite: several statements given to the writer together, as one script.
//!
//! A [`Script`] is put together from ordinary queries: each statement's placeholders (`$N` or
//! `?`) become positional `?` (SQLite would read `$1` as a name, numbered by first
//! appearance), its values are kept in the order they appear, and what each statement is for
//! ([`Part`]) is kept so that its answer, or its failure, is told apart from the others'. The
//! writer ([`Inline`]) runs the statements in order and stops at the first that fails.

use sqlx::any::{AnyArguments, AnyQueryResult, AnyRow};
use sqlx::{Any, Execute};
use sqlx_core::any::AnyValueKind;

use super::inline::Inline;

/// What a statement of a script is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Part {
    /// `BEGIN IMMEDIATE`.
    Begin,
    /// Fails (a `CHECK`) when the conversation changed since it was read.
    Guard,
    /// A write whose answer nobody waits for.
    Write,
    /// Fails (a `CHECK`) when the statement before it changed another number of rows.
    Count,
    /// Fails (a `CHECK`) when the statement before it changed another number of rows than the
    /// transaction presumed (a limit not reached): nothing of it is written, and its work runs
    /// again, asking ([`super::StoreError::Presumed`]).
    Presumed,
    /// The statement whose answer the caller waits for (the script's last but for a COMMIT).
    Asked,
    Commit,
}

/// Statements to be run together.
#[derive(Default)]
pub(super) struct Script {
    /// The statements' texts, one after another.
    sql: String,
    /// Their values, one statement's after another's.
    values: Vec<AnyValueKind>,
    /// Each statement: where its text and its values end, and what it is for.
    ends: Vec<(usize, usize, Part)>,
}

/// What one statement of a script answered.
pub(super) struct Answer {
    pub rows: Vec<AnyRow>,
    pub result: AnyQueryResult,
}

/// The statement of a script that failed (those before it ran, and `answered` holds their
/// answers; those after it did not run).
pub(super) struct Failed {
    pub part: Part,
    pub error: sqlx::Error,
    pub answered: Vec<Answer>,
}

impl std::fmt::Debug for Failed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Failed").field("part", &self.part).field("error", &self.error).finish_non_exhaustive()
    }
}

impl Script {
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    pub fn has(&self, part: Part) -> bool {
        self.ends.iter().any(|(_, _, p)| *p == part)
    }

    /// Each statement in order: what it is for, its text, its values.
    pub fn statements(&self) -> impl Iterator<Item = (Part, &str, &[AnyValueKind])> {
        let mut from = (0, 0);
        self.ends.iter().map(move |&(sql_end, values_end, part)| {
            let statement = (part, &self.sql[from.0..sql_end], &self.values[from.1..values_end]);
            from = (sql_end, values_end);
            statement
        })
    }

    /// Appends a query (its text and values).
    pub fn push_query<'q>(&mut self, mut query: impl Execute<'q, Any>, part: Part) -> Result<(), sqlx::Error> {
        let args = query.take_arguments().map_err(sqlx::Error::Encode)?;
        self.push(query.sql().as_str(), args, part)
    }

    /// Appends a statement with its values (`None`: it has no placeholders).
    pub fn push(&mut self, sql: &str, args: Option<AnyArguments>, part: Part) -> Result<(), sqlx::Error> {
        let values = args.map(|a| a.values.0).unwrap_or_default();
        positional(sql, &values, &mut self.sql, &mut self.values)?;
        self.ends.push((self.sql.len(), self.values.len(), part));
        Ok(())
    }

    /// Appends `rest`'s statements after these.
    pub fn append(&mut self, rest: Script) {
        let (sql, values) = (self.sql.len(), self.values.len());
        self.sql.push_str(&rest.sql);
        self.values.extend(rest.values);
        self.ends.extend(rest.ends.into_iter().map(|(s, v, part)| (s + sql, v + values, part)));
    }

    /// Runs the script on the writer; every statement's answer.
    pub async fn run(self, conn: &mut Inline) -> Result<Vec<Answer>, Failed> {
        conn.run(&self).await
    }
}

/// Copies `sql` to `out` with every placeholder made a positional `?`, and the value each one
/// stands for appended to `out_values` in the same order: `$N` and `?N` by number (a number may
/// appear more than once), a bare `?` by its place among the bare ones. String literals, quoted
/// names and comments are copied as they are. One statement only: each statement of a script
/// is told apart by its answer, so a query of two would shift every answer after it. Named
/// placeholders (`:a`, `@a`) and names quoted with `[]` or backticks are refused (the store uses
/// none; they could make this count differ from SQLite's).
fn positional(sql: &str, values: &[AnyValueKind], out: &mut String, out_values: &mut Vec<AnyValueKind>) -> Result<(), sqlx::Error> {
    let bytes = sql.as_bytes();
    let mut bare = 0;
    let mut i = 0;
    let mut copied = 0;
    let value = |n: usize| values.get(n).cloned().ok_or_else(|| sqlx::Error::Protocol(format!("placeholder {} has no value", n + 1)));
    while i < bytes.len() {
        match bytes[i] {
            quote @ (b'\'' | b'"') => {
                // To the closing quote; a doubled quote inside is an escaped one.
                i += 1;
                while i < bytes.len() {
                    if bytes[i] == quote {
                        if bytes.get(i + 1) == Some(&quote) {
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    i += 1;
                }
                i += 1;
            }
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i < bytes.len() && !(bytes[i] == b'*' && bytes.get(i + 1) == Some(&b'/')) {
                    i += 1;
                }
                i += 2;
            }
            sigil @ (b'$' | b'?') => {
                let digits = bytes[i + 1..].iter().take_while(|b| b.is_ascii_digit()).count();
                let n = match (sigil, digits) {
                    (b'?', 0) => {
                        bare += 1;
                        bare
                    }
                    (_, 0) => return Err(sqlx::Error::Protocol(format!("unsupported placeholder in: {sql}"))),
                    _ => sql[i + 1..i + 1 + digits].parse::<usize>().map_err(|e| sqlx::Error::Protocol(e.to_string()))?,
                };
                if n == 0 {
                    return Err(sqlx::Error::Protocol(format!("placeholder 0 in: {sql}")));
                }
                out.push_str(&sql[copied..i]);
                out.push('?');
                out_values.push(value(n - 1)?);
                i += 1 + digits;
                copied = i;
            }
            b';' if !sql[i + 1..].trim().is_empty() => {
                return Err(sqlx::Error::Protocol(format!("more than one statement in: {sql}")));
            }
            b':' | b'@' if bytes.get(i + 1).is_some_and(|b| b.is_ascii_alphabetic()) => {
                return Err(sqlx::Error::Protocol(format!("a named placeholder in: {sql}")));
            }
            // SQLite's other quotes for names, which could hide a `?` from this count.
            b'[' | b'`' => return Err(sqlx::Error::Protocol(format!("a name quoted with [] or `` in: {sql}"))),
            _ => i += 1,
        }
    }
    out.push_str(sql[copied.min(sql.len())..].trim_end().trim_end_matches(';'));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn convert(sql: &str, n: usize) -> (String, Vec<i64>) {
        let values: Vec<AnyValueKind> = (1..=n as i64).map(|v| AnyValueKind::BigInt(v * 10)).collect();
        let (mut out, mut out_values) = (String::new(), Vec::new());
        positional(sql, &values, &mut out, &mut out_values).unwrap();
        let numbers = out_values
            .into_iter()
            .map(|v| match v {
                AnyValueKind::BigInt(v) => v,
                other => panic!("{other:?}"),
            })
            .collect();
        (out, numbers)
    }

    #[test]
    fn numbered_placeholders_become_positional_in_order_of_appearance() {
        let (sql, values) = convert("UPDATE t SET a = $2, b = $1 WHERE id = $1 AND c = $10", 10);
        assert_eq!(sql, "UPDATE t SET a = ?, b = ? WHERE id = ? AND c = ?");
        assert_eq!(values, vec![20, 10, 10, 100]);
    }

    #[test]
    fn bare_placeholders_keep_their_order() {
        let (sql, values) = convert("INSERT INTO t VALUES (?, ?), (?, ?)", 4);
        assert_eq!(sql, "INSERT INTO t VALUES (?, ?), (?, ?)");
        assert_eq!(values, vec![10, 20, 30, 40]);
    }

    #[test]
    fn literals_names_and_comments_are_left_alone() {
        let (sql, values) = convert("SELECT '$1 ?', \"a$2\", 'it''s $3' -- $4 ?\n, $1 /* $2 ? */ FROM t WHERE x = ?2", 2);
        assert_eq!(sql, "SELECT '$1 ?', \"a$2\", 'it''s $3' -- $4 ?\n, ? /* $2 ? */ FROM t WHERE x = ?");
        assert_eq!(values, vec![10, 20]);
    }

    #[test]
    fn one_statement_per_query() {
        let mut out = String::new();
        assert!(positional("UPDATE t SET a = 1; DELETE FROM t", &[], &mut out, &mut Vec::new()).is_err());
        assert!(positional("SELECT ':a;' FROM t WHERE b = :b", &[], &mut out, &mut Vec::new()).is_err());
        assert!(positional("SELECT [a?] FROM t", &[], &mut out, &mut Vec::new()).is_err());
        let (sql, _) = convert("SELECT 'a; b' FROM t -- c; d\n;  ", 0);
        assert_eq!(sql, "SELECT 'a; b' FROM t -- c; d\n");
    }

    #[test]
    fn a_placeholder_without_its_value_is_an_error() {
        let mut out = String::new();
        assert!(positional("SELECT $3", &[AnyValueKind::BigInt(1)], &mut out, &mut Vec::new()).is_err());
        assert!(positional("SELECT $0", &[AnyValueKind::BigInt(1)], &mut out, &mut Vec::new()).is_err());
        assert!(positional("SELECT $x", &[AnyValueKind::BigInt(1)], &mut out, &mut Vec::new()).is_err());
    }

    /// A real script on SQLite: each statement's answer apart, values bound across statements,
    /// and a failure named by the statement that failed (the ones before it ran).
    #[tokio::test]
    async fn a_script_runs_in_order_and_names_what_failed() {
        let dir = std::env::temp_dir().join(format!("eimza-script-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.join("script.db").display());
        let mut conn = Inline::open(&url, &["CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL CHECK (v <> 'bad'))"]).unwrap();
        let mut script = Script::default();
        let mut args = AnyArguments::default();
        sqlx::Arguments::add(&mut args, 1_i64).unwrap();
        sqlx::Arguments::add(&mut args, "one").unwrap();
        script.push("INSERT INTO t (id, v) VALUES ($1, $2)", Some(args), Part::Write).unwrap();
        let mut args = AnyArguments::default();
        sqlx::Arguments::add(&mut args, 1_i64).unwrap();
        script.push("SELECT v FROM t WHERE id = $1", Some(args), Part::Asked).unwrap();
        let answers = script.run(&mut conn).await.unwrap();
        assert_eq!(answers.len(), 2);
        assert_eq!(answers[0].result.rows_affected(), 1);
        assert_eq!(sqlx::Row::get::<String, _>(&answers[1].rows[0], "v"), "one");

        let mut script = Script::default();
        script.push("INSERT INTO t (id, v) VALUES (2, 'two')", None, Part::Write).unwrap();
        script.push("INSERT INTO t (id, v) VALUES (3, 'bad')", None, Part::Guard).unwrap();
        script.push("INSERT INTO t (id, v) VALUES (4, 'four')", None, Part::Write).unwrap();
        let failed = script.run(&mut conn).await.err().unwrap();
        assert_eq!(failed.part, Part::Guard);
        assert_eq!(failed.answered.len(), 1, "the answer of the statement before it");
        assert!(matches!(failed.error, sqlx::Error::Database(ref e) if e.kind() == sqlx::error::ErrorKind::CheckViolation));
        let mut script = Script::default();
        script.push("SELECT COUNT(*) AS n, 1.5 AS r, NULL AS z, x'00ff' AS b FROM t", None, Part::Asked).unwrap();
        let row = &script.run(&mut conn).await.unwrap()[0].rows[0];
        assert_eq!(sqlx::Row::get::<i64, _>(row, "n"), 2, "the statement before the failure ran, the one after did not");
        assert_eq!(sqlx::Row::get::<f64, _>(row, "r"), 1.5);
        assert_eq!(sqlx::Row::get::<Option<String>, _>(row, "z"), None);
        assert_eq!(sqlx::Row::get::<Vec<u8>, _>(row, "b"), vec![0, 255]);
        drop(conn);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
