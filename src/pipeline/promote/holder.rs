//! Who holds a promotion, and whether it may still be at work.
//!
//! A holder is named by its host, the kernel's boot, its PID namespace, its
//! process id and that process's start time (in clock ticks since boot), so
//! that neither a reused PID nor PID 1 of a restarted container passes for
//! it. On the same host, boot and PID namespace, a holder is alive exactly
//! while that very process runs. Anywhere else (another host or pod, or a
//! journal written before holders had these names), it is alive until its
//! lease runs out, which a live holder renews while it works.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The process that holds a promotion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holder {
    /// The host name.
    pub host: String,
    /// The process id, within its PID namespace.
    pub pid: u32,
    /// When the promotion started.
    pub started_at: DateTime<Utc>,
    /// The process's start time, in clock ticks since boot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub process_start: Option<u64>,
    /// The kernel's boot id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub boot_id: Option<String>,
    /// The PID namespace, e.g. `pid:[4026531836]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid_namespace: Option<String>,
    /// A random token naming this promotion: the holder checks it is still
    /// the journal's before every renewal, so it never works on under a
    /// journal another process has taken over.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub token: String,
}

impl Holder {
    /// This process, starting a promotion now.
    pub fn this_process() -> Self {
        let pid = std::process::id();
        Holder {
            host: host_name(),
            pid,
            started_at: Utc::now(),
            process_start: process_start(pid),
            boot_id: boot_id(),
            pid_namespace: pid_namespace(),
            token: format!(
                "{:016x}{:016x}",
                crate::retry::random_u64(),
                crate::retry::random_u64()
            ),
        }
    }

    /// Whether this machine can see the holder's process: same host, same
    /// boot, same PID namespace, and a recorded start time to compare.
    fn is_visible_here(&self) -> bool {
        self.process_start.is_some()
            && self.host == host_name()
            && self.boot_id.is_some()
            && self.boot_id == boot_id()
            && self.pid_namespace.is_some()
            && self.pid_namespace == pid_namespace()
    }

    /// Whether the holder may still be promoting at `now`, given the time
    /// its lease runs until (`None` for journals written without a lease:
    /// their start plus `lease`).
    pub fn may_be_alive(
        &self,
        lease_until: Option<DateTime<Utc>>,
        lease: chrono::Duration,
        now: DateTime<Utc>,
    ) -> bool {
        if self.is_visible_here() {
            return process_start(self.pid) == self.process_start;
        }
        now < lease_until.unwrap_or(self.started_at + lease)
    }
}

fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|name| name.trim().to_string())
        .or_else(|_| std::env::var("HOSTNAME"))
        .unwrap_or_else(|_| "unknown".into())
}

fn boot_id() -> Option<String> {
    std::fs::read_to_string("/proc/sys/kernel/random/boot_id")
        .ok()
        .map(|id| id.trim().to_string())
        .filter(|id| !id.is_empty())
}

fn pid_namespace() -> Option<String> {
    std::fs::read_link("/proc/self/ns/pid")
        .ok()
        .map(|link| link.display().to_string())
}

/// The start time of process `pid` in clock ticks since boot (field 22 of
/// `/proc/{pid}/stat`), or `None` when no such process runs.
pub fn process_start(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may hold spaces or
    // parentheses itself: the fields after it follow the last `)`.
    let after_name = &stat[stat.rfind(')')? + 1..];
    // Field 3 (the state) is the first after the name; the start time is
    // field 22.
    after_name.split_whitespace().nth(19)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lease() -> chrono::Duration {
        chrono::Duration::seconds(120)
    }

    #[test]
    fn this_process_is_alive_and_a_reaped_one_is_dead() {
        let now = Utc::now();
        let mut holder = Holder::this_process();
        assert!(holder.process_start.is_some(), "Linux shows start times");
        assert!(holder.may_be_alive(None, lease(), now));
        let mut child = std::process::Command::new("true").spawn().unwrap();
        holder.pid = child.id();
        holder.process_start = process_start(child.id());
        child.wait().unwrap();
        assert!(
            !holder.may_be_alive(Some(now + lease()), lease(), now),
            "a reaped process is dead, whatever its lease"
        );
    }

    #[test]
    fn a_reused_pid_is_not_the_holder() {
        let now = Utc::now();
        let mut holder = Holder::this_process();
        holder.process_start = holder.process_start.map(|ticks| ticks + 1);
        assert!(!holder.may_be_alive(Some(now + lease()), lease(), now));
    }

    #[test]
    fn elsewhere_the_lease_decides() {
        let now = Utc::now();
        let mut holder = Holder::this_process();
        holder.host = "another-host".into();
        assert!(holder.may_be_alive(Some(now + lease()), lease(), now));
        assert!(!holder.may_be_alive(Some(now - lease()), lease(), now));
        let mut other_namespace = Holder::this_process();
        other_namespace.pid_namespace = Some("pid:[1]".into());
        other_namespace.pid = 1;
        assert!(
            other_namespace.may_be_alive(Some(now + lease()), lease(), now),
            "PID 1 of another container is judged by its lease"
        );
    }

    #[test]
    fn an_old_journal_naming_pid_1_here_is_judged_by_its_start() {
        // What an earlier version wrote: host, pid and start, nothing else.
        let text = format!(
            r#"{{"host": "{}", "pid": 1, "started_at": "2000-01-01T00:00:00Z"}}"#,
            host_name()
        );
        let holder: Holder = serde_json::from_str(&text).unwrap();
        assert!(!holder.may_be_alive(None, lease(), Utc::now()));
        let recent = Holder {
            started_at: Utc::now(),
            ..holder
        };
        assert!(recent.may_be_alive(None, lease(), Utc::now()));
    }

    #[test]
    fn start_times_parse_past_odd_command_names() {
        assert!(process_start(std::process::id()).is_some());
        assert_eq!(process_start(u32::MAX), None);
    }
}
