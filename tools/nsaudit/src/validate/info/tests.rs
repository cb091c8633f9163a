// SPDX-License-Identifier: GPL-2.0

//! Tests of the scenarios' rules.

use super::*;

#[test]
fn the_rules_as_auditctl_writes_them() {
    let [calls, watch] = info_rules(Path::new("/tmp/nsaudit-nsinfo-7"));
    assert_eq!(
        rule_text(&calls),
        "-a always,exit -F arch=b64 -S getpid,uname,setns -F key=nsinfo"
    );
    assert_eq!(
        rule_text(&watch),
        "-a always,exit -F arch=b64 -S openat -F path=/tmp/nsaudit-nsinfo-7 -F key=nsinfo"
    );
    // Both are rules the kernel takes.
    assert!(calls.message().is_ok() && watch.message().is_ok());
}
