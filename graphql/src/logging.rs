//! Where log lines go and how they look (binary only). `RUST_LOG` picks
//! what is logged (default `info`).

use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Installs the process's log subscriber. `to_stderr` keeps stdout for a
/// command's output (e.g. the secret `usergraph admin token` prints).
pub fn init(format: LogFormat, to_stderr: bool) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    match (format, to_stderr) {
        // The current span's fields (operation, caller, duration, error
        // code) ride on each line, so a request is one self-contained line.
        (LogFormat::Json, false) => builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .init(),
        (LogFormat::Json, true) => builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .with_writer(std::io::stderr)
            .init(),
        // Colour codes only for a person watching, not for log collectors.
        (LogFormat::Text, true) => {
            let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
            builder.with_ansi(ansi).with_writer(std::io::stderr).init();
        }
        (LogFormat::Text, false) => {
            let ansi = std::io::IsTerminal::is_terminal(&std::io::stdout());
            builder.with_ansi(ansi).init();
        }
    }
}
