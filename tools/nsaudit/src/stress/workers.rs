// SPDX-License-Identifier: GPL-2.0

//! The processes of the stress test: churn and account workers, which create namespaces in
//! every way there is and report their ids, and the loader, which loads and unloads the
//! module with changing type masks.

use super::{io, kinds_of, Rng, StressError, MASKS};
use crate::guest::{self, delete_module, finit_module};
use crate::nsops::{self, Hold, Method, NsError};
use crate::reference::NsKind;
use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How many kinds of operation a worker has.
const OPERATIONS: u64 = 6;

/// One worker operation; returns the namespaces it created.
fn operation(op: u64, rng: &mut Rng, worker: u32) -> Result<Vec<(NsKind, u64)>, NsError> {
    let created = |c: &nsops::Child, kinds: &[NsKind]| -> Vec<(NsKind, u64)> {
        kinds
            .iter()
            .filter_map(|k| c.info.ns.get(k).map(|id| (*k, id.id)))
            .collect()
    };
    let levels = |n: &nsops::Nested, kind: NsKind| -> Vec<(NsKind, u64)> {
        n.levels.iter().map(|(_, id)| (kind, id.id)).collect()
    };
    match op % OPERATIONS {
        0 => {
            // A non-empty subset of every type.
            let kinds = kinds_of(1 + rng.below(0xff));
            let c = nsops::spawn(&kinds, Method::Unshare, None, Hold::ExitAtOnce)?;
            Ok(created(&c, &kinds))
        }
        1 => {
            let kinds = NsKind::ALL.to_vec();
            let c = nsops::spawn(&kinds, Method::Clone3, None, Hold::ExitAtOnce)?;
            Ok(created(&c, &kinds))
        }
        2 => {
            let n = nsops::nested(NsKind::User, 3, Hold::ExitAtOnce)?;
            Ok(levels(&n, NsKind::User))
        }
        3 => {
            // Pinned by file descriptors past the life of every task in them.
            let kinds = [NsKind::Net, NsKind::Ipc, NsKind::Uts, NsKind::Cgroup];
            let mut c = nsops::spawn(&kinds, Method::Unshare, None, Hold::UntilReleased)?;
            let ids = created(&c, &kinds);
            let mut fds = Vec::new();
            for k in [NsKind::Net, NsKind::Cgroup] {
                let path = format!("/proc/{}/ns/{}", c.info.holder, k.name());
                fds.push(File::open(&path).map_err(|source| NsError::Io {
                    what: format!("open {path}"),
                    source,
                })?);
            }
            c.release()?;
            drop(fds);
            Ok(ids)
        }
        4 => {
            // Pinned by a bind mount.
            let kinds = [NsKind::Uts, NsKind::Mnt];
            let mut c = nsops::spawn(&kinds, Method::Unshare, None, Hold::UntilReleased)?;
            let ids = created(&c, &kinds);
            let target = std::env::temp_dir().join(format!("nsaudit-stress-pin-{worker}"));
            File::create(&target).map_err(|source| NsError::Io {
                what: format!("create {}", target.display()),
                source,
            })?;
            let src = PathBuf::from(format!("/proc/{}/ns/uts", c.info.holder));
            let bound = nsops::bind_mount(&src, &target);
            c.release()?;
            if bound.is_ok() {
                nsops::unmount(&target)?;
            }
            let _ = std::fs::remove_file(&target);
            bound.map(|()| ids)
        }
        _ => {
            // Nested cgroup namespaces, and a time namespace that the next unshare drops.
            let n = nsops::nested(NsKind::Cgroup, 3, Hold::ExitAtOnce)?;
            let mut ids = levels(&n, NsKind::Cgroup);
            let t = nsops::unshare_repeatedly(NsKind::Time, 2, Hold::ExitAtOnce)?;
            ids.extend(levels(&t, NsKind::Time));
            Ok(ids)
        }
    }
}

/// The body of a worker process: operations until `deadline` or `count` of them, each
/// namespace created written to `report` as `<kind> <id>`, each failure as `error <what>`.
pub(super) fn worker(
    id: u32,
    seed: u64,
    deadline: Option<Instant>,
    count: u32,
    report: &Path,
) -> i32 {
    let Ok(mut out) = File::create(report).map(std::io::BufWriter::new) else {
        return 2;
    };
    let mut rng = Rng::new(seed);
    let mut i = 0u64;
    loop {
        match deadline {
            Some(d) if Instant::now() >= d => break,
            None if i >= u64::from(count) => break,
            _ => {}
        }
        let op = rng.below(OPERATIONS);
        let line = match operation(op, &mut rng, id) {
            Ok(ids) => ids.iter().fold(String::new(), |mut s, (k, n)| {
                let _ = writeln!(s, "{} {n}", k.name());
                s
            }),
            Err(e) => format!("error operation {op}: {e}\n"),
        };
        if out.write_all(line.as_bytes()).is_err() {
            return 2;
        }
        i += 1;
    }
    if out.flush().is_err() {
        return 2;
    }
    0
}

/// The body of the loader process: load and unload the module until `deadline`, with the
/// masks in turn; writes `loads unloads` to `report`.
pub(super) fn loader(module: &Path, seed: u64, deadline: Instant, report: &Path) -> i32 {
    let mut rng = Rng::new(seed);
    let (mut loads, mut unloads, mut errors) = (0u64, 0u64, String::new());
    let mut i = rng.below(MASKS.len() as u64) as usize;
    while Instant::now() < deadline {
        let mask = MASKS[i % MASKS.len()];
        i += 1;
        match finit_module(module, &format!("types={mask:#x}")) {
            Ok(()) => loads += 1,
            Err(e) => {
                let _ = writeln!(errors, "error insmod types={mask:#x}: {e}");
            }
        }
        std::thread::sleep(Duration::from_millis(rng.below(40)));
        match delete_module() {
            Ok(()) => unloads += 1,
            Err(e) => {
                let _ = writeln!(errors, "error rmmod: {e}");
            }
        }
        std::thread::sleep(Duration::from_millis(rng.below(20)));
    }
    let text = format!("{loads} {unloads}\n{errors}");
    if std::fs::write(report, text).is_ok() {
        0
    } else {
        2
    }
}

pub(super) fn fork_process(body: impl FnOnce() -> i32) -> Result<nix::unistd::Pid, StressError> {
    Ok(guest::fork_child(body)?)
}

pub(super) fn reap(pid: nix::unistd::Pid) -> bool {
    matches!(guest::reap(pid), Ok(true))
}

/// What a worker reports: the namespaces it created and its errors.
type Report = (Vec<(NsKind, u64)>, Vec<String>);

/// Reads a worker's report.
pub(super) fn read_report(path: &Path) -> Result<Report, StressError> {
    let f = File::open(path).map_err(io(format!("open {}", path.display())))?;
    let (mut ids, mut errors) = (Vec::new(), Vec::new());
    for (n, line) in BufReader::new(f).lines().enumerate() {
        let line = line.map_err(io(format!("read {}", path.display())))?;
        if let Some(e) = line.strip_prefix("error ") {
            errors.push(e.to_string());
            continue;
        }
        let parsed = line.split_once(' ').and_then(|(k, id)| {
            let kind = NsKind::ALL.iter().find(|x| x.name() == k)?;
            Some((*kind, id.parse::<u64>().ok()?))
        });
        match parsed {
            Some(p) => ids.push(p),
            None => errors.push(format!("{}:{}: bad line {line:?}", path.display(), n + 1)),
        }
    }
    Ok((ids, errors))
}
