// SPDX-License-Identifier: GPL-2.0

//! The plugin's threads: events written as JSON lines, a slow output that loses events rather
//! than stop reading, and events closed when the input is idle.

use super::*;
use crate::report::{report_from_readers, ReportOptions};
use std::sync::Mutex;
use std::time::Instant;

const FIXTURE: &str = include_str!("../../tests/fixtures/container.log");

/// An output the test can read while the plugin writes, each write taking `delay`.
#[derive(Clone)]
struct Shared {
    buf: Arc<Mutex<Vec<u8>>>,
    delay: Duration,
}

impl Write for Shared {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        thread::sleep(self.delay);
        self.buf.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Shared {
    fn new(delay: Duration) -> Self {
        Shared {
            buf: Arc::default(),
            delay,
        }
    }
    fn lines(&self) -> Vec<serde_json::Value> {
        let buf = self.buf.lock().unwrap();
        buf.split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .map(|l| serde_json::from_slice(l).unwrap())
            .collect()
    }
}

fn fixture_events() -> u64 {
    let r = report_from_readers(
        ReportOptions::default(),
        [("f".to_string(), FIXTURE.as_bytes())],
    );
    r.unwrap().into_plain().unwrap().summary.events
}

#[test]
fn every_event_is_a_json_line() {
    let out = Shared::new(Duration::ZERO);
    let input = io::Cursor::new(FIXTURE.as_bytes().to_vec());
    let mut msgs = Vec::new();
    let stats = run(input, out.clone(), &PluginOptions::default(), &mut |m| {
        msgs.push(m)
    })
    .unwrap();
    assert!(msgs.is_empty(), "{msgs:?}");
    let lines = out.lines();
    assert_eq!(stats.events, fixture_events());
    assert_eq!(lines.len() as u64, stats.events);
    assert_eq!(stats.lines, FIXTURE.lines().count() as u64);
    assert_eq!((stats.events_not_written, stats.lines_not_read), (0, 0));
    for l in &lines {
        assert!(
            l["event"].is_string() && l.get("container").is_some(),
            "{l}"
        );
    }
}

#[test]
fn a_slow_output_loses_events_and_says_so_but_reading_goes_on() {
    // Each write takes 40 ms and two lines fit in the queue: waiting for the output would take
    // more than two seconds for the fixture's events.
    let delay = Duration::from_millis(40);
    let events = fixture_events();
    assert!(Duration::from_millis(40) * events as u32 > Duration::from_secs(2));
    let out = Shared::new(delay);
    let opts = PluginOptions {
        output_queue: 2,
        ..Default::default()
    };
    let input = io::Cursor::new(FIXTURE.as_bytes().to_vec());
    let start = Instant::now();
    let stats = run(input, out.clone(), &opts, &mut |_| {}).unwrap();
    assert!(
        start.elapsed() < Duration::from_millis(1500),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(stats.lines_not_read, 0);
    assert!(stats.events_not_written > 0);
    assert_eq!(stats.events + stats.events_not_written, events);
    let lines = out.lines();
    let said: u64 = lines
        .iter()
        .filter_map(|l| l["lost"]["events_not_written"].as_u64())
        .sum();
    assert_eq!(said, stats.events_not_written);
    let written = lines.iter().filter(|l| l.get("event").is_some()).count();
    assert_eq!(written as u64, stats.events);
    // Told to wait, it writes them all.
    let out = Shared::new(Duration::from_millis(1));
    let opts = PluginOptions {
        output_queue: 2,
        input_queue: 1,
        wait: true,
        ..Default::default()
    };
    let input = io::Cursor::new(FIXTURE.as_bytes().to_vec());
    let stats = run(input, out.clone(), &opts, &mut |_| {}).unwrap();
    assert_eq!((stats.events, stats.events_not_written), (events, 0));
    assert_eq!(out.lines().len() as u64, events);
}

#[test]
fn an_idle_input_closes_its_events() {
    // A removal by a kernel worker has no EOE record; nothing follows it for a while.
    let del = "node=h1 type=UNKNOWN[1351] msg=audit(100.000:7): op=remove ppid=2 pid=41 \
               auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 \
               tty=(none) ses=4294967295 comm=\"kworker/u8:1\" exe=(null) dev=00:04 \
               netns=4026532000 netns_id=40 res=1\n";
    let (rx, mut tx) = io::pipe().unwrap();
    let out = Shared::new(Duration::ZERO);
    let opts = PluginOptions {
        idle: Duration::from_millis(100),
        ..Default::default()
    };
    let o = out.clone();
    let plugin = thread::spawn(move || run(rx, o, &opts, &mut |_| {}));
    tx.write_all(del.as_bytes()).unwrap();
    let start = Instant::now();
    while out.lines().is_empty() && start.elapsed() < Duration::from_secs(5) {
        thread::sleep(Duration::from_millis(20));
    }
    // Written while the input is still open.
    let lines = out.lines();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["event"], "100.000:7");
    assert_eq!(lines[0]["node"], "h1");
    drop(tx);
    let stats = plugin.join().unwrap().unwrap();
    assert_eq!(stats.events, 1);
}

#[test]
fn whole_events_are_self_contained_ecs_lines() {
    // The runtimes' log as whole events: every record, ECS's names, the container's name.
    let log = include_str!("../../tests/fixtures/runtimes.log");
    let run_with = |ecs| {
        let out = Shared::new(Duration::ZERO);
        let opts = PluginOptions {
            wait: true,
            ecs,
            ..PluginOptions::default()
        };
        let input = io::Cursor::new(log.as_bytes().to_vec());
        run(input, out.clone(), &opts, &mut |_| {}).unwrap();
        out.lines()
    };
    let (compact, whole) = (run_with(false), run_with(true));
    assert_eq!(compact.len(), whole.len());
    for (c, w) in compact.iter().zip(&whole) {
        assert_eq!(w["event"]["id"], c["event"], "{w}");
        // Every record but the EOE auditd gives its plugins (the log has none).
        let records = w["auditd"]["records"].as_array().unwrap().len();
        assert_eq!(records as u64, c["records"].as_u64().unwrap(), "{w}");
        assert_eq!(w["container"]["id"], c["container"]["id"], "{w}");
        let t = w["@timestamp"].as_str().unwrap();
        assert!(
            t.len() == 24 && t.ends_with('Z') && &t[10..11] == "T",
            "{t}"
        );
    }
    // crun exec's shell in nsaudit-crun: its arguments, directory, path, user and container.
    let exec = whole
        .iter()
        .find(|w| {
            w["event"]["action"] == "execve"
                && w["process"]["args"][0] == "sh"
                && w["container"]["name"]
                    .as_str()
                    .is_some_and(|n| n.ends_with(" nsaudit-crun"))
        })
        .expect("crun exec's sh");
    assert_eq!(exec["process"]["args"][1], "-c");
    assert_eq!(exec["process"]["args_count"], 3);
    assert_eq!(exec["process"]["working_directory"], "/");
    assert_eq!(exec["file"]["path"], "/bin/sh");
    assert_eq!(exec["user"]["id"], "0");
    assert_eq!(exec["user"]["audit"]["name"], "unset");
    assert_eq!(exec["tags"][0], "exec");
    assert_eq!(exec["nsaudit"]["attribution"], "ns_info");
    assert_eq!(
        exec["nsaudit"]["container"]["ids"]["mnt"],
        exec["nsaudit"]["container"]["namespaces"][0]["id"]
    );
}
