// SPDX-License-Identifier: GPL-2.0

//! The text report (bench.txt) and the gnuplot data (bench.dat).

use super::*;
use std::fmt::Write as _;

pub(super) fn fmt_spread(s: Option<Spread>, decimals: usize) -> String {
    match s {
        Some(s) => format!(
            "{:.d$} ({:.d$}-{:.d$})",
            s.median,
            s.min,
            s.max,
            d = decimals
        ),
        None => "-".into(),
    }
}

/// A spread of seconds in microseconds.
pub(super) fn micros(s: Option<Spread>) -> Option<Spread> {
    s.map(|s| Spread {
        n: s.n,
        median: s.median * 1e6,
        min: s.min * 1e6,
        max: s.max * 1e6,
        q1: s.q1 * 1e6,
        q3: s.q3 * 1e6,
    })
}

pub(super) fn verdict(ok: Option<bool>) -> &'static str {
    match ok {
        Some(true) => "met",
        Some(false) => "MISSED",
        None => "no data",
    }
}

/// What the guest's clock measured, for the reports.
pub fn clock_name(icount: bool) -> &'static str {
    if icount {
        "instructions (QEMU -icount: a second is 10^9 instructions of both CPUs together)"
    } else {
        "wall time (QEMU TCG)"
    }
}

/// The text report: rates, ratios, targets, audited system call events, the cost of one rule,
/// flood, memory.
pub fn render_table(r: &BenchReport) -> String {
    let mut s = String::new();
    for section in [
        table_head,
        table_rates,
        table_ratios,
        table_records,
        table_targets,
        table_events,
        table_rule_cost,
        table_flood_and_memory,
    ] {
        section(&mut s, r);
    }
    s
}

/// The kernel, the clock and the configurations.
fn table_head(s: &mut String, r: &BenchReport) {
    let _ = writeln!(
        s,
        "nsaudit-guest bench: kernel {}, {} CPU(s), {} rounds, blocks of ~{} ms{}",
        r.kernel,
        r.cpus,
        r.rounds,
        r.block_ms,
        if r.quick { " (quick)" } else { "" }
    );
    let _ = writeln!(s, "clock: {}", clock_name(r.icount));
    let _ = writeln!(s);
    let _ = writeln!(s, "configurations:");
    for c in Config::ALL {
        let _ = writeln!(s, "  {:<17} {}", c.name(), c.describe());
    }
    let _ = writeln!(s);
}

/// Cycles per second per type and configuration.
fn table_rates(s: &mut String, r: &BenchReport) {
    let _ = writeln!(
        s,
        "create+destroy cycles per second: median over the rounds (min-max)"
    );
    let _ = write!(s, "{:<6} {:>7}", "type", "cycles");
    for c in Config::ALL {
        let _ = write!(s, " {:>19}", c.name());
    }
    let _ = writeln!(s);
    for t in &r.types {
        let _ = write!(s, "{:<6} {:>7}", t.kind.name(), t.cycles);
        for c in Config::ALL {
            let _ = write!(s, " {:>19}", fmt_spread(t.rate(c), 0));
        }
        let _ = writeln!(s);
    }
    let _ = writeln!(s);
}

/// Ratios to the baseline per type and configuration.
fn table_ratios(s: &mut String, r: &BenchReport) {
    let _ = writeln!(
        s,
        "ratio to the baseline of the same round: median (min-max); last column: \
         module-audit-off / audit-off"
    );
    let _ = write!(s, "{:<6}", "type");
    for c in &Config::ALL[1..] {
        let _ = write!(s, " {:>19}", c.name());
    }
    let _ = writeln!(s, " {:>19}", "m-a-off/audit-off");
    for t in &r.types {
        let _ = write!(s, "{:<6}", t.kind.name());
        for c in &Config::ALL[1..] {
            let _ = write!(s, " {:>19}", fmt_spread(t.ratio(*c), 3));
        }
        let _ = writeln!(
            s,
            " {:>19}",
            fmt_spread(t.ratio_to(Config::ModuleAuditOff, Config::AuditOff), 3)
        );
    }
    let _ = writeln!(s);
}

/// Records per cycle per type and configuration.
fn table_records(s: &mut String, r: &BenchReport) {
    let _ = writeln!(
        s,
        "records the daemon received per cycle (AUDIT_NS_* / all)"
    );
    let _ = write!(s, "{:<6}", "type");
    for c in Config::ALL {
        let _ = write!(s, " {:>17}", c.name());
    }
    let _ = writeln!(s);
    for t in &r.types {
        let _ = write!(s, "{:<6}", t.kind.name());
        for c in Config::ALL {
            let i = c.index();
            let _ = write!(
                s,
                " {:>17}",
                format!("{:.2} / {:.2}", t.ns_records[i], t.records[i])
            );
        }
        let _ = writeln!(s);
    }
    let _ = writeln!(s);
}

/// Whether each type meets the targets.
fn table_targets(s: &mut String, r: &BenchReport) {
    let _ = writeln!(s, "targets (medians of the per-round ratios):");
    for t in &r.types {
        let line: Vec<String> = targets(t)
            .iter()
            .map(|(what, ok)| format!("{what}: {}", verdict(*ok)))
            .collect();
        let _ = writeln!(s, "  {:<6} {}", t.kind.name(), line.join("; "));
    }
    let _ = writeln!(s);
}

/// The audited system call events, with `AUDIT_NS_INFO` on and off.
fn table_events(s: &mut String, r: &BenchReport) {
    let Some(e) = &r.events else {
        let _ = writeln!(s, "audited system call events: not measured (--no-events)");
        let _ = writeln!(s);
        return;
    };
    let _ = writeln!(
        s,
        "audited system call events: {} getppid calls per block, -a always,exit -F arch=b64 \
         -S getppid; on and off: AUDIT_FEATURE_NS_INFO (nsaudit rules --ns-info on|off)",
        e.calls
    );
    let _ = writeln!(
        s,
        "{:<14} {:>21} {:>13} {:>19}  what",
        "block", "us per call (min-max)", "records/call", "AUDIT_NS_INFO/call"
    );
    for b in EventsBlock::ALL {
        let i = b.index();
        let us = e.time(b).map(|t| Spread {
            median: t.median * 1e6,
            min: t.min * 1e6,
            max: t.max * 1e6,
            ..t
        });
        let _ = writeln!(
            s,
            "{:<14} {:>21} {:>13.2} {:>19.2}  {}",
            b.name(),
            fmt_spread(us, 2),
            e.records[i],
            e.info_records[i],
            b.describe()
        );
    }
    let _ = writeln!(
        s,
        "time per call with AUDIT_NS_INFO / without, same round: container {}, host {}",
        fmt_spread(e.container_ratio(), 3),
        fmt_spread(e.host_ratio(), 3)
    );
    let _ = writeln!(s);
}

/// The cost of one rule on `getppid`: no rule, a `uid` rule, a `mntns_id` rule.
fn table_rule_cost(s: &mut String, r: &BenchReport) {
    let Some(c) = &r.rule_cost else {
        let _ = writeln!(s, "rule cost: not measured (--no-rule-cost)");
        let _ = writeln!(s);
        return;
    };
    let _ = writeln!(
        s,
        "rule cost: {} getppid calls per block, at most one rule loaded; the container's \
         mntns_id is {}",
        c.calls, c.container_mntns
    );
    let _ = writeln!(
        s,
        "{:<20} {:>21} {:>13}  rule",
        "block", "us per call (min-max)", "records/call"
    );
    for b in RuleBlock::ALL {
        let rule = b
            .rule(c.container_mntns)
            .map_or("none".into(), |r| r.to_string());
        let _ = writeln!(
            s,
            "{:<20} {:>21} {:>13.2}  {}",
            b.name(),
            fmt_spread(micros(c.time(b)), 2),
            c.records[b.index()],
            rule
        );
    }
    let _ = writeln!(
        s,
        "time per call of a block over another's, same round: median (min-max)"
    );
    for (name, ratio) in c.ratios() {
        let _ = writeln!(s, "  {:<41} {}", name, fmt_spread(ratio, 3));
    }
    let _ = writeln!(s);
}

/// The flood, the module's size and the memory of pinned namespaces.
fn table_flood_and_memory(s: &mut String, r: &BenchReport) {
    let f = &r.flood;
    let _ = writeln!(
        s,
        "flood: {} uts namespaces created and removed by one task, {} run(s): \
         {} records/s received (min-max), generator {} namespaces/s; \
         {} of {} records received, lost +{}",
        f.namespaces,
        f.rates.len(),
        fmt_spread(spread(&f.rates), 0),
        fmt_spread(spread(&f.generated), 0),
        f.received,
        f.expected,
        f.lost
    );
    let _ = writeln!(
        s,
        "module: coresize {} bytes, initsize {} bytes",
        r.module_core, r.module_init
    );
    let m = &r.memory;
    let _ = write!(
        s,
        "memory: {} namespace sets of {} pinned by fds; Slab delta / MemAvailable drop (kB):",
        m.sets,
        NsKind::COUNT
    );
    for (module, slab, avail) in &m.samples {
        let _ = write!(
            s,
            " {}={}/{}",
            if *module { "module" } else { "none" },
            slab,
            avail
        );
    }
    let _ = writeln!(s);
    match m.per_namespace() {
        Some((slab, avail)) => {
            let _ = writeln!(
                s,
                "memory per live namespace, module minus none: {slab:.0} bytes (Slab), \
                 {avail:.0} bytes (MemAvailable)"
            );
        }
        None => {
            let _ = writeln!(s, "memory per live namespace: no data");
        }
    }
    let _ = writeln!(s, "run time: {:.0} s", r.seconds);
}

/// gnuplot data: one line per type with, for each configuration but the baseline, the median
/// ratio and its min and max.
pub fn render_dat(r: &BenchReport) -> String {
    let mut s = String::from("# type");
    for c in &Config::ALL[1..] {
        let _ = write!(s, " {0} {0}-min {0}-max", c.name());
    }
    s.push('\n');
    for t in &r.types {
        s.push_str(t.kind.name());
        for c in &Config::ALL[1..] {
            match t.ratio(*c) {
                Some(x) => {
                    let _ = write!(s, " {:.4} {:.4} {:.4}", x.median, x.min, x.max);
                }
                None => s.push_str(" NaN NaN NaN"),
            }
        }
        s.push('\n');
    }
    s
}
