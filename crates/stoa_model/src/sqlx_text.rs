//! The newtypes are stored as TEXT on both engines, encoded from their string form. Enums are
//! decoded through their parser (an unknown value is a decode error, never a silent default).

use sqlx::error::BoxDynError;
use sqlx::{Decode, Encode, Postgres, Sqlite, Type};

use crate::logo::LogoType;
use crate::{Email, JoinPolicy, JoinRequestStatus, Role, Slug};

macro_rules! text_type {
    ($ty:ty, |$s:ident| $parse:expr) => {
        impl Type<Sqlite> for $ty {
            fn type_info() -> <Sqlite as sqlx::Database>::TypeInfo {
                <String as Type<Sqlite>>::type_info()
            }
            fn compatible(ty: &<Sqlite as sqlx::Database>::TypeInfo) -> bool {
                <String as Type<Sqlite>>::compatible(ty)
            }
        }
        impl Type<Postgres> for $ty {
            fn type_info() -> <Postgres as sqlx::Database>::TypeInfo {
                <String as Type<Postgres>>::type_info()
            }
            fn compatible(ty: &<Postgres as sqlx::Database>::TypeInfo) -> bool {
                <String as Type<Postgres>>::compatible(ty)
            }
        }
        impl<'q> Encode<'q, Sqlite> for $ty {
            fn encode_by_ref(
                &self,
                buf: &mut <Sqlite as sqlx::Database>::ArgumentBuffer<'q>,
            ) -> Result<sqlx::encode::IsNull, BoxDynError> {
                <String as Encode<'q, Sqlite>>::encode(self.as_str().to_owned(), buf)
            }
        }
        impl Encode<'_, Postgres> for $ty {
            fn encode_by_ref(
                &self,
                buf: &mut sqlx::postgres::PgArgumentBuffer,
            ) -> Result<sqlx::encode::IsNull, BoxDynError> {
                <&str as Encode<'_, Postgres>>::encode(self.as_str(), buf)
            }
        }
        impl<'r> Decode<'r, Sqlite> for $ty {
            fn decode(
                value: <Sqlite as sqlx::Database>::ValueRef<'r>,
            ) -> Result<Self, BoxDynError> {
                let $s = <&str as Decode<'r, Sqlite>>::decode(value)?;
                $parse.ok_or_else(|| format!("unexpected stored value {:?}", $s).into())
            }
        }
        impl<'r> Decode<'r, Postgres> for $ty {
            fn decode(value: sqlx::postgres::PgValueRef<'r>) -> Result<Self, BoxDynError> {
                let $s = <&str as Decode<'r, Postgres>>::decode(value)?;
                $parse.ok_or_else(|| format!("unexpected stored value {:?}", $s).into())
            }
        }
    };
}

text_type!(Role, |s| Role::parse(s));
text_type!(JoinPolicy, |s| JoinPolicy::parse(s));
text_type!(JoinRequestStatus, |s| JoinRequestStatus::parse(s));
text_type!(LogoType, |s| LogoType::parse(s));
// Stored slugs and addresses were checked when they were written; they are not checked again
// on the way out, so a rule tightened later (a newly reserved word) never makes an existing
// row unreadable.
text_type!(Slug, |s| Some(Slug(s.to_owned())));
text_type!(Email, |s| Some(Email(s.to_owned())));
