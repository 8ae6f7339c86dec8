//! Progress bars on stderr for the long commands.
//!
//! indicatif's stderr target draws nothing when stderr is not a terminal, so
//! tests, pipes and CI logs stay clean without a flag. Library callers that
//! never want a bar pass `progress: false` and get a hidden one.

use indicatif::{ProgressBar, ProgressStyle};

/// A bar counting bytes of input (import, `--like`).
pub(crate) fn bytes(total: u64, visible: bool) -> ProgressBar {
    styled(
        total,
        visible,
        "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} ({bytes_per_sec}, eta {eta}) {msg}",
    )
}

/// A bar counting items (posts generated).
pub(crate) fn items(total: u64, visible: bool) -> ProgressBar {
    styled(
        total,
        visible,
        "{spinner} [{elapsed_precise}] {wide_bar} {human_pos}/{human_len} ({per_sec}, eta {eta}) {msg}",
    )
}

/// A bar with `template`, or a hidden one.
fn styled(total: u64, visible: bool, template: &str) -> ProgressBar {
    if !visible {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total);
    // The templates are constants; should one ever be wrong, the default
    // style is a fine fallback and no reason to fail the command.
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style);
    }
    bar
}
