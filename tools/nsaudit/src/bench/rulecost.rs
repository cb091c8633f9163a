// SPDX-License-Identifier: GPL-2.0

//! What one namespace rule costs a system call: the series' `mntns_id` field against the
//! `uid` field and against no rule, for a task in a container and a task on the host.
//!
//! The two `getppid` workers of the events measurement (`events.rs`), both root, make blocks
//! of calls with exactly one rule on `getppid` loaded, added before the block and deleted
//! after it:
//!
//! - `none`: no rule (the baseline configuration has none);
//! - `uid`: `-a always,exit -S getppid -F uid=4242`, evaluated on every call, matching none;
//! - `ns`: `-a always,exit -S getppid -F mntns_id=18446744073709551615`, the same with an id
//!   no namespace has;
//!
//! and, for the container worker, two rules that select its calls and write the same records:
//! `uid-select`, `-F uid=0`, and `ns-select`, `-F mntns_id=` the id of the worker's own mount
//! namespace, which it reads with `NS_GET_ID`.  A round measures the eight blocks once, in an
//! order rotated from round to round; a block is timed by the worker and until the system is
//! quiet again, so that records are paid for by the block that wrote them.  The report gives
//! the time per call and, paired by round, the ratios of [`RULE_COST_RATIOS`].

use super::events::last_per_call;
use super::events::Worker;
use super::measure::Bench;
use super::*;
use crate::audit::rules::{Action, Cond, Field, List, Op, RuleSpec, Value};
use crate::syscall::SYS_GETPPID;

/// The uid of the rules that match no worker (both run as root).
pub const RULE_COST_UID: u32 = 4242;

/// The mount namespace id of the rule that matches no task: ids count up from 1 and are never
/// reused, so no namespace gets this one.
pub const RULE_COST_NO_NS: u64 = u64::MAX;

/// `AUDIT_UID`, the `uid` field.
const AUDIT_UID: u32 = 1;

/// A block of the measurement: whose calls, and which rule is loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum RuleBlock {
    ContainerNone,
    ContainerUid,
    ContainerNs,
    ContainerUidSelect,
    ContainerNsSelect,
    HostNone,
    HostUid,
    HostNs,
}

/// The ratios the reports give, each a block's time per call over another's, paired by round:
/// what a rule that matches nothing costs over no rule, the `mntns_id` field over the `uid`
/// field, and the two rules that select the container's calls.
pub const RULE_COST_RATIOS: [(RuleBlock, RuleBlock); 7] = [
    (RuleBlock::HostUid, RuleBlock::HostNone),
    (RuleBlock::HostNs, RuleBlock::HostNone),
    (RuleBlock::HostNs, RuleBlock::HostUid),
    (RuleBlock::ContainerUid, RuleBlock::ContainerNone),
    (RuleBlock::ContainerNs, RuleBlock::ContainerNone),
    (RuleBlock::ContainerNs, RuleBlock::ContainerUid),
    (RuleBlock::ContainerNsSelect, RuleBlock::ContainerUidSelect),
];

impl RuleBlock {
    pub const ALL: [RuleBlock; 8] = [
        RuleBlock::ContainerNone,
        RuleBlock::ContainerUid,
        RuleBlock::ContainerNs,
        RuleBlock::ContainerUidSelect,
        RuleBlock::ContainerNsSelect,
        RuleBlock::HostNone,
        RuleBlock::HostUid,
        RuleBlock::HostNs,
    ];

    pub fn name(self) -> &'static str {
        match self {
            RuleBlock::ContainerNone => "container-none",
            RuleBlock::ContainerUid => "container-uid",
            RuleBlock::ContainerNs => "container-ns",
            RuleBlock::ContainerUidSelect => "container-uid-select",
            RuleBlock::ContainerNsSelect => "container-ns-select",
            RuleBlock::HostNone => "host-none",
            RuleBlock::HostUid => "host-uid",
            RuleBlock::HostNs => "host-ns",
        }
    }

    /// What the block is, in a few words.
    pub fn describe(self) -> &'static str {
        match self {
            RuleBlock::ContainerNone | RuleBlock::HostNone => "no rule on getppid",
            RuleBlock::ContainerUid | RuleBlock::HostUid => "a uid rule that matches no call",
            RuleBlock::ContainerNs | RuleBlock::HostNs => "a mntns_id rule that matches no call",
            RuleBlock::ContainerUidSelect => "a uid rule that selects every call",
            RuleBlock::ContainerNsSelect => "a mntns_id rule that selects every call",
        }
    }

    pub(super) fn index(self) -> usize {
        self as usize
    }

    /// Whether the container worker makes the block's calls; else the host worker does.
    pub fn container(self) -> bool {
        !matches!(
            self,
            RuleBlock::HostNone | RuleBlock::HostUid | RuleBlock::HostNs
        )
    }

    /// The block's rule; `mntns` is the id of the container worker's mount namespace.
    pub fn rule(self, mntns: u64) -> Option<RuleSpec> {
        let cond = match self {
            RuleBlock::ContainerNone | RuleBlock::HostNone => return None,
            RuleBlock::ContainerUid | RuleBlock::HostUid => uid_cond(RULE_COST_UID),
            RuleBlock::ContainerNs | RuleBlock::HostNs => mntns_cond(RULE_COST_NO_NS),
            RuleBlock::ContainerUidSelect => uid_cond(0),
            RuleBlock::ContainerNsSelect => mntns_cond(mntns),
        };
        Some(RuleSpec {
            list: List::Exit,
            action: Action::Always,
            syscalls: Some(vec![SYS_GETPPID]),
            conds: vec![cond],
        })
    }
}

fn uid_cond(uid: u32) -> Cond {
    Cond {
        field: Field::Num(AUDIT_UID),
        op: Op::Eq,
        value: Value::Num(uid),
    }
}

fn mntns_cond(id: u64) -> Cond {
    Cond {
        field: Field::Ns(NsKind::Mnt),
        op: Op::Eq,
        value: Value::Id(id),
    }
}

/// The order of the blocks in round `round`: [`RuleBlock::ALL`] rotated by the round.
pub fn rule_cost_order(round: usize) -> [RuleBlock; 8] {
    let mut order = RuleBlock::ALL;
    let n = order.len();
    order.rotate_left(round % n);
    order
}

impl Bench<'_> {
    /// The cost of one rule, in blocks of `block` (see the module documentation).
    pub(super) fn rule_cost(&mut self, block: Duration) -> Result<RuleCostResult, BenchError> {
        self.enter(Config::Baseline)?;
        let mut container = Worker::start(true)?;
        let mut host = Worker::start(false)?;
        let mntns = container.mntns().ok_or_else(|| BenchError::Command {
            cmd: "getppid worker in new namespaces".into(),
            why: "could not read the id of its mount namespace (NS_GET_ID)".into(),
        })?;
        // Calibrated on the host without a rule: the same calls in every block.
        let probe = 1000;
        let took = host.run(probe)?.max(Duration::from_micros(1));
        let calls = cycles_for(probe as f64 / took.as_secs_f64(), block);
        self.note(format!(
            "rule cost: {calls} getppid calls per block, container mntns_id {mntns}"
        ));
        let mut res = RuleCostResult {
            calls,
            container_mntns: mntns,
            ..Default::default()
        };
        let mut totals = [Counts::default(); 8];
        for round in 0..self.opts.rounds {
            for b in rule_cost_order(round) {
                let worker = if b.container() {
                    &mut container
                } else {
                    &mut host
                };
                let (secs, got) = self.rule_block(worker, calls, b.rule(mntns).as_ref())?;
                res.per_call[b.index()].push(secs / calls as f64);
                let t = &mut totals[b.index()];
                t.records += got.records;
                t.overruns += got.overruns;
            }
            let last = RuleBlock::ALL.map(|b| (b.name(), &res.per_call[b.index()]));
            self.note(format!(
                "rule cost round {}/{}: per call {}",
                round + 1,
                self.opts.rounds,
                last_per_call(&last)
            ));
        }
        let n = (calls * self.opts.rounds as u64) as f64;
        for b in RuleBlock::ALL {
            let t = totals[b.index()];
            res.records[b.index()] = t.records as f64 / n;
            if t.overruns > 0 {
                self.note(format!(
                    "rule cost {}: the daemon's socket overflowed {} time(s)",
                    b.name(),
                    t.overruns
                ));
            }
        }
        container.stop()?;
        host.stop()?;
        Ok(res)
    }

    /// One block: loads `rule` (if any), times `calls` calls of `worker` until the system is
    /// quiet again, and deletes the rule whatever happened.  Returns the seconds and the
    /// records the daemon received meanwhile.
    fn rule_block(
        &mut self,
        worker: &mut Worker,
        calls: u64,
        rule: Option<&RuleSpec>,
    ) -> Result<(f64, Counts), BenchError> {
        if let Some(r) = rule {
            self.ctl.add_rule_spec(r)?;
        }
        let timed = self.timed_calls(worker, calls);
        let deleted = match rule {
            Some(r) => self.ctl.del_rule_spec(r),
            None => Ok(()),
        };
        let timed = timed?;
        deleted?;
        Ok(timed)
    }
}
