//! Failpoints: named places where tests make a run fail, pause or die.
//!
//! `DATACONTRACT_FAILPOINT` holds a comma-separated list of
//! `point[:action]`, the action one of:
//! - `fail` (the default): the step returns an error, as a failed call would;
//! - `pause`: the process waits there (to be observed, signalled or
//!   killed) for a minute, or until the file [`RESUME_VARIABLE`] names
//!   exists;
//! - `crash`: the process kills itself with SIGKILL, as an OOM killer or a
//!   node failure would: no destructor runs, nothing is flushed.
//!
//! Failpoints exist only in builds with the `failpoints` feature, which the
//! tests enable (as a dev-dependency feature) and the release image does
//! not: there `hit` is an empty function and the variable is ignored. In a
//! build with them, an unset variable costs one environment lookup.

/// The environment variable that names the failpoints to trigger.
pub const VARIABLE: &str = "DATACONTRACT_FAILPOINT";
/// The environment variable naming a file whose creation ends a pause.
pub const RESUME_VARIABLE: &str = "DATACONTRACT_FAILPOINT_RESUME";

/// Does nothing: this build has no failpoints.
#[cfg(not(feature = "failpoints"))]
#[inline(always)]
pub fn hit(_point: &str) -> Result<(), String> {
    Ok(())
}

/// Triggers `point` if [`VARIABLE`] names it.
#[cfg(feature = "failpoints")]
pub fn hit(point: &str) -> Result<(), String> {
    let Ok(wanted) = std::env::var(VARIABLE) else {
        return Ok(());
    };
    for entry in wanted.split(',').map(str::trim) {
        let action = match entry.strip_prefix(point) {
            Some("") | Some(":fail") => "fail",
            Some(":pause") => "pause",
            Some(":crash") => "crash",
            _ => continue,
        };
        match action {
            "fail" => return Err(format!("injected failure at {point}")),
            "pause" => {
                eprintln!("failpoint {point}: pausing");
                let resume = std::env::var_os(RESUME_VARIABLE).map(std::path::PathBuf::from);
                let began = std::time::Instant::now();
                while began.elapsed() < std::time::Duration::from_secs(60)
                    && !resume.as_deref().is_some_and(std::path::Path::exists)
                {
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
            }
            _ => {
                eprintln!("failpoint {point}: crashing");
                let _ = signal_hook::low_level::raise(signal_hook::consts::SIGKILL);
                // SIGKILL cannot be caught; should raise fail, end anyway.
                std::process::abort();
            }
        }
    }
    Ok(())
}
