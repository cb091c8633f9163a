// SPDX-License-Identifier: GPL-2.0

//! Central logs of many machines, made of the recorded fixture: every node's lines must give
//! the report the fixture gives alone, however the nodes' lines are mixed.

use super::*;

const FIXTURE: &str = include_str!("../../../tests/fixtures/container.log");

fn fleet(opts: ReportOptions, log: &str) -> Fleet {
    report_from_readers(opts, [("central.log".to_string(), log.as_bytes())]).unwrap()
}

/// The fixture alone, without a node.
fn alone() -> Report {
    fleet(ReportOptions::default(), FIXTURE)
        .into_plain()
        .unwrap()
}

/// The fixture's lines, each prefixed with `node=NAME `.
fn prefixed(name: &str) -> Vec<String> {
    FIXTURE
        .lines()
        .map(|l| format!("node={name} {l}"))
        .collect()
}

/// What a report says of its containers and namespaces, without the file names.
fn digest(r: &Report) -> Vec<String> {
    let containers = r.containers.iter().map(|c| {
        format!(
            "{} {:?} parent={:?} ended={:?} inside={} nested={} tasks={} creator={:?}",
            c.id,
            c.namespaces,
            c.parent,
            c.ended,
            c.events_inside,
            c.events_with_nested,
            c.tasks_seen,
            c.creator
        )
    });
    let namespaces = r.namespaces.iter().map(|n| {
        format!(
            "{} {} {:?} {:?} {:?}",
            n.ns, n.origin, n.created, n.parent, n.removed
        )
    });
    containers.chain(namespaces).collect()
}

/// Checks that `f` has a report per name in `names`, in that order, each the fixture's.
fn each_is_the_fixture(f: &Fleet, names: &[&str]) {
    let one = alone();
    assert!(one.containers.len() > 1);
    let got: Vec<Option<&str>> = f.reports.iter().map(|r| r.node.as_deref()).collect();
    let want: Vec<Option<&str>> = names.iter().map(|&n| Some(n)).collect();
    assert_eq!(got, want);
    for r in &f.reports {
        assert_eq!(digest(r), digest(&one), "node {:?}", r.node);
        assert_eq!(r.summary.records, one.summary.records);
        assert_eq!(r.summary.events, one.summary.events);
        assert_eq!(r.summary.lines, one.summary.lines);
        assert_eq!((r.summary.bad_lines, r.summary.warnings), (0, 0));
        assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
    }
    assert_eq!((f.bad_lines, f.warnings, f.problems()), (0, 0, 0));
}

#[test]
fn two_machines_of_one_log_are_two_reports() {
    // The fixture twice, as two machines forwarded it: its 3 containers on each.
    let log = [prefixed("hostA"), prefixed("hostB")].concat().join("\n") + "\n";
    let f = fleet(ReportOptions::default(), &log);
    each_is_the_fixture(&f, &["hostA", "hostB"]);
    let containers: usize = f.reports.iter().map(|r| r.containers.len()).sum();
    assert_eq!(containers, 2 * alone().containers.len());
    assert_eq!(f.lines, 2 * FIXTURE.lines().count() as u64);
    // The same lines without their prefixes are one machine that sees everything twice.
    let merged = [FIXTURE, FIXTURE].concat();
    let m = fleet(ReportOptions::default(), &merged)
        .into_plain()
        .unwrap();
    assert!(m.summary.warnings > 0);
}

#[test]
fn interleaved_lines_of_many_nodes() {
    // Seven machines' lines mixed in a pseudo-random order, each machine's kept in its own.
    let names = ["n0", "n1", "n2", "n3", "n4", "n5", "n6"];
    let mut queues: Vec<std::collections::VecDeque<String>> =
        names.iter().map(|n| prefixed(n).into()).collect();
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut log = String::new();
    while queues.iter().any(|q| !q.is_empty()) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let q = &mut queues[(x % names.len() as u64) as usize];
        if let Some(l) = q.pop_front() {
            log += &l;
            log.push('\n');
        }
    }
    // Not a concatenation: the second line is of another node than the first.
    let first: Vec<&str> = log.lines().take(20).map(|l| &l[..7]).collect();
    assert!(first.windows(2).any(|w| w[0] != w[1]), "{first:?}");
    let f = fleet(ReportOptions::default(), &log);
    let mut order: Vec<&str> = Vec::new();
    for l in log.lines() {
        let n = &l[5..7];
        if !order.contains(&n) {
            order.push(n);
        }
    }
    each_is_the_fixture(&f, &order);
}

#[test]
fn odd_node_names() {
    // Any printable ASCII but the space: a domain name, an IPv6 address, quotes, a backslash,
    // an equals sign, braces.
    let names = [
        "web-01.example.com",
        "fe80::1%eth0",
        r#"a"b\c"#,
        "node=x",
        "{x}<y>",
    ];
    let log: Vec<String> = names.iter().flat_map(|n| prefixed(n)).collect();
    let f = fleet(ReportOptions::default(), &(log.join("\n") + "\n"));
    each_is_the_fixture(&f, &names);
    let mut json = Vec::new();
    f.write_json(&mut json).unwrap();
    let v: serde_json::Value = serde_json::from_slice(&json).unwrap();
    let got: Vec<&str> = v["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["node"].as_str().unwrap())
        .collect();
    assert_eq!(got, names);
    let mut text = Vec::new();
    f.write_text(&mut text).unwrap();
    let text = String::from_utf8(text).unwrap();
    for n in names {
        assert!(
            text.contains(&format!("\n=== node {n} ===\nnode {n}: ")),
            "{n}"
        );
    }
    let mut dot = Vec::new();
    f.write_dot(&mut dot).unwrap();
    let dot = String::from_utf8(dot).unwrap();
    assert!(dot.contains(r#"label="node a\"b\\c";"#), "{dot}");
    // Every quote in the graph opens or closes a string, or is escaped.
    for l in dot.lines() {
        let unescaped = l.replace(r"\\", "").replace(r#"\""#, "");
        assert_eq!(unescaped.matches('"').count() % 2, 0, "{l}");
    }
}

#[test]
fn node_prefixes_without_a_record_or_a_name_are_bad_lines() {
    let mut log = prefixed("hostA");
    let n = log.len() as u64;
    log.extend([
        "node=hostA".to_string(),
        "node=hostA ".to_string(),
        "node= type=EOE msg=audit(1.000:1): ".to_string(),
        "node=h\u{1}st type=EOE msg=audit(1.000:1): ".to_string(),
        "node=hostA node=hostB type=EOE msg=audit(1.000:1): ".to_string(),
    ]);
    let f = fleet(ReportOptions::default(), &(log.join("\n") + "\n"));
    assert!(f.has_errors());
    assert_eq!(f.total_bad_lines(), 5);
    let a = f.node(Some("hostA")).unwrap();
    let lines: Vec<(u64, &str)> = a
        .diagnostics
        .iter()
        .map(|d| (d.line, d.message.as_str()))
        .collect();
    let no_record = "node= without a record after it";
    assert_eq!(lines, [(n + 1, no_record), (n + 2, no_record)]);
    // Lines whose node cannot be told belong to no node.
    let fleet_lines: Vec<u64> = f.diagnostics.iter().map(|d| d.line).collect();
    assert_eq!(fleet_lines, [n + 3, n + 4, n + 5]);
    assert_eq!(f.reports.len(), 1);
    assert_eq!(digest(a), digest(&alone()));
}

#[test]
fn a_node_is_selected_by_name() {
    let log = [prefixed("hostA"), prefixed("hostB")].concat().join("\n") + "\n";
    let opts = ReportOptions {
        nodes: vec!["hostB".into()],
        ..Default::default()
    };
    let f = fleet(opts, &log);
    each_is_the_fixture(&f, &["hostB"]);
    // All lines are counted, those of hostA too.
    assert_eq!(f.lines, 2 * FIXTURE.lines().count() as u64);
    let opts = ReportOptions {
        nodes: vec!["hostC".into()],
        ..Default::default()
    };
    let f = fleet(opts, &log);
    assert!(f.reports.is_empty());
    assert_eq!(f.warnings, 1);
    assert!(f.diagnostics[0].message.contains("\"hostC\""));
}

#[test]
fn lines_without_a_node_among_nodes_are_a_machine_too() {
    let log = [
        prefixed("hostA"),
        FIXTURE.lines().map(String::from).collect(),
    ]
    .concat();
    let f = fleet(ReportOptions::default(), &(log.join("\n") + "\n"));
    assert!(f.plain().is_none());
    assert_eq!(f.reports.len(), 2);
    assert_eq!(f.reports[1].node, None);
    assert_eq!(digest(&f.reports[1]), digest(&alone()));
    let mut text = Vec::new();
    f.write_text(&mut text).unwrap();
    let text = String::from_utf8(text).unwrap();
    assert!(text.contains("\n=== lines without node= ===\n"), "{text}");
}

#[test]
fn an_event_is_selected_on_every_node_and_missed_once() {
    let log = [prefixed("hostA"), prefixed("hostB")].concat().join("\n") + "\n";
    let one = alone();
    let nested = one.containers.iter().find(|c| c.depth == 1).unwrap().id;
    let opts = ReportOptions {
        events: vec![
            EventSelector::Serial(nested.serial),
            EventSelector::Serial(1 << 40),
        ],
        ..Default::default()
    };
    let f = fleet(opts, &log);
    for r in &f.reports {
        let sel = r.selection.as_ref().unwrap();
        assert_eq!(sel.containers, [nested]);
        assert!(r.diagnostics.is_empty());
    }
    // The serial no node has is one warning, not one per node.
    assert_eq!(f.warnings, 1);
    assert_eq!(f.diagnostics.len(), 1);
    assert_eq!(f.diagnostics[0].file, "--event");
}

#[test]
fn lines_pushed_before_any_file_are_of_the_input() {
    let mut r = Reporter::new(ReportOptions::default());
    r.push_line(b"node=a garbage\n", 1);
    r.push_line(b"node= type=EOE msg=audit(1.000:1): \n", 2);
    let f = r.finish();
    let a = f.node(Some("a")).unwrap();
    assert_eq!(
        (a.diagnostics[0].file.as_str(), a.diagnostics[0].line),
        ("<input>", 1)
    );
    assert_eq!(
        (f.diagnostics[0].file.as_str(), f.diagnostics[0].line),
        ("<input>", 2)
    );
}
