// SPDX-License-Identifier: GPL-2.0

//! The flood's records and the verdict on them: pure functions over what arrived, in the
//! order it arrived, what the workers created, the record types excluded and audit's `lost`
//! counter.

use super::{Created, FloodRun, NOBODY};
use crate::record::{parse_record, TaskOrder};
use crate::reference::{check_ns_record, is_ns_type, NsKind, Op};
use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

/// The record types the flood can exclude: the series' types, `AUDIT_NS_INIT_MNT` (1340) to
/// `AUDIT_NS_INFO` (1356).
pub const EXCLUDABLE: std::ops::RangeInclusive<u16> = 1340..=1356;

/// Namespace records of a flood by type and id.
type ById = HashMap<(NsKind, u64), u32>;

/// A namespace record as the ledger files it.
struct Classified {
    kind: NsKind,
    init: bool,
    id: u64,
    /// An `op=create` record of `nobody`: a worker's.
    ours: bool,
    serial: u64,
    /// The subject `pid=`.
    pid: i32,
}

/// What the ledger does with a record: tell a flood record from others.
fn classify(ty: u16, text: &str) -> Result<Option<Classified>, String> {
    if !is_ns_type(ty) {
        return Ok(None);
    }
    let rec = parse_record(ty, text).map_err(|e| e.to_string())?;
    let ns = check_ns_record(&rec).map_err(|e| e[..e.len().min(2)].join("; "))?;
    Ok(Some(Classified {
        kind: ns.kind,
        init: ns.init,
        id: ns.ns.id,
        ours: ns.op == Op::Create && ns.subject.uid == NOBODY,
        serial: ns.serial,
        pid: ns.subject.pid,
    }))
}

/// The records of a flood, as they arrive.
#[derive(Debug, Default)]
pub struct FloodLedger {
    /// INIT `op=create` records of the flood (subject `uid=65534`), by namespace.
    inits: ById,
    /// DEL records, by namespace.
    dels: ById,
    others: BTreeMap<u16, u64>,
    /// Records of the types [`EXCLUDABLE`], by type.
    series_types: BTreeMap<u16, u64>,
    malformed: u64,
    first_malformed: Option<String>,
    last: Option<Instant>,
    /// Records received so far.
    arrived: usize,
    /// The order of each task's namespace records, as they arrived.
    order: TaskOrder,
    out_of_order: u64,
    first_out_of_order: Option<String>,
}

impl FloodLedger {
    /// Files one record, the next to arrive.
    pub fn add(&mut self, ty: u16, text: &str) {
        self.arrived += 1;
        if EXCLUDABLE.contains(&ty) {
            *self.series_types.entry(ty).or_default() += 1;
        }
        let c = match classify(ty, text) {
            Ok(Some(c)) => c,
            Ok(None) => {
                *self.others.entry(ty).or_default() += 1;
                return;
            }
            Err(why) => {
                self.malformed += 1;
                self.first_malformed
                    .get_or_insert_with(|| format!("type={ty} {text}: {why}"));
                return;
            }
        };
        if c.pid != -1 {
            if let Some(e) = self.order.observe(None, c.pid, c.serial, self.arrived) {
                self.out_of_order += 1;
                self.first_out_of_order
                    .get_or_insert_with(|| e.describe("record"));
            }
        }
        let by_id = match (c.init, c.ours) {
            (true, true) => &mut self.inits,
            (false, _) => &mut self.dels,
            (true, false) => {
                *self.others.entry(ty).or_default() += 1;
                return;
            }
        };
        *by_id.entry((c.kind, c.id)).or_default() += 1;
        self.last = Some(Instant::now());
    }

    /// Records of the flood so far: its INIT records and every DEL record.
    pub fn flood_records(&self) -> u64 {
        let sum = |m: &ById| m.values().map(|&n| u64::from(n)).sum::<u64>();
        sum(&self.inits) + sum(&self.dels)
    }

    /// When the last record of the flood arrived.
    pub fn last_flood_record(&self) -> Option<Instant> {
        self.last
    }

    /// The counts per type.
    pub fn tally(&self) -> Tally {
        let mut t = Tally {
            others: self.others.values().sum(),
            other_types: self.others.clone(),
            series_types: self.series_types.clone(),
            malformed: self.malformed,
            first_malformed: self.first_malformed.clone(),
            out_of_order: self.out_of_order,
            first_out_of_order: self.first_out_of_order.clone(),
            ..Tally::default()
        };
        for (&(kind, id), &n) in &self.inits {
            t.init[kind.index()] += 1;
            t.duplicates += u64::from(n - 1);
            if self.dels.contains_key(&(kind, id)) {
                t.del[kind.index()] += 1;
            }
        }
        for (key, &n) in &self.dels {
            t.duplicates += u64::from(n - 1);
            if !self.inits.contains_key(key) {
                t.del_unmatched[key.0.index()] += 1;
            }
        }
        t
    }
}

/// What arrived of a flood, per type (indexed by [`NsKind::index`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    /// Namespaces with an INIT record of the flood.
    pub init: [u64; NsKind::COUNT],
    /// Of those, namespaces with a DEL record.
    pub del: [u64; NsKind::COUNT],
    /// DEL records of namespaces without an INIT record of the flood: the flood's namespaces
    /// whose INIT was lost (or namespaces of before the flood).
    pub del_unmatched: [u64; NsKind::COUNT],
    /// Records that arrived again for a namespace that had one.
    pub duplicates: u64,
    /// Records of other types or of other subjects.
    pub others: u64,
    /// The same, by record type.
    pub other_types: BTreeMap<u16, u64>,
    /// Records of the types the flood can exclude ([`EXCLUDABLE`]), whoever wrote them, by
    /// type.
    pub series_types: BTreeMap<u16, u64>,
    /// Namespace records that break the reference.
    pub malformed: u64,
    pub first_malformed: Option<String>,
    /// Namespace records that arrived after one of the same task (subject pid) with a higher
    /// serial, and the first of them.
    pub out_of_order: u64,
    pub first_out_of_order: Option<String>,
}

impl Tally {
    /// Records of the flood received.
    pub fn flood_records(&self) -> u64 {
        let sum = |v: &[u64; NsKind::COUNT]| v.iter().sum::<u64>();
        sum(&self.init) + sum(&self.del) + sum(&self.del_unmatched) + self.duplicates
    }

    /// The INIT and DEL records of `kind` that the flood must receive for the namespaces
    /// `created`: one of each per namespace, none of a type in `excluded`.
    fn wanted(created: &Created, kind: NsKind, excluded: &[u16]) -> (u64, u64) {
        let c = created.ns[kind.index()];
        let want = |ty: u16| if excluded.contains(&ty) { 0 } else { c };
        (want(kind.init_type()), want(kind.del_type()))
    }

    /// The INIT and DEL records of `kind` that count for the flood: its INIT records, and the
    /// DEL records of the namespaces that have one; with the INIT type in `excluded`, where
    /// no DEL record can be matched with its INIT, every DEL record of the kind.
    fn counted(&self, kind: NsKind, excluded: &[u16]) -> (u64, u64) {
        let i = kind.index();
        if excluded.contains(&kind.init_type()) {
            (self.init[i], self.del[i] + self.del_unmatched[i])
        } else {
            (self.init[i], self.del[i])
        }
    }

    /// Whether every namespace `created` has its INIT and its DEL record but those of the
    /// types in `excluded`, and nothing else came of the flood.
    pub fn complete(&self, created: &Created, excluded: &[u16]) -> bool {
        NsKind::ALL.iter().all(|&k| {
            let unmatched_ok =
                excluded.contains(&k.init_type()) || self.del_unmatched[k.index()] == 0;
            unmatched_ok && self.counted(k, excluded) == Self::wanted(created, k, excluded)
        })
    }

    /// Records of the flood that did not arrive: an INIT for each namespace created without
    /// one, a DEL for each without one (a DEL without its INIT arrived), but none of the types
    /// in `excluded`.
    pub fn missing(&self, created: &Created, excluded: &[u16]) -> u64 {
        NsKind::ALL
            .iter()
            .map(|&k| {
                let i = k.index();
                let (init, del) = Self::wanted(created, k, excluded);
                init.saturating_sub(self.init[i])
                    + del.saturating_sub(self.del[i] + self.del_unmatched[i])
            })
            .sum()
    }

    /// The records of the types in `excluded` that arrived, by type.
    pub fn excluded_arrived(&self, excluded: &[u16]) -> Vec<(u16, u64)> {
        excluded
            .iter()
            .filter_map(|ty| self.series_types.get(ty).map(|&n| (*ty, n)))
            .filter(|&(_, n)| n > 0)
            .collect()
    }

    /// Types with more INIT records of the flood than namespaces created.
    fn excess(&self, created: &Created) -> Vec<&'static str> {
        NsKind::ALL
            .iter()
            .filter(|k| self.init[k.index()] > created.ns[k.index()])
            .map(|k| k.name())
            .collect()
    }
}

/// The verdict on a flood: `flood: ok ...` or `flood: FAIL ...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub ok: bool,
    pub line: String,
}

fn fail(why: String) -> Verdict {
    Verdict {
        ok: false,
        line: format!("flood: FAIL: {why}"),
    }
}

/// What each namespace of a complete flood has: its INIT and DEL records, but those of the
/// types `excluded`.
fn records_had(excluded: &[u16]) -> String {
    if excluded.is_empty() {
        return "their INIT and DEL records".into();
    }
    let types: Vec<String> = excluded.iter().map(u16::to_string).collect();
    format!(
        "their records but those of msgtype {} (excluded, none arrived)",
        types.join(",")
    )
}

/// The verdict: ok iff audit lost nothing and every namespace created has its INIT and its
/// DEL record (none of a type excluded), nothing malformed, nothing twice, the records of each
/// task in the order of their serials.  A loss fails, and the line says whether the records
/// missing are accounted for by audit's `lost` counter (no more missing than lost, and exactly
/// as many when nothing else was generated); with `allow_lost`, an accounted loss passes,
/// saying so.
pub fn verdict(run: &FloodRun, allow_lost: bool) -> Verdict {
    let t = &run.tally;
    let created = &run.created;
    let excluded = &run.excluded;
    let lost = run.lost.1.saturating_sub(run.lost.0);
    let missing = t.missing(created, excluded);
    if t.malformed > 0 {
        return fail(format!(
            "{} namespace records break the reference, e.g. {}",
            t.malformed,
            t.first_malformed.as_deref().unwrap_or("?")
        ));
    }
    if t.duplicates > 0 {
        return fail(format!("{} records arrived twice", t.duplicates));
    }
    let arrived = t.excluded_arrived(excluded);
    if !arrived.is_empty() {
        let by_type: Vec<String> = arrived
            .iter()
            .map(|(ty, n)| format!("{n} of {ty}"))
            .collect();
        return fail(format!(
            "records of excluded types arrived ({}): the exclude rules did not drop them",
            by_type.join(", ")
        ));
    }
    if t.out_of_order > 0 {
        return fail(format!(
            "{} namespace records arrived after a record of the same task with a higher \
             serial, e.g. {}",
            t.out_of_order,
            t.first_out_of_order.as_deref().unwrap_or("?")
        ));
    }
    let excess = t.excess(created);
    if !excess.is_empty() {
        return fail(format!(
            "more INIT records of uid {NOBODY} than namespaces created ({})",
            excess.join(", ")
        ));
    }
    if created.total() == 0 {
        return fail("the workers created no namespace".into());
    }
    if lost == 0 {
        return if t.complete(created, excluded) {
            Verdict {
                ok: true,
                line: format!(
                    "flood: ok: all {} namespaces have {}, audit lost none; {:.0} namespaces/s",
                    created.total(),
                    records_had(excluded),
                    run.ns_per_s()
                ),
            }
        } else {
            fail(format!(
                "{missing} records of the flood missing and audit counted none lost (silent \
                 loss){}",
                if missing == 0 {
                    ", or DEL records of namespaces the flood did not create"
                } else {
                    ""
                }
            ))
        };
    }
    let consistent = missing <= lost && (t.others > 0 || missing == lost);
    let account = format!(
        "audit lost {lost} records; {missing} records of the flood missing, {}",
        if consistent {
            "all of them counted by audit's lost counter"
        } else {
            "NOT what audit's lost counter says"
        }
    );
    if allow_lost && consistent {
        Verdict {
            ok: true,
            line: format!("flood: ok (--allow-lost, for diagnosis): {account}"),
        }
    } else {
        fail(account)
    }
}
