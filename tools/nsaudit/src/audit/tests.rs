// SPDX-License-Identifier: GPL-2.0

use super::*;

fn msg(len: u32, ty: u16, flags: u16, seq: u32, payload: &[u8]) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(&len.to_ne_bytes());
    b.extend_from_slice(&ty.to_ne_bytes());
    b.extend_from_slice(&flags.to_ne_bytes());
    b.extend_from_slice(&seq.to_ne_bytes());
    b.extend_from_slice(&0u32.to_ne_bytes());
    b.extend_from_slice(payload);
    b
}

fn words(b: &[u8]) -> Vec<u32> {
    b.chunks(4)
        .map(|c| u32::from_ne_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

const TEXT: &str = "audit(1700000000.123:45): op=remove ppid=0 pid=0 netns=4026532001 res=1";

#[test]
fn decodes_a_record_with_the_audit_length_quirk() {
    let d = msg(TEXT.len() as u32, 1351, 0, 0, TEXT.as_bytes());
    assert_eq!(
        decode_datagram(&d).unwrap(),
        [Incoming::Record {
            ty: 1351,
            text: TEXT.into()
        }]
    );
}

#[test]
fn decodes_a_record_with_a_normal_length_and_a_nul() {
    let mut text = TEXT.as_bytes().to_vec();
    text.extend_from_slice(b"\0\0");
    let d = msg(16 + text.len() as u32, 1345, 0, 0, &text);
    assert_eq!(
        decode_datagram(&d).unwrap(),
        [Incoming::Record {
            ty: 1345,
            text: TEXT.into()
        }]
    );
    // A short record (EOE), shorter than a header, with the quirk.
    let eoe = b"audit(1.000:2): ";
    let d = msg(eoe.len() as u32, 1320, 0, 0, eoe);
    assert!(
        matches!(&decode_datagram(&d).unwrap()[..], [Incoming::Record { ty: 1320, text }] if text == "audit(1.000:2): ")
    );
}

#[test]
fn decodes_acks_and_errors() {
    let orig = msg(16, 1001, 5, 7, &[]);
    let mut ack = 0i32.to_ne_bytes().to_vec();
    ack.extend_from_slice(&orig);
    let mut nack = (-libc::EPERM).to_ne_bytes().to_vec();
    nack.extend_from_slice(&orig);
    let mut d = msg(16 + ack.len() as u32, NLMSG_ERROR, 0, 7, &ack);
    d.extend(msg(16 + nack.len() as u32, NLMSG_ERROR, 0, 8, &nack));
    d.extend(msg(16, rules::DONE, 0, 8, &[]));
    d.extend(msg(16 + 4, 1013, 0, 9, &[1, 2, 3, 4]));
    assert_eq!(
        decode_datagram(&d).unwrap(),
        [
            Incoming::Ack { seq: 7 },
            Incoming::Error {
                seq: 8,
                errno: libc::EPERM
            },
            Incoming::Done { seq: 8 },
            Incoming::RuleData {
                seq: 9,
                data: vec![1, 2, 3, 4]
            }
        ]
    );
}

#[test]
fn decodes_a_status_reply() {
    // struct audit_status as 6.x kernels send it: 11 u32 (with backlog_wait_time_actual).
    let vals: [u32; 11] = [0x7f, 1, 1, 321, 0, 8192, 3, 2, 0xff, 60000, 0];
    let payload: Vec<u8> = vals.iter().flat_map(|v| v.to_ne_bytes()).collect();
    let d = msg(16 + payload.len() as u32, AUDIT_GET, 0, 9, &payload);
    assert_eq!(
        decode_datagram(&d).unwrap(),
        [Incoming::Status {
            seq: 9,
            status: Status {
                enabled: 1,
                failure: 1,
                pid: 321,
                rate_limit: 0,
                backlog_limit: 8192,
                lost: 3,
                backlog: 2,
                features: 0xff,
            }
        }]
    );
}

#[test]
fn rejects_malformed_datagrams_without_panicking() {
    assert!(decode_datagram(&[1, 2, 3]).is_err());
    // NLMSG_ERROR whose length runs past the datagram, or is too short for a header.
    assert!(decode_datagram(&msg(100, NLMSG_ERROR, 0, 1, &[0; 4])).is_err());
    assert!(decode_datagram(&msg(8, NLMSG_ERROR, 0, 1, &[0; 4])).is_err());
    assert!(decode_datagram(&msg(16, NLMSG_ERROR, 0, 1, &[])).is_err());
    assert!(decode_datagram(&msg(20, AUDIT_GET, 0, 1, &[0; 4])).is_err());
    // Every prefix of a valid datagram: an error or a value, never a panic.
    let orig = msg(16, 1001, 5, 7, &[]);
    let mut ack = 0i32.to_ne_bytes().to_vec();
    ack.extend_from_slice(&orig);
    let mut d = msg(16 + ack.len() as u32, NLMSG_ERROR, 0, 7, &ack);
    d.extend(msg(TEXT.len() as u32, 1300, 0, 0, TEXT.as_bytes()));
    for cut in 0..d.len() {
        let _ = decode_datagram(&d[..cut]);
    }
    assert_eq!(decode_datagram(&d).unwrap().len(), 2);
    assert_eq!(decode_datagram(&[]).unwrap(), []);
}

#[test]
fn encodes_become_daemon_as_struct_audit_status() {
    let mut s = StatusMessage::new();
    s.mask = AUDIT_STATUS_ENABLED | AUDIT_STATUS_PID | AUDIT_STATUS_BACKLOG_LIMIT;
    s.enabled = 1;
    s.pid = 4242;
    s.backlog_limit = 8192;
    let b = encode_request(AuditMessage::SetStatus(s), 3);
    let w = words(&b);
    assert_eq!(w[0] as usize, b.len());
    assert_eq!(u16_at(&b, 4), Some(1001)); // AUDIT_SET
    assert_eq!(u16_at(&b, 6), Some(NLM_F_REQUEST | NLM_F_ACK));
    assert_eq!(w[2], 3);
    // mask, enabled, failure, pid, rate_limit, backlog_limit
    assert_eq!(w[4..10], [0x15, 1, 0, 4242, 0, 8192]);
}

#[test]
fn encodes_the_never_rule_as_struct_audit_rule_data() {
    let b = encode_request(
        AuditMessage::AddRule(Rule::never_kexec_load().message().unwrap()),
        1,
    );
    assert_eq!(u16_at(&b, 4), Some(1011)); // AUDIT_ADD_RULE
    let w = words(&b[16..]);
    // flags, action, field_count, mask[64], fields[64], values[64], fieldflags[64], buflen
    assert_eq!(w.len(), 3 + 64 * 4 + 1);
    assert_eq!(w[0..3], [4, 0, 1]); // AUDIT_FILTER_EXIT, AUDIT_NEVER, one field
    let mask = &w[3..67];
    for (i, m) in mask.iter().enumerate() {
        // kexec_load is 246: word 7, bit 22.
        assert_eq!(*m, if i == 7 { 1 << 22 } else { 0 }, "mask word {i}");
    }
    assert_eq!(w[67], 11); // AUDIT_ARCH
    assert_eq!(w[67 + 64], 0xc000_003e);
    assert_eq!(w[67 + 128], 0x4000_0000); // AUDIT_EQUAL
    assert_eq!(w[3 + 64 * 4], 0); // buflen
}

#[test]
fn encodes_the_exclude_rule() {
    let b = encode_request(
        AuditMessage::DelRule(Rule::ExcludeMsgtype(1345).message().unwrap()),
        2,
    );
    assert_eq!(u16_at(&b, 4), Some(1012)); // AUDIT_DEL_RULE
    let w = words(&b[16..]);
    assert_eq!(w[0..3], [5, 2, 1]); // AUDIT_FILTER_EXCLUDE, AUDIT_ALWAYS, one field
    assert!(w[3..67].iter().all(|&m| m == u32::MAX));
    assert_eq!((w[67], w[67 + 64], w[67 + 128]), (12, 1345, 0x4000_0000));
}

#[test]
fn encodes_the_task_never_rule() {
    let b = encode_request(AuditMessage::AddRule(Rule::TaskNever.message().unwrap()), 4);
    assert_eq!(u16_at(&b, 4), Some(1011)); // AUDIT_ADD_RULE
    let w = words(&b[16..]);
    assert_eq!(w[0..3], [1, 0, 0]); // AUDIT_FILTER_TASK, AUDIT_NEVER, no field
    assert!(w[3..67].iter().all(|&m| m == u32::MAX));
    assert!(w[67..].iter().all(|&v| v == 0));
}

#[test]
fn encodes_a_status_change_with_its_mask() {
    let mut s = StatusMessage::new();
    s.mask = AUDIT_STATUS_FAILURE | AUDIT_STATUS_BACKLOG_LIMIT;
    s.failure = 2;
    s.backlog_limit = 64;
    let w = words(&encode_request(AuditMessage::SetStatus(s), 5));
    // mask, enabled, failure, pid, rate_limit, backlog_limit
    assert_eq!(w[4..10], [0x12, 0, 2, 0, 0, 64]);
}

#[test]
fn encodes_an_always_rule() {
    let r = Rule::AlwaysExit {
        arch: AUDIT_ARCH_X86_64,
        syscall: 272,
    };
    let b = encode_request(AuditMessage::AddRule(r.message().unwrap()), 1);
    let w = words(&b[16..]);
    assert_eq!(w[0..3], [4, 2, 1]); // AUDIT_FILTER_EXIT, AUDIT_ALWAYS, one field
    assert_eq!(w[3 + 8], 1 << 16); // unshare is 272: word 8, bit 16
}

#[test]
fn rejects_a_syscall_beyond_the_mask() {
    let r = Rule::NeverExit {
        arch: AUDIT_ARCH_X86_64,
        syscall: 2048,
    };
    assert!(matches!(r.message(), Err(AuditError::BadRule(_))));
}

/// Where the strings of a `struct audit_rule_data` start in a request: after the netlink
/// header and flags, action, field_count, mask[64], fields[64], values[64], fieldflags[64] and
/// buflen.
const RULE_STRINGS_AT: usize = 16 + 4 * (3 + 64 * 4 + 1);

/// The words of a rule request before its strings, and its strings (`buflen` bytes).
fn rule_parts(b: &[u8]) -> (Vec<u32>, &[u8]) {
    let w = words(&b[16..RULE_STRINGS_AT]);
    let buflen = w[3 + 64 * 4] as usize;
    (w, &b[RULE_STRINGS_AT..RULE_STRINGS_AT + buflen])
}

#[test]
fn encodes_a_keyed_rule_with_a_watch() {
    let r = Rule::AlwaysExitKeyed {
        arch: AUDIT_ARCH_X86_64,
        syscalls: vec![257],
        path: Some("/tmp/nsaudit-watched".into()),
        key: "nsinfo".into(),
    };
    let b = encode_request(AuditMessage::AddRule(r.message().unwrap()), 1);
    let (w, strings) = rule_parts(&b);
    assert_eq!(w[0..3], [4, 2, 3]); // AUDIT_FILTER_EXIT, AUDIT_ALWAYS, three fields
    let mask = &w[3..67];
    for (i, m) in mask.iter().enumerate() {
        // openat is 257: word 8, bit 1.
        assert_eq!(*m, if i == 8 { 1 << 1 } else { 0 }, "mask word {i}");
    }
    // AUDIT_ARCH, AUDIT_WATCH, AUDIT_FILTERKEY; a string's value is its length.
    assert_eq!(w[67..70], [11, 105, 210]);
    assert_eq!(w[67 + 64..70 + 64], [0xc000_003e, 20, 6]);
    assert_eq!(w[67 + 128..70 + 128], [0x4000_0000; 3]); // AUDIT_EQUAL
    assert_eq!(w[3 + 64 * 4], 26); // buflen
    assert_eq!(strings, b"/tmp/nsaudit-watchednsinfo");
}

#[test]
fn encodes_a_keyed_rule_on_several_syscalls() {
    let r = Rule::AlwaysExitKeyed {
        arch: AUDIT_ARCH_X86_64,
        syscalls: vec![39, 63, 308],
        path: None,
        key: "k".into(),
    };
    let b = encode_request(AuditMessage::AddRule(r.message().unwrap()), 1);
    let (w, strings) = rule_parts(&b);
    assert_eq!(w[0..3], [4, 2, 2]);
    // getpid 39 and uname 63 in word 1, setns 308 in word 9.
    assert_eq!((w[3 + 1], w[3 + 9]), ((1 << 7) | (1 << 31), 1 << 20));
    assert_eq!(w[67..69], [11, 210]);
    assert_eq!(strings, b"k");
}

#[test]
fn rejects_keyed_rules_the_kernel_would_refuse() {
    let rule = |syscalls: Vec<u32>, path: Option<&str>, key: &str| Rule::AlwaysExitKeyed {
        arch: AUDIT_ARCH_X86_64,
        syscalls,
        path: path.map(str::to_string),
        key: key.to_string(),
    };
    let long = "k".repeat(AUDIT_MAX_KEY_LEN + 1);
    for r in [
        rule(vec![], None, "k"),
        rule(vec![2048], None, "k"),
        rule(vec![257], Some("tmp/x"), "k"),
        rule(vec![257], Some("/tmp/"), "k"),
        rule(vec![257], Some("/tmp/a\0b"), "k"),
        rule(vec![257], None, ""),
        rule(vec![257], None, &long),
        rule(vec![257], None, "a\0"),
    ] {
        assert!(matches!(r.message(), Err(AuditError::BadRule(_))), "{r:?}");
    }
    let longest = "k".repeat(AUDIT_MAX_KEY_LEN);
    assert!(rule(vec![257], Some("/x"), &longest).message().is_ok());
}
