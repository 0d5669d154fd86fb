//! Sending mail: SMTP in production, the server log in development.

use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::ExposeSecret;

/// Where mail goes.
#[derive(Clone)]
pub enum Mailer {
    /// A real SMTP server.
    Smtp {
        /// Pooled SMTP connections (boxed: the transport is large and a mailer is moved
        /// around by value).
        transport: Box<AsyncSmtpTransport<Tokio1Executor>>,
        /// Sender.
        from: Mailbox,
    },
    /// No SMTP configured: the message goes to the log (development only; `stoa
    /// check-config` warns).
    Log,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Mailer::Smtp { .. } => "Mailer::Smtp",
            Mailer::Log => "Mailer::Log",
        })
    }
}

/// A message could not be sent.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// The recipient or sender address is malformed.
    #[error("invalid address")]
    Address(#[from] lettre::address::AddressError),
    /// Building the message failed.
    #[error("cannot build the message")]
    Build(#[from] lettre::error::Error),
    /// The SMTP server refused or could not be reached.
    #[error("SMTP delivery failed")]
    Smtp(#[from] lettre::transport::smtp::Error),
}

impl Mailer {
    /// An SMTP mailer for `smtp_url`, or the log mailer when there is none.
    pub fn new(
        smtp_url: Option<&secrecy::SecretString>,
        mail_from: &str,
    ) -> Result<Mailer, String> {
        let Some(url) = smtp_url else {
            return Ok(Mailer::Log);
        };
        let from: Mailbox = mail_from
            .parse()
            .map_err(|e| format!("mail_from {mail_from:?} is not an address: {e}"))?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose_secret())
            .map_err(|e| format!("smtp_url is unusable: {e}"))?
            .timeout(Some(std::time::Duration::from_secs(10)))
            .build();
        Ok(Mailer::Smtp {
            transport: Box::new(transport),
            from,
        })
    }

    /// Sends a plain-text message. Without SMTP the text goes to the log (development).
    pub async fn send(&self, to: &str, subject: &str, text: String) -> Result<(), MailError> {
        match self {
            Mailer::Smtp { transport, from } => {
                let message = Message::builder()
                    .from(from.clone())
                    .to(to.parse()?)
                    .subject(subject)
                    .header(lettre::message::header::ContentType::TEXT_PLAIN)
                    .body(text)?;
                transport.send(message).await?;
                Ok(())
            }
            Mailer::Log => {
                // Development only: no SMTP server, so the person at the terminal reads the
                // message here. The recipient is deliberately left out.
                tracing::warn!(subject, "no SMTP configured; message follows\n{text}");
                Ok(())
            }
        }
    }
}

/// Replaces every word that looks like an email address with `<address>`. SMTP errors quote
/// the recipient (`550 5.1.1 <ada@example.org>: Recipient rejected`), and errors are logged
/// and stored, addresses must not be. The one redaction used for every mail error: sign-in
/// links here and the background worker's mail.
pub fn redact_addresses(text: &str) -> String {
    text.split_inclusive(char::is_whitespace)
        .map(|word| {
            let bare = word.trim_end();
            if bare.contains('@') {
                format!("<address>{}", &word[bare.len()..])
            } else {
                word.to_owned()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn addresses_are_redacted_from_errors() {
        assert_eq!(
            super::redact_addresses("550 5.1.1 <ada@example.org>: Recipient rejected\nnext"),
            "550 5.1.1 <address> Recipient rejected\nnext"
        );
        assert_eq!(
            super::redact_addresses("connection refused"),
            "connection refused"
        );
    }
}
