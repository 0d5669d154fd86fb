//! The local backend's processes: started detached (their own process group, so they outlive
//! Stoa and a Ctrl-C at its terminal), found again by pid file, and signalled only after
//! checking that the pid still belongs to the process Stoa started (pids are reused).

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

/// Reads a pid file.
pub fn read_pid(path: &Path) -> Option<i32> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

/// Whether `pid` runs (not a zombie) and its command line contains `marker`.
pub fn running(pid: i32, marker: &str) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    // The state follows the command name in parentheses: `123 (python3) S …`.
    let state = stat.rsplit_once(')').map(|(_, rest)| rest.trim_start());
    if matches!(state.and_then(|s| s.chars().next()), Some('Z' | 'X') | None) {
        return false;
    }
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .map(|raw| {
            let line: Vec<u8> = raw
                .into_iter()
                .map(|b| if b == 0 { b' ' } else { b })
                .collect();
            String::from_utf8_lossy(&line).contains(marker)
        })
        .unwrap_or(false)
}

/// The pid in `pid_file` when that process runs and is ours (`marker` in its command line).
pub fn alive(pid_file: &Path, marker: &str) -> Option<i32> {
    read_pid(pid_file).filter(|pid| running(*pid, marker))
}

/// Asks the process to stop (SIGTERM), waits up to `grace`, then kills it. Returns once it is
/// gone, so a new process can take its ports.
pub async fn terminate(pid: i32, marker: &str, grace: Duration) {
    if !running(pid, marker) {
        return;
    }
    let target = Pid::from_raw(pid);
    if kill(target, Signal::SIGTERM).is_err() {
        return;
    }
    let started = Instant::now();
    while running(pid, marker) {
        if started.elapsed() > grace {
            tracing::warn!(pid, "process ignored SIGTERM; killing it");
            let _ = kill(target, Signal::SIGKILL);
            let killed = Instant::now();
            while running(pid, marker) && killed.elapsed() < Duration::from_secs(5) {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The environment a hub or proxy starts with: a fixed `PATH` (plus the folder of the
/// `node` running now, for the proxy) and a UTF-8 locale; nothing of Stoa's own environment,
/// which holds its database URL and keys.
pub fn base_env() -> Vec<(&'static str, String)> {
    let mut path = String::from("/usr/local/bin:/usr/bin:/bin");
    if let Some(node_dir) = std::env::var_os("PATH")
        .and_then(|p| std::env::split_paths(&p).find(|dir| dir.join("node").is_file()))
    {
        let node_dir = node_dir.display().to_string();
        if !path.split(':').any(|d| d == node_dir) {
            path = format!("{node_dir}:{path}");
        }
    }
    vec![("PATH", path), ("LANG", "C.UTF-8".into())]
}

/// Starts `command` detached from Stoa: its own process group, stdin closed, output appended
/// to `log`. The child is not killed when Stoa exits.
pub fn spawn_detached(
    mut command: tokio::process::Command,
    log: &Path,
) -> std::io::Result<tokio::process::Child> {
    use std::os::unix::fs::OpenOptionsExt as _;
    // 0600: people's servers (another account) must not read the hub's log.
    let out = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(log)?;
    let err = out.try_clone()?;
    command
        .stdin(Stdio::null())
        .stdout(Stdio::from(out))
        .stderr(Stdio::from(err))
        .process_group(0)
        .kill_on_drop(false);
    command.spawn()
}

/// The last `lines` lines of a log file, for an error message (hub logs hold no secrets:
/// the config never prints them).
pub fn log_tail(log: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let all: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// Whether something accepts connections on 127.0.0.1:`port`.
pub async fn listening(port: u16) -> bool {
    tokio::time::timeout(
        Duration::from_millis(500),
        tokio::net::TcpStream::connect(("127.0.0.1", port)),
    )
    .await
    .is_ok_and(|r| r.is_ok())
}

/// Whether `port` can be bound on 127.0.0.1 right now.
pub fn bindable(port: u16) -> bool {
    std::net::TcpListener::bind(("127.0.0.1", port)).is_ok()
}

/// The process listening on TCP `port` (any address), if this user may see it: its pid and
/// program name (`/proc/<pid>/comm`, never its arguments). Linux `/proc` only.
pub fn listener_of(port: u16) -> Option<(i32, String)> {
    let hex = format!(":{port:04X}");
    let mut inodes = Vec::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(table) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let fields: Vec<&str> = line.split_whitespace().collect();
            // local_address, rem_address, st (0A: LISTEN), …, inode (the tenth field).
            if fields.len() > 9 && fields[1].ends_with(&hex) && fields[3] == "0A" {
                inodes.push(format!("socket:[{}]", fields[9]));
            }
        }
    }
    if inodes.is_empty() {
        return None;
    }
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
            continue;
        };
        for fd in fds.flatten() {
            if let Ok(target) = std::fs::read_link(fd.path())
                && inodes.iter().any(|i| target.as_os_str() == i.as_str())
            {
                let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
                return Some((pid, comm.trim().to_owned()));
            }
        }
    }
    None
}

/// Whether process `pid` works in `dir` or below (a hub's own process or server).
pub fn works_in(pid: i32, dir: &Path) -> bool {
    let Ok(dir) = dir.canonicalize() else {
        return false;
    };
    std::fs::read_link(format!("/proc/{pid}/cwd")).is_ok_and(|cwd| cwd.starts_with(&dir))
}

/// Kills every process whose working directory is under `dir` (hubs, proxies and people's
/// servers of a hubs folder) and waits until they are gone. For tearing down a test's or a
/// demo's hubs in one go, synchronously (it runs in `Drop`): stopping a hub on purpose goes
/// through [`crate::Provisioner::stop`], which ends people's servers through the hub first.
pub fn kill_all_under(dir: &Path) -> usize {
    let Ok(dir) = dir.canonicalize() else {
        return 0;
    };
    let ours = || -> Vec<i32> {
        let Ok(entries) = std::fs::read_dir("/proc") else {
            return Vec::new();
        };
        entries
            .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
            .filter(|pid| {
                std::fs::read_link(format!("/proc/{pid}/cwd"))
                    .is_ok_and(|cwd| cwd.starts_with(&dir))
            })
            .filter(|pid| running(*pid, ""))
            .collect()
    };
    let found = ours();
    for pid in &found {
        let _ = kill(Pid::from_raw(*pid), Signal::SIGTERM);
    }
    let started = Instant::now();
    loop {
        let left = ours();
        if left.is_empty() {
            break;
        }
        if started.elapsed() > Duration::from_secs(10) {
            for pid in left {
                let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
            }
            std::thread::sleep(Duration::from_millis(200));
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    found.len()
}
