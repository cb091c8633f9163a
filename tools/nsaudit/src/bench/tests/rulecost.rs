// SPDX-License-Identifier: GPL-2.0

//! The rule cost measurement: its options, blocks, rules, ratios and reports.

use super::*;
use crate::audit::rules::RuleSpec;

#[test]
fn rule_cost_options() {
    let o = BenchOptions::new(&args()).unwrap();
    assert_eq!(o.rule_cost_block, Some(Duration::from_millis(200)));
    let q = BenchOptions::new(&BenchArgs {
        quick: true,
        ..args()
    })
    .unwrap();
    assert_eq!(q.rule_cost_block, Some(Duration::from_millis(100)));
    // Independent of the events measurement.
    let o = BenchOptions::new(&BenchArgs {
        no_events: true,
        rule_cost_block_ms: Some(300),
        ..args()
    })
    .unwrap();
    assert_eq!(
        (o.events_block, o.rule_cost_block),
        (None, Some(Duration::from_millis(300)))
    );
    let o = BenchOptions::new(&BenchArgs {
        no_rule_cost: true,
        ..args()
    })
    .unwrap();
    assert_eq!(
        (o.events_block, o.rule_cost_block),
        (Some(Duration::from_millis(200)), None)
    );
    for bad in [
        BenchArgs {
            no_rule_cost: true,
            rule_cost_block_ms: Some(200),
            ..args()
        },
        BenchArgs {
            rule_cost_block_ms: Some(19),
            ..args()
        },
        BenchArgs {
            rule_cost_block_ms: Some(60_001),
            ..args()
        },
    ] {
        let e = BenchOptions::new(&bad).unwrap_err();
        assert!(e.to_string().contains("--rule-cost-block-ms"), "{e}");
    }
}

#[test]
fn rule_cost_blocks_rotate_over_rounds() {
    let mut firsts = Vec::new();
    for round in 0..8 {
        let mut o = rule_cost_order(round).to_vec();
        firsts.push(o[0]);
        o.sort();
        assert_eq!(o, RuleBlock::ALL);
    }
    assert_eq!(firsts, RuleBlock::ALL);
    assert_eq!(rule_cost_order(8), rule_cost_order(0));
    assert_eq!(rule_cost_order(1)[7], RuleBlock::ContainerNone);
    let container: Vec<bool> = RuleBlock::ALL.iter().map(|b| b.container()).collect();
    assert_eq!(
        container,
        [true, true, true, true, true, false, false, false]
    );
    for (i, b) in RuleBlock::ALL.iter().enumerate() {
        assert_eq!(b.index(), i, "{b:?}");
    }
}

#[test]
fn rule_cost_rules_are_one_field_on_getppid() {
    let own = 4026532100;
    let text = |b: RuleBlock| b.rule(own).map(|r| r.to_string());
    assert_eq!(text(RuleBlock::HostNone), None);
    assert_eq!(text(RuleBlock::ContainerNone), None);
    let uid = "-a always,exit -S getppid -F uid=4242";
    let ns = "-a always,exit -S getppid -F mntns_id=18446744073709551615";
    for (b, want) in [
        (RuleBlock::HostUid, uid),
        (RuleBlock::ContainerUid, uid),
        (RuleBlock::HostNs, ns),
        (RuleBlock::ContainerNs, ns),
        (
            RuleBlock::ContainerUidSelect,
            "-a always,exit -S getppid -F uid=0",
        ),
        (
            RuleBlock::ContainerNsSelect,
            "-a always,exit -S getppid -F mntns_id=4026532100",
        ),
    ] {
        assert_eq!(text(b).as_deref(), Some(want), "{b:?}");
        let rule = b.rule(own).unwrap();
        // As auditctl would give it, and as the kernel gets and lists it.
        let parsed = want.split(" -F ").nth(1).unwrap();
        assert_eq!(
            RuleSpec::parse("always,exit", &["getppid".into()], &[parsed.into()], None),
            Ok(rule.clone()),
            "{b:?}"
        );
        assert_eq!(RuleSpec::decode(&rule.encode()), Ok(rule), "{b:?}");
    }
    // Only the ns-select rule depends on the container's namespace.
    assert_eq!(
        RuleBlock::ContainerNsSelect.rule(7).unwrap().to_string(),
        "-a always,exit -S getppid -F mntns_id=7"
    );
    assert_eq!(RuleBlock::HostNs.rule(7), RuleBlock::HostNs.rule(own));
    assert_eq!((RULE_COST_UID, RULE_COST_NO_NS), (4242, u64::MAX));
}

#[test]
fn rule_cost_ratios_are_paired_by_round() {
    let r = rule_cost();
    let close = |s: Option<Spread>, median: f64, min: f64, max: f64| {
        let s = s.unwrap();
        assert!(
            (s.median - median).abs() < 1e-9
                && (s.min - min).abs() < 1e-9
                && (s.max - max).abs() < 1e-9,
            "{s:?}, want {median} ({min}-{max})"
        );
    };
    close(r.time(RuleBlock::HostNs), 1.26e-6, 1.2e-6, 1.32e-6);
    let ratios = r.ratios();
    let names: Vec<&str> = ratios.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "host-uid/host-none",
            "host-ns/host-none",
            "host-ns/host-uid",
            "container-uid/container-none",
            "container-ns/container-none",
            "container-ns/container-uid",
            "container-ns-select/container-uid-select",
        ]
    );
    // Host: 1.1/1.0; 1.2/1.0 and 1.32/1.0; 1.2/1.1 and 1.32/1.1 = 1.2.
    close(ratios[0].1, 1.1, 1.1, 1.1);
    close(ratios[1].1, 1.26, 1.2, 1.32);
    close(ratios[2].1, (1.2 / 1.1 + 1.2) / 2.0, 1.2 / 1.1, 1.2);
    // Container: 2.2/2.0, 2.4/2.0, 2.4/2.2; selecting: 5.5/5.0 and 5.0/5.0.
    close(ratios[3].1, 1.1, 1.1, 1.1);
    close(ratios[4].1, 1.2, 1.2, 1.2);
    close(ratios[5].1, 2.4 / 2.2, 2.4 / 2.2, 2.4 / 2.2);
    close(ratios[6].1, 1.05, 1.0, 1.1);
    assert_eq!(
        r.ratio(RuleBlock::HostUid, RuleBlock::ContainerNone)
            .map(|s| s.n),
        Some(2)
    );
    assert_eq!(RuleCostResult::default().ratios()[0].1, None);
}

#[test]
fn rule_cost_in_the_table_and_json() {
    let r = report();
    let t = render_table(&r);
    assert!(
        t.contains(
            "rule cost: 30000 getppid calls per block, at most one rule loaded; the \
             container's mntns_id is 4026532100\n"
        ),
        "{t}"
    );
    for line in [
        "\ncontainer-none            2.00 (2.00-2.00)          0.00  none\n",
        "\nhost-ns                   1.26 (1.20-1.32)          0.00  \
         -a always,exit -S getppid -F mntns_id=18446744073709551615\n",
        "\ncontainer-ns-select       5.25 (5.00-5.50)          4.00  \
         -a always,exit -S getppid -F mntns_id=4026532100\n",
        "\n  host-ns/host-uid                          1.145 (1.091-1.200)\n",
        "\n  container-ns-select/container-uid-select  1.050 (1.000-1.100)\n",
    ] {
        assert!(t.contains(line), "{line:?} in\n{t}");
    }
    // After the events, before the flood.
    let at = |what: &str| t.find(what).unwrap_or_else(|| panic!("{what:?} in {t}"));
    assert!(at("\naudited system call events: ") < at("\nrule cost: "));
    assert!(at("\nrule cost: ") < at("\nflood: "));
    let j: serde_json::Value = serde_json::from_str(&render_json(&r)).unwrap();
    let c = &j["rule_cost"];
    assert_eq!(c["calls_per_block"], 30000);
    assert_eq!(c["container_mntns_id"], 4026532100u64);
    // The blocks in the order of RuleBlock::ALL.
    let text = render_json(&r);
    let at: Vec<usize> = RuleBlock::ALL
        .iter()
        .map(|b| text.find(&format!("\"{}\": {{", b.name())).unwrap())
        .collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "{at:?}");
    let b = &c["blocks"]["container-uid-select"];
    assert_eq!(b["rule"], "-a always,exit -S getppid -F uid=0");
    assert_eq!(b["us_per_call"], serde_json::json!([5, 5]));
    assert_eq!(b["records_per_call"], 4);
    assert!(c["blocks"]["host-none"]["rule"].is_null());
    assert_eq!(c["blocks"]["host-ns"]["per_call_us"]["median"], 1.26);
    assert_eq!(
        c["ratios"].as_object().unwrap().len(),
        RULE_COST_RATIOS.len()
    );
    assert_eq!(c["ratios"]["host-ns/host-none"]["max"], 1.32);
    assert_eq!(
        c["ratios"]["container-ns-select/container-uid-select"]["median"],
        1.05
    );
    // Not measured: said so, and null in JSON.
    let mut r = report();
    r.rule_cost = None;
    assert!(render_table(&r).contains("\nrule cost: not measured (--no-rule-cost)\n"));
    let j: serde_json::Value = serde_json::from_str(&render_json(&r)).unwrap();
    assert!(j["rule_cost"].is_null());
}
