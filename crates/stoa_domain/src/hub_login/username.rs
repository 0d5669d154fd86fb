//! Hub usernames: given once per account, at its first hub login, and never changed or
//! reused (hubs key home folders and servers by them).

use stoa_db::accounts::AccountId;
use stoa_db::{Conn, Timestamp, hub_login as db};
use unicode_normalization::UnicodeNormalization as _;

use crate::{DomainError, Result};

/// Longest base name (a suffix may follow).
const MAX_BASE: usize = 32;
/// Suffixes tried before giving up (`ada`, `ada-2`, … `ada-1000`).
const MAX_TRIES: u32 = 1000;

/// The name a person's hub username starts from: their account name folded to lowercase
/// ASCII (accents dropped), runs of anything else made one `-`, at most 32 characters,
/// starting with a letter (`u-` is put before a leading digit), `user` when nothing is left.
pub fn base_name(name: &str) -> String {
    let mut out = String::new();
    for ch in name.nfkd() {
        if ch.is_ascii_alphanumeric() {
            out.push(ch.to_ascii_lowercase());
        } else if ch.is_ascii() && !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
        // Non-ASCII marks (the accents NFKD split off) and other scripts are dropped.
    }
    let mut out: String = out.trim_matches('-').chars().take(MAX_BASE).collect();
    while out.ends_with('-') {
        out.pop();
    }
    if out.is_empty() {
        return "user".into();
    }
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert_str(0, "u-");
        out.truncate(MAX_BASE);
    }
    out
}

/// The account's hub username and ID-token subject, given now if it has none yet. The
/// username is the first of `base`, `base-2`, `base-3`, … nobody ever had.
pub(crate) async fn ensure(
    mut conn: Conn<'_>,
    account: AccountId,
    name: &str,
    now: Timestamp,
) -> Result<(String, String)> {
    if let (Some(username), Some(subject)) = db::hub_identity(conn.reborrow(), account).await? {
        return Ok((username, subject));
    }
    let base = base_name(name);
    let mut chosen = None;
    for n in 1..=MAX_TRIES {
        let candidate = if n == 1 {
            base.clone()
        } else {
            format!("{base}-{n}")
        };
        if db::reserve_username(conn.reborrow(), &candidate, account, now).await? {
            chosen = Some(candidate);
            break;
        }
    }
    let username = chosen.ok_or_else(|| {
        DomainError::Store(stoa_db::DbError::Config(format!(
            "no free hub username from {base:?} after {MAX_TRIES} tries"
        )))
    })?;
    // Random, so the subject says nothing about the account (ids are sequential and would
    // tell hubs how many people Stoa has) and survives any renumbering of accounts.
    let subject = stoa_auth::random_token();
    if db::set_hub_identity(conn.reborrow(), account, &username, &subject, now).await? {
        return Ok((username, subject));
    }
    // A concurrent first login gave it one first (the name reserved here stays unused).
    match db::hub_identity(conn, account).await? {
        (Some(username), Some(subject)) => Ok((username, subject)),
        _ => Err(DomainError::NotFound),
    }
}

#[cfg(test)]
mod tests {
    use super::base_name;

    #[test]
    fn base_names_are_lowercase_ascii_words() {
        for (name, base) in [
            ("Ada Lovelace", "ada-lovelace"),
            ("  José  Núñez ", "jose-nunez"),
            ("Grace_Hopper (Navy)", "grace-hopper-navy"),
            ("李小龙", "user"),
            ("", "user"),
            ("2pac", "u-2pac"),
            ("--x--", "x"),
            (
                "A very long name that goes on and on and on",
                "a-very-long-name-that-goes-on-an",
            ),
        ] {
            assert_eq!(base_name(name), base, "{name:?}");
        }
        for name in [
            "Ada Lovelace",
            "x y z ",
            "2pac",
            "A very long name that goes on-and",
        ] {
            let base = base_name(name);
            assert!(base.len() <= 32 && !base.ends_with('-'), "{base}");
            assert!(
                base.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            );
        }
    }
}
