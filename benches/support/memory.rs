//! This process's resident memory, read from Linux's `/proc/self/status`:
//! how the benchmarks and `examples/flights.rs` tell a step's memory from
//! the whole process's. Shared by `benches/extract.rs`,
//! `contracts/benches/pipeline_scale.rs` and `examples/flights.rs`.

/// The resident set now, in bytes (`VmRSS`).
#[allow(dead_code)]
pub fn resident() -> u64 {
    status_bytes("VmRSS:")
}

/// The resident peak since the process started or since the last
/// [`reset_peak`], in bytes (`VmHWM`).
pub fn peak() -> u64 {
    status_bytes("VmHWM:")
}

/// Starts a new resident peak from the resident set now.
#[allow(dead_code)]
pub fn reset_peak() {
    std::fs::write("/proc/self/clear_refs", "5").expect("Linux lets a process reset its peak");
}

/// The figure on `/proc/self/status`'s line starting with `field`, given
/// there in kB, as bytes.
fn status_bytes(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("Linux's /proc");
    let kib: u64 = status
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kib| kib.parse().ok())
        .unwrap_or_else(|| panic!("{field} in kB in /proc/self/status"));
    kib << 10
}
