// SPDX-License-Identifier: GPL-2.0

//! Scenario e: namespaces made one from the other, and the `old_<t>ns` that says so.

use super::*;

impl<W: Write> Validator<W> {
    /// e: three nested user namespaces and three nested cgroup namespaces, one process per
    /// level; two time namespaces unshared one after the other by one process.
    pub(super) fn scenario_nested(&mut self) {
        for (label, kind) in [
            ("nested userns", NsKind::User),
            ("nested cgroupns", NsKind::Cgroup),
        ] {
            let made = nsops::nested(kind, 3, Hold::UntilReleased);
            self.nested_levels(label, kind, made);
        }
        let made = nsops::unshare_repeatedly(NsKind::Time, 2, Hold::UntilReleased);
        self.nested_levels("timens unshared twice", NsKind::Time, made);
    }

    /// The records of namespaces of `kind` made one from the other, the levels of `made`: each
    /// INIT names the level before as its origin, and each level is removed once its processes
    /// are gone; the first of two time namespaces unshared by one process is removed by the
    /// second unshare, which leaves nothing holding it.
    fn nested_levels(&mut self, label: &str, kind: NsKind, made: Result<nsops::Nested, NsError>) {
        let mut nested = match made {
            Ok(n) => n,
            Err(e) => {
                self.tap
                    .check(false, &format!("{label}: create the namespaces"), e);
                return;
            }
        };
        let levels = nested.levels.clone();
        let ids: Vec<u64> = levels.iter().map(|l| l.1.id).collect();
        let mut got = self.collect(
            Duration::from_millis(200),
            Duration::from_secs(5),
            move |g| ids.iter().all(|&id| has_ns(g, kind, true, id)),
        );
        if let Err(e) = nested.release() {
            self.tap
                .check(false, &format!("{label}: the children exit cleanly"), e);
        }
        let del_ids: Vec<(NsKind, NsIdent)> = levels.iter().map(|l| (kind, l.1)).collect();
        self.wait_dels_into(&mut got, &del_ids);
        let mut checks = eval_nested(label, kind, &got, &levels, &self.own);
        if let [(_, first), (_, second)] = levels[..] {
            if kind == NsKind::Time {
                checks.push(eval_replaced(label, kind, &got, first, second));
            }
        }
        self.tap.report(checks);
        let pids: Vec<i32> = levels.iter().map(|l| l.0).collect();
        let checks = eval_dels(label, &got, &del_ids, &pids);
        self.tap.report(checks);
        self.flush(label);
    }
}
