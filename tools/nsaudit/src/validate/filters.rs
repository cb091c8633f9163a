// SPDX-License-Identifier: GPL-2.0

//! Scenario h and the `types` parameter: what decides which records are written, an exclude
//! rule on their type or the module's mask of namespace types.

use super::*;

/// The kinds of the exclude scenario, unshared together.
const EXCLUDE_KINDS: [NsKind; 3] = [NsKind::Net, NsKind::Cgroup, NsKind::Time];

/// The record types it excludes: INIT_NET (1345), INIT_CGROUP (1352), DEL_TIME (1355), while
/// DEL_NET, DEL_CGROUP (1354) and INIT_TIME (1353) still come: a rule drops one type, not a
/// kind.
pub(super) fn excluded_types() -> [u16; 3] {
    [
        NsKind::Net.init_type(),
        NsKind::Cgroup.init_type(),
        NsKind::Time.del_type(),
    ]
}

/// The bad values of the `types` parameter: nothing, and a bit above the eight kinds.
pub(super) const BAD_TYPES: [&str; 3] = ["types=0", "types=0x100", "types=0x80000000"];

/// The masks of one kind each that the `types` scenario loads the module with.
pub(super) const ONE_KIND_MASKS: [(u32, NsKind); 3] = [
    (0x20, NsKind::Net),
    (0x40, NsKind::Cgroup),
    (0x80, NsKind::Time),
];

/// `INIT_NET, INIT_CGROUP and DEL_TIME`.
pub(super) fn type_names(types: &[u16]) -> String {
    let names: Vec<String> = types
        .iter()
        .filter_map(|&ty| NsKind::from_type(ty))
        .map(|(k, init)| format!("{}_{}", if init { "INIT" } else { "DEL" }, upper(k)))
        .collect();
    match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => names.join(""),
    }
}

impl<W: Write> Validator<W> {
    /// h: exclude rules on INIT_NET, INIT_CGROUP and DEL_TIME drop those records and no other.
    pub(super) fn scenario_exclude(&mut self) {
        let label = "exclude";
        let types = excluded_types();
        let rules = types.map(Rule::ExcludeMsgtype);
        let mut added = Vec::new();
        for (rule, ty) in rules.iter().zip(types) {
            let r = self.sock.add_rule(rule);
            if self.tap.check(
                r.is_ok(),
                &format!("exclude: add -a always,exclude -F msgtype={ty}"),
                r.err().map(|e| e.to_string()).unwrap_or_default(),
            ) {
                added.push((rule, ty));
            }
        }
        if added.len() == rules.len() {
            self.excluded(label, &types);
        }
        for (rule, ty) in added {
            let r = self.sock.del_rule(rule);
            self.tap.check(
                r.is_ok(),
                &format!("exclude: delete the rule on msgtype={ty}"),
                r.err().map(|e| e.to_string()).unwrap_or_default(),
            );
        }
        self.included_again(label, &types);
        self.flush(label);
    }

    /// While `types` are excluded: none of them comes, the other records of the namespaces do.
    fn excluded(&mut self, label: &str, types: &[u16]) {
        let Some(mut child) = self.spawn(
            label,
            &EXCLUDE_KINDS,
            Method::Unshare,
            None,
            Hold::UntilReleased,
        ) else {
            return;
        };
        let info = child.info.clone();
        let ids: Vec<(NsKind, NsIdent)> = EXCLUDE_KINDS
            .iter()
            .filter_map(|k| info.ns.get(k).map(|i| (*k, *i)))
            .collect();
        let mut got = self.settle(Duration::from_millis(1000));
        let inits: Vec<(NsKind, NsIdent)> = ids
            .iter()
            .filter(|(k, _)| !types.contains(&k.init_type()))
            .copied()
            .collect();
        for &(k, id) in &inits {
            self.tap.check(
                has_ns(&got, k, true, id.id),
                &format!("exclude: INIT_{} still comes", upper(k)),
                "no record",
            );
        }
        self.release(label, &mut child);
        let dels: Vec<(NsKind, NsIdent)> = ids
            .iter()
            .filter(|(k, _)| !types.contains(&k.del_type()))
            .copied()
            .collect();
        let after = self.wait_dels(&dels);
        self.tap
            .report(eval_dels(label, &after, &dels, &[info.actor, info.holder]));
        // The excluded DEL records would have come with the others, from the same exit.
        got.extend(after);
        got.extend(self.settle(Duration::from_millis(500)));
        self.tap.report(vec![eval_none(
            &format!(
                "exclude: no {} while their types are excluded",
                type_names(types)
            ),
            &got,
            |g| types.contains(&g.ty),
        )]);
    }

    /// Once the rules are gone, the records of `types` come again.
    fn included_again(&mut self, label: &str, types: &[u16]) {
        let Some(child) = self.spawn(
            label,
            &EXCLUDE_KINDS,
            Method::Unshare,
            None,
            Hold::ExitAtOnce,
        ) else {
            return;
        };
        let want: Vec<(NsKind, bool, u64)> = types
            .iter()
            .filter_map(|&ty| {
                let (k, init) = NsKind::from_type(ty)?;
                Some((k, init, child.info.ns.get(&k)?.id))
            })
            .collect();
        let wanted = want.clone();
        let got = self.collect(
            Duration::from_millis(300),
            Duration::from_secs(10),
            move |g| wanted.iter().all(|&(k, init, id)| has_ns(g, k, init, id)),
        );
        let missing: Vec<String> = want
            .iter()
            .filter(|&&(k, init, id)| !has_ns(&got, k, init, id))
            .map(|&(k, init, _)| type_names(&[if init { k.init_type() } else { k.del_type() }]))
            .collect();
        self.tap.check(
            want.len() == types.len() && missing.is_empty(),
            &format!(
                "exclude: {} come again once the rules are gone",
                type_names(types)
            ),
            format!("missing: {}", missing.join(", ")),
        );
    }

    /// The `types` module parameter: bad values fail with `EINVAL`; a mask of one kind logs
    /// that kind only, for the network, cgroup and time namespaces in turn.
    pub(super) fn scenario_types(&mut self) {
        if let Err(e) = run_cmd("rmmod", &["ns_audit"]) {
            self.tap.check(false, "types: rmmod ns_audit", e);
            return;
        }
        self.settle(Duration::from_millis(300));
        for bad in BAD_TYPES {
            let r = guest::finit_module_in_child(&self.opts.module, bad);
            let refused = matches!(r, Ok(Err(nix::errno::Errno::EINVAL)));
            self.tap.check(
                refused,
                &format!("types: insmod {bad} fails with EINVAL"),
                format!("{r:?}"),
            );
            if matches!(r, Ok(Ok(()))) {
                let _ = run_cmd("rmmod", &["ns_audit"]);
            }
        }
        let got = self.settle(Duration::from_millis(500));
        self.tap.report(vec![eval_none(
            "types: failed loads write no record",
            &got,
            |g| is_ns_type(g.ty),
        )]);
        for (i, (mask, kind)) in ONE_KIND_MASKS.into_iter().enumerate() {
            if i > 0 {
                if let Err(e) = run_cmd("rmmod", &["ns_audit"]) {
                    self.tap.check(false, "types: rmmod ns_audit", e);
                    return;
                }
            }
            if !self.one_kind(mask, kind) {
                break;
            }
        }
        self.flush("types");
    }

    /// The module loaded with `types=<mask>`, the mask of `kind` alone: its `op=existing`
    /// records are of that kind, and an unshare of it and of UTS logs its INIT and DEL only.
    /// False if the module could not be loaded.
    fn one_kind(&mut self, mask: u32, kind: NsKind) -> bool {
        let (param, t) = (format!("types={mask:#x}"), kind.name());
        let r = self.insmod(&[&param]);
        let ok = r.is_ok();
        self.tap.check(
            ok,
            &format!("types: insmod {param}"),
            r.err().unwrap_or_default(),
        );
        if !ok {
            return false;
        }
        let got = self.collect(Duration::from_secs(1), Duration::from_secs(5), move |g| {
            ns_of(g).any(|r| r.kind == kind)
        });
        let kinds: HashSet<NsKind> = ns_of(&got).map(|r| r.kind).collect();
        self.tap.check(
            kinds == HashSet::from([kind]),
            &format!("types: {param} reports existing {t} namespaces only"),
            format!("{kinds:?}"),
        );
        let Some(child) = self.spawn(
            "types",
            &[kind, NsKind::Uts],
            Method::Unshare,
            None,
            Hold::ExitAtOnce,
        ) else {
            return true;
        };
        if let Some(&ns) = child.info.ns.get(&kind) {
            let got = self.collect(
                Duration::from_millis(500),
                Duration::from_secs(10),
                move |g| has_ns(g, kind, true, ns.id) && has_ns(g, kind, false, ns.id),
            );
            let kinds: Vec<(NsKind, bool)> = ns_of(&got).map(|r| (r.kind, r.init)).collect();
            self.tap.check(
                kinds == [(kind, true), (kind, false)],
                &format!(
                    "types: unshare of {t} and uts logs INIT_{0} and DEL_{0} only",
                    upper(kind)
                ),
                format!("{kinds:?}"),
            );
        }
        true
    }
}
