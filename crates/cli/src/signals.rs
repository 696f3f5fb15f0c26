//! Ctrl-C and SIGTERM, for the commands that wait.

use std::sync::atomic::{AtomicU8, Ordering};

/// The signal that interrupted the command (0: none yet).
static RECEIVED: AtomicU8 = AtomicU8::new(0);

const SIGINT: u8 = 2;
#[cfg(unix)]
const SIGTERM: u8 = 15;

/// Resolves on Ctrl-C or SIGTERM, remembering which for [`exit_code`]. Once
/// polled, the handlers replace the default ones (which would end the
/// process mid-write).
pub(crate) async fn interrupted() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => RECEIVED.store(SIGINT, Ordering::SeqCst),
                    _ = term.recv() => RECEIVED.store(SIGTERM, Ordering::SeqCst),
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
                RECEIVED.store(SIGINT, Ordering::SeqCst);
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        RECEIVED.store(SIGINT, Ordering::SeqCst);
    }
}

/// The exit code of an interrupted command: 128 + the signal, as shells
/// report a process the signal ended (130 for Ctrl-C, 143 for SIGTERM), the
/// same as `generate`'s.
pub(crate) fn exit_code() -> u8 {
    match RECEIVED.load(Ordering::SeqCst) {
        0 => 128 + SIGINT,
        n => 128 + n,
    }
}
