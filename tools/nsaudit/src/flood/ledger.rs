// SPDX-License-Identifier: GPL-2.0

//! The flood's records and the verdict on them: pure functions over what arrived, what the
//! workers created and audit's `lost` counter.

use super::{classify, ById, Created, FloodRun, NOBODY};
use crate::reference::NsKind;
use std::collections::BTreeMap;
use std::time::Instant;

/// The records of a flood, as they arrive in any order.
#[derive(Debug, Default)]
pub struct FloodLedger {
    /// INIT `op=create` records of the flood (subject `uid=65534`), by namespace.
    inits: ById,
    /// DEL records, by namespace.
    dels: ById,
    others: BTreeMap<u16, u64>,
    malformed: u64,
    first_malformed: Option<String>,
    last: Option<Instant>,
}

impl FloodLedger {
    /// Files one record.
    pub fn add(&mut self, ty: u16, text: &str) {
        match classify(ty, text) {
            Ok(Some((kind, true, id, true))) => {
                *self.inits.entry((kind, id)).or_default() += 1;
                self.last = Some(Instant::now());
            }
            Ok(Some((kind, false, id, _))) => {
                *self.dels.entry((kind, id)).or_default() += 1;
                self.last = Some(Instant::now());
            }
            Ok(_) => *self.others.entry(ty).or_default() += 1,
            Err(why) => {
                self.malformed += 1;
                self.first_malformed
                    .get_or_insert_with(|| format!("type={ty} {text}: {why}"));
            }
        }
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
            malformed: self.malformed,
            first_malformed: self.first_malformed.clone(),
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
    /// Namespace records that break the reference.
    pub malformed: u64,
    pub first_malformed: Option<String>,
}

impl Tally {
    /// Records of the flood received.
    pub fn flood_records(&self) -> u64 {
        let sum = |v: &[u64; NsKind::COUNT]| v.iter().sum::<u64>();
        sum(&self.init) + sum(&self.del) + sum(&self.del_unmatched) + self.duplicates
    }

    /// Whether every namespace `created` has its INIT and its DEL record, and nothing else
    /// came of the flood.
    pub fn complete(&self, created: &Created) -> bool {
        NsKind::ALL.iter().all(|k| {
            let i = k.index();
            self.init[i] == created.ns[i] && self.del[i] == created.ns[i]
        }) && self.del_unmatched.iter().all(|&n| n == 0)
    }

    /// Records of the flood that did not arrive: an INIT for each namespace created without
    /// one, a DEL for each without one (a DEL without its INIT arrived).
    pub fn missing(&self, created: &Created) -> u64 {
        NsKind::ALL
            .iter()
            .map(|k| {
                let i = k.index();
                let c = created.ns[i];
                c.saturating_sub(self.init[i])
                    + c.saturating_sub(self.del[i] + self.del_unmatched[i])
            })
            .sum()
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

/// The verdict: ok iff audit lost nothing and every namespace created has its INIT and its
/// DEL record, nothing malformed, nothing twice.  A loss fails, and the line says whether the
/// records missing are accounted for by audit's `lost` counter (no more missing than lost, and
/// exactly as many when nothing else was generated); with `allow_lost`, an accounted loss
/// passes, saying so.
pub fn verdict(run: &FloodRun, allow_lost: bool) -> Verdict {
    let t = &run.tally;
    let created = &run.created;
    let lost = run.lost.1.saturating_sub(run.lost.0);
    let missing = t.missing(created);
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
        return if t.complete(created) {
            Verdict {
                ok: true,
                line: format!(
                    "flood: ok: all {} namespaces have their INIT and DEL records, audit lost \
                     none; {:.0} namespaces/s",
                    created.total(),
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
