// SPDX-License-Identifier: GPL-2.0

//! `nsaudit-guest demo`: become the audit daemon, create and drop one namespace of each type in
//! children, and print their records in auditd's log format as they arrive.  The audit feature
//! `AUDIT_FEATURE_NS_INFO` is on while it runs, so that the events of the children carry their
//! `AUDIT_NS_INFO` records; it gets back the setting it had.

use crate::audit::{AuditError, AuditSocket, Rule};
use crate::daemon::BACKLOG_LIMIT;
use crate::guest::module_loaded;
use crate::nsinfo::AUDIT_NS_INFO;
use crate::nsops::{self, Hold, Method, NsError};
use crate::record::{format_log_line, parse_log, parse_record, Record, AUDIT_SYSCALL};
use crate::reference::{is_ns_type, NsKind};
use std::collections::{BTreeSet, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};
use thiserror::Error;

/// What the demo is asked to do.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// The module to load if it is not loaded.
    pub module: PathBuf,
    /// How long to wait for all the records: an INIT and a DEL of every type.
    pub timeout: Duration,
}

/// The demo with a real audit daemon: it writes the records to `log`.
#[derive(Debug, Clone)]
pub struct AuditdOptions {
    pub demo: DemoOptions,
    /// The audit daemon's log, e.g. `/var/log/audit/audit.log`.
    pub log: PathBuf,
}

#[derive(Debug, Error)]
pub enum DemoError {
    #[error(transparent)]
    Audit(#[from] AuditError),
    #[error(transparent)]
    Ns(#[from] NsError),
    #[error("insmod {module}: {why}")]
    Insmod { module: String, why: String },
    #[error("cannot write the records: {0}")]
    Output(#[from] std::io::Error),
    #[error("no record within {after:?} for: {missing}")]
    Timeout { after: Duration, missing: String },
    #[error("no audit daemon is registered: start auditd first")]
    NoDaemon,
    #[error("cannot read {path}: {why}")]
    Log { path: String, why: String },
}

/// A namespace's record: INIT or DEL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Phase {
    Init,
    Del,
}

impl Phase {
    fn of(init: bool) -> Phase {
        if init {
            Phase::Init
        } else {
            Phase::Del
        }
    }
}

/// Which of the expected records are still missing, and the ids of the namespaces.
#[derive(Debug, Default)]
pub struct Expect {
    missing: BTreeSet<(NsKind, Phase)>,
    ids: Vec<(NsKind, u64)>,
}

impl Expect {
    /// Expects an INIT and a DEL record for namespace `id` of `kind`.
    pub fn add(&mut self, kind: NsKind, id: u64) {
        self.missing.insert((kind, Phase::Init));
        self.missing.insert((kind, Phase::Del));
        self.ids.push((kind, id));
    }

    /// Takes a record; true if it is one of the expected ones.
    pub fn see(&mut self, ty: u16, text: &str) -> bool {
        parse_record(ty, text).is_ok_and(|rec| self.see_record(ty, &rec))
    }

    /// Takes a parsed record; true if it is one of the expected ones.
    pub fn see_record(&mut self, ty: u16, rec: &Record) -> bool {
        let Some((kind, init)) = NsKind::from_type(ty) else {
            return false;
        };
        let key = format!("{}ns_id", kind.name());
        let ours = self
            .ids
            .iter()
            .any(|&(k, id)| k == kind && rec.get(&key) == Some(id.to_string().as_str()));
        ours && self.missing.remove(&(kind, Phase::of(init)))
    }

    pub fn done(&self) -> bool {
        self.missing.is_empty()
    }

    /// `INIT_NET, DEL_PID, ...`.
    pub fn missing(&self) -> String {
        let v: Vec<String> = self
            .missing
            .iter()
            .map(|(k, phase)| {
                let p = match phase {
                    Phase::Init => "INIT",
                    Phase::Del => "DEL",
                };
                format!("{p}_{}", k.name().to_uppercase())
            })
            .collect();
        v.join(", ")
    }
}

/// Prints namespace records and the SYSCALL and AUDIT_NS_INFO records of their events.
struct Printer<'a, W: Write> {
    out: &'a mut W,
    serials: HashSet<u64>,
}

impl<W: Write> Printer<'_, W> {
    fn take(&mut self, ty: u16, text: &str) -> std::io::Result<()> {
        let serial = parse_record(ty, text).ok().map(|r| r.serial);
        let print = if is_ns_type(ty) {
            self.serials.extend(serial);
            true
        } else {
            (ty == AUDIT_SYSCALL || ty == AUDIT_NS_INFO)
                && serial.is_some_and(|s| self.serials.contains(&s))
        };
        if print {
            writeln!(self.out, "{}", format_log_line(ty, text))?;
            self.out.flush()?;
        }
        Ok(())
    }
}

/// Loads the module with `insmod` unless it is loaded.
fn load_module(module: &Path) -> Result<(), DemoError> {
    if module_loaded() {
        return Ok(());
    }
    let module = module.to_string_lossy().into_owned();
    let o = Command::new("insmod")
        .arg(&module)
        .output()
        .map_err(|e| DemoError::Insmod {
            module: module.clone(),
            why: e.to_string(),
        })?;
    if !o.status.success() {
        return Err(DemoError::Insmod {
            module,
            why: String::from_utf8_lossy(&o.stderr).trim().to_string(),
        });
    }
    Ok(())
}

fn demo<W: Write>(
    sock: &mut AuditSocket,
    opts: &DemoOptions,
    out: &mut W,
) -> Result<(), DemoError> {
    sock.add_rule(&Rule::never_kexec_load())?;
    load_module(&opts.module)?;
    // The op=existing records of the load: counted, not printed.
    let mut existing = 0;
    let quiet_until = Instant::now() + Duration::from_secs(3);
    while Instant::now() < quiet_until {
        let recs = sock.recv_records(Duration::from_millis(300))?;
        if recs.is_empty() {
            break;
        }
        existing += recs.iter().filter(|(ty, _)| is_ns_type(*ty)).count();
    }
    eprintln!("nsaudit-guest demo: ns_audit is loaded ({existing} op=existing records not shown)");

    let mut expect = Expect::default();
    let mut printer = Printer {
        out,
        serials: HashSet::new(),
    };
    let start = Instant::now();
    for k in NsKind::ALL {
        let child = nsops::spawn(&[k], Method::Unshare, None, Hold::ExitAtOnce)?;
        if let Some(id) = child.info.ns.get(&k) {
            expect.add(k, id.id);
        }
        for (ty, text) in sock.recv_records(Duration::ZERO)? {
            expect.see(ty, &text);
            printer.take(ty, &text)?;
        }
    }
    while !expect.done() {
        let left = opts.timeout.saturating_sub(start.elapsed());
        if left.is_zero() {
            return Err(DemoError::Timeout {
                after: opts.timeout,
                missing: expect.missing(),
            });
        }
        for (ty, text) in sock.recv_records(left)? {
            expect.see(ty, &text);
            printer.take(ty, &text)?;
        }
    }
    // The SYSCALL records of the last events.
    for (ty, text) in sock.recv_records(Duration::from_millis(200))? {
        printer.take(ty, &text)?;
    }
    Ok(())
}

/// Runs `f` with `AUDIT_FEATURE_NS_INFO` on, then gives the feature back the setting it had.
fn with_ns_info(
    sock: &mut AuditSocket,
    f: impl FnOnce(&mut AuditSocket) -> Result<(), DemoError>,
) -> Result<(), DemoError> {
    let was = sock.set_ns_info(true)?;
    let result = f(sock);
    let restored = if was {
        Ok(())
    } else {
        sock.set_ns_info(false).map(drop)
    };
    result?;
    restored?;
    Ok(())
}

/// Runs the demo, printing records to `out`; leaves the daemon role and the rule behind in
/// any case.
pub fn run_demo<W: Write>(opts: &DemoOptions, out: &mut W) -> Result<(), DemoError> {
    let mut sock = AuditSocket::open()?;
    sock.become_daemon(BACKLOG_LIMIT)?;
    let result = with_ns_info(&mut sock, |s| demo(s, opts, out));
    let deleted = sock.del_rule(&Rule::never_kexec_load());
    let released = sock.release_daemon();
    result?;
    deleted?;
    released?;
    Ok(())
}

/// Files the namespace records of the audit log `path` with `expect`; a line that cannot be
/// read yet (the daemon is writing it) is left for the next pass.
fn scan_log(path: &Path, expect: &mut Expect) -> Result<(), DemoError> {
    let file = std::fs::File::open(path).map_err(|e| DemoError::Log {
        path: path.display().to_string(),
        why: e.to_string(),
    })?;
    for (_, ty, rec) in parse_log(std::io::BufReader::new(file)).flatten() {
        expect.see_record(ty, &rec);
    }
    Ok(())
}

fn demo_auditd(sock: &mut AuditSocket, opts: &AuditdOptions) -> Result<(), DemoError> {
    if sock.status()?.pid == 0 {
        return Err(DemoError::NoDaemon);
    }
    sock.add_rule(&Rule::never_kexec_load())?;
    load_module(&opts.demo.module)?;
    let mut expect = Expect::default();
    let start = Instant::now();
    for k in NsKind::ALL {
        let child = nsops::spawn(&[k], Method::Unshare, None, Hold::ExitAtOnce)?;
        if let Some(id) = child.info.ns.get(&k) {
            expect.add(k, id.id);
        }
    }
    loop {
        scan_log(&opts.log, &mut expect)?;
        if expect.done() {
            return Ok(());
        }
        if start.elapsed() >= opts.demo.timeout {
            return Err(DemoError::Timeout {
                after: opts.demo.timeout,
                missing: expect.missing(),
            });
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Runs the demo with the audit daemon that is running (auditd): loads the module, creates and
/// drops a namespace of each type, with `AUDIT_FEATURE_NS_INFO` on, and waits until the daemon
/// has written their INIT and DEL records to `opts.log`; removes its rule in any case.
pub fn run_demo_auditd(opts: &AuditdOptions) -> Result<(), DemoError> {
    let mut sock = AuditSocket::open()?;
    let result = with_ns_info(&mut sock, |s| demo_auditd(s, opts));
    let deleted = sock.del_rule(&Rule::never_kexec_load());
    result?;
    deleted?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expect_tracks_our_records_only() {
        let mut e = Expect::default();
        e.add(NsKind::Net, 4097);
        e.add(NsKind::Uts, 4098);
        assert_eq!(e.missing(), "INIT_UTS, DEL_UTS, INIT_NET, DEL_NET");
        // Another namespace's record, a record of another kind, garbage.
        assert!(!e.see(
            1345,
            "audit(1.000:1): op=create netns=1 netns_id=5000 res=1"
        ));
        assert!(!e.see(
            1341,
            "audit(1.000:1): op=create utsns=1 utsns_id=4097 res=1"
        ));
        assert!(!e.see(1345, "garbage"));
        assert!(!e.see(1300, "audit(1.000:1): netns_id=4097"));
        assert!(e.see(
            1345,
            "audit(1.000:1): op=create netns=1 netns_id=4097 res=1"
        ));
        assert!(!e.see(
            1345,
            "audit(1.000:2): op=create netns=1 netns_id=4097 res=1"
        ));
        assert!(e.see(
            1351,
            "audit(1.000:3): op=remove netns=1 netns_id=4097 res=1"
        ));
        assert!(e.see(
            1341,
            "audit(1.000:4): op=create utsns=1 utsns_id=4098 res=1"
        ));
        assert!(!e.done());
        assert!(e.see(
            1347,
            "audit(1.000:5): op=remove utsns=1 utsns_id=4098 res=1"
        ));
        assert!(e.done());
        assert_eq!(e.missing(), "");
    }

    #[test]
    fn expect_knows_cgroup_and_time_records() {
        let mut e = Expect::default();
        e.add(NsKind::Cgroup, 4100);
        e.add(NsKind::Time, 4101);
        assert_eq!(e.missing(), "INIT_CGROUP, DEL_CGROUP, INIT_TIME, DEL_TIME");
        // A cgroup namespace's fields under the time type name no time namespace.
        assert!(!e.see(
            1353,
            "audit(1.000:1): op=create cgroupns=1 cgroupns_id=4100 res=1"
        ));
        assert!(e.see(
            1352,
            "audit(1.000:1): op=create cgroupns=1 cgroupns_id=4100 res=1"
        ));
        assert!(e.see(
            1353,
            "audit(1.000:1): op=create timens=2 timens_id=4101 res=1"
        ));
        assert!(e.see(
            1354,
            "audit(1.000:2): op=remove cgroupns=1 cgroupns_id=4100 res=1"
        ));
        assert!(!e.done());
        assert!(e.see(
            1355,
            "audit(1.000:3): op=remove timens=2 timens_id=4101 res=1"
        ));
        assert!(e.done());
    }

    #[test]
    fn scan_log_reads_named_and_numbered_records_and_leaves_a_partial_line() {
        let path = std::env::temp_dir().join(format!("nsaudit-demo-{}.log", std::process::id()));
        std::fs::write(
            &path,
            "type=NS_INIT_NET msg=audit(1.000:1): op=create netns=1 netns_id=4097 res=1\n\
             type=SYSCALL msg=audit(1.000:1): syscall=272\n\
             type=UNKNOWN[1351] msg=audit(1.000:2): op=remove netns=1 netns_id=4097 res=1\n\
             type=NS_DEL_UTS msg=audit(1.000:3): op=remove utsns=2 utsns_",
        )
        .unwrap();
        let mut e = Expect::default();
        e.add(NsKind::Net, 4097);
        e.add(NsKind::Uts, 4098);
        scan_log(&path, &mut e).unwrap();
        assert_eq!(e.missing(), "INIT_UTS, DEL_UTS");
        std::fs::remove_file(&path).unwrap();
        assert!(matches!(
            scan_log(&path, &mut e),
            Err(DemoError::Log { .. })
        ));
    }

    #[test]
    fn printer_shows_ns_records_and_the_syscall_and_ns_info_records_of_their_events() {
        let mut out = Vec::new();
        let mut p = Printer {
            out: &mut out,
            serials: HashSet::new(),
        };
        p.take(1300, "audit(1.000:1): syscall=1").unwrap();
        p.take(1341, "audit(1.000:2): op=create").unwrap();
        p.take(1305, "audit(1.000:2): op=x").unwrap();
        p.take(1300, "audit(1.000:2): syscall=272").unwrap();
        p.take(1356, "audit(1.000:2): utsns_id=9").unwrap();
        p.take(1320, "audit(1.000:2): ").unwrap();
        p.take(1356, "audit(1.000:3): utsns_id=9").unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            "type=UNKNOWN[1341] msg=audit(1.000:2): op=create\n\
             type=SYSCALL msg=audit(1.000:2): syscall=272\n\
             type=UNKNOWN[1356] msg=audit(1.000:2): utsns_id=9\n"
        );
    }
}
