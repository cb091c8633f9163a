// SPDX-License-Identifier: GPL-2.0

//! bench.json: the report as serde types, with the field names and nesting that the committed
//! `Documentation/bench/*/bench.json` files have and that `scripts/bench` reads.

use super::render::micros;
use super::*;
use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;

/// A measured number: rounded to six decimals, written without a fraction when it is whole,
/// `null` when JSON cannot hold it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Num(pub(super) f64);

impl Serialize for Num {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if !self.0.is_finite() {
            return s.serialize_none();
        }
        let r = (self.0 * 1e6).round() / 1e6;
        // Whole numbers below 2^53 are exact as integers.
        if r.fract() == 0.0 && r.abs() < 9.0e15 {
            s.serialize_i64(r as i64)
        } else {
            s.serialize_f64(r)
        }
    }
}

fn nums(xs: &[f64]) -> Vec<Num> {
    xs.iter().copied().map(Num).collect()
}

/// A JSON object whose keys keep their order (serde_json's own map sorts them).
#[derive(Debug)]
struct Ordered<K, V>(Vec<(K, V)>);

impl<K: Serialize, V: Serialize> Serialize for Ordered<K, V> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

#[derive(Debug, Serialize)]
struct SpreadJson {
    median: Num,
    min: Num,
    max: Num,
    q1: Num,
    q3: Num,
    n: usize,
}

fn spread_json(s: Option<Spread>) -> Option<SpreadJson> {
    s.map(|s| SpreadJson {
        median: Num(s.median),
        min: Num(s.min),
        max: Num(s.max),
        q1: Num(s.q1),
        q3: Num(s.q3),
        n: s.n,
    })
}

#[derive(Debug, Serialize)]
struct ConfigJson {
    name: &'static str,
    describe: &'static str,
}

#[derive(Debug, Serialize)]
struct TargetsJson {
    module: Num,
    #[serde(rename = "module-audit-off")]
    module_audit_off: Num,
}

/// The blocks of one type in one configuration.
#[derive(Debug, Serialize)]
struct BlocksJson {
    cycles_per_s: Vec<Num>,
    rate: Option<SpreadJson>,
    ratio: Option<SpreadJson>,
    ns_records_per_cycle: Num,
    records_per_cycle: Num,
}

#[derive(Debug, Serialize)]
struct TypeJson {
    #[serde(rename = "type")]
    kind: &'static str,
    cycles_per_block: u64,
    configs: Ordered<&'static str, BlocksJson>,
    module_audit_off_to_audit_off: Option<SpreadJson>,
    targets_met: Ordered<String, Option<bool>>,
}

impl TypeJson {
    fn new(t: &TypeResult) -> Self {
        let configs = Config::ALL
            .iter()
            .map(|&c| {
                let k = c.index();
                let blocks = BlocksJson {
                    cycles_per_s: nums(&t.rates[k]),
                    rate: spread_json(t.rate(c)),
                    ratio: spread_json(t.ratio(c)),
                    ns_records_per_cycle: Num(t.ns_records[k]),
                    records_per_cycle: Num(t.records[k]),
                };
                (c.name(), blocks)
            })
            .collect();
        TypeJson {
            kind: t.kind.name(),
            cycles_per_block: t.cycles,
            configs: Ordered(configs),
            module_audit_off_to_audit_off: spread_json(
                t.ratio_to(Config::ModuleAuditOff, Config::AuditOff),
            ),
            targets_met: Ordered(targets(t).into_iter().collect()),
        }
    }
}

#[derive(Debug, Serialize)]
struct FloodJson {
    namespaces: u32,
    records_per_s: Vec<Num>,
    rate: Option<SpreadJson>,
    generated_ns_per_s: Vec<Num>,
    expected: u64,
    received: u64,
    lost: u64,
}

#[derive(Debug, Serialize)]
struct ModuleSizeJson {
    coresize: u64,
    initsize: u64,
}

#[derive(Debug, Serialize)]
struct MemSampleJson {
    module: bool,
    slab_kb: i64,
    memavailable_drop_kb: i64,
}

#[derive(Debug, Serialize)]
struct MemoryJson {
    sets: u32,
    samples: Vec<MemSampleJson>,
    bytes_per_namespace_slab: Option<Num>,
    bytes_per_namespace_memavailable: Option<Num>,
}

/// The blocks of the audited system call events of one kind.
#[derive(Debug, Serialize)]
struct EventsBlockJson {
    describe: &'static str,
    us_per_call: Vec<Num>,
    per_call_us: Option<SpreadJson>,
    records_per_call: Num,
    ns_info_per_call: Num,
}

/// The audited system call events, with `AUDIT_NS_INFO` on and off.
#[derive(Debug, Serialize)]
struct EventsJson {
    syscall: &'static str,
    calls_per_block: u64,
    blocks: Ordered<&'static str, EventsBlockJson>,
    /// Time per call with the record over without it, paired by round.
    ratio_container_on_off: Option<SpreadJson>,
    ratio_host_on_off: Option<SpreadJson>,
}

impl EventsJson {
    fn new(e: &EventsResult) -> Self {
        let blocks = EventsBlock::ALL
            .iter()
            .map(|&b| {
                let i = b.index();
                let us: Vec<f64> = e.per_call[i].iter().map(|s| s * 1e6).collect();
                let block = EventsBlockJson {
                    describe: b.describe(),
                    us_per_call: nums(&us),
                    per_call_us: spread_json(micros(e.time(b))),
                    records_per_call: Num(e.records[i]),
                    ns_info_per_call: Num(e.info_records[i]),
                };
                (b.name(), block)
            })
            .collect();
        EventsJson {
            syscall: "getppid",
            calls_per_block: e.calls,
            blocks: Ordered(blocks),
            ratio_container_on_off: spread_json(e.container_ratio()),
            ratio_host_on_off: spread_json(e.host_ratio()),
        }
    }
}

/// A block of the rule cost measurement.
#[derive(Debug, Serialize)]
struct RuleBlockJson {
    describe: &'static str,
    /// The rule in auditctl's syntax; `null`: none.
    rule: Option<String>,
    us_per_call: Vec<Num>,
    per_call_us: Option<SpreadJson>,
    records_per_call: Num,
}

/// The cost of one rule: no rule, a `uid` rule, a `mntns_id` rule.
#[derive(Debug, Serialize)]
struct RuleCostJson {
    syscall: &'static str,
    calls_per_block: u64,
    container_mntns_id: u64,
    blocks: Ordered<&'static str, RuleBlockJson>,
    /// Time per call of a block over another's, paired by round, by `<block>/<base>`.
    ratios: Ordered<String, Option<SpreadJson>>,
}

impl RuleCostJson {
    fn new(c: &RuleCostResult) -> Self {
        let blocks = RuleBlock::ALL
            .iter()
            .map(|&b| {
                let us: Vec<f64> = c.per_call[b.index()].iter().map(|s| s * 1e6).collect();
                let block = RuleBlockJson {
                    describe: b.describe(),
                    rule: b.rule(c.container_mntns).map(|r| r.to_string()),
                    us_per_call: nums(&us),
                    per_call_us: spread_json(micros(c.time(b))),
                    records_per_call: Num(c.records[b.index()]),
                };
                (b.name(), block)
            })
            .collect();
        RuleCostJson {
            syscall: "getppid",
            calls_per_block: c.calls,
            container_mntns_id: c.container_mntns,
            blocks: Ordered(blocks),
            ratios: Ordered(
                c.ratios()
                    .into_iter()
                    .map(|(name, r)| (name, spread_json(r)))
                    .collect(),
            ),
        }
    }
}

/// The whole of bench.json.
#[derive(Debug, Serialize)]
struct BenchJson<'a> {
    kernel: &'a str,
    cpus: usize,
    rounds: usize,
    block_ms: u64,
    quick: bool,
    /// `wall` or `instructions`: see [`clock_name`].
    clock: &'static str,
    seconds: Num,
    configs: Vec<ConfigJson>,
    targets: TargetsJson,
    types: Vec<TypeJson>,
    flood: FloodJson,
    module_size: ModuleSizeJson,
    memory: MemoryJson,
    /// `null` when not measured (`--no-events`).
    events: Option<EventsJson>,
    /// `null` when not measured (`--no-rule-cost`).
    rule_cost: Option<RuleCostJson>,
}

impl<'a> BenchJson<'a> {
    fn new(r: &'a BenchReport) -> Self {
        let f = &r.flood;
        let m = &r.memory;
        let per_ns = m.per_namespace();
        BenchJson {
            kernel: &r.kernel,
            cpus: r.cpus,
            rounds: r.rounds,
            block_ms: r.block_ms,
            quick: r.quick,
            clock: if r.icount { "instructions" } else { "wall" },
            seconds: Num(r.seconds),
            configs: Config::ALL
                .iter()
                .map(|c| ConfigJson {
                    name: c.name(),
                    describe: c.describe(),
                })
                .collect(),
            targets: TargetsJson {
                module: Num(TARGET_MODULE),
                module_audit_off: Num(TARGET_AUDIT_OFF),
            },
            types: r.types.iter().map(TypeJson::new).collect(),
            flood: FloodJson {
                namespaces: f.namespaces,
                records_per_s: nums(&f.rates),
                rate: spread_json(spread(&f.rates)),
                generated_ns_per_s: nums(&f.generated),
                expected: f.expected,
                received: f.received,
                lost: f.lost,
            },
            module_size: ModuleSizeJson {
                coresize: r.module_core,
                initsize: r.module_init,
            },
            memory: MemoryJson {
                sets: m.sets,
                samples: m
                    .samples
                    .iter()
                    .map(|&(module, slab_kb, memavailable_drop_kb)| MemSampleJson {
                        module,
                        slab_kb,
                        memavailable_drop_kb,
                    })
                    .collect(),
                bytes_per_namespace_slab: per_ns.map(|(slab, _)| Num(slab)),
                bytes_per_namespace_memavailable: per_ns.map(|(_, avail)| Num(avail)),
            },
            events: r.events.as_ref().map(EventsJson::new),
            rule_cost: r.rule_cost.as_ref().map(RuleCostJson::new),
        }
    }
}

/// The JSON report, bench.json.
pub fn render_json(r: &BenchReport) -> String {
    // Cannot fail: every map key is a string and every value serializes.
    let mut s = serde_json::to_string_pretty(&BenchJson::new(r)).expect("bench.json serializes");
    s.push('\n');
    s
}
