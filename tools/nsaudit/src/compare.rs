// SPDX-License-Identifier: GPL-2.0

//! `nsaudit-guest compare-log`: every record a reader received is in an audit daemon's log.
//!
//! The records received are those `nsaudit-guest validate --beside-auditd --log FILE` wrote: the
//! copies of the multicast group, in the log format with `UNKNOWN[N]` for most types.  The log
//! is auditd's, which names the types from its table (`NS_INIT_NET` for 1345) and may append
//! an interpreted part after a `\x1d`.  A record is in the log when a line of the log has its
//! type, its stamp `audit(S.mmm:N)` and its fields, exactly as the kernel wrote them.  `EOE`
//! records are not compared: auditd does not write them (`auditd.c`, "skip local logging").

use crate::record::{log_lines, parse_stamp, split_log_record, LogError, RawStamp, AUDIT_EOE};
use std::collections::HashMap;
use std::io::BufRead;

/// What the comparison found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Comparison {
    /// Records received that are in the log.
    pub found: u64,
    /// `EOE` records received, which auditd does not write.
    pub eoe: u64,
    /// `not ok - ...`, one per record not in the log or line that cannot be read.
    pub problems: Vec<String>,
}

impl Comparison {
    /// Passes if at least one record was compared and every one is in the log.
    pub fn passed(&self) -> bool {
        self.found > 0 && self.problems.is_empty()
    }

    /// `compare-log: N records in the log, N missing or different, N EOE not compared`.
    pub fn summary(&self) -> String {
        format!(
            "compare-log: {} records received are in the log, {} are not or could not be read, \
             {} EOE records not compared (auditd does not write them)",
            self.found,
            self.problems.len(),
            self.eoe
        )
    }
}

/// One record of a log: its type and its fields' text, by stamp.
type ByStamp = HashMap<RawStamp, Vec<(u16, String)>>;

/// The records of a log, in their order; the lines that cannot be read go to `problems`.
fn records<R: BufRead>(name: &str, reader: R, problems: &mut Vec<String>) -> Vec<Rec> {
    let mut out = Vec::new();
    for item in log_lines(reader) {
        let read = item.and_then(|(line, l)| {
            let err = |error| LogError { line, error };
            let (ty, msg) = split_log_record(&l).map_err(err)?;
            let (stamp, body) = parse_stamp(msg).map_err(err)?;
            Ok(Rec {
                line,
                stamp,
                ty,
                body: body.to_string(),
            })
        });
        match read {
            Ok(r) => out.push(r),
            Err(e) => problems.push(format!("not ok - {name}: {e}")),
        }
    }
    out
}

/// A record of a log, its fields unparsed.
struct Rec {
    line: usize,
    stamp: RawStamp,
    ty: u16,
    body: String,
}

/// Checks that every record of `received` (named `rname`) is in `log` (named `lname`).
pub fn compare_logs<R1: BufRead, R2: BufRead>(
    rname: &str,
    received: R1,
    lname: &str,
    log: R2,
) -> Comparison {
    let mut out = Comparison::default();
    let mut index = ByStamp::new();
    for r in records(lname, log, &mut out.problems) {
        index.entry(r.stamp).or_default().push((r.ty, r.body));
    }
    for r in records(rname, received, &mut out.problems) {
        if r.ty == AUDIT_EOE {
            out.eoe += 1;
            continue;
        }
        let same = index.get(&r.stamp).map(Vec::as_slice).unwrap_or_default();
        if same.iter().any(|(ty, body)| *ty == r.ty && *body == r.body) {
            out.found += 1;
            continue;
        }
        let (s, ms, n) = r.stamp;
        let why = if let Some((ty, _)) = same.iter().find(|(_, body)| *body == r.body) {
            format!("in {lname} as type {ty}")
        } else if let Some((_, body)) = same.iter().find(|(ty, _)| *ty == r.ty) {
            format!("in {lname} with other fields: {body}")
        } else {
            format!("not in {lname}")
        };
        out.problems.push(format!(
            "not ok - {rname}:{}: type {} audit({s}.{ms:03}:{n}): {why}",
            r.line, r.ty
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const NET: &str = "msg=audit(1700000000.100:10): op=create ppid=1 pid=77 auid=4294967295 \
uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295 \
comm=\"unshare\" exe=\"/bin/busybox\" dev=00:04 old_netns=4026531840 old_netns_id=1 \
netns=4026532001 netns_id=4097 res=1";
    const SYSCALL: &str = "type=SYSCALL msg=audit(1700000000.100:10): arch=c000003e \
syscall=272 success=yes exit=0 a0=40000000 a1=0 a2=0 a3=0 items=0 key=(null)";
    const USER: &str = "msg=audit(1700000000.200:11): pid=80 uid=0 auid=4294967295 \
ses=4294967295 msg='nsaudit step a b'";

    /// What validate writes: UNKNOWN[N] names, and the EOE records.
    fn received() -> Vec<String> {
        vec![
            format!("type=UNKNOWN[1345] {NET}"),
            SYSCALL.into(),
            "type=EOE msg=audit(1700000000.100:10): ".into(),
            format!("type=UNKNOWN[1121] {USER}"),
        ]
    }

    /// What auditd writes: names from its table, the enriched part, no EOE, its own records.
    fn auditd() -> Vec<String> {
        vec![
            "type=DAEMON_START msg=audit(1700000000.000:4): op=start ver=4.0 res=success".into(),
            format!("{SYSCALL}\u{1d}ARCH=x86_64 SYSCALL=unshare"),
            format!("type=NS_INIT_NET {NET}\u{1d}AUID=\"unset\" UID=\"root\""),
            format!("type=TRUSTED_APP {USER}\u{1d}UID=\"root\""),
        ]
    }

    fn compare(received: &[String], log: &[String]) -> Comparison {
        compare_logs(
            "r.log",
            received.join("\n").as_bytes(),
            "audit.log",
            log.join("\n").as_bytes(),
        )
    }

    #[test]
    fn every_record_in_the_log_under_auditds_names() {
        let c = compare(&received(), &auditd());
        assert_eq!((c.found, c.eoe), (3, 1), "{c:?}");
        assert!(c.passed(), "{c:?}");
        assert!(c
            .summary()
            .starts_with("compare-log: 3 records received are in the log, 0 "));
    }

    #[test]
    fn a_missing_record_fails() {
        let mut log = auditd();
        log.remove(2);
        let c = compare(&received(), &log);
        assert!(!c.passed());
        assert_eq!(c.found, 2);
        assert_eq!(
            c.problems,
            ["not ok - r.log:1: type 1345 audit(1700000000.100:10): not in audit.log"]
        );
    }

    #[test]
    fn another_type_or_other_fields_fail() {
        let mut log = auditd();
        log[2] = format!("type=NS_DEL_NET {NET}");
        let c = compare(&received(), &log);
        assert_eq!(c.problems.len(), 1, "{c:?}");
        assert!(
            c.problems[0].ends_with("in audit.log as type 1351"),
            "{c:?}"
        );
        let mut log = auditd();
        log[2] = format!("type=NS_INIT_NET {}", NET.replace("res=1", "res=0"));
        let c = compare(&received(), &log);
        assert_eq!(c.problems.len(), 1, "{c:?}");
        assert!(
            c.problems[0].contains("with other fields: op=create"),
            "{c:?}"
        );
        // Another stamp is another record.
        let mut log = auditd();
        log[2] = format!("type=NS_INIT_NET {}", NET.replace(":10)", ":12)"));
        assert!(compare(&received(), &log).problems[0].ends_with("not in audit.log"));
    }

    #[test]
    fn unreadable_lines_and_nothing_received_fail() {
        let mut log = auditd();
        log.push("type=NO_SUCH_TYPE msg=audit(1700000000.300:12): a=b".into());
        let c = compare(&received(), &log);
        assert_eq!(c.found, 3);
        assert!(!c.passed());
        assert!(
            c.problems[0].starts_with("not ok - audit.log: line 5: "),
            "{c:?}"
        );
        let c = compare(&[], &auditd());
        assert!(c.problems.is_empty() && !c.passed(), "{c:?}");
    }
}
