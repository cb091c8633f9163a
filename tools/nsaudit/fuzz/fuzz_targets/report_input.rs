// SPDX-License-Identifier: GPL-2.0

//! The report's input path on arbitrary bytes: its line parser must agree with the validator's
//! (`record::parse_log_line`) on every line, `node=` prefixes included; the whole report (text,
//! JSON, dot) must come out without a panic whatever the log; and the log with every line
//! prefixed `node=NAME ` must give that node the report the log gives alone.

#![no_main]

use libfuzzer_sys::fuzz_target;
use nsaudit::record::parse_log_line;
use nsaudit::report::{
    parse_line, report_from_readers, split_node, EventSelector, NsSelector, Report, ReportOptions,
};
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        for line in text.split_inclusive('\n') {
            let bare = line.strip_suffix('\n').unwrap_or(line);
            let parse = |b| {
                parse_line(b)
                    .and_then(|l| l.fields().collect::<Result<Vec<_>, _>>().map(|f| (l, f)))
            };
            let mine = parse(bare.as_bytes());
            // The report takes the node off first, and refuses an empty or unprintable name
            // and a second prefix; what is left parses as the whole line does.
            if let Ok((Some(_), record)) = split_node(bare.as_bytes()) {
                assert_eq!(parse(record).ok().as_ref(), mine.as_ref().ok());
            }
            match parse_log_line(line) {
                Ok((ty, rec)) => {
                    if let Some(name) = bare.strip_prefix("node=") {
                        let name = name.split_once(' ').map_or(name, |(n, _)| n);
                        let odd = name.is_empty() || !name.bytes().all(|b| b.is_ascii_graphic());
                        assert_eq!(split_node(bare.as_bytes()).is_err(), odd);
                    }
                    let (l, f) = mine.expect("the report rejects what the validator accepts");
                    assert_eq!(l.ty, ty);
                    assert_eq!(
                        (l.stamp.sec, l.stamp.msec, l.stamp.serial),
                        (rec.sec, rec.msec, rec.serial)
                    );
                    let f: Vec<(String, String)> = f
                        .iter()
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                        .collect();
                    assert_eq!(f, rec.fields);
                }
                Err(_) => {
                    if let Ok((l, _)) = mine {
                        assert_eq!(l.ty, 0, "the report accepts what the validator rejects");
                    }
                }
            }
        }
    }
    let opts = || ReportOptions {
        ns: vec![NsSelector::Id(1)],
        events: vec![EventSelector::Serial(2)],
        nodes: Vec::new(),
    };
    let r = report_from_readers(opts(), [("fuzz".to_string(), data)]).expect("reading a slice");
    r.write_text(&mut std::io::sink()).unwrap();
    r.write_json(&mut std::io::sink()).unwrap();
    r.write_dot(&mut std::io::sink()).unwrap();
    let Some(prefixed) = with_node(data) else {
        return;
    };
    let n = report_from_readers(opts(), [("fuzz".to_string(), &prefixed[..])]).unwrap();
    n.write_text(&mut std::io::sink()).unwrap();
    n.write_json(&mut std::io::sink()).unwrap();
    n.write_dot(&mut std::io::sink()).unwrap();
    if let (Some(alone), Some(node)) = (r.node(None), n.node(Some("fuzz-1.example"))) {
        assert_eq!(comparable(alone), comparable(node));
    }
});

/// `data` with `node=fuzz-1.example ` before every line that has a record; [`None`] when a line
/// already names a node.
fn with_node(data: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(data.len() * 2);
    for line in data.split_inclusive(|&b| b == b'\n') {
        let text = line.strip_suffix(b"\n").unwrap_or(line);
        if text.starts_with(b"node=") {
            return None;
        }
        let skipped = text.iter().all(|b| b.is_ascii_whitespace())
            || text.starts_with(b"----")
            || text.starts_with(b"time->");
        if !skipped {
            out.extend_from_slice(b"node=fuzz-1.example ");
        }
        out.extend_from_slice(line);
    }
    Some(out)
}

/// A report as JSON without what differs between a log alone and its node in a central log:
/// the node, the lines counted (blank lines belong to no node) and the warnings about
/// selectors, which are the central log's.
fn comparable(r: &Report) -> Value {
    let mut v = serde_json::to_value(r).unwrap();
    let o = v.as_object_mut().unwrap();
    o.remove("node");
    let s = o["summary"].as_object_mut().unwrap();
    s.remove("lines");
    s.remove("warnings");
    let d = o["diagnostics"].as_array_mut().unwrap();
    d.retain(|d| d["file"] != "--event");
    v
}
