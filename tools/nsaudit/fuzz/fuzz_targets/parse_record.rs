// SPDX-License-Identifier: GPL-2.0

//! The record parsers and the reference checker on arbitrary bytes: no panic, and what parses
//! prints back to text that parses to the same record.

#![no_main]

use libfuzzer_sys::fuzz_target;
use nsaudit::nsinfo::check_ns_info;
use nsaudit::record::{decode_untrusted, parse_log_line, parse_record};
use nsaudit::reference::check_ns_record;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    // One of the sixteen AUDIT_NS_* types, 1340-1355, or AUDIT_NS_INFO, 1356.
    let ty = data.first().map_or(1340, |b| 1340 + u16::from(*b % 17));
    if let Ok(rec) = parse_record(ty, &text) {
        let _ = check_ns_record(&rec);
        if let Ok(info) = check_ns_info(&rec) {
            // What passes is exactly the record the ids print back to.
            assert_eq!(
                rec.payload().split_once("): ").map(|p| p.1),
                Some(info.fields_text().as_str())
            );
        }
        for (_, v) in &rec.fields {
            let _ = decode_untrusted(v);
        }
        assert_eq!(parse_record(ty, &rec.payload()), Ok(rec));
    }
    if let Ok((ty, rec)) = parse_log_line(&text) {
        let _ = check_ns_record(&rec);
        let _ = check_ns_info(&rec);
        assert_eq!(parse_log_line(&rec.to_log_line()), Ok((ty, rec)));
    }
});
