// SPDX-License-Identifier: GPL-2.0

//! `nsaudit plugin` as auditd runs it: the records of the recorded fixture on standard input,
//! as auditd gives them to a plugin (`format = string`, `node=` with `name_format`), and one
//! JSON line per event out, checked against `nsaudit report` on the same log.

use nsaudit::report::{report_from_readers, Attribution, Reason, ReportOptions};
use serde_json::Value;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const CONTAINER: &str = include_str!("fixtures/container.log");

fn as_auditd_gives_it(node: &str) -> String {
    CONTAINER
        .lines()
        .map(|l| format!("node={node} {l}\n"))
        .collect()
}

fn json_lines(text: &str) -> Vec<Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn the_plugin_prints_the_events_of_a_container() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_nsaudit"))
        .arg("plugin")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let input = as_auditd_gives_it("web-1.example");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0));
    let err = String::from_utf8(o.stderr).unwrap();
    assert!(err.contains(", 0 bad lines"), "{err}");
    let lines = json_lines(&String::from_utf8(o.stdout).unwrap());
    // The report lists the events inside each container; the plugin must give each the same
    // container and attribution.
    let plain = report_from_readers(
        ReportOptions::default(),
        [("log".to_string(), CONTAINER.as_bytes())],
    )
    .unwrap()
    .into_plain()
    .unwrap();
    assert_eq!(lines.len() as u64, plain.summary.events);
    assert_eq!(plain.containers.len(), 3);
    for c in &plain.containers {
        let opts = ReportOptions {
            events: vec![c.id.to_string().parse().unwrap()],
            ..Default::default()
        };
        let r = report_from_readers(opts, [("log".to_string(), CONTAINER.as_bytes())])
            .unwrap()
            .into_plain()
            .unwrap();
        let want: Vec<(String, &str)> = r
            .selection
            .unwrap()
            .events
            .iter()
            .filter(|e| e.containers.contains(&(c.id, Reason::Inside)))
            .map(|e| {
                let how = match e.attribution {
                    Some(Attribution::Pid) => "pid",
                    Some(Attribution::NsInfo) => "ns_info",
                    other => panic!("{other:?}"),
                };
                (e.stamp.to_string(), how)
            })
            .collect();
        assert_eq!(want.len() as u64, c.events_inside);
        let id = c.id.to_string();
        let got: Vec<(String, &str)> = lines
            .iter()
            .filter(|l| l["container"]["id"] == id.as_str())
            .map(|l| {
                let ev = l["event"].as_str().unwrap().to_string();
                (ev, l["attribution"].as_str().unwrap())
            })
            .collect();
        assert_eq!(got, want, "container {id}");
        for l in lines.iter().filter(|l| l["container"]["id"] == id.as_str()) {
            assert_eq!(l["node"], "web-1.example");
            assert_eq!(l["container"]["node"], "web-1.example");
            let ids: Vec<u64> = l["container"]["namespaces"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n["id"].as_u64().unwrap())
                .collect();
            let want_ids: Vec<u64> = c.namespaces.iter().map(|n| n.id).collect();
            assert_eq!(ids, want_ids);
        }
    }
}

#[test]
fn the_output_file_is_reopened_on_sighup() {
    let dir = std::env::temp_dir().join(format!("nsaudit-plugin-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("events.json");
    let rotated = dir.join("events.json.1");
    let mut child = Command::new(env!("CARGO_BIN_EXE_nsaudit"))
        .arg("plugin")
        .arg(format!("--output={}", out.display()))
        .stdin(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let input = as_auditd_gives_it("h");
    let (first, second) = input.split_at(input.len() / 2);
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(first.as_bytes()).unwrap();
    stdin.flush().unwrap();
    let start = Instant::now();
    let lines = |p: &std::path::Path| std::fs::read_to_string(p).unwrap_or_default();
    while lines(&out).is_empty() && start.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(20));
    }
    std::fs::rename(&out, &rotated).unwrap();
    let pid = nix::unistd::Pid::from_raw(child.id() as i32);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGHUP).unwrap();
    stdin.write_all(second.as_bytes()).unwrap();
    drop(stdin);
    assert_eq!(child.wait().unwrap().code(), Some(0));
    let (old, new) = (json_lines(&lines(&rotated)), json_lines(&lines(&out)));
    assert!(!old.is_empty() && !new.is_empty());
    let events = report_from_readers(
        ReportOptions::default(),
        [("log".to_string(), CONTAINER.as_bytes())],
    )
    .unwrap()
    .into_plain()
    .unwrap()
    .summary
    .events;
    assert_eq!((old.len() + new.len()) as u64, events);
    std::fs::remove_dir_all(&dir).unwrap();
}
