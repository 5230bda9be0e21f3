//! Where log lines go and how they look (binary only). `RUST_LOG` picks
//! what is logged (default `info`).

use tracing_appender::non_blocking::{NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::writer::BoxMakeWriter;

use crate::config::LogFormat;

/// Where a command's log lines go.
#[derive(Clone, Copy, Debug)]
pub enum Sink {
    /// Written as they come: a command that logs a few lines.
    Stdout,
    /// Keeps stdout for a command's output (e.g. the secret
    /// `usergraph admin token` prints).
    Stderr,
    /// Queued and written by a background thread: the server's one line per
    /// request then costs a request a copy into the queue, not a `write`
    /// to a pipe or file that may block its worker thread. Nothing is
    /// dropped: a full queue (128,000 lines) makes loggers wait.
    StdoutInBackground,
}

/// Installs the process's log subscriber. The returned guard, for
/// [`Sink::StdoutInBackground`], must live until the process ends: dropping
/// it writes what is still queued.
#[must_use = "dropping the guard stops the background log writer"]
pub fn init(format: LogFormat, sink: Sink) -> Option<WorkerGuard> {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let stdout_is_terminal = || std::io::IsTerminal::is_terminal(&std::io::stdout());
    let (writer, guard, terminal) = match sink {
        Sink::Stdout => (
            BoxMakeWriter::new(std::io::stdout),
            None,
            stdout_is_terminal(),
        ),
        Sink::Stderr => {
            let terminal = std::io::IsTerminal::is_terminal(&std::io::stderr());
            (BoxMakeWriter::new(std::io::stderr), None, terminal)
        }
        Sink::StdoutInBackground => {
            let (writer, guard) = NonBlockingBuilder::default()
                .lossy(false)
                .thread_name("usergraph-log")
                .finish(std::io::stdout());
            (
                BoxMakeWriter::new(writer),
                Some(guard),
                stdout_is_terminal(),
            )
        }
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer);
    match format {
        // The current span's fields (operation, caller, duration, error
        // code) ride on each line, so a request is one self-contained line.
        LogFormat::Json => builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .init(),
        // Colour codes only for a person watching, not for log collectors.
        LogFormat::Text => builder.with_ansi(terminal).init(),
    }
    guard
}
