// SPDX-License-Identifier: GPL-2.0

use super::*;

const NET: &str = "audit(1700000000.123:45): op=create ppid=1 pid=77 auid=4294967295 uid=0 \
gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295 comm=\"unshare\" \
exe=\"/bin/busybox\" dev=00:04 old_netns=4026531840 old_netns_id=1 netns=4026532001 \
netns_id=4097 res=1";

#[test]
fn parses_a_record() {
    let r = parse_record(1345, NET).unwrap();
    assert_eq!((r.ty, r.sec, r.msec, r.serial), (1345, 1700000000, 123, 45));
    assert_eq!(r.fields.len(), 22);
    assert_eq!(r.keys()[..3], ["op", "ppid", "pid"]);
    assert_eq!(r.keys().last(), Some(&"res"));
    assert_eq!(r.get("comm"), Some("\"unshare\""));
    assert_eq!(r.get("tty"), Some("(none)"));
    assert_eq!(r.get("netns_id"), Some("4097"));
    assert_eq!(r.get("missing"), None);
    assert_eq!(r.payload(), NET);
}

#[test]
fn get_returns_the_first_of_repeated_keys() {
    let r = parse_record(1300, "audit(1.000:2): a=1 a=2").unwrap();
    assert_eq!(r.get("a"), Some("1"));
    assert_eq!(r.keys(), ["a", "a"]);
}

#[test]
fn parses_a_record_without_fields() {
    let r = parse_record(AUDIT_EOE, "audit(1.002:3): ").unwrap();
    assert!(r.fields.is_empty());
    assert_eq!(r.serial, 3);
    assert_eq!(parse_record(AUDIT_EOE, "audit(1.002:3):").unwrap(), r);
    assert_eq!(r.payload(), "audit(1.002:3): ");
}

#[test]
fn keeps_values_unparsed() {
    let r = parse_record(1341, "audit(0.000:0): comm=6120622022 exe=(null) e= k=a-b").unwrap();
    assert_eq!(r.get("comm"), Some("6120622022"));
    assert_eq!(r.get("exe"), Some("(null)"));
    assert_eq!(r.get("e"), Some(""));
    assert_eq!(r.get("k"), Some("a-b"));
}

#[test]
fn rejects_malformed_records() {
    type Want = fn(&ParseError) -> bool;
    let cases: &[(&str, Want)] = &[
        ("", |e| matches!(e, ParseError::NoHeader(_))),
        ("op=x", |e| matches!(e, ParseError::NoHeader(_))),
        (" audit(1.000:1): a=b", |e| {
            matches!(e, ParseError::NoHeader(_))
        }),
        ("audit(17959", |e| matches!(e, ParseError::BadStamp { .. })),
        ("audit(1.000:1", |e| {
            matches!(e, ParseError::BadStamp { .. })
        }),
        ("audit(1.2:3): a=b", |e| {
            matches!(e, ParseError::BadStamp { .. })
        }),
        ("audit(1.0000:3): a=b", |e| {
            matches!(e, ParseError::BadStamp { .. })
        }),
        ("audit(1.002:x): a=b", |e| {
            matches!(e, ParseError::BadStamp { .. })
        }),
        ("audit(1.002:+3): a=b", |e| {
            matches!(e, ParseError::BadStamp { .. })
        }),
        ("audit(01.002:3): a=b", |e| {
            matches!(e, ParseError::BadStamp { .. })
        }),
        ("audit(1:3): a=b", |e| {
            matches!(e, ParseError::BadStamp { .. })
        }),
        ("audit(1.002): a=b", |e| {
            matches!(e, ParseError::BadStamp { .. })
        }),
        ("audit(1.002:99999999999999999999): a=b", |e| {
            matches!(e, ParseError::BadStamp { .. })
        }),
        ("audit(1.002:3):a=b", |e| {
            matches!(e, ParseError::NoSpace(_))
        }),
        ("audit(1.002:3): ab", |e| {
            matches!(e, ParseError::NoEquals(_))
        }),
        ("audit(1.002:3): a=b c", |e| {
            matches!(e, ParseError::NoEquals(_))
        }),
        ("audit(1.002:3): =b", |e| matches!(e, ParseError::BadKey(_))),
        ("audit(1.002:3): a.b=c", |e| {
            matches!(e, ParseError::BadKey(_))
        }),
        ("audit(1.002:3): a=b  c=d", |e| {
            matches!(e, ParseError::EmptyField(_))
        }),
        ("audit(1.002:3): a=b ", |e| {
            matches!(e, ParseError::EmptyField(_))
        }),
        ("audit(1.002:3):  a=b", |e| {
            matches!(e, ParseError::EmptyField(_))
        }),
        ("audit(1.002:3): a=b\tc=d", |e| {
            matches!(e, ParseError::BadChar(_))
        }),
        ("audit(1.002:3): a=\u{e9}", |e| {
            matches!(e, ParseError::BadChar(_))
        }),
        ("audit(1.002:3): a=b\n", |e| {
            matches!(e, ParseError::BadChar(_))
        }),
        ("audit(1.002:3): comm=\"x", |e| {
            matches!(e, ParseError::BadQuote(_))
        }),
        ("audit(1.002:3): comm=\"", |e| {
            matches!(e, ParseError::BadQuote(_))
        }),
        ("audit(1.002:3): comm=a\"b\"", |e| {
            matches!(e, ParseError::BadQuote(_))
        }),
        ("audit(1.002:3): comm=\"a\"b\"", |e| {
            matches!(e, ParseError::BadQuote(_))
        }),
    ];
    for (text, want) in cases {
        match parse_record(1, text) {
            Ok(r) => panic!("accepted {text:?}: {r:?}"),
            Err(e) => assert!(want(&e), "{text:?} gave {e:?}"),
        }
    }
}

#[test]
fn rejects_every_truncation() {
    // Cut inside the stamp or right after ':' (no separator), each prefix must fail.
    let text = "audit(1700000000.123:45): a=\"b\"";
    for cut in 0.."audit(1700000000.123:45):".len() {
        assert!(
            parse_record(1, &text[..cut]).is_err(),
            "accepted {:?}",
            &text[..cut]
        );
    }
    // Cut inside the quoted value.
    assert!(parse_record(1, &text[..text.len() - 1]).is_err());
}

#[test]
fn errors_quote_a_bounded_snippet() {
    let long = format!("audit(1.000:1): {}", "x".repeat(10_000));
    let msg = parse_record(1, &long).unwrap_err().to_string();
    assert!(msg.len() < 300, "{msg}");
    assert!(msg.contains("..."));
}

#[test]
fn log_type_names() {
    assert_eq!(type_name(1300), "SYSCALL");
    assert_eq!(type_name(1320), "EOE");
    assert_eq!(type_name(1327), "PROCTITLE");
    assert_eq!(type_name(1345), "UNKNOWN[1345]");
    assert_eq!(type_name(1305), "UNKNOWN[1305]");
    assert_eq!(type_from_name("SYSCALL"), Ok(1300));
    assert_eq!(type_from_name("EOE"), Ok(1320));
    assert_eq!(type_from_name("UNKNOWN[1340]"), Ok(1340));
    assert_eq!(type_from_name("1351"), Ok(1351));
    assert_eq!(type_from_name("CONFIG_CHANGE"), Ok(1305));
    assert_eq!(type_from_name("EXECVE"), Ok(1309));
    assert_eq!(type_from_name("PATH"), Ok(1302));
    // auditd's own records, at its start and end.
    assert_eq!(type_from_name("DAEMON_START"), Ok(1200));
    assert_eq!(type_from_name("DAEMON_END"), Ok(1201));
    // auditd names io_uring's record; AUDIT_NS_INFO it does not know.
    assert_eq!(type_from_name("URINGOP"), Ok(1336));
    assert_eq!(type_from_name("UNKNOWN[1356]"), Ok(1356));
    assert_eq!(type_name(1356), "UNKNOWN[1356]");
    // The names of patches/audit-userspace/, read but not written.
    assert_eq!(type_from_name("NS_INIT_MNT"), Ok(1340));
    assert_eq!(type_from_name("NS_INIT_NET"), Ok(1345));
    assert_eq!(type_from_name("NS_DEL_NET"), Ok(1351));
    assert_eq!(type_from_name("NS_INIT_CGROUP"), Ok(1352));
    assert_eq!(type_from_name("NS_DEL_TIME"), Ok(1355));
    assert_eq!(type_from_name("NS_INFO"), Ok(1356));
    assert_eq!(type_name(1340), "UNKNOWN[1340]");
    // The series' types in auditd's table: 1340-1356 in order, each read by its name.
    let ns: Vec<(&str, u16)> = AUDITD_TYPE_NAMES
        .iter()
        .copied()
        .filter(|&(_, t)| (1340..=1356).contains(&t))
        .collect();
    assert_eq!(ns.len(), 17);
    for (i, (name, ty)) in ns.iter().enumerate() {
        assert_eq!(usize::from(*ty), 1340 + i, "{name}");
        assert_eq!(type_from_name(name), Ok(*ty));
    }
    // Each type has one name.
    let mut types: Vec<u16> = AUDITD_TYPE_NAMES.iter().map(|&(_, t)| t).collect();
    types.sort_unstable();
    types.dedup();
    assert_eq!(types.len(), AUDITD_TYPE_NAMES.len());
    assert_eq!(type_from_name("TRUSTED_APP"), Ok(1121));
    assert_eq!(type_from_name("EVENT_LISTENER"), Ok(1335));
    assert_eq!(type_from_name("CONFIG_CHANGE"), Ok(1305));
    for bad in [
        "",
        "FOO",
        "NS_INIT",
        "NS_INIT_NETS",
        "UNKNOWN[]",
        "UNKNOWN[x]",
        "UNKNOWN[70000]",
        "-1",
        "UNKNOWN[1340",
    ] {
        assert!(type_from_name(bad).is_err(), "accepted {bad:?}");
    }
}

#[test]
fn round_trips_through_the_log_format() {
    let r = parse_record(1345, NET).unwrap();
    let line = r.to_log_line();
    assert_eq!(line, format!("type=UNKNOWN[1345] msg={NET}"));
    assert_eq!(parse_log_line(&line).unwrap(), (1345, r));
    for (ty, text) in [
        (1300, "audit(1.002:3): arch=c000003e syscall=272"),
        (1320, "audit(1.002:3): "),
    ] {
        let s = parse_record(ty, text).unwrap();
        assert_eq!(format_log_line(ty, text), s.to_log_line());
        assert_eq!(parse_log_line(&s.to_log_line()).unwrap(), (ty, s));
    }
}

#[test]
fn parses_auditd_log_lines() {
    let (ty, r) = parse_log_line("type=1340 msg=audit(5.000:6): op=existing").unwrap();
    assert_eq!((ty, r.ty, r.serial), (1340, 1340, 6));
    let (ty, r) = parse_log_line(
        "node=guest type=SYSCALL msg=audit(5.000:6): arch=c000003e syscall=272\u{1d}ARCH=x86_64 SYSCALL=unshare",
    )
    .unwrap();
    assert_eq!(ty, 1300);
    assert_eq!(r.keys(), ["arch", "syscall"]);
    assert!(matches!(
        parse_log_line("msg=audit(1.002:3): "),
        Err(ParseError::NoType(_))
    ));
    assert!(matches!(
        parse_log_line("type=FOO msg=audit(1.002:3): "),
        Err(ParseError::BadType(_))
    ));
    assert!(matches!(
        parse_log_line("type=1345"),
        Err(ParseError::NoMsg(_))
    ));
    assert!(matches!(
        parse_log_line("type=1345 msg=x"),
        Err(ParseError::NoHeader(_))
    ));
    assert!(matches!(
        parse_log_line("node=x"),
        Err(ParseError::NoType(_))
    ));
    assert!(matches!(
        parse_log_line("type=UNKNOWN[1345] msg=audit(1.002:3): a"),
        Err(ParseError::NoEquals(_))
    ));
}

#[test]
fn parse_log_numbers_lines() {
    let log =
        "type=UNKNOWN[1345] msg=audit(1.002:3): a=b\n\ngarbage\ntype=EOE msg=audit(1.002:3): \n";
    let out: Vec<_> = parse_log(log.as_bytes()).collect();
    assert_eq!(out.len(), 3);
    let (line, ty, rec) = out[0].as_ref().unwrap();
    assert_eq!((*line, *ty, rec.get("a")), (1, 1345, Some("b")));
    let err = out[1].as_ref().unwrap_err();
    assert_eq!(err.line, 3);
    assert!(matches!(err.error, ParseError::NoType(_)));
    assert!(err.to_string().starts_with("line 3: "));
    assert_eq!(out[2].as_ref().unwrap().0, 4);
}

#[test]
fn parse_log_reports_unreadable_lines() {
    let out: Vec<_> = parse_log(&b"type=EOE msg=audit(1.002:3): \n\xff\xfe\n"[..]).collect();
    assert!(out[0].is_ok());
    let err = out[1].as_ref().unwrap_err();
    assert_eq!(err.line, 2);
    assert!(matches!(err.error, ParseError::Read(_)));
}

#[test]
fn decodes_untrusted_strings() {
    assert_eq!(decode_untrusted("\"sh\"").unwrap(), b"sh");
    assert_eq!(decode_untrusted("\"\"").unwrap(), b"");
    assert_eq!(decode_untrusted("6120622022").unwrap(), b"a b \"");
    assert_eq!(decode_untrusted("00FF").unwrap(), [0u8, 0xff]);
    assert_eq!(decode_untrusted("(null)").unwrap(), b"");
    for bad in [
        "\"a", "\"", "\"a b\"", "\"a\"b\"", "612", "zz", "6a", "", "(none)", "0x41",
    ] {
        assert!(decode_untrusted(bad).is_err(), "accepted {bad:?}");
    }
}

#[test]
fn hex_is_needed_for_spaces_quotes_and_control_characters() {
    assert!(!needs_hex(b"unshare"));
    assert!(!needs_hex(b""));
    assert!(needs_hex(b"a b"));
    assert!(needs_hex(b"a\"b"));
    assert!(needs_hex(b"a\nb"));
    assert!(needs_hex(b"caf\xc3\xa9"));
    assert!(needs_hex(b"\x7f"));
}

/// Parses `text` every way there is; whatever parses must print back to itself.
fn exercise(text: &str) {
    if let Ok(rec) = parse_record(1345, text) {
        let _ = crate::reference::check_ns_record(&rec);
        for (_, v) in &rec.fields {
            let _ = decode_untrusted(v);
        }
        assert_eq!(parse_record(1345, &rec.payload()), Ok(rec), "{text:?}");
    }
    if let Ok((ty, rec)) = parse_log_line(text) {
        let _ = crate::reference::check_ns_record(&rec);
        assert_eq!(
            parse_log_line(&rec.to_log_line()),
            Ok((ty, rec)),
            "{text:?}"
        );
    }
}

#[test]
fn survives_mutations() {
    let log = format!("type=UNKNOWN[1345] msg={NET}");
    let specials = [
        " ", "  ", "\"", "=", ":", "(", ")", ".", "\0", "\u{e9}", "\u{1d}", "\n", "0", "9", "",
    ];
    let mut n = 0;
    for base in [NET, log.as_str()] {
        let cuts: Vec<usize> = base.char_indices().map(|(i, _)| i).collect();
        for &i in &cuts {
            exercise(&base[..i]);
            exercise(&base[i..]);
            for sp in specials {
                let next = base[i..].chars().next().map_or(i, |c| i + c.len_utf8());
                exercise(&format!("{}{sp}{}", &base[..i], &base[next..]));
                exercise(&format!("{}{sp}{}", &base[..i], &base[i..]));
                n += 2;
            }
        }
    }
    assert!(n > 10_000);
    // Random bytes, lossily decoded, from a fixed xorshift sequence.
    let alphabet = b"audit(1.000:2): k=v\"x\xff\xc3\x1d\ntype=UNKNOWN[13] msg=";
    let mut rng = crate::rng::Rng::new(1);
    let mut next = || rng.next_u64();
    for _ in 0..5000 {
        let len = (next() % 64) as usize;
        let bytes: Vec<u8> = (0..len)
            .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
            .collect();
        exercise(&String::from_utf8_lossy(&bytes));
    }
}

#[test]
fn decimal_numbers_are_strict() {
    assert_eq!(parse_decimal("0"), Some(0));
    assert_eq!(parse_decimal("4294967295"), Some(4294967295));
    assert_eq!(parse_decimal("18446744073709551615"), Some(u64::MAX));
    for bad in ["", "+1", "-1", "01", "1a", " 1", "18446744073709551616"] {
        assert_eq!(parse_decimal(bad), None, "accepted {bad:?}");
    }
}
