//! Stopping at a safe point. Once [`install`]ed, SIGTERM (what Kubernetes
//! and `docker stop` send) and SIGINT (Ctrl-C) no longer end the process
//! where it stands: they ask the run to stop, which it does before its next
//! stage. A promotion under way is never cut short by them: it commits or
//! rolls back first, then the run ends. (SIGKILL still ends anything at
//! once; [`super::promote::recover`] then cleans up.)

use std::sync::Arc;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

use signal_hook::consts::{SIGINT, SIGTERM};

fn flag() -> &'static Arc<AtomicBool> {
    static FLAG: OnceLock<Arc<AtomicBool>> = OnceLock::new();
    FLAG.get_or_init(|| Arc::new(AtomicBool::new(false)))
}

/// Makes SIGTERM and SIGINT request a stop instead of ending the process.
pub fn install() -> std::io::Result<()> {
    for signal in [SIGTERM, SIGINT] {
        signal_hook::flag::register(signal, Arc::clone(flag()))?;
    }
    Ok(())
}

/// Whether a stop was requested.
pub fn requested() -> bool {
    flag().load(Ordering::SeqCst)
}
