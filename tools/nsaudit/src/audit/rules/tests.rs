// SPDX-License-Identifier: GPL-2.0

use super::*;

fn rule(args: &[&str]) -> Result<RuleSpec, String> {
    let mut la = None;
    let (mut sc, mut f, mut key) = (Vec::new(), Vec::new(), None);
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let v = it.next().expect("option value").to_string();
        match *a {
            "-a" => la = Some(v),
            "-S" => sc.push(v),
            "-F" => f.push(v),
            "-k" => key = Some(v),
            o => panic!("option {o}"),
        }
    }
    RuleSpec::parse(&la.expect("-a"), &sc, &f, key.as_deref())
}

#[test]
fn ns_field_numbers_follow_the_record_order() {
    let got: Vec<(String, u32)> = NsKind::ALL
        .iter()
        .map(|&k| (field_of(k).to_string(), Field::Ns(k).number()))
        .collect();
    let want = [
        ("mntns_id", 27),
        ("utsns_id", 28),
        ("ipcns_id", 29),
        ("userns_id", 30),
        ("pidns_id", 31),
        ("netns_id", 32),
        ("cgroupns_id", 33),
        ("timens_id", 34),
    ];
    assert_eq!(
        got,
        want.map(|(s, n)| (s.to_string(), n)).to_vec(),
        "AUDIT_MNTNS_ID ... AUDIT_TIMENS_ID of include/uapi/linux/audit.h"
    );
    for (s, n) in want {
        assert_eq!(Field::from_number(n).name(), s);
    }
}

#[test]
fn struct_audit_rule_data_layout() {
    // 3 words, mask[64], fields[64], values[64], fieldflags[64], buflen.
    assert_eq!(RULE_DATA_LEN, 1040);
    let r = rule(&[
        "-a",
        "always,exit",
        "-S",
        "openat",
        "-F",
        "mntns_id=4096",
        "-k",
        "ab",
    ])
    .unwrap();
    let b = r.encode();
    let w = |i: usize| u32::from_ne_bytes(b[4 * i..4 * i + 4].try_into().unwrap());
    assert_eq!(
        (w(0), w(1), w(2)),
        (4, 2, 2),
        "exit list, always, two fields"
    );
    assert_eq!(w(3 + 257 / 32), 1 << (257 % 32), "openat's bit");
    assert_eq!((w(67), w(68)), (210, 27), "fields: the key first");
    assert_eq!(
        (w(131), w(132)),
        (2, 8),
        "values: the key's 2 bytes, the id's 8"
    );
    assert_eq!((w(195), w(196)), (0x4000_0000, 0x4000_0000), "AUDIT_EQUAL");
    assert_eq!(w(259), 10, "buflen");
    assert_eq!(b.len(), 1040 + 10);
    assert_eq!(&b[1040..1042], b"ab");
    assert_eq!(&b[1042..], &4096u64.to_ne_bytes());
}

#[test]
fn rules_round_trip_through_the_kernel_structure() {
    for text in [
        "-a always,exit -S openat -F key=nsrule -F mntns_id=4026531840",
        "-a never,exit -S all -F netns_id!=7",
        "-a always,exit -S getppid -F uid=65534",
        "-a always,exclude -F timens_id>=18446744073709551615",
        "-a never,user -F pid=1 -F cgroupns_id<4097",
        "-a always,exit -S getpid,openat -F arch=b64 -F userns_id<=9",
    ] {
        let args: Vec<&str> = text.split(' ').collect();
        let r = rule(&args).unwrap();
        assert_eq!(r.to_string(), text);
        let back = RuleSpec::decode(&r.encode()).unwrap();
        assert_eq!(back, r, "{text}");
    }
}

#[test]
fn init_names_the_initial_namespace_of_the_type() {
    let r = rule(&[
        "-a",
        "always,exit",
        "-S",
        "all",
        "-F",
        "mntns_id!=init",
        "-F",
        "netns_id=init",
    ])
    .unwrap();
    assert_eq!(r.conds[0].value, Value::Id(8), "MNT_NS_INIT_ID");
    assert_eq!(r.conds[1].value, Value::Id(7), "NET_NS_INIT_ID");
    assert_eq!(r.conds[0].op, Op::Ne);
}

#[test]
fn bad_rules_are_refused_with_a_message() {
    for (args, want) in [
        (
            vec!["-a", "always,exit", "-F", "mntns_id=18446744073709551616"],
            "out of range, a namespace id is 64-bit",
        ),
        (
            vec!["-a", "always,exit", "-F", "mntns_id=0"],
            "no namespace has id 0",
        ),
        (
            vec!["-a", "always,exit", "-F", "mntns_id=-1"],
            "not a namespace id",
        ),
        (
            vec!["-a", "always,exit", "-F", "mntns_id=abc"],
            "not a namespace id",
        ),
        (
            vec!["-a", "always,exit", "-F", "fooons_id=5"],
            "unknown field \"fooons_id\"",
        ),
        (vec!["-a", "always,exit", "-F", "mntns_id"], "no operator"),
        (vec!["-a", "always,exit", "-F", "mntns_id="], "no value"),
        (
            vec!["-a", "always,exit", "-F", "uid=4294967296"],
            "not a 32-bit number",
        ),
        (
            vec!["-a", "always,exit", "-S", "nosuchcall"],
            "unknown system call",
        ),
        (
            vec!["-a", "always,exclude", "-S", "openat"],
            "only exit and io_uring",
        ),
        (vec!["-a", "sometimes,exit"], "expected an action"),
        (vec!["-a", "always"], "expected list,action"),
    ] {
        let e = rule(&args).expect_err(&format!("{args:?} must be refused"));
        assert!(e.contains(want), "{args:?}: {e:?} should say {want:?}");
    }
}

#[test]
fn list_action_in_either_order() {
    assert_eq!(
        parse_list_action("exit,always").unwrap(),
        (List::Exit, Action::Always)
    );
    assert_eq!(
        parse_list_action("never,exclude").unwrap(),
        (List::Exclude, Action::Never)
    );
}

#[test]
fn decoding_refuses_what_does_not_fit() {
    let good = rule(&["-a", "always,exit", "-S", "all", "-F", "mntns_id=4096"])
        .unwrap()
        .encode();
    assert!(RuleSpec::decode(&good[..100]).is_err(), "a short header");
    assert!(RuleSpec::decode(&good[..1044])
        .unwrap_err()
        .contains("beyond the buffer"));
    let mut bad = good.clone();
    bad[0] = 9;
    assert!(RuleSpec::decode(&bad).unwrap_err().contains("unknown list"));
    let mut many = good;
    many[8..12].copy_from_slice(&65u32.to_ne_bytes());
    assert!(RuleSpec::decode(&many).unwrap_err().contains("65 fields"));
}

#[test]
fn unknown_field_numbers_pass_through() {
    let r = rule(&["-a", "always,exit", "-S", "all", "-F", "f35=1"]).unwrap();
    assert_eq!(r.conds[0].field, Field::Num(35));
    assert_eq!(r.to_string(), "-a always,exit -S all -F f35=1");
}

#[test]
fn namespace_fields_go_after_the_string_fields() {
    let r = rule(&[
        "-a",
        "always,exit",
        "-S",
        "all",
        "-F",
        "netns_id=4097",
        "-F",
        "exe=/bin/sh",
        "-F",
        "uid=0",
        "-k",
        "k",
    ])
    .unwrap();
    assert_eq!(
        r.to_string(),
        "-a always,exit -S all -F exe=/bin/sh -F uid=0 -F key=k -F netns_id=4097"
    );
}
