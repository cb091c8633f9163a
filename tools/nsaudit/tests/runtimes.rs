// SPDX-License-Identifier: GPL-2.0

//! The report on a log of real container runtimes (the fixture `runtimes.log`, recorded in the
//! Debian guest by `scripts/guest-runtimes`) against what `/proc` showed of each container.

use nsaudit::record::{parse_log, AUDIT_SYSCALL};
use nsaudit::report::{report_from_readers, Report, ReportOptions};
use nsaudit::runtimes::{check, check_one, read_manifest, Run};
use std::collections::BTreeSet;

const LOG: &str = include_str!("fixtures/runtimes.log");
const MANIFEST: &str = include_str!("fixtures/runtimes.jsonl");
const ONE: &str = include_str!("fixtures/runtimes-one.json");

fn runs() -> Vec<Run> {
    read_manifest(MANIFEST).unwrap()
}

fn report(opts: ReportOptions, log: &str) -> Report {
    report_from_readers(opts, [("runtimes.log".to_string(), log.as_bytes())])
        .unwrap()
        .into_plain()
        .unwrap()
}

#[test]
fn each_run_is_one_container_as_proc_showed_it() {
    let runs = runs();
    let runtimes: BTreeSet<&str> = runs.iter().map(|r| r.runtime.as_str()).collect();
    assert_eq!(
        runtimes,
        BTreeSet::from(["bwrap", "crun", "nested", "pod", "podman", "runc", "unshare"])
    );
    let problems = check(&runs, LOG).unwrap();
    assert!(problems.is_empty(), "{problems:#?}");
    let one = serde_json::from_str(ONE).unwrap();
    let problems = check_one(&one, LOG).unwrap();
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn the_check_fails_on_a_wrong_manifest() {
    // A namespace of another inode, a name the runtime was not given, another outer
    // container: each is a problem.
    let mut runs = runs();
    *runs[0].ns.get_mut("net").unwrap() += 1;
    runs[1].name = "not-this-one".into();
    let inner = runs.iter().position(|r| r.outer.is_some()).unwrap();
    runs[inner].outer = Some(runs[0].name.clone());
    let problems = check(&runs, LOG).unwrap();
    assert!(
        problems.iter().any(|p| p.contains("net namespace inode")),
        "{problems:#?}"
    );
    assert!(
        problems.iter().any(|p| p.contains("named")),
        "{problems:#?}"
    );
    assert!(
        problems.iter().any(|p| p.contains("nested in")),
        "{problems:#?}"
    );
}

/// The events of the log whose `SYSCALL` record has the key `key`, as `ausearch --raw -k`
/// writes them.
fn with_key(log: &str, key: &str) -> String {
    let keyed: BTreeSet<u64> = parse_log(log.as_bytes())
        .filter_map(Result::ok)
        .filter(|(_, _, r)| r.ty == AUDIT_SYSCALL && r.get("key") == Some(&format!("\"{key}\"")))
        .map(|(_, _, r)| r.serial)
        .collect();
    log.lines()
        .filter(|l| {
            let serial = l
                .split_once("):")
                .and_then(|(h, _)| h.rsplit(':').next())
                .and_then(|s| s.parse::<u64>().ok());
            serial.is_some_and(|s| keyed.contains(&s))
        })
        .map(|l| format!("{l}\n"))
        .collect()
}

#[test]
fn a_filtered_log_still_groups_each_containers_events() {
    let filtered = with_key(LOG, "exec");
    for run in runs() {
        let mnt = run.ns_id["mnt"];
        let whole = report(
            ReportOptions {
                ns: vec![nsaudit::report::NsSelector::Id(mnt)],
                ..ReportOptions::default()
            },
            LOG,
        );
        let part = report(
            ReportOptions {
                ns: vec![nsaudit::report::NsSelector::Id(mnt)],
                ..ReportOptions::default()
            },
            &filtered,
        );
        // Its creation is not in the filtered log: a container of unknown creation holds its
        // mount namespace, and every execve event inside the container in the whole log is
        // inside that one.
        let of_mnt = |r: &Report| {
            r.containers
                .iter()
                .find(|c| c.namespaces.iter().any(|n| n.kind == "mnt" && n.id == mnt))
                .map(|c| (c.id, c.unknown_creation))
                .unwrap_or_else(|| panic!("{}: no container of mnt {mnt}", run.name))
        };
        let (cw, unknown) = of_mnt(&whole);
        assert!(!unknown, "{}", run.name);
        let (cp, unknown) = of_mnt(&part);
        assert!(unknown, "{}", run.name);
        let execs = |r: &Report, c| {
            r.selection
                .as_ref()
                .unwrap()
                .events
                .iter()
                .filter(|e| e.syscall.as_ref().is_some_and(|s| s.nr == 59))
                .filter(|e| e.containers.contains(&(c, nsaudit::report::Reason::Inside)))
                .map(|e| e.stamp)
                .collect::<BTreeSet<_>>()
        };
        let want = execs(&whole, cw);
        assert!(!want.is_empty(), "{}", run.name);
        assert_eq!(execs(&part, cp), want, "{}", run.name);
        assert!(
            part.diagnostics
                .iter()
                .any(|d| d.message.contains("looks filtered")),
            "{}",
            run.name
        );
        assert!(!whole
            .diagnostics
            .iter()
            .any(|d| d.message.contains("filtered")));
    }
}

#[test]
fn without_ns_info_the_check_sees_runc_split() {
    // Without AUDIT_NS_INFO the heuristic follows tasks by pid: runc's last stage, a sibling
    // of the stage that created the namespaces (CLONE_PARENT), is not seen inside, and its
    // cgroup namespace makes a container of its own; the check must say so.
    let stripped: String = LOG
        .lines()
        .filter(|l| !l.starts_with("type=NS_INFO "))
        .map(|l| format!("{l}\n"))
        .collect();
    assert!(stripped.len() < LOG.len());
    let problems = check(&runs(), &stripped).unwrap();
    assert!(
        problems
            .iter()
            .any(|p| p.starts_with("runc nsaudit-runc: 2 containers of its namespaces")),
        "{problems:#?}"
    );
}

#[test]
fn listed_events_say_what_ran_where_and_when() {
    let opts = ReportOptions {
        containers: vec!["nsaudit-crun".into()],
        ..ReportOptions::default()
    };
    let r = report(opts, LOG);
    let events = &r.selection.as_ref().unwrap().events;
    let sh = events
        .iter()
        .find(|e| {
            e.details
                .args
                .as_ref()
                .is_some_and(|a| a.first().map(String::as_str) == Some("sh"))
        })
        .expect("crun exec's sh is listed");
    let d = &sh.details;
    assert_eq!(d.args.as_ref().unwrap()[1], "-c");
    assert_eq!(d.cwd.as_deref(), Some("/"));
    assert_eq!(d.paths, ["/bin/sh"]);
    assert_eq!(d.auser.as_deref(), Some("unset"));
    assert!(
        d.time.starts_with("2026-12-05T") && d.time.ends_with('Z'),
        "{}",
        d.time
    );
    // Its text has them too.
    let fleet = report_from_readers(
        ReportOptions {
            containers: vec!["nsaudit-crun".into()],
            ..ReportOptions::default()
        },
        [("runtimes.log".to_string(), LOG.as_bytes())],
    )
    .unwrap();
    let mut text = Vec::new();
    fleet.write_text(&mut text).unwrap();
    let text = String::from_utf8(text).unwrap();
    assert!(text.contains("args=[\"sh\", \"-c\", "), "{text}");
    assert!(text.contains("cwd=\"/\" paths=[\"/bin/sh\"]"), "{text}");
}
