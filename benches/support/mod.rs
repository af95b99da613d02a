//! What more than one bench needs.

use std::time::Duration;

/// User plus system CPU time of a process, all threads (`/proc/<pid>/stat` fields 14 and 15);
/// `pid` is a process id or `self`.
pub fn cpu_time(pid: &str) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("Linux /proc");
    // The command name (field 2) may hold spaces; the fields after it are plain.
    let fields: Vec<&str> = stat.rsplit_once(')').expect("stat format").1.split_whitespace().collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    // The kernel's USER_HZ is 100 on every Linux this runs on.
    Duration::from_millis(ticks * 10)
}
