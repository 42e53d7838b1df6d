//! The few places where SQLite and PostgreSQL speak differently.
//!
//! Every query in this crate is written once, in the SQL both engines accept: numbered `$N`
//! placeholders (SQLite reads them too), text timestamps, JSON kept as text, `ON CONFLICT`
//! upserts, `RETURNING`. What cannot be written once (JSON paths, how a write transaction
//! starts, case-insensitive order, catalogue look-ups) is produced here, per [`Engine`].

/// The database engine behind a [`crate::Store`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// One SQLite file: the embedded default.
    Sqlite,
    /// A PostgreSQL server: the system of record when hark runs as several processes.
    Postgres,
}

impl Engine {
    pub fn name(self) -> &'static str {
        match self {
            Engine::Sqlite => "sqlite",
            Engine::Postgres => "postgres",
        }
    }

    /// A number at `key` (one level deep) in the JSON text held by `column`; NULL when absent.
    pub(crate) fn json_number(self, column: &str, key: &str) -> String {
        match self {
            Engine::Sqlite => format!("json_extract({column}, '$.{key}')"),
            Engine::Postgres => format!("CAST(({column}::jsonb ->> '{key}') AS DOUBLE PRECISION)"),
        }
    }

    /// A number at `outer.inner` in the JSON text held by `column`.
    pub(crate) fn json_number2(self, column: &str, outer: &str, inner: &str) -> String {
        match self {
            Engine::Sqlite => format!("json_extract({column}, '$.{outer}.{inner}')"),
            Engine::Postgres => format!("CAST(({column}::jsonb -> '{outer}' ->> '{inner}') AS DOUBLE PRECISION)"),
        }
    }

    /// A string at `key` in the JSON text held by `column`.
    pub(crate) fn json_text(self, column: &str, key: &str) -> String {
        match self {
            Engine::Sqlite => format!("json_extract({column}, '$.{key}')"),
            Engine::Postgres => format!("({column}::jsonb ->> '{key}')"),
        }
    }

    /// Whether the JSON array of strings in `column` holds `value` (an SQL expression).
    pub(crate) fn json_array_contains(self, column: &str, value: &str) -> String {
        match self {
            Engine::Sqlite => format!("EXISTS (SELECT 1 FROM json_each({column}) WHERE value = {value})"),
            Engine::Postgres => format!(
                "EXISTS (SELECT 1 FROM jsonb_array_elements_text({column}::jsonb) AS e (value) WHERE e.value = {value})"
            ),
        }
    }

    /// The JSON object text in `column` with `key` set to the JSON text `value` (an SQL
    /// expression).
    pub(crate) fn json_set(self, column: &str, key: &str, value: &str) -> String {
        match self {
            Engine::Sqlite => format!("json_set({column}, '$.{key}', json({value}))"),
            Engine::Postgres => {
                format!("CAST(jsonb_set({column}::jsonb, '{{{key}}}', CAST({value} AS jsonb)) AS TEXT)")
            }
        }
    }

    /// `expr` for case-insensitive ordering.
    pub(crate) fn nocase(self, expr: &str) -> String {
        match self {
            Engine::Sqlite => format!("{expr} COLLATE NOCASE"),
            Engine::Postgres => format!("lower({expr})"),
        }
    }
}

/// `$first, $first+1, …` for `count` values spliced into an `IN (…)` list.
pub(crate) fn placeholders(first: usize, count: usize) -> String {
    (first..first + count).map(|n| format!("${n}")).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    #[test]
    fn placeholders_are_numbered_from_the_first() {
        assert_eq!(super::placeholders(2, 3), "$2, $3, $4");
        assert_eq!(super::placeholders(1, 0), "");
    }
}
