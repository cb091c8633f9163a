// SPDX-License-Identifier: GPL-2.0

use super::*;
use crate::record::parse_log_line;

const FIXTURE: &str = include_str!("../../tests/fixtures/container.log");

fn subject(pid: u32, ppid: u32, comm: &str) -> String {
    format!(
        "ppid={ppid} pid={pid} auid=0 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 \
         fsgid=0 tty=(none) ses=1 comm=\"{comm}\" exe=\"/bin/{comm}\""
    )
}

fn syscall(serial: u64, nr: u32, exit: i64, pid: u32, ppid: u32) -> String {
    format!(
        "type=SYSCALL msg=audit(10.000:{serial}): arch=c000003e syscall={nr} success=yes \
         exit={exit} a0=0 items=0 {}",
        subject(pid, ppid, "sh")
    )
}

fn init(serial: u64, kind: &str, ty: u16, old: u64, id: u64, pid: u32) -> String {
    format!(
        "type=UNKNOWN[{ty}] msg=audit(10.000:{serial}): op=create {} dev=00:04 \
         old_{kind}ns={} old_{kind}ns_id={old} {kind}ns={} {kind}ns_id={id} res=1",
        subject(pid, 1, "sh"),
        4026531000 + old,
        4026532000 + id
    )
}

/// A removal by a workqueue worker.
fn del(serial: u64, kind: &str, ty: u16, id: u64) -> String {
    format!(
        "type=UNKNOWN[{ty}] msg=audit(10.000:{serial}): op=remove ppid=2 pid=41 \
         auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) \
         ses=4294967295 comm=\"kworker/u8:1\" exe=(null) dev=00:04 {kind}ns={} {kind}ns_id={id} res=1",
        4026532000 + id
    )
}

fn eoe(serial: u64) -> String {
    format!("type=EOE msg=audit(10.000:{serial}): ")
}

fn run(opts: ReportOptions, log: &str) -> Report {
    report_from_readers(opts, [("t.log".to_string(), log.as_bytes())])
        .unwrap()
        .into_plain()
        .unwrap()
}

/// A container (net+uts, serial 2, by pid 50) whose child 51 runs a command (serial 3),
/// a host event (serial 4), and the removals (5, 6).
fn simple_log() -> Vec<String> {
    vec![
        init(2, "uts", 1341, 1, 20, 50),
        init(2, "net", 1345, 2, 21, 50),
        syscall(2, 272, 0, 50, 1),
        eoe(2),
        syscall(3, 59, 0, 51, 50),
        eoe(3),
        syscall(4, 59, 0, 60, 1),
        eoe(4),
        del(5, "uts", 1347, 20),
        del(6, "net", 1351, 21),
    ]
}

#[test]
fn builds_a_container() {
    let r = run(ReportOptions::default(), &(simple_log().join("\n") + "\n"));
    assert_eq!(r.summary.records, 10);
    assert_eq!(r.summary.events, 5);
    assert_eq!(r.containers.len(), 1);
    let c = &r.containers[0];
    assert_eq!(c.id.serial, 2);
    assert_eq!(c.line, 1);
    let kinds: Vec<&str> = c.namespaces.iter().map(|n| n.kind).collect();
    assert_eq!(kinds, ["uts", "net"]);
    assert_eq!(c.creator.as_ref().unwrap().pid, 50);
    assert_eq!(c.syscall.as_ref().unwrap().name, Some("unshare"));
    assert_eq!(c.ended.map(|s| s.serial), Some(6));
    // The creator's child ran one event inside; the host event is not counted.
    assert_eq!(c.events_inside, 1);
    assert_eq!(c.tasks_seen, 2);
    assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
    // Lineage: the parents are known only by reference.
    let net: Vec<_> = r.namespaces.iter().filter(|n| n.ns.kind == "net").collect();
    assert_eq!(net.len(), 2);
    assert_eq!(
        (net[0].ns.id, net[0].origin, net[0].depth),
        (2, "unknown", 0)
    );
    assert_eq!(
        (net[1].ns.id, net[1].origin, net[1].depth),
        (21, "container", 1)
    );
}

#[test]
fn removers_are_not_followed_into_containers() {
    // The kernel thread of the removals, the subject of no task, and the fixed subject of
    // the series' first format: none of them is a task of the container.
    let no_task = "ppid=-1 pid=-1 auid=4294967295 uid=4294967295 gid=4294967295 \
                   euid=4294967295 suid=4294967295 fsuid=4294967295 egid=4294967295 \
                   sgid=4294967295 fsgid=4294967295 tty=(none) ses=4294967295 comm=(null) \
                   exe=(null)";
    let v1 = "ppid=0 pid=0 auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 \
              sgid=0 fsgid=0 tty=(none) ses=4294967295 comm=\"kernel\" exe=(null)";
    for remover in [None, Some(no_task), Some(v1)] {
        let mut log = simple_log();
        if let Some(r) = remover {
            log[9] = log[9].replace(
                &log[9][log[9].find("ppid=").unwrap()..log[9].find(" dev=").unwrap()],
                r,
            );
        }
        let r = run(ReportOptions::default(), &(log.join("\n") + "\n"));
        assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
        let c = &r.containers[0];
        assert_eq!((c.events_inside, c.tasks_seen), (1, 2), "{remover:?}");
        assert_eq!(c.ended.map(|s| s.serial), Some(6));
    }
}

#[test]
fn lists_the_events_of_a_selection() {
    let log = simple_log().join("\n") + "\n";
    for opts in [
        ReportOptions {
            events: vec!["2".parse().unwrap()],
            ..Default::default()
        },
        ReportOptions {
            ns: vec!["net:4026532021".parse().unwrap()],
            ..Default::default()
        },
        ReportOptions {
            ns: vec!["20".parse().unwrap()],
            ..Default::default()
        },
    ] {
        let r = run(opts, &log);
        let sel = r.selection.unwrap();
        let serials: Vec<u64> = sel.events.iter().map(|e| e.stamp.serial).collect();
        assert_eq!(serials, [2, 3, 5, 6]);
        assert_eq!(sel.events[1].containers[0].1, Reason::Inside);
        assert_eq!(sel.containers.len(), 1);
    }
}

#[test]
fn reports_bad_lines_with_their_numbers_and_goes_on() {
    let mut lines = simple_log();
    lines.insert(4, "garbage".into());
    lines.insert(
        6,
        "type=SYSCALL msg=audit(10.000:3): syscall=59 pid=x ppid=1".into(),
    );
    lines.insert(
        7,
        "type=SYSCALL msg=audit(10.000:3): syscall=59  pid=51 ppid=50".into(),
    );
    let r = run(ReportOptions::default(), &(lines.join("\n") + "\n"));
    assert_eq!(r.summary.bad_lines, 3);
    assert!(r.has_errors());
    let lines: Vec<u64> = r.diagnostics.iter().map(|d| d.line).collect();
    assert_eq!(lines, [5, 7, 8]);
    assert!(r.diagnostics[0].to_string().starts_with("t.log:5: error: "));
    assert!(
        r.diagnostics[1].message.contains("pid"),
        "{}",
        r.diagnostics[1]
    );
    assert_eq!(r.containers.len(), 1);
    assert_eq!(r.containers[0].ended.map(|s| s.serial), Some(6));
}

#[test]
fn a_truncated_last_line_is_an_error_a_complete_one_is_not() {
    let lines = simple_log();
    let log = lines.join("\n");
    // The last line cut inside a field.
    let cut = &log[..log.len() - 12];
    let r = run(ReportOptions::default(), cut);
    assert_eq!(r.summary.bad_lines, 1);
    let d = &r.diagnostics[0];
    assert_eq!((d.line, d.severity), (10, Severity::Error));
    assert!(d.message.contains("truncated"), "{d}");
    // Cut after the whole record: only a warning.
    let r = run(ReportOptions::default(), &log);
    assert_eq!(r.summary.bad_lines, 0);
    assert_eq!(r.diagnostics[0].severity, Severity::Warning);
    assert_eq!(r.containers[0].ended.map(|s| s.serial), Some(6));
}

#[test]
fn interleaved_records_make_the_same_report() {
    let a = simple_log();
    // The records of events 2 and 3 mixed, and a removal before the EOE of 3.
    let mixed = [
        &a[0], &a[4], &a[1], &a[2], &a[8], &a[5], &a[3], &a[6], &a[7], &a[9],
    ];
    let joined: Vec<&str> = mixed.iter().map(|s| s.as_str()).collect();
    let r1 = run(ReportOptions::default(), &(a.join("\n") + "\n"));
    let r2 = run(ReportOptions::default(), &(joined.join("\n") + "\n"));
    assert_eq!(r2.summary.events, r1.summary.events);
    assert_eq!(r2.containers[0].namespaces, r1.containers[0].namespaces);
    assert_eq!(r2.containers[0].creator, r1.containers[0].creator);
    assert_eq!(r2.containers[0].ended, r1.containers[0].ended);
    assert!(r2.diagnostics.is_empty());
}

#[test]
fn late_records_are_counted_and_named() {
    let mut lines = vec![syscall(1, 59, 0, 70, 1)];
    for s in 2..(WINDOW + 10) {
        lines.push(syscall(s, 0, 0, 70, 1));
        lines.push(eoe(s));
    }
    lines.push(eoe(1));
    let r = run(ReportOptions::default(), &(lines.join("\n") + "\n"));
    assert_eq!(r.summary.late_records, 1);
    let d = &r.diagnostics[0];
    assert_eq!(d.line, lines.len() as u64);
    assert!(d.message.contains("10.000:1"), "{d}");
    // Event 1 twice (its SYSCALL, then its late EOE) and the events 2 to WINDOW + 9.
    assert_eq!(r.summary.events, WINDOW + 10);
}

#[test]
fn removals_without_creation_and_repeated_records() {
    let mut lines = simple_log();
    lines.push(del(7, "ipc", 1348, 99));
    lines.push(init(8, "uts", 1341, 1, 20, 50));
    let r = run(ReportOptions::default(), &(lines.join("\n") + "\n"));
    assert_eq!(r.summary.removed_unknown, 1);
    assert_eq!(r.summary.warnings, 1);
    assert!(r.diagnostics[0].message.contains("second INIT"));
    assert_eq!(r.diagnostics[0].line, 12);
}

#[test]
fn inode_numbers_select_every_namespace_that_had_them() {
    let log = [
        init(2, "net", 1345, 1, 20, 50),
        eoe(2),
        del(3, "net", 1351, 20),
        // Same inode, new id.
        format!(
            "type=UNKNOWN[1345] msg=audit(10.000:4): op=create {} dev=00:04 \
             old_netns=4026531001 old_netns_id=1 netns=4026532020 netns_id=30 res=1",
            subject(52, 1, "unshare")
        ),
    ];
    let r = run(
        ReportOptions {
            ns: vec!["net:4026532020".parse().unwrap()],
            ..Default::default()
        },
        &(log.join("\n") + "\n"),
    );
    let sel = r.selection.unwrap();
    let ids: Vec<u64> = sel.namespaces.iter().map(|n| n.id).collect();
    assert_eq!(ids, [20, 30]);
    assert_eq!(r.containers.len(), 2);
}

#[test]
fn clone_puts_the_child_inside_not_the_caller() {
    let log = [
        init(2, "pid", 1344, 1, 20, 50),
        syscall(2, 56, 51, 50, 1),
        eoe(2),
        syscall(3, 59, 0, 51, 50),
        eoe(3),
        syscall(4, 59, 0, 50, 1),
        eoe(4),
    ];
    let r = run(ReportOptions::default(), &(log.join("\n") + "\n"));
    assert_eq!(r.containers[0].events_inside, 1);
    assert!(r.containers[0].ended.is_none());
}

#[test]
fn tasks_leave_at_exit_group_and_when_their_pid_is_reused() {
    let log = [
        init(2, "net", 1345, 1, 20, 50),
        syscall(2, 272, 0, 50, 1),
        eoe(2),
        syscall(3, 231, 0, 50, 1),
        eoe(3),
        // pid 50 again, a new task.
        syscall(4, 59, 0, 50, 1),
        eoe(4),
        // A reused pid with another parent.
        init(5, "uts", 1341, 1, 21, 60),
        syscall(5, 272, 0, 60, 1),
        eoe(5),
        syscall(6, 59, 0, 60, 7),
        eoe(6),
    ];
    let r = run(ReportOptions::default(), &(log.join("\n") + "\n"));
    let inside: Vec<u64> = r.containers.iter().map(|c| c.events_inside).collect();
    assert_eq!(inside, [1, 0]);
}

#[test]
fn not_utf8_and_binary_lines_are_errors() {
    let mut log = simple_log().join("\n").into_bytes();
    log.extend_from_slice(b"\ntype=EOE msg=audit(10.000:9): \xff\xfe\n\x00\x01\n");
    let r = report_from_readers(ReportOptions::default(), [("b".to_string(), &log[..])])
        .unwrap()
        .into_plain()
        .unwrap();
    assert_eq!(r.summary.bad_lines, 2);
    assert_eq!(r.diagnostics[0].line, 11);
    assert_eq!(r.diagnostics[1].line, 12);
}

#[test]
fn selectors() {
    assert_eq!(
        "net:4026532001".parse::<NsSelector>().unwrap(),
        NsSelector::Inode(NsKind::Net, 4026532001)
    );
    assert_eq!(
        "userns:5".parse::<NsSelector>().unwrap(),
        NsSelector::Inode(NsKind::User, 5)
    );
    assert_eq!("28".parse::<NsSelector>().unwrap(), NsSelector::Id(28));
    for bad in ["", "foo:1", "net:", "net:x", "-1", "net:1:2"] {
        assert!(bad.parse::<NsSelector>().is_err(), "accepted {bad:?}");
    }
    assert_eq!(
        "12".parse::<EventSelector>().unwrap(),
        EventSelector::Serial(12)
    );
    assert_eq!(
        "1795923186.392:15".parse::<EventSelector>().unwrap(),
        EventSelector::Stamp(Stamp {
            sec: 1795923186,
            msec: 392,
            serial: 15
        })
    );
    for bad in ["", "x", "1.2:3", "1.002", "1.002:3): a=b"] {
        assert!(bad.parse::<EventSelector>().is_err(), "accepted {bad:?}");
    }
}

/// `parse_line` with every field checked must agree with the validator's parser.
fn agree(text: &str) {
    let t = text.strip_suffix('\n').unwrap_or(text);
    let mine = parse_line(t.as_bytes()).and_then(|l| {
        let f: Result<Vec<_>, _> = l.fields().collect();
        f.map(|f| (l, f))
    });
    match parse_log_line(text) {
        Ok((ty, rec)) => {
            let (l, f) = mine.unwrap_or_else(|e| panic!("{text:?}: {e}"));
            assert_eq!(l.ty, ty, "{text:?}");
            assert_eq!(
                (l.stamp.sec, l.stamp.msec, l.stamp.serial),
                (rec.sec, rec.msec, rec.serial)
            );
            let fields: Vec<(String, String)> = f
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            assert_eq!(fields, rec.fields, "{text:?}");
        }
        Err(_) => {
            if let Ok((l, _)) = mine {
                assert_eq!(l.ty, 0, "accepted {text:?}, the validator does not");
            }
        }
    }
}

#[test]
fn the_line_parser_agrees_with_the_validators() {
    let mut n = 0;
    let specials = [
        " ", "  ", "\"", "=", ":", "(", ")", ".", "\0", "\u{e9}", "\u{1d}", "\n", "0", "",
    ];
    for base in FIXTURE.lines().take(40) {
        agree(base);
        let cuts: Vec<usize> = base.char_indices().map(|(i, _)| i).step_by(3).collect();
        for &i in &cuts {
            agree(&base[..i]);
            agree(&base[i..]);
            for sp in specials {
                let next = base[i..].chars().next().map_or(i, |c| i + c.len_utf8());
                agree(&format!("{}{sp}{}", &base[..i], &base[next..]));
                n += 1;
            }
        }
    }
    assert!(n > 10_000);
    for odd in [
        "node=x type=EOE msg=audit(1.000:1): ",
        "type=CWD msg=audit(1.000:1): cwd=\"/\"",
    ] {
        assert!(parse_line(odd.as_bytes()).is_ok());
    }
}

#[test]
fn survives_random_logs() {
    let alphabet = b"type=UNKNOWN[1345] SYSCALL EOE msg=audit(1.000:2): op=create netns_id=1 \
old_netns_id=2 pid=3 ppid=\"x\xff\x1d\n\n";
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    for _ in 0..3000 {
        let mut bytes = Vec::new();
        for _ in 0..(x % 400) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            bytes.push(alphabet[(x % alphabet.len() as u64) as usize]);
        }
        // Half of the logs are of two nodes, their lines taken in turn.
        if x.is_multiple_of(2) {
            let mut nodes = [&b"node=a "[..], &b"node=b\x1d "[..]].into_iter().cycle();
            bytes = bytes
                .split_inclusive(|&b| b == b'\n')
                .flat_map(|l| [nodes.next().unwrap_or_default(), l].concat())
                .collect();
        }
        let opts = ReportOptions {
            ns: vec![NsSelector::Id(1)],
            events: vec![EventSelector::Serial(2)],
            nodes: Vec::new(),
            containers: vec!["ctr1".into()],
            whole: true,
        };
        let r = report_from_readers(opts, [("r".to_string(), &bytes[..])]).unwrap();
        r.write_text(&mut io::sink()).unwrap();
        r.write_json(&mut io::sink()).unwrap();
        r.write_dot(&mut io::sink()).unwrap();
    }
}

#[test]
fn the_fixture_reads_cleanly() {
    let r = run(ReportOptions::default(), FIXTURE);
    assert_eq!(r.summary.bad_lines, 0);
    assert_eq!(r.summary.lines, FIXTURE.lines().count() as u64);
    let mut out = Vec::new();
    r.write_dot(&mut out).unwrap();
    let dot = String::from_utf8(out).unwrap();
    assert!(dot.starts_with("digraph nsaudit {"));
    // The network namespace unshared inside the container's comes from it.
    let nested = FIXTURE
        .lines()
        .filter_map(|l| parse_log_line(l).ok())
        .filter(|(ty, r)| *ty == 1345 && r.get("op") == Some("create"))
        .filter_map(|(_, r)| {
            let (old, new) = (r.get("old_netns_id")?, r.get("netns_id")?);
            let created = format!(" netns_id={old} res=1");
            FIXTURE
                .lines()
                .any(|l| l.contains(" op=create ") && l.ends_with(&created))
                .then(|| format!("\"net_{old}\" -> \"net_{new}\";"))
        })
        .next();
    let edge = nested.expect("the fixture has a nested network namespace");
    assert!(dot.contains(&edge), "{edge}: {dot}");
}

#[test]
fn the_field_names_of_every_kind_are_the_references() {
    // An INIT record ends with old_<t>ns old_<t>ns_id <t>ns <t>ns_id res.
    for k in NsKind::ALL {
        let fields = crate::reference::expected_fields(k, true, false);
        let n = fields.len();
        let want: Vec<&str> = fields[n - 5..n - 1].iter().map(String::as_str).collect();
        assert_eq!(ns_keys(k).to_vec(), want, "{k:?}");
    }
}

/// A container of a cgroup and a time namespace, made by clone3 (serial 2, by pid 50, whose
/// child is 52: clone(2) cannot take CLONE_NEWTIME), a command of the child (serial 3), and the
/// removals of both namespaces by the child as it exits (serials 4 and 5).
fn cgroup_and_time_log() -> String {
    let removed = |serial: u64, kind: &str, ty: u16, id: u64| {
        format!(
            "type=UNKNOWN[{ty}] msg=audit(10.000:{serial}): op=remove {} dev=00:04 \
             {kind}ns={} {kind}ns_id={id} res=1",
            subject(52, 50, "sh"),
            4026532000 + id
        )
    };
    [
        init(2, "cgroup", 1352, 5, 30, 50),
        init(2, "time", 1353, 6, 31, 50),
        syscall(2, 435, 52, 50, 1),
        eoe(2),
        syscall(3, 59, 0, 52, 50),
        eoe(3),
        removed(4, "cgroup", 1354, 30),
        removed(5, "time", 1355, 31),
    ]
    .join("\n")
        + "\n"
}

#[test]
fn cgroup_and_time_namespaces_make_a_container() {
    let log = cgroup_and_time_log();
    let r = run(ReportOptions::default(), &log);
    assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
    for k in [NsKind::Cgroup, NsKind::Time] {
        assert_eq!(
            (r.summary.created[k], r.summary.removed[k]),
            (1, 1),
            "{k:?}"
        );
    }
    assert_eq!(r.summary.created.total(), 2);
    let c = &r.containers[0];
    let kinds: Vec<&str> = c.namespaces.iter().map(|n| n.kind).collect();
    assert_eq!(kinds, ["cgroup", "time"]);
    assert_eq!(c.syscall.as_ref().unwrap().name, Some("clone3"));
    assert_eq!(c.ended.map(|s| s.serial), Some(5));
    // The clone3 child is inside, its caller is not.
    assert_eq!((c.events_inside, c.tasks_seen), (1, 1));
    // Derived from the namespaces of the caller, known only by reference.
    let time = r.namespaces.iter().find(|n| n.ns.id == 31).unwrap();
    assert_eq!(time.parent.map(|p| (p.kind, p.id)), Some(("time", 6)));
    let mut text = Vec::new();
    r.write_text(&mut text).unwrap();
    let text = String::from_utf8(text).unwrap();
    assert!(
        text.contains("namespaces created: 2 (cgroup 1, time 1)"),
        "{text}"
    );
    let mut json = Vec::new();
    r.write_json(&mut json).unwrap();
    let v: serde_json::Value = serde_json::from_slice(&json).unwrap();
    let created = v["summary"]["created"].as_object().unwrap();
    assert_eq!(created.len(), NsKind::COUNT);
    assert_eq!(
        (created["cgroup"].as_u64(), created["time"].as_u64()),
        (Some(1), Some(1))
    );
    // Selected by type and inode: the time namespace and its container, whose events are its
    // creation, the child's command and the removals of both its namespaces.
    let sel = run(
        ReportOptions {
            ns: vec!["time:4026532031".parse().unwrap()],
            ..Default::default()
        },
        &log,
    );
    let s = sel.selection.unwrap();
    assert_eq!(s.containers, [c.id]);
    let serials: Vec<u64> = s.events.iter().map(|e| e.stamp.serial).collect();
    assert_eq!(serials, [2, 3, 4, 5]);
}
