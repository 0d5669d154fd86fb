//! Logging: readable lines in development, JSON objects in production.
//!
//! Conventions (crates.io `docs/LOGGING.md`): a readable message plus dotted fields
//! (`request.id`, `http.status`, `duration_ms`); an error is logged once, where it is
//! handled; never a token, cookie, email address, IP address, query string or body.

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

use crate::config::LogFormat;

/// Installs the global subscriber, writing to `sink` (colours only when `ansi`). `RUST_LOG`, when set, overrides
/// `filter`. Does nothing if a subscriber is already installed (tests call it repeatedly).
pub fn init<W>(format: LogFormat, filter: &str, ansi: bool, sink: W)
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(filter));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(sink);
    let result = match format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
        LogFormat::Pretty => builder
            .compact()
            .with_ansi(ansi)
            .with_target(false)
            .try_init(),
    };
    // An error only means a subscriber exists already.
    drop(result);
}

/// [`init`] writing to stderr from a background thread: a request hands its formatted line to
/// a channel instead of taking the stderr lock and making a `write` system call itself, and
/// the thread writes what queued up in one call (`BufWriter`, flushed whenever the queue is
/// empty). Lines are never dropped: when 128,000 lines are waiting, logging blocks as before.
/// Keep the guard until exit: dropping it writes what is left.
pub fn init_non_blocking(
    format: LogFormat,
    filter: &str,
    ansi: bool,
) -> tracing_appender::non_blocking::WorkerGuard {
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .lossy(false)
        .thread_name("stoa-log")
        .finish(std::io::BufWriter::new(std::io::stderr()));
    init(format, filter, ansi, writer);
    guard
}
