//! Log hygiene: the logs of every Stoa the test suite ran must hold no email address, session
//! id, sign-in or invitation token, or secret.
//!
//! The harnesses write everything into one folder per run (`STOA_TEST_LOG_DIR`, set by
//! `scripts/test.sh`): the in-process test servers log there at debug level
//! (`api-<pid>.log`, `server/tests/api/helpers.rs`), the `stoa` processes of the CLI tests
//! (`cli-<pid>.log`) and of the browser tests (`e2e-*.log`, `end2end/support/harness.mjs`)
//! too. The harnesses also list the secrets they saw (`secrets-*.txt`: OpenID client secrets,
//! session ids, tokens they made), and `scripts/test.sh` saves every mail maildev received
//! (`mail.json`), whose links carry every sign-in and invitation token sent.
//!
//! After the whole suite, `scripts/test.sh` runs the scan:
//! `cargo test -p stoa_server --test log_hygiene -- --ignored`. The scanner's own tests below
//! plant each kind of leak, so a scanner that finds nothing fails here first.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// One leak: where, what kind, and an excerpt with the value masked (the report must not
/// spread the secret it found).
#[derive(Debug, PartialEq, Eq)]
struct Finding {
    file: String,
    line: usize,
    kind: &'static str,
    excerpt: String,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}: {}: {}",
            self.file, self.line, self.kind, self.excerpt
        )
    }
}

/// What must not appear, beyond the patterns every log is checked for.
#[derive(Debug, Default)]
struct Secrets {
    /// Values made of URL-safe characters (tokens, session ids, client secrets): found as
    /// whole runs of such characters, so that thousands of them cost one hash lookup per word.
    words: HashSet<String>,
    /// Other values (a password with punctuation): found as substrings.
    others: Vec<String>,
}

/// Values shorter than this are not secrets of Stoa's (its tokens are 43 characters, session
/// ids 22) and would match ordinary words.
const MIN_SECRET_LEN: usize = 8;

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_'
}

impl Secrets {
    fn add(&mut self, value: &str) {
        let value = value.trim();
        if value.len() < MIN_SECRET_LEN {
            return;
        }
        if value.chars().all(is_word_char) {
            self.words.insert(value.to_owned());
        } else {
            self.others.push(value.to_owned());
        }
    }

    /// The token of every link in the mail (`token=…` in a query string).
    fn add_tokens_in(&mut self, text: &str) {
        for (i, _) in text.match_indices("token=") {
            let token: String = text[i + "token=".len()..]
                .chars()
                .take_while(|c| is_word_char(*c))
                .collect();
            self.add(&token);
        }
    }

    /// The password of a URL like `scheme://user:password@host/…`.
    fn add_url_password(&mut self, url: &str) {
        if let Ok(url) = url::Url::parse(url)
            && let Some(password) = url.password()
        {
            let decoded = percent_decode(password);
            self.add(&decoded);
            if decoded != password {
                self.add(password);
            }
        }
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Byte ranges of the email addresses in `line`: `local@domain.tld`, also with the `@`
/// percent-encoded (`%40`), as it would be in a logged URL.
fn email_addresses(line: &str) -> Vec<std::ops::Range<usize>> {
    const LOCAL: &[u8] = b"!#$%&'*+/=?^_`{|}~.-";
    let b = line.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let at_len = if b[i] == b'@' {
            1
        } else if b[i..].starts_with(b"%40") {
            3
        } else {
            i += 1;
            continue;
        };
        let mut start = i;
        while start > 0 && (b[start - 1].is_ascii_alphanumeric() || LOCAL.contains(&b[start - 1])) {
            start -= 1;
        }
        let mut end = i + at_len;
        while end < b.len() && (b[end].is_ascii_alphanumeric() || b[end] == b'.' || b[end] == b'-')
        {
            end += 1;
        }
        let domain = line[i + at_len..end].trim_end_matches(['.', '-']);
        let end = i + at_len + domain.len();
        let labels: Vec<&str> = domain.split('.').collect();
        let tld_ok = labels.len() >= 2
            && labels.iter().all(|l| !l.is_empty())
            && labels
                .last()
                .is_some_and(|t| t.len() >= 2 && t.chars().all(|c| c.is_ascii_alphabetic()));
        // A local part of punctuation only (`'@example.org'` in SQL that builds addresses
        // from parts) is not an address.
        let local_ok = line[start..i].bytes().any(|c| c.is_ascii_alphanumeric());
        if local_ok && tld_ok {
            found.push(start..end);
        }
        i += at_len;
    }
    found
}

/// The value masked: its first two characters kept, so one can tell what it was.
fn mask(value: &str) -> String {
    format!("{}***", value.chars().take(2).collect::<String>())
}

/// Up to 60 characters either side of byte offset `at` of `text`.
fn window(text: &str, at: usize) -> String {
    let before: Vec<char> = text[..at].chars().collect();
    let after: String = text[at..].chars().take(80).collect();
    let before: String = before[before.len().saturating_sub(60)..].iter().collect();
    format!("…{before}{after}…")
}

/// `name=` prefixes whose long values are credentials: tokens in links, OpenID authorization
/// codes, session cookies (Stoa's is `stoa_session`, `__Host-stoa_session` over https).
const PARAMETERS: [(&str, &str); 3] = [
    ("token=", "token in a URL"),
    ("code=", "authorization code in a URL"),
    ("session=", "session cookie"),
];

/// Every leak in one log. Each finding's excerpt shows the line with every leak in it
/// masked, so the report never repeats what it found.
fn scan_log(file: &str, text: &str, secrets: &Secrets) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let mut hits: Vec<(&'static str, std::ops::Range<usize>)> = Vec::new();
        for range in email_addresses(line) {
            hits.push(("email address", range));
        }
        // A token, authorization code or session cookie written as `name=value` (a logged
        // URL or cookie header), whether or not the harness knew the value.
        for (key, kind) in PARAMETERS {
            for (i, _) in line.match_indices(key) {
                let start = i + key.len();
                let len = line[start..]
                    .chars()
                    .take_while(|c| is_word_char(*c))
                    .count();
                if len >= 16 {
                    hits.push((kind, start..start + len));
                }
            }
        }
        let mut start = None;
        for (i, c) in line.char_indices().chain([(line.len(), ' ')]) {
            match (is_word_char(c), start) {
                (true, None) => start = Some(i),
                (false, Some(s)) => {
                    if secrets.words.contains(&line[s..i]) {
                        hits.push(("secret, token or session id", s..i));
                    }
                    start = None;
                }
                _ => {}
            }
        }
        for other in &secrets.others {
            for (i, _) in line.match_indices(other.as_str()) {
                hits.push(("secret", i..i + other.len()));
            }
        }
        if hits.is_empty() {
            continue;
        }
        hits.sort_by_key(|(_, r)| (r.start, std::cmp::Reverse(r.end)));
        let mut masked = String::with_capacity(line.len());
        let mut at = Vec::with_capacity(hits.len());
        let mut done = 0;
        for (_, range) in &hits {
            if range.start < done {
                // Inside a leak masked already (a token that is also a known secret).
                at.push(masked.len());
                continue;
            }
            masked.push_str(&line[done..range.start]);
            at.push(masked.len());
            masked.push_str(&mask(&line[range.clone()]));
            done = range.end;
        }
        masked.push_str(&line[done..]);
        for ((kind, _), at) in hits.iter().zip(at) {
            findings.push(Finding {
                file: file.to_owned(),
                line: n + 1,
                kind,
                excerpt: window(&masked, at),
            });
        }
    }
    findings
}

/// The secrets a run's folder lists, and those of the environment the suite ran in.
fn secrets_of_run(dir: &Path) -> Secrets {
    let mut secrets = Secrets::default();
    for path in files(dir, |name| {
        name.starts_with("secrets-") && name.ends_with(".txt")
    }) {
        for line in std::fs::read_to_string(&path).unwrap().lines() {
            secrets.add(line);
        }
    }
    if let Ok(mail) = std::fs::read_to_string(dir.join("mail.json")) {
        let mails: Vec<serde_json::Value> =
            serde_json::from_str(&mail).expect("mail.json is maildev's list of messages");
        for m in &mails {
            for part in ["text", "html"] {
                if let Some(text) = m[part].as_str() {
                    secrets.add_tokens_in(text);
                }
            }
        }
    }
    for var in ["STOA_TEST_POSTGRES_URL", "STOA_TEST_SMTP_URL"] {
        if let Ok(url) = std::env::var(var) {
            secrets.add_url_password(&url);
        }
    }
    secrets
}

fn files(dir: &Path, keep: impl Fn(&str) -> bool) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(&keep))
        .collect();
    found.sort();
    found
}

#[test]
#[ignore = "scans a whole run's logs: scripts/test.sh runs it after the suite"]
fn the_logs_of_the_whole_suite_hold_no_address_token_session_id_or_secret() {
    let dir = PathBuf::from(std::env::var("STOA_TEST_LOG_DIR").expect(
        "STOA_TEST_LOG_DIR names the run's log folder (scripts/test.sh sets it and runs the suite first)",
    ));
    let secrets = secrets_of_run(&dir);
    let logs = files(&dir, |name| name.ends_with(".log"));
    // A scan of nothing proves nothing: each kind of server that ran must have left its log
    // (STOA_TEST_LOG_EXPECT lists the prefixes, e.g. `api,cli,e2e`).
    let expected = std::env::var("STOA_TEST_LOG_EXPECT").unwrap_or_else(|_| "api".into());
    for prefix in expected.split(',').filter(|p| !p.is_empty()) {
        let bytes: u64 = logs
            .iter()
            .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with(prefix))
            .map(|p| p.metadata().unwrap().len())
            .sum();
        assert!(
            bytes > 0,
            "no {prefix}-*.log in {}: the harness did not capture those servers' logs",
            dir.display()
        );
    }
    assert!(
        !secrets.words.is_empty(),
        "the harness listed no secrets (client secrets, session ids): is secrets-*.txt written?"
    );
    let mut findings = Vec::new();
    for path in &logs {
        let text = String::from_utf8_lossy(&std::fs::read(path).unwrap()).into_owned();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        findings.extend(scan_log(&name, &text, &secrets));
    }
    const SHOWN: usize = 50;
    assert!(
        findings.is_empty(),
        "{} leaks in the logs of {} ({} files, {} known secrets); the first {}:\n{}",
        findings.len(),
        dir.display(),
        logs.len(),
        secrets.words.len() + secrets.others.len(),
        SHOWN.min(findings.len()),
        findings
            .iter()
            .take(SHOWN)
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    );
}

// The scanner's own tests: each kind of leak planted once, and lines that must pass.

fn secrets(values: &[&str]) -> Secrets {
    let mut s = Secrets::default();
    for v in values {
        s.add(v);
    }
    s
}

fn kinds(text: &str, secrets: &Secrets) -> Vec<&'static str> {
    scan_log("t.log", text, secrets)
        .into_iter()
        .map(|f| f.kind)
        .collect()
}

#[test]
fn finds_email_addresses_plain_and_percent_encoded() {
    let none = Secrets::default();
    for line in [
        r#"{"level":"WARN","fields":{"message":"smtp failed for ada.lovelace+x@example.org"}}"#,
        "sent to <grace@cs.uni-example.edu>",
        "next=/invitations/accept%3Fto%3Dalan%40demo.stoa.example",
        "ADA@EXAMPLE.ORG.",
    ] {
        assert_eq!(kinds(line, &none), ["email address"], "{line}");
    }
    let f = &scan_log("api-1.log", "x\nmail to bob@example.org failed", &none)[0];
    assert_eq!((f.file.as_str(), f.line), ("api-1.log", 2));
    assert!(
        !f.excerpt.contains("bob@example.org"),
        "the report masks the value: {}",
        f.excerpt
    );
    assert!(f.excerpt.contains("bo***"), "{}", f.excerpt);
}

#[test]
fn reports_never_repeat_what_they_found() {
    let token = "q9vL2pZxT3kWmN8bR4sY7uE1oI6aC0dF5gH2jK3lM4n";
    let s = secrets(&[token]);
    let line = format!(
        "550 <victim.person@example.org> rejected: 550 <victim.person@example.org>; link ?token={token}"
    );
    let findings = scan_log("api-1.log", &line, &s);
    assert_eq!(
        findings.iter().map(|f| f.kind).collect::<Vec<_>>(),
        [
            "email address",
            "email address",
            "token in a URL",
            "secret, token or session id"
        ]
    );
    for f in &findings {
        assert!(
            !f.excerpt.contains("victim.p") && !f.excerpt.contains(&token[..10]),
            "{f}"
        );
    }
}

#[test]
fn lets_ordinary_lines_through() {
    let none = Secrets::default();
    for line in [
        r#"{"timestamp":"2026-01-01T00:00:00Z","level":"INFO","fields":{"message":"finished","http.status":200,"duration_ms":3},"span":{"request.id":"0b6c3c1e-6d1f-4d8f-9a53-2f1c1c9e2b1a","method":"GET","path":"/communities"}}"#,
        "connecting to postgres://postgres@127.0.0.1:5432/stoa_test_4f1d",
        "a@b is not an address, nor is user@localhost or x@1.2.3.4",
        "magic link sent (account.id=42)",
        "token=short",
        "SELECT 'earlier' || i || '@example.org' FROM n",
    ] {
        assert_eq!(kinds(line, &none), Vec::<&str>::new(), "{line}");
    }
}

#[test]
fn finds_known_secrets_session_ids_and_tokens() {
    let session = "Ab3dEf6hIj9lMn2pQr5tUv";
    let client_secret = "cLiEnT-sEcReT_0123456789abcdefghijklmnop";
    let s = secrets(&[session, client_secret, "pass:w/rd!!", "short"]);
    assert_eq!(
        kinds(&format!(r#"{{"session":"{session}"}}"#), &s),
        ["secret, token or session id"]
    );
    assert_eq!(
        kinds(&format!("basic auth {client_secret} sent"), &s),
        ["secret, token or session id"]
    );
    assert_eq!(kinds("url smtp://u:pass:w/rd!!@host", &s), ["secret"]);
    // Part of a longer word is another value, not the secret.
    assert_eq!(kinds(&format!("x{session}y"), &s), Vec::<&str>::new());
    assert!(
        s.words.len() == 2 && s.others.len() == 1,
        "short values are ignored"
    );
    // Any token, code or session cookie written as `name=value`, known or not.
    assert_eq!(
        kinds(
            "Set-Cookie: __Host-stoa_session=x3YtW9qLmN2pR5sT8vU1wA; Path=/",
            &Secrets::default()
        ),
        ["session cookie"]
    );
    assert_eq!(
        kinds(
            "GET /auth/callback?code=Sx1Dd2Ff3Gg4Hh5Jj6Kk7&state=abc",
            &Secrets::default()
        ),
        ["authorization code in a URL"]
    );
    assert_eq!(
        kinds(
            "GET /signin/link?token=q9vL2pZxT3kWmN8bR4sY7uE1oI6aC0dF5gH2jK3lM4n",
            &Secrets::default()
        ),
        ["token in a URL"]
    );
}

#[test]
fn reads_tokens_from_mail_and_passwords_from_urls() {
    let mut s = Secrets::default();
    s.add_tokens_in(
        "Open https://stoa.example/invitations/accept?token=Zz9_Yy8-Xx7Ww6Vv5Uu4Tt3 within 7 days",
    );
    assert!(s.words.contains("Zz9_Yy8-Xx7Ww6Vv5Uu4Tt3"));
    s.add_url_password("postgres://stoa_test:0a1b2c3d4e5f@127.0.0.1:5432/postgres");
    assert!(s.words.contains("0a1b2c3d4e5f"));
    s.add_url_password("smtp://user:p%40ss%2Fword@mail.example:587");
    assert!(s.others.contains(&"p@ss/word".to_owned()));
    s.add_url_password("postgres://postgres@127.0.0.1:5432/postgres");
    assert_eq!(s.words.len() + s.others.len(), 4);
}

#[test]
fn the_whole_run_scan_fails_on_a_planted_leak() {
    let dir = std::env::temp_dir().join(format!("stoa-log-hygiene-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("secrets-1.txt"), "Ab3dEf6hIj9lMn2pQr5tUv\n").unwrap();
    std::fs::write(
        dir.join("mail.json"),
        r#"[{"text":"https://x/signin/link?token=Qq1Ww2Ee3Rr4Tt5Yy6Uu7Ii8Oo9Pp0","html":null}]"#,
    )
    .unwrap();
    let secrets = secrets_of_run(&dir);
    assert!(secrets.words.contains("Ab3dEf6hIj9lMn2pQr5tUv"));
    assert!(secrets.words.contains("Qq1Ww2Ee3Rr4Tt5Yy6Uu7Ii8Oo9Pp0"));
    let log = "ok\nverify Qq1Ww2Ee3Rr4Tt5Yy6Uu7Ii8Oo9Pp0 used\n";
    assert_eq!(
        scan_log("api-1.log", log, &secrets)
            .iter()
            .map(|f| f.line)
            .collect::<Vec<_>>(),
        [2]
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
