// SPDX-License-Identifier: GPL-2.0

//! What a run measured, and the targets it is held to.

use super::*;

/// The targets, the one place they are set: `module` and `module-audit-off` cycles per second
/// over the baseline's.  bench.json carries them (`targets`) for scripts/bench's plot.
pub const TARGET_MODULE: f64 = 0.90;
pub const TARGET_AUDIT_OFF: f64 = 0.98;

/// The blocks of one type.
#[derive(Debug, Clone, PartialEq)]
pub struct TypeResult {
    pub kind: NsKind,
    /// Cycles per block.
    pub cycles: u64,
    /// Cycles per second of each round, per configuration (index of [`Config::ALL`]).
    pub rates: [Vec<f64>; 5],
    /// `AUDIT_NS_*` records the daemon received per cycle, per configuration (all rounds).
    pub ns_records: [f64; 5],
    /// All records the daemon received per cycle, per configuration.
    pub records: [f64; 5],
}

impl TypeResult {
    pub fn new(kind: NsKind, cycles: u64) -> Self {
        TypeResult {
            kind,
            cycles,
            rates: Default::default(),
            ns_records: [0.0; 5],
            records: [0.0; 5],
        }
    }

    pub fn rate(&self, c: Config) -> Option<Spread> {
        spread(&self.rates[c.index()])
    }

    /// Ratio of configuration `c` to `base`, paired by round.
    pub fn ratio_to(&self, c: Config, base: Config) -> Option<Spread> {
        spread(&paired_ratios(
            &self.rates[c.index()],
            &self.rates[base.index()],
        ))
    }

    pub fn ratio(&self, c: Config) -> Option<Spread> {
        self.ratio_to(c, Config::Baseline)
    }
}

/// The flood: records per second the daemon received.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FloodResult {
    /// Namespaces created and removed per run.
    pub namespaces: u32,
    /// Records per second received, per run.
    pub rates: Vec<f64>,
    /// Namespaces per second the generator made, per run.
    pub generated: Vec<f64>,
    /// Records expected and received, summed over the runs.
    pub expected: u64,
    pub received: u64,
    /// Audit's `lost` counter grew by this much during the floods.
    pub lost: u64,
}

/// Audited system call events with `AUDIT_NS_INFO` on and off.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EventsResult {
    /// `getppid` calls per block.
    pub calls: u64,
    /// Seconds per call of each round, per block (index of [`EventsBlock::ALL`]).
    pub per_call: [Vec<f64>; 4],
    /// Records the daemon received per call, per block (all rounds).
    pub records: [f64; 4],
    /// `AUDIT_NS_INFO` records the daemon received per call, per block.
    pub info_records: [f64; 4],
}

impl EventsResult {
    /// Seconds per call of block `b`.
    pub fn time(&self, b: EventsBlock) -> Option<Spread> {
        spread(&self.per_call[b.index()])
    }

    /// The time per call of block `on` over that of `off`, paired by round.
    pub fn ratio(&self, on: EventsBlock, off: EventsBlock) -> Option<Spread> {
        spread(&paired_ratios(
            &self.per_call[on.index()],
            &self.per_call[off.index()],
        ))
    }

    /// What the record costs a task in a container: its time per call, on over off.
    pub fn container_ratio(&self) -> Option<Spread> {
        self.ratio(EventsBlock::ContainerOn, EventsBlock::ContainerOff)
    }

    /// The same on the host, where no record is written: the control.
    pub fn host_ratio(&self) -> Option<Spread> {
        self.ratio(EventsBlock::HostOn, EventsBlock::HostOff)
    }
}

/// The cost of one rule on `getppid`: no rule, a `uid` rule and a `mntns_id` rule.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RuleCostResult {
    /// `getppid` calls per block.
    pub calls: u64,
    /// The id of the container worker's mount namespace, which `container-ns-select` names.
    pub container_mntns: u64,
    /// Seconds per call of each round, per block (index of [`RuleBlock::ALL`]).
    pub per_call: [Vec<f64>; 8],
    /// Records the daemon received per call, per block (all rounds).
    pub records: [f64; 8],
}

impl RuleCostResult {
    /// Seconds per call of block `b`.
    pub fn time(&self, b: RuleBlock) -> Option<Spread> {
        spread(&self.per_call[b.index()])
    }

    /// The time per call of block `b` over that of `base`, paired by round.
    pub fn ratio(&self, b: RuleBlock, base: RuleBlock) -> Option<Spread> {
        spread(&paired_ratios(
            &self.per_call[b.index()],
            &self.per_call[base.index()],
        ))
    }

    /// The ratios of [`RULE_COST_RATIOS`], named `<block>/<base>`.
    pub fn ratios(&self) -> Vec<(String, Option<Spread>)> {
        RULE_COST_RATIOS
            .iter()
            .map(|&(b, base)| (format!("{}/{}", b.name(), base.name()), self.ratio(b, base)))
            .collect()
    }
}

/// Memory of pinned namespaces, with and without the module.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MemResult {
    /// Namespace sets (one namespace of each type) per measurement.
    pub sets: u32,
    /// Per measurement: (module loaded, Slab delta kB, MemAvailable drop kB).
    pub samples: Vec<(bool, i64, i64)>,
}

impl MemResult {
    pub(super) fn median_of(
        &self,
        module: bool,
        f: impl Fn(&(bool, i64, i64)) -> i64,
    ) -> Option<f64> {
        let xs: Vec<f64> = self
            .samples
            .iter()
            .filter(|s| s.0 == module)
            .map(|s| f(s) as f64)
            .collect();
        spread(&xs).map(|s| s.median)
    }

    /// Bytes per namespace the module adds, by the Slab delta and by the MemAvailable drop.
    pub fn per_namespace(&self) -> Option<(f64, f64)> {
        let n = f64::from(self.sets) * NsKind::COUNT as f64;
        if n == 0.0 {
            return None;
        }
        let slab = self.median_of(true, |s| s.1)? - self.median_of(false, |s| s.1)?;
        let avail = self.median_of(true, |s| s.2)? - self.median_of(false, |s| s.2)?;
        Some((slab * 1024.0 / n, avail * 1024.0 / n))
    }
}

/// Everything a run measured.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BenchReport {
    pub kernel: String,
    pub cpus: usize,
    pub rounds: usize,
    pub block_ms: u64,
    pub quick: bool,
    /// Whether the clock counted instructions: see [`clock_name`].
    pub icount: bool,
    pub types: Vec<TypeResult>,
    pub flood: FloodResult,
    /// `/sys/module/ns_audit/coresize` and `initsize`, bytes.
    pub module_core: u64,
    pub module_init: u64,
    pub memory: MemResult,
    /// The audited system call events; [`None`] when they were not measured.
    pub events: Option<EventsResult>,
    /// The cost of one rule; [`None`] when it was not measured.
    pub rule_cost: Option<RuleCostResult>,
    /// Seconds the whole run took.
    pub seconds: f64,
}

/// Whether the targets hold for a type: `module` >= 0.90, `module-audit-off` >= 0.98 (of the
/// baseline), `module` >= `rules`; by the medians.  [`None`] where there is no data.
pub fn targets(t: &TypeResult) -> [(String, Option<bool>); 3] {
    let m = t.ratio(Config::Module).map(|s| s.median);
    let off = t.ratio(Config::ModuleAuditOff).map(|s| s.median);
    let rules = t.ratio(Config::Rules).map(|s| s.median);
    [
        (
            format!("module/baseline >= {TARGET_MODULE:.2}"),
            m.map(|m| m >= TARGET_MODULE),
        ),
        (
            format!("module-audit-off/baseline >= {TARGET_AUDIT_OFF:.2}"),
            off.map(|o| o >= TARGET_AUDIT_OFF),
        ),
        ("module >= rules".into(), m.zip(rules).map(|(m, r)| m >= r)),
    ]
}
