#![doc = include_str!("../README.md")]

pub mod mail;
pub mod next;
pub mod oidc;
pub mod secretbox;

use std::sync::Arc;

use base64::Engine as _;
use chrono::TimeDelta;
use rand::RngCore as _;
use sha2::{Digest, Sha256};
use stoa_db::accounts::{self, Account, AccountId, EMAIL_ISSUER, NewIdentity};
use stoa_db::auth::{self as auth_db, NewMagicLink, OidcAttempt};
use stoa_db::{Clock, Db, DbError, Timestamp};

pub use mail::{MailError, Mailer};
pub use next::safe_next;
pub use oidc::{Oidc, ProviderConfig};
pub use secretbox::SecretBox;

/// How long a magic link works.
pub const MAGIC_LINK_TTL: TimeDelta = TimeDelta::minutes(15);
/// How long someone has to finish signing in at a provider.
pub const OIDC_ATTEMPT_TTL: TimeDelta = TimeDelta::minutes(10);
/// Links for one address asked for by one client per [`RATE_WINDOW`]. Counted per pair, so a
/// stranger asking for someone's links uses up the stranger's allowance, not the person's.
pub const LINKS_PER_ADDRESS_AND_CLIENT: i64 = 3;
/// Links one client (an IPv4 address or an IPv6 /64) may ask for, for any addresses, per
/// [`RATE_WINDOW`]: one client cannot make Stoa mail many people.
pub const LINKS_PER_CLIENT: i64 = 10;
/// Links for one address, from all clients together, per [`RATE_WINDOW`]. Generous on
/// purpose: it exists only so that many clients together (a botnet, or one attacker with
/// many IPv6 networks) cannot make Stoa flood one mailbox, which would also ruin Stoa's
/// standing with mail providers. Reaching it takes requests from at least
/// `LINKS_PER_ADDRESS / LINKS_PER_ADDRESS_AND_CLIENT` (7) distinct networks within the
/// window, and it lifts when the window passes; a stranger with one network cannot lock
/// anybody out.
pub const LINKS_PER_ADDRESS: i64 = 20;
/// The rate-limit window.
pub const RATE_WINDOW: TimeDelta = TimeDelta::minutes(15);

/// Why signing in did not work. The `Display` text is safe to show; details that help an
/// operator are in [`AuthError::log_detail`].
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// No provider with that id is configured.
    #[error("That sign-in provider is not available.")]
    UnknownProvider,
    /// The email address is malformed.
    #[error("Enter a valid email address, like name@university.edu.")]
    InvalidEmail,
    /// Too many links were asked for.
    #[error("Too many sign-in links were requested. Wait a few minutes and try again.")]
    RateLimited,
    /// The link is unknown, used or expired.
    #[error("This sign-in link is invalid, expired or already used. Ask for a new one.")]
    LinkInvalid,
    /// The sign-in attempt is unknown, used, expired, or belongs to another browser.
    #[error("This sign-in attempt is invalid or has expired. Please start again.")]
    AttemptInvalid,
    /// The provider said no or answered something unacceptable.
    #[error("The sign-in provider could not confirm who you are. Please try again.")]
    Provider(String),
    /// The identity belongs to another account.
    #[error("That identity is already linked to another Stoa account.")]
    IdentityTaken,
    /// A provider that is not trusted for email addresses asserted the address of an
    /// existing account: signing in would hand that account to whoever controls the
    /// provider's claim, so the person proves the address first and links explicitly.
    #[error(
        "A Stoa account with this email address exists already. Sign in with an email link \
         (or as you did before), then link this provider on your account page."
    )]
    EmailInUse,
    /// Configuration is unusable.
    #[error("Sign-in is misconfigured.")]
    Config(String),
    /// The mail could not be sent.
    #[error("We could not send the email. Please try again in a moment.")]
    Mail(#[from] MailError),
    /// The store failed.
    #[error("Something went wrong on our side.")]
    Db(#[from] DbError),
}

impl AuthError {
    /// What to log (never secrets, tokens or addresses).
    pub fn log_detail(&self) -> String {
        match self {
            AuthError::Provider(detail) | AuthError::Config(detail) => detail.clone(),
            // SMTP errors quote the recipient.
            AuthError::Mail(e) => mail::redact_addresses(&stoa_db::error_chain(e)),
            AuthError::Db(e) => stoa_db::error_chain(e),
            other => format!("{other:?}"),
        }
    }

    /// True for failures on our side (log as errors), false for the user's.
    pub fn is_internal(&self) -> bool {
        matches!(
            self,
            AuthError::Config(_) | AuthError::Mail(_) | AuthError::Db(_)
        )
    }
}

/// A successful sign-in.
#[derive(Debug, Clone)]
pub struct SignedIn {
    /// Who.
    pub account: Account,
    /// Where to go next (an internal path).
    pub next: String,
}

/// Sign-in settings.
#[derive(Debug, Clone)]
pub struct AuthSettings {
    /// Where people reach Stoa (links in mail, the OIDC callback).
    pub public_url: String,
    /// Sessions older than this are signed out however active.
    pub session_absolute: TimeDelta,
    /// Sessions not seen for this long are signed out.
    pub session_idle: TimeDelta,
    /// How long providers' discovery metadata and keys are reused.
    pub oidc_metadata_ttl: std::time::Duration,
}

/// The sign-in service. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Auth {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    db: Db,
    clock: Clock,
    mailer: Mailer,
    oidc: Oidc,
    settings: AuthSettings,
}

impl Auth {
    /// Builds the service.
    pub fn new(
        db: Db,
        clock: Clock,
        mailer: Mailer,
        providers: Vec<ProviderConfig>,
        settings: AuthSettings,
    ) -> Result<Auth, AuthError> {
        let callback = format!(
            "{}/auth/callback",
            settings.public_url.trim_end_matches('/')
        );
        let oidc = Oidc::new(providers, &callback, settings.oidc_metadata_ttl)?;
        Ok(Auth {
            inner: Arc::new(Inner {
                db,
                clock,
                mailer,
                oidc,
                settings,
            }),
        })
    }

    /// `(id, display name)` of each provider, in order.
    pub fn providers(&self) -> Vec<(String, String)> {
        self.inner
            .oidc
            .providers()
            .iter()
            .map(|p| (p.id.clone(), p.display_name.clone()))
            .collect()
    }

    /// The clock this service decides expiry with.
    pub fn clock(&self) -> &Clock {
        &self.inner.clock
    }

    /// Where people reach Stoa, without a trailing slash (for links in mail).
    pub fn public_url(&self) -> &str {
        self.inner.settings.public_url.trim_end_matches('/')
    }

    /// The mailer (shared with the background worker).
    pub fn mailer(&self) -> &Mailer {
        &self.inner.mailer
    }

    /// Starts signing in (or, with `link_to`, linking) with a provider: stores the attempt
    /// and returns the provider URL to send the browser to, and the `state` to bind to the
    /// browser's session.
    pub async fn begin_oidc(
        &self,
        provider: &str,
        next: Option<&str>,
        link_to: Option<AccountId>,
    ) -> Result<(url::Url, String), AuthError> {
        let begin = self.inner.oidc.begin(provider).await?;
        let now = self.inner.clock.now();
        let attempt = OidcAttempt {
            state: begin.state.clone(),
            provider: provider.to_owned(),
            nonce: begin.nonce,
            pkce_verifier: begin.pkce_verifier,
            next_path: safe_next(next),
            link_account_id: link_to,
            created_at: now,
            expires_at: now + OIDC_ATTEMPT_TTL,
        };
        let mut tx = self.inner.db.begin().await?;
        auth_db::insert_oidc_attempt(tx.conn(), &attempt).await?;
        tx.commit().await?;
        Ok((begin.url, begin.state))
    }

    /// Throws away an attempt the provider ended without a code (cancelled or refused).
    pub async fn discard_oidc(&self, state: &str) -> Result<(), AuthError> {
        let mut tx = self.inner.db.begin().await?;
        auth_db::take_oidc_attempt(tx.conn(), state, self.inner.clock.now()).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Finishes a provider sign-in. `session_state` is the state this browser started with;
    /// a callback carrying any other state is refused (login CSRF). The attempt is consumed
    /// whatever the outcome, so a callback URL works at most once.
    pub async fn finish_oidc(
        &self,
        state: &str,
        session_state: Option<&str>,
        code: &str,
        iss: Option<&str>,
    ) -> Result<SignedIn, AuthError> {
        let now = self.inner.clock.now();
        let mut tx = self.inner.db.begin().await?;
        let attempt = auth_db::take_oidc_attempt(tx.conn(), state, now).await?;
        tx.commit().await?;
        let attempt = attempt.ok_or(AuthError::AttemptInvalid)?;
        if session_state != Some(state) {
            return Err(AuthError::AttemptInvalid);
        }
        let provider = self.inner.oidc.provider(&attempt.provider)?;
        // RFC 9207: an `iss` in the response must be the provider we sent the person to.
        if let Some(iss) = iss
            && iss != provider.issuer_url
        {
            return Err(AuthError::Provider(format!(
                "callback iss does not match provider {}",
                provider.id
            )));
        }
        let verified = self
            .inner
            .oidc
            .finish(
                &attempt.provider,
                code,
                &attempt.nonce,
                &attempt.pkce_verifier,
            )
            .await?;
        let identity = NewIdentity {
            issuer: &verified.issuer,
            subject: &verified.subject,
            provider: &attempt.provider,
            email: verified.email.as_deref(),
        };
        // `verified.email` is only set when the token says the address is verified.
        let email_trusted = provider.trust_email;
        let account = self
            .sign_in_identity(
                &identity,
                &verified.name,
                email_trusted,
                attempt.link_account_id,
            )
            .await?;
        Ok(SignedIn {
            account,
            next: attempt.next_path,
        })
    }

    /// Finds or creates the account for an identity (or links it to `link_to`).
    ///
    /// `email_trusted`: the identity's (verified) address may be believed, so it links to an
    /// account with that address and becomes a new account's address. True for email links
    /// (using one proves the mailbox) and for providers configured with `trust_email`. An
    /// untrusted provider's address is kept on the identity only: it never selects an
    /// account, and a new account gets no address, so a provider that asserts addresses
    /// it did not check cannot be used to take over, or pre-claim, someone's account.
    async fn sign_in_identity(
        &self,
        identity: &NewIdentity<'_>,
        name: &str,
        email_trusted: bool,
        link_to: Option<AccountId>,
    ) -> Result<Account, AuthError> {
        let now = self.inner.clock.now();
        let mut tx = self.inner.db.begin().await?;
        let mut conn = tx.conn();
        let existing =
            accounts::find_by_identity(conn.reborrow(), identity.issuer, identity.subject).await?;
        let account_id = match (existing, link_to) {
            (Some(owner), Some(target)) if owner.id != target => {
                return Err(AuthError::IdentityTaken);
            }
            (Some(owner), _) => {
                accounts::touch_identity(conn.reborrow(), identity.issuer, identity.subject, now)
                    .await?;
                owner.id
            }
            (None, Some(target)) => {
                accounts::add_identity(conn.reborrow(), target, identity, now).await?;
                target
            }
            (None, None) => {
                let by_email = match identity.email {
                    Some(email) => accounts::find_by_email(conn.reborrow(), email).await?,
                    None => None,
                };
                let id = match by_email {
                    // A trusted, verified address already on an account: the same person.
                    Some(account) if email_trusted => account.id,
                    // Refused rather than a second account with the same person's address:
                    // the person signs in as before and links this provider explicitly.
                    Some(_) => return Err(AuthError::EmailInUse),
                    None => {
                        let email = identity.email.filter(|_| email_trusted);
                        accounts::create(conn.reborrow(), name, email, now).await?
                    }
                };
                accounts::add_identity(conn.reborrow(), id, identity, now).await?;
                id
            }
        };
        let account = accounts::get(conn, account_id).await?;
        tx.commit().await?;
        Ok(account)
    }

    /// Sends a single-use sign-in link to `email`. `requester` identifies the client (its
    /// rate-limit key: the IPv4 address or IPv6 /64) for rate limiting; only its hash is
    /// stored. Limits: per (address, client), per client, and a generous one per address
    /// (see the constants).
    pub async fn request_magic_link(
        &self,
        email: &str,
        next: Option<&str>,
        requester: &str,
    ) -> Result<(), AuthError> {
        let email = normalize_email(email).ok_or(AuthError::InvalidEmail)?;
        let requester = hex::encode(Sha256::digest(requester.as_bytes()));
        let now = self.inner.clock.now();
        let token = random_token();
        let token_hash = hash_token(&token);
        let next = safe_next(next);
        let mut tx = self.inner.db.begin().await?;
        let recent =
            auth_db::recent_magic_links(tx.conn(), &email, &requester, now - RATE_WINDOW).await?;
        if recent.pair >= LINKS_PER_ADDRESS_AND_CLIENT
            || recent.requester >= LINKS_PER_CLIENT
            || recent.email >= LINKS_PER_ADDRESS
        {
            return Err(AuthError::RateLimited);
        }
        let link = NewMagicLink {
            token_hash: &token_hash,
            email: &email,
            next_path: &next,
            requester: &requester,
            created_at: now,
            expires_at: now + MAGIC_LINK_TTL,
        };
        auth_db::insert_magic_link(tx.conn(), &link).await?;
        // Committed before sending: the transaction must not hold SQLite's single writer
        // while an SMTP server takes its time. If sending fails, the link is deleted again
        // and the person is told to retry.
        tx.commit().await?;
        let url = format!(
            "{}/signin/link?token={token}",
            self.inner.settings.public_url.trim_end_matches('/')
        );
        let text = format!(
            "Hello,\n\nuse this link to sign in to Stoa:\n\n{url}\n\n\
             It works once, within {} minutes. If you did not ask to sign in, ignore this message.\n",
            MAGIC_LINK_TTL.num_minutes()
        );
        if let Err(err) = self
            .inner
            .mailer
            .send(&email, "Your Stoa sign-in link", text)
            .await
        {
            let mut tx = self.inner.db.begin().await?;
            auth_db::delete_magic_link(tx.conn(), &token_hash).await?;
            tx.commit().await?;
            return Err(err.into());
        }
        Ok(())
    }

    /// The address a usable link was sent to, for the confirmation page.
    pub async fn peek_magic_link(&self, token: &str) -> Result<Option<String>, AuthError> {
        let mut conn = self.inner.db.read().await?;
        Ok(
            auth_db::peek_magic_link(conn.conn(), &hash_token(token), self.inner.clock.now())
                .await?,
        )
    }

    /// Uses a link: exactly once, within its lifetime.
    pub async fn consume_magic_link(&self, token: &str) -> Result<SignedIn, AuthError> {
        let now = self.inner.clock.now();
        let mut tx = self.inner.db.begin().await?;
        let used = auth_db::use_magic_link(tx.conn(), &hash_token(token), now).await?;
        tx.commit().await?;
        let (email, next) = used.ok_or(AuthError::LinkInvalid)?;
        let identity = NewIdentity {
            issuer: EMAIL_ISSUER,
            subject: &email,
            provider: "email",
            email: Some(&email),
        };
        let name = email.split('@').next().unwrap_or(&email).to_owned();
        // Using the link proves the mailbox: the address is trusted.
        let account = self.sign_in_identity(&identity, &name, true, None).await?;
        Ok(SignedIn { account, next })
    }

    /// The account a session belongs to, if the session is still valid: the account exists,
    /// was not signed out everywhere since, the session is younger than the absolute
    /// lifetime and was last seen within the idle timeout.
    pub async fn session_account(
        &self,
        account: AccountId,
        epoch: i64,
        signed_in_at: Timestamp,
        last_seen_at: Timestamp,
    ) -> Result<Option<Account>, AuthError> {
        let now = self.inner.clock.now();
        if signed_in_at + self.inner.settings.session_absolute <= now
            || last_seen_at + self.inner.settings.session_idle <= now
        {
            return Ok(None);
        }
        let mut conn = self.inner.db.read().await?;
        match accounts::get(conn.conn(), account).await {
            Ok(found) if found.session_epoch == epoch => Ok(Some(found)),
            Ok(_) | Err(DbError::NotFound) => Ok(None),
            Err(other) => Err(other.into()),
        }
    }

    /// The "view as" session `staff` runs now, if any (one indexed read; only asked for
    /// staff accounts).
    pub async fn viewing_as(
        &self,
        staff: AccountId,
    ) -> Result<Option<stoa_db::tickets::ViewAs>, AuthError> {
        let mut conn = self.inner.db.read().await?;
        Ok(stoa_db::tickets::active_view_as(conn.conn(), staff, self.inner.clock.now()).await?)
    }

    /// Ends every session of the account.
    pub async fn sign_out_everywhere(&self, account: AccountId) -> Result<(), AuthError> {
        let mut tx = self.inner.db.begin().await?;
        accounts::bump_session_epoch(tx.conn(), account, self.inner.clock.now()).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Lowercased, trimmed address if it is plausible as a mailbox ([`stoa_model::Email`]'s
/// rules: one definition of an address for sign-in, invitations and institutions).
pub fn normalize_email(input: &str) -> Option<String> {
    stoa_model::Email::parse(input).map(String::from)
}

/// A fresh random token: 32 bytes, URL-safe base64.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Hex SHA-256 of a token: what is stored instead of the token.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_and_validates_email() {
        assert_eq!(
            normalize_email("  Ada@Example.ORG ").as_deref(),
            Some("ada@example.org")
        );
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.org",
            "ada@example",
            "a b@example.org",
            "ada@@example.org",
            "<a>@x.org",
            "ada@example.org.",
        ] {
            assert_eq!(normalize_email(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn tokens_are_random_and_hashed() {
        let (a, b) = (random_token(), random_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(hash_token(&a).len(), 64);
        assert_ne!(hash_token(&a), a);
    }
}
