// SPDX-License-Identifier: GPL-2.0

//! The report's input path on arbitrary bytes: its line parser must agree with the validator's
//! (`record::parse_log_line`) on every line, and the whole report (text, JSON, dot) must come
//! out without a panic whatever the log.

#![no_main]

use libfuzzer_sys::fuzz_target;
use nsaudit::record::parse_log_line;
use nsaudit::report::{parse_line, report_from_readers, EventSelector, NsSelector, ReportOptions};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        for line in text.split_inclusive('\n') {
            let bare = line.strip_suffix('\n').unwrap_or(line);
            let mine = parse_line(bare.as_bytes())
                .and_then(|l| l.fields().collect::<Result<Vec<_>, _>>().map(|f| (l, f)));
            match parse_log_line(line) {
                Ok((ty, rec)) => {
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
    let opts = ReportOptions {
        ns: vec![NsSelector::Id(1)],
        events: vec![EventSelector::Serial(2)],
    };
    let r = report_from_readers(opts, [("fuzz".to_string(), data)]).expect("reading a slice");
    r.write_text(&mut std::io::sink()).unwrap();
    r.write_json(&mut std::io::sink()).unwrap();
    r.write_dot(&mut std::io::sink()).unwrap();
});
