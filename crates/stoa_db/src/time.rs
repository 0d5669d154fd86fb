//! Time as stored by both engines.

use chrono::{DateTime, SecondsFormat, Utc};
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::postgres::{PgTypeInfo, PgValueRef};
use sqlx::sqlite::{SqliteArgumentValue, SqliteTypeInfo, SqliteValueRef};
use sqlx::{Decode, Encode, Postgres, Sqlite, Type};

/// An instant in UTC, to the microsecond.
///
/// PostgreSQL stores it as `TIMESTAMPTZ`. SQLite has no time type, and sqlx's own encoding of
/// `DateTime` there varies the number of fractional digits, which breaks ordering and range
/// comparisons on the text. This type always writes `2026-11-25T18:33:45.123456Z` (fixed
/// width), so `ORDER BY` and `<`/`>` on the column mean what they say on both engines.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct Timestamp(DateTime<Utc>);

impl Timestamp {
    /// The current time, truncated to microseconds (what both engines keep).
    pub fn now() -> Self {
        Self::from(Utc::now())
    }

    /// The wrapped `DateTime`.
    pub fn as_datetime(&self) -> DateTime<Utc> {
        self.0
    }

    fn to_sqlite_text(self) -> String {
        self.0.to_rfc3339_opts(SecondsFormat::Micros, true)
    }
}

impl std::ops::Add<chrono::TimeDelta> for Timestamp {
    type Output = Timestamp;
    fn add(self, rhs: chrono::TimeDelta) -> Timestamp {
        Timestamp::from(self.0 + rhs)
    }
}

impl std::ops::Sub<chrono::TimeDelta> for Timestamp {
    type Output = Timestamp;
    fn sub(self, rhs: chrono::TimeDelta) -> Timestamp {
        Timestamp::from(self.0 - rhs)
    }
}

impl From<DateTime<Utc>> for Timestamp {
    fn from(value: DateTime<Utc>) -> Self {
        let micros = value.timestamp_micros();
        Self(DateTime::from_timestamp_micros(micros).unwrap_or(value))
    }
}

impl std::fmt::Display for Timestamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_sqlite_text())
    }
}

impl Type<Sqlite> for Timestamp {
    fn type_info() -> SqliteTypeInfo {
        <String as Type<Sqlite>>::type_info()
    }
    fn compatible(ty: &SqliteTypeInfo) -> bool {
        <String as Type<Sqlite>>::compatible(ty)
    }
}

impl<'q> Encode<'q, Sqlite> for Timestamp {
    fn encode_by_ref(&self, buf: &mut Vec<SqliteArgumentValue<'q>>) -> Result<IsNull, BoxDynError> {
        <String as Encode<'q, Sqlite>>::encode(self.to_sqlite_text(), buf)
    }
}

impl<'r> Decode<'r, Sqlite> for Timestamp {
    fn decode(value: SqliteValueRef<'r>) -> Result<Self, BoxDynError> {
        let text = <&str as Decode<'r, Sqlite>>::decode(value)?;
        let parsed = DateTime::parse_from_rfc3339(text)
            .map_err(|e| format!("bad timestamp {text:?} in SQLite: {e}"))?;
        Ok(Self::from(parsed.with_timezone(&Utc)))
    }
}

impl Type<Postgres> for Timestamp {
    fn type_info() -> PgTypeInfo {
        <DateTime<Utc> as Type<Postgres>>::type_info()
    }
    fn compatible(ty: &PgTypeInfo) -> bool {
        <DateTime<Utc> as Type<Postgres>>::compatible(ty)
    }
}

impl Encode<'_, Postgres> for Timestamp {
    fn encode_by_ref(
        &self,
        buf: &mut sqlx::postgres::PgArgumentBuffer,
    ) -> Result<IsNull, BoxDynError> {
        <DateTime<Utc> as Encode<'_, Postgres>>::encode_by_ref(&self.0, buf)
    }
}

impl<'r> Decode<'r, Postgres> for Timestamp {
    fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
        Ok(Self(<DateTime<Utc> as Decode<'r, Postgres>>::decode(
            value,
        )?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_text_is_fixed_width_and_sorts_like_time() {
        let a = Timestamp::from(DateTime::from_timestamp(1_700_000_000, 0).unwrap());
        let b = Timestamp::from(DateTime::from_timestamp(1_700_000_000, 500_000_000).unwrap());
        let c = Timestamp::from(DateTime::from_timestamp(1_700_000_001, 1_000).unwrap());
        let texts: Vec<String> = [a, b, c].iter().map(|t| t.to_sqlite_text()).collect();
        assert_eq!(texts[0], "2023-11-14T22:13:20.000000Z");
        assert!(texts.iter().all(|t| t.len() == texts[0].len()));
        assert!(texts[0] < texts[1] && texts[1] < texts[2]);
    }

    #[test]
    fn truncates_to_microseconds() {
        let t = Timestamp::from(DateTime::from_timestamp(1, 123_456_789).unwrap());
        assert_eq!(t.as_datetime().timestamp_subsec_nanos(), 123_456_000);
    }
}
