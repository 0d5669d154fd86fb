//! Full-text search with an index on both engines: SQLite FTS5 and a PostgreSQL `tsvector`
//! with a GIN index. Word-prefix matching ("ocean lab" finds "Oceanography Laboratory"),
//! every word must match, case- and accent-insensitive, no stemming, and the same results on
//! both engines.
//!
//! **Words are made here, in Rust, once.** Each engine's own tokenizer would split text its
//! own way: PostgreSQL's parser (even with the `simple` configuration) keeps `example.org`,
//! `a@b.org` and `3.14` whole and indexes `data-science` as three lexemes, FTS5 splits all of
//! them, and PostgreSQL's `lower()` depends on the database's locale while SQLite's only
//! knows ASCII. So [`words`] normalises and splits the text (NFKD, Latin/Greek/Cyrillic
//! accents dropped, lowercase, split at everything that is neither a letter, a digit nor a
//! combining mark) and the store keeps the result as one space-separated column. Each engine
//! indexes that column without a tokenizer of its own worth the name:
//! - SQLite: an external-content FTS5 table with the `ascii` tokenizer, which splits only at
//!   ASCII characters that are not letters or digits, i.e. exactly at the spaces put there;
//!   triggers keep it in step with the column.
//! - PostgreSQL: a stored generated column `array_to_tsvector(string_to_array(words, ' '))`
//!   (lexemes taken as they are: no parser, no dictionary, hence no stemming), GIN-indexed.
//!
//! A query goes through [`words`] too, so user input is never FTS syntax: quotes, `*`, `-`,
//! `AND`, `NEAR`, `:`, `&`, `!` are separators or plain words, and each word becomes a quoted
//! prefix term ([`Query::fts5`], [`Query::tsquery`]).
//!
//! To make another table searchable (the catalog): add a `search_words TEXT` column written
//! with [`document`] in the same statement that writes the text, the FTS5 table and triggers
//! on SQLite and the generated column and GIN index on PostgreSQL (migration 0008 is the
//! template), and filter with an [`Index`].

use unicode_normalization::UnicodeNormalization as _;
use unicode_normalization::char::is_combining_mark;

use crate::Backend;

/// Longest word kept, in characters; longer words are cut (a prefix of them still matches).
/// PostgreSQL refuses lexemes over 2 KiB; names and fields are far shorter anyway.
pub const MAX_WORD_CHARS: usize = 64;

/// The words of `text`, in order, as both the index and queries see them.
pub fn words(text: &str) -> Vec<String> {
    // NFKD splits "é" into "e" + U+0301 and folds compatibility forms (ligatures, full-width
    // letters, superscripts) into plain ones. Only the generic diacritics (U+0300–U+036F,
    // the accents of Latin, Greek and Cyrillic) are dropped: other scripts' combining marks
    // (Devanagari vowel signs, viramas) are part of their words.
    let folded: String = text
        .nfkd()
        .filter(|c| !('\u{0300}'..='\u{036F}').contains(c))
        .collect::<String>()
        .to_lowercase();
    folded
        .split(|c: char| !(c.is_alphanumeric() || is_combining_mark(c)))
        .filter(|w| !w.is_empty())
        .map(|w| w.nfc().take(MAX_WORD_CHARS).collect())
        .collect()
}

/// The value of a `search_words` column for a row whose searchable text is `parts`: their
/// words, separated by single spaces.
pub fn document(parts: &[&str]) -> String {
    let mut all: Vec<String> = parts.iter().flat_map(|p| words(p)).collect();
    // Order does not matter to a prefix search; duplicates only cost space.
    all.sort_unstable();
    all.dedup();
    all.join(" ")
}

/// What someone typed in a search box, made safe: its words, or nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Query {
    /// Nothing typed (or only spaces): no filter.
    All,
    /// Something typed that holds no word (`"***"`, `"--"`): matches nothing, rather than
    /// everything, as the person asked for something.
    Nothing,
    /// Every one of these words must start a word of the row.
    Words(Vec<String>),
}

impl Query {
    /// Parses search-box text. Never fails: any input is a query.
    pub fn parse(text: &str) -> Query {
        if text.trim().is_empty() {
            return Query::All;
        }
        let mut found = words(text);
        // "lab lab" and "lab laboratory" ask no more than "laboratory": drop repeats only
        // (a word that is a prefix of another is harmless and rare).
        let mut seen = std::collections::HashSet::new();
        found.retain(|w| seen.insert(w.clone()));
        if found.is_empty() {
            Query::Nothing
        } else {
            Query::Words(found)
        }
    }

    /// The FTS5 query: each word a quoted string with a prefix star, all required
    /// (`"ocean"* "lab"*`). Words hold no `"`, but one would be doubled, as FTS5 wants.
    pub fn fts5(words: &[String]) -> String {
        words
            .iter()
            .map(|w| format!("\"{}\"*", w.replace('"', "\"\"")))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The `tsquery` text: each word a quoted lexeme with a prefix mark, all required
    /// (`'ocean':* & 'lab':*`), cast with `::tsquery` (no parser, no dictionary). Words hold
    /// no quote or backslash, but either would be escaped, as tsquery input wants.
    pub fn tsquery(words: &[String]) -> String {
        words
            .iter()
            .map(|w| format!("'{}':*", w.replace('\\', "\\\\").replace('\'', "''")))
            .collect::<Vec<_>>()
            .join(" & ")
    }
}

/// A searchable table: its FTS5 table on SQLite and its `tsvector` column on PostgreSQL.
#[derive(Debug, Clone, Copy)]
pub struct Index {
    /// The FTS5 table (external content, `content_rowid` = the table's id).
    pub fts5_table: &'static str,
    /// The generated `tsvector` column.
    pub tsvector_column: &'static str,
}

impl Index {
    /// The SQL condition "row `id` matches the words bound at `$param`", and the value to
    /// bind there. `id` is the row's id (its FTS5 rowid); on PostgreSQL the column is
    /// qualified with `id`'s table prefix, if it has one.
    pub fn condition(
        &self,
        backend: Backend,
        id: &str,
        param: usize,
        words: &[String],
    ) -> (String, String) {
        match backend {
            Backend::Sqlite => (
                format!(
                    "{id} IN (SELECT rowid FROM {t} WHERE {t} MATCH ${param})",
                    t = self.fts5_table
                ),
                Query::fts5(words),
            ),
            Backend::Postgres => {
                let prefix = id
                    .rsplit_once('.')
                    .map(|(t, _)| format!("{t}."))
                    .unwrap_or_default();
                (
                    format!("{prefix}{} @@ ${param}::tsquery", self.tsvector_column),
                    Query::tsquery(words),
                )
            }
        }
    }
}

impl Index {
    /// SQL counting the rows of `table` that match the words bound at `$param` (the value is
    /// the one [`Index::condition`] gives). On SQLite the FTS5 table alone answers, without
    /// reading `table`: its triggers keep exactly one entry per row.
    pub fn count(&self, backend: Backend, table: &str, param: usize) -> String {
        match backend {
            Backend::Sqlite => format!(
                "SELECT COUNT(*) FROM {t} WHERE {t} MATCH ${param}",
                t = self.fts5_table
            ),
            Backend::Postgres => format!(
                "SELECT COUNT(*) FROM {table} WHERE {} @@ ${param}::tsquery",
                self.tsvector_column
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_lowercase_unaccented_and_split_at_punctuation() {
        assert_eq!(
            words("Ocean-Lab: C++ & \"Data\" AND e-mail a@b.org 3.14"),
            [
                "ocean", "lab", "c", "data", "and", "e", "mail", "a", "b", "org", "3", "14"
            ]
        );
        assert_eq!(
            words("École Ünïversité ŒUVRE Straße"),
            ["ecole", "universite", "œuvre", "straße"]
        );
        // Decomposed and precomposed accents agree; compatibility forms fold.
        assert_eq!(
            words("e\u{301}cole ﬁnance ＡＢＣ x²"),
            ["ecole", "finance", "abc", "x2"]
        );
        // Other scripts keep their combining marks.
        assert_eq!(
            words("हिन्दी 東京大学 Ελληνικά"),
            ["हिन्दी", "東京大学", "ελληνικα"]
        );
        assert!(words(" *-\"' ").is_empty());
        assert_eq!(words(&"a".repeat(100))[0].chars().count(), MAX_WORD_CHARS);
    }

    #[test]
    fn documents_hold_each_word_once() {
        assert_eq!(
            document(&["Bench 1", "bench-1", "Physics"]),
            "1 bench physics"
        );
        assert_eq!(document(&["", " - "]), "");
    }

    #[test]
    fn queries_are_never_syntax() {
        assert_eq!(Query::parse("   "), Query::All);
        assert_eq!(Query::parse("\"*\" -"), Query::Nothing);
        let Query::Words(w) = Query::parse("ocean* NEAR(lab) -x \"q\" ocean") else {
            panic!("words")
        };
        assert_eq!(w, ["ocean", "near", "lab", "x", "q"]);
        assert_eq!(Query::fts5(&w), r#""ocean"* "near"* "lab"* "x"* "q"*"#);
        assert_eq!(Query::tsquery(&w[..2]), "'ocean':* & 'near':*");
        // Escaping holds even for words this module would never make.
        assert_eq!(Query::fts5(&["a\"b".into()]), r#""a""b"*"#);
        assert_eq!(Query::tsquery(&["it's\\".into()]), r"'it''s\\':*");
    }

    #[test]
    fn conditions_per_engine() {
        let index = Index {
            fts5_table: "communities_fts",
            tsvector_column: "search",
        };
        let w = vec!["ocean".to_owned()];
        assert_eq!(
            index.condition(Backend::Sqlite, "c.id", 3, &w).0,
            "c.id IN (SELECT rowid FROM communities_fts WHERE communities_fts MATCH $3)"
        );
        assert_eq!(
            index.condition(Backend::Postgres, "c.id", 3, &w),
            ("c.search @@ $3::tsquery".to_owned(), "'ocean':*".to_owned())
        );
        assert_eq!(
            index.condition(Backend::Postgres, "id", 1, &w).0,
            "search @@ $1::tsquery"
        );
    }
}
