// SPDX-License-Identifier: GPL-2.0

//! `nsaudit bench`: what auditing namespaces costs.
//!
//! For each namespace type, a block of create+destroy cycles (fork; the child unshares the type,
//! for PID forks the namespace's first process, and exits; the parent reaps it) is timed in five
//! configurations of the same boot:
//!
//! - `baseline`: audit enabled with a daemon reading records, no rule, no module;
//! - `module`: the same with `ns_audit.ko` loaded (all six types);
//! - `module-audit-off`: the module loaded, audit disabled (`AUDIT_SET enabled=0`);
//! - `rules`: no module, `-a always,exit -F arch=b64 -S clone,clone3,unshare`, the way an
//!   administrator follows namespaces today;
//! - `audit-off`: no module, audit disabled: the reference of `module-audit-off`.
//!
//! The configurations are interleaved: every round measures each of them once for every type,
//! back to back and in an order rotated from round to round and type to type, so that drift
//! hits all alike.  A block is timed
//! until the system is quiet again, so that work a namespace's removal leaves to kernel workers
//! and the records the daemon reads are paid for by the block that caused them.  Each round
//! gives a ratio per configuration to the baseline of the same round; the report gives their
//! median and range.
//!
//! It also measures how many records per second the daemon receives under a flood (and whether
//! audit lost any), the module's size, and the memory a live namespace costs with and without
//! the module.  The statistics, the parsers of `/proc` files and the output formats are pure
//! functions with unit tests; the measurements are I/O at the edge.

use crate::audit::{AuditError, AuditSocket, Rule, Status, AUDIT_ARCH_X86_64};
use crate::guest::{self, child_exit, module_loaded, raise_fd_limit, reap, GuestError};
use crate::nsops::{self, clone_flag, read_exact, write_all, Hold, Method, NsError};
use crate::reference::{is_ns_type, NsKind};
use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::unistd::{fork, pipe2, ForkResult, Pid};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs::File;
use std::os::fd::{AsFd, OwnedFd};
use std::path::PathBuf;
use std::time::{Duration, Instant};
use thiserror::Error;

/// The backlog limit the bench sets: a flood may fill it, which audit then counts as `lost`.
pub const BACKLOG_LIMIT: u32 = 8192;
/// x86_64 system call numbers of the `rules` configuration.
pub const SYS_CLONE: u32 = 56;
pub const SYS_UNSHARE: u32 = 272;
pub const SYS_CLONE3: u32 = 435;
/// The targets: `module` and `module-audit-off` cycles per second over the baseline's.
pub const TARGET_MODULE: f64 = 0.90;
pub const TARGET_AUDIT_OFF: f64 = 0.98;

#[derive(Debug, Error)]
pub enum BenchError {
    #[error("invalid argument: {0}")]
    BadArg(String),
    #[error(transparent)]
    Audit(#[from] AuditError),
    #[error(transparent)]
    Ns(#[from] NsError),
    #[error("{what}: {errno}")]
    Sys { what: String, errno: Errno },
    #[error("{what}: {source}")]
    Io {
        what: String,
        source: std::io::Error,
    },
    #[error("{cmd}: {why}")]
    Command { cmd: String, why: String },
    #[error("cannot parse {what}: {why}")]
    Parse { what: String, why: String },
    #[error("the record reader: {0}")]
    Reader(String),
    #[error(transparent)]
    Guest(#[from] GuestError),
}

fn sys(what: impl Into<String>) -> impl FnOnce(Errno) -> BenchError {
    let what = what.into();
    move |errno| BenchError::Sys { what, errno }
}

fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> BenchError {
    let what = what.into();
    move |source| BenchError::Io { what, source }
}

/// A configuration of the kernel a block is measured in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Config {
    Baseline,
    Module,
    ModuleAuditOff,
    Rules,
    AuditOff,
}

impl Config {
    /// Every configuration; the baseline first.
    pub const ALL: [Config; 5] = [
        Config::Baseline,
        Config::Module,
        Config::ModuleAuditOff,
        Config::Rules,
        Config::AuditOff,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Config::Baseline => "baseline",
            Config::Module => "module",
            Config::ModuleAuditOff => "module-audit-off",
            Config::Rules => "rules",
            Config::AuditOff => "audit-off",
        }
    }

    /// What the configuration is, in a few words.
    pub fn describe(self) -> &'static str {
        match self {
            Config::Baseline => "no module, audit on, daemon reading, no rule",
            Config::Module => "ns_audit.ko (types=0x3f), audit on, daemon reading",
            Config::ModuleAuditOff => "ns_audit.ko (types=0x3f), audit disabled",
            Config::Rules => "no module, always,exit rules on clone, clone3, unshare",
            Config::AuditOff => "no module, audit disabled",
        }
    }

    fn index(self) -> usize {
        self as usize
    }

    fn module(self) -> bool {
        matches!(self, Config::Module | Config::ModuleAuditOff)
    }

    fn audit_enabled(self) -> bool {
        !matches!(self, Config::ModuleAuditOff | Config::AuditOff)
    }

    fn rules(self) -> bool {
        self == Config::Rules
    }
}

/// The order of the configurations in round `round`: [`Config::ALL`] rotated by the round, so
/// that no configuration always runs first or always follows the same one.
pub fn config_order(round: usize) -> [Config; 5] {
    let mut order = Config::ALL;
    let n = order.len();
    order.rotate_left(round % n);
    order
}

/// The rules of [`Config::Rules`].
pub fn syscall_rules() -> [Rule; 3] {
    [SYS_CLONE, SYS_CLONE3, SYS_UNSHARE].map(|syscall| Rule::AlwaysExit {
        arch: AUDIT_ARCH_X86_64,
        syscall,
    })
}

/// What the bench is asked to do.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchOptions {
    /// The module to load.
    pub module: PathBuf,
    /// Rounds: each measures every type in every configuration once.
    pub rounds: usize,
    /// How long a block should take in the baseline; its number of cycles is calibrated.
    pub block: Duration,
    /// Namespaces the flood creates and removes (two records each).
    pub flood: u32,
    /// Namespace sets (one of each type) pinned to measure memory.
    pub pin: u32,
    /// Where to write `bench.json`, `bench.txt` and `bench.dat`.
    pub out: PathBuf,
    /// Whether this is the short run.
    pub quick: bool,
    /// Whether the guest's clock counts instructions (`scripts/bench --icount`).
    pub icount: bool,
}

/// The raw arguments of `nsaudit bench`; [`BenchOptions::new`] checks them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BenchArgs {
    pub module: PathBuf,
    pub quick: bool,
    pub rounds: Option<usize>,
    pub block_ms: Option<u64>,
    pub flood: Option<u32>,
    pub pin: Option<u32>,
    pub out: PathBuf,
    pub icount: bool,
}

impl BenchOptions {
    /// Defaults of the full run and of `--quick`, overridden by what is given; checks ranges.
    pub fn new(a: &BenchArgs) -> Result<Self, BenchError> {
        let (rounds, block_ms, flood, pin) = if a.quick {
            (2, 300, 1000, 100)
        } else {
            (7, 1000, 5000, 500)
        };
        let rounds = a.rounds.unwrap_or(rounds);
        let block_ms = a.block_ms.unwrap_or(block_ms);
        let flood = a.flood.unwrap_or(flood);
        let pin = a.pin.unwrap_or(pin);
        let bad = |s: String| Err(BenchError::BadArg(s));
        if !(1..=100).contains(&rounds) {
            return bad(format!("--rounds {rounds}: must be 1 to 100"));
        }
        if !(50..=60_000).contains(&block_ms) {
            return bad(format!(
                "--block-ms {block_ms}: must be 50 to 60000 (timer resolution, run time)"
            ));
        }
        if !(10..=1_000_000).contains(&flood) {
            return bad(format!("--flood {flood}: must be 10 to 1000000"));
        }
        if !(1..=5000).contains(&pin) {
            return bad(format!("--pin {pin}: must be 1 to 5000"));
        }
        if a.out.as_os_str().is_empty() {
            return bad("--out: an empty path".into());
        }
        Ok(BenchOptions {
            module: a.module.clone(),
            rounds,
            block: Duration::from_millis(block_ms),
            flood,
            pin,
            out: a.out.clone(),
            quick: a.quick,
            icount: a.icount,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Statistics.

/// Median and spread of a sample.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spread {
    pub n: usize,
    pub median: f64,
    pub min: f64,
    pub max: f64,
    /// First and third quartiles (linear interpolation between order statistics).
    pub q1: f64,
    pub q3: f64,
}

fn quantile(sorted: &[f64], q: f64) -> f64 {
    let pos = q * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    let frac = pos - lo as f64;
    sorted[lo] + (sorted[hi] - sorted[lo]) * frac
}

/// The spread of `xs`; [`None`] if it is empty or holds a NaN.
pub fn spread(xs: &[f64]) -> Option<Spread> {
    if xs.is_empty() || xs.iter().any(|x| x.is_nan()) {
        return None;
    }
    let mut s = xs.to_vec();
    s.sort_by(f64::total_cmp);
    Some(Spread {
        n: s.len(),
        median: quantile(&s, 0.5),
        min: s[0],
        max: s[s.len() - 1],
        q1: quantile(&s, 0.25),
        q3: quantile(&s, 0.75),
    })
}

/// Ratios of `xs` to `base`, paired by round.
pub fn paired_ratios(xs: &[f64], base: &[f64]) -> Vec<f64> {
    xs.iter()
        .zip(base)
        .filter(|(_, b)| **b > 0.0)
        .map(|(x, b)| x / b)
        .collect()
}

/// Cycles per block for a measured `rate` (cycles per second) and the wanted block length.
pub fn cycles_for(rate: f64, block: Duration) -> u64 {
    let n = rate * block.as_secs_f64();
    if n.is_finite() {
        (n.round() as u64).clamp(20, 1_000_000)
    } else {
        20
    }
}

// ---------------------------------------------------------------------------------------------
// /proc parsers.

/// `/proc/meminfo` as a map from field to kB (or pages for the few fields without a unit).
pub fn parse_meminfo(text: &str) -> Result<BTreeMap<String, u64>, BenchError> {
    let bad = |line: &str| BenchError::Parse {
        what: "/proc/meminfo".into(),
        why: format!("line {line:?}"),
    };
    let mut m = BTreeMap::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let (key, rest) = line.split_once(':').ok_or_else(|| bad(line))?;
        let mut words = rest.split_whitespace();
        let value = words
            .next()
            .and_then(|v| v.parse::<u64>().ok())
            .ok_or_else(|| bad(line))?;
        match words.next() {
            None | Some("kB") => {}
            Some(_) => return Err(bad(line)),
        }
        m.insert(key.trim().to_string(), value);
    }
    if m.is_empty() {
        return Err(bad(""));
    }
    Ok(m)
}

/// CPU time from the `cpu` line of `/proc/stat`: (idle, total) in `USER_HZ` ticks, and the
/// number of CPUs (`cpuN` lines).
pub fn parse_proc_stat(text: &str) -> Result<(u64, u64, usize), BenchError> {
    let bad = |why: &str| BenchError::Parse {
        what: "/proc/stat".into(),
        why: why.into(),
    };
    let mut agg = None;
    let mut cpus = 0;
    for line in text.lines() {
        let mut w = line.split_whitespace();
        match w.next() {
            Some("cpu") => {
                let v: Vec<u64> = w
                    .map(|x| {
                        x.parse::<u64>()
                            .map_err(|_| bad("a non-number on the cpu line"))
                    })
                    .collect::<Result<_, _>>()?;
                if v.len() < 4 {
                    return Err(bad("fewer than 4 numbers on the cpu line"));
                }
                // user nice system idle iowait irq softirq steal (guest time is in user).
                let idle = v[3] + v.get(4).copied().unwrap_or(0);
                let total = v.iter().take(8).sum();
                agg = Some((idle, total));
            }
            Some(c) if c.starts_with("cpu") && c[3..].parse::<u32>().is_ok() => cpus += 1,
            _ => {}
        }
    }
    let (idle, total) = agg.ok_or_else(|| bad("no cpu line"))?;
    Ok((idle, total, cpus.max(1)))
}

/// A number in a sysfs file such as `/sys/module/ns_audit/coresize`.
pub fn parse_number(what: &str, text: &str) -> Result<u64, BenchError> {
    text.trim().parse().map_err(|_| BenchError::Parse {
        what: what.into(),
        why: format!("{:?} is not a number", text.trim()),
    })
}

// ---------------------------------------------------------------------------------------------
// Results and their formats.

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

/// Memory of pinned namespaces, with and without the module.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MemResult {
    /// Namespace sets (one namespace of each of the six types) per measurement.
    pub sets: u32,
    /// Per measurement: (module loaded, Slab delta kB, MemAvailable drop kB).
    pub samples: Vec<(bool, i64, i64)>,
}

impl MemResult {
    fn median_of(&self, module: bool, f: impl Fn(&(bool, i64, i64)) -> i64) -> Option<f64> {
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
        let n = f64::from(self.sets) * 6.0;
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
pub struct Report {
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

fn fmt_spread(s: Option<Spread>, decimals: usize) -> String {
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

fn verdict(ok: Option<bool>) -> &'static str {
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

/// The text report: rates, ratios, targets, flood, memory.
pub fn render_table(r: &Report) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "nsaudit bench: kernel {}, {} CPU(s), {} rounds, blocks of ~{} ms{}",
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
    let _ = writeln!(
        s,
        "create+destroy cycles per second: median over the rounds (min-max)"
    );
    let _ = write!(s, "{:<5} {:>7}", "type", "cycles");
    for c in Config::ALL {
        let _ = write!(s, " {:>19}", c.name());
    }
    let _ = writeln!(s);
    for t in &r.types {
        let _ = write!(s, "{:<5} {:>7}", t.kind.name(), t.cycles);
        for c in Config::ALL {
            let _ = write!(s, " {:>19}", fmt_spread(t.rate(c), 0));
        }
        let _ = writeln!(s);
    }
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "ratio to the baseline of the same round: median (min-max); last column: \
         module-audit-off / audit-off"
    );
    let _ = write!(s, "{:<5}", "type");
    for c in &Config::ALL[1..] {
        let _ = write!(s, " {:>19}", c.name());
    }
    let _ = writeln!(s, " {:>19}", "m-a-off/audit-off");
    for t in &r.types {
        let _ = write!(s, "{:<5}", t.kind.name());
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
    let _ = writeln!(
        s,
        "records the daemon received per cycle (AUDIT_NS_* / all)"
    );
    let _ = write!(s, "{:<5}", "type");
    for c in Config::ALL {
        let _ = write!(s, " {:>17}", c.name());
    }
    let _ = writeln!(s);
    for t in &r.types {
        let _ = write!(s, "{:<5}", t.kind.name());
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
    let _ = writeln!(s, "targets (medians of the per-round ratios):");
    for t in &r.types {
        let line: Vec<String> = targets(t)
            .iter()
            .map(|(what, ok)| format!("{what}: {}", verdict(*ok)))
            .collect();
        let _ = writeln!(s, "  {:<5} {}", t.kind.name(), line.join("; "));
    }
    let _ = writeln!(s);
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
        "memory: {} namespace sets of six pinned by fds; Slab delta / MemAvailable drop (kB):",
        m.sets
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
    s
}

/// A JSON string literal.
pub fn json_str(v: &str) -> String {
    let mut s = String::with_capacity(v.len() + 2);
    s.push('"');
    for c in v.chars() {
        match c {
            '"' => s.push_str("\\\""),
            '\\' => s.push_str("\\\\"),
            '\n' => s.push_str("\\n"),
            '\r' => s.push_str("\\r"),
            '\t' => s.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(s, "\\u{:04x}", c as u32);
            }
            c => s.push(c),
        }
    }
    s.push('"');
    s
}

/// A JSON number; `null` for values JSON cannot hold.
pub fn json_num(v: f64) -> String {
    if v.is_finite() {
        let s = format!("{v:.6}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        if s.is_empty() || s == "-" {
            "0".into()
        } else {
            s.into()
        }
    } else {
        "null".into()
    }
}

fn json_nums(xs: &[f64]) -> String {
    let v: Vec<String> = xs.iter().map(|x| json_num(*x)).collect();
    format!("[{}]", v.join(", "))
}

fn json_spread(s: Option<Spread>) -> String {
    match s {
        Some(s) => format!(
            "{{\"median\": {}, \"min\": {}, \"max\": {}, \"q1\": {}, \"q3\": {}, \"n\": {}}}",
            json_num(s.median),
            json_num(s.min),
            json_num(s.max),
            json_num(s.q1),
            json_num(s.q3),
            s.n
        ),
        None => "null".into(),
    }
}

fn json_bool(b: Option<bool>) -> &'static str {
    match b {
        Some(true) => "true",
        Some(false) => "false",
        None => "null",
    }
}

/// The JSON report (hand-written: the tool has no serializer among its dependencies).
pub fn render_json(r: &Report) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "{{");
    let _ = writeln!(s, "  \"kernel\": {},", json_str(&r.kernel));
    let _ = writeln!(s, "  \"cpus\": {},", r.cpus);
    let _ = writeln!(s, "  \"rounds\": {},", r.rounds);
    let _ = writeln!(s, "  \"block_ms\": {},", r.block_ms);
    let _ = writeln!(s, "  \"quick\": {},", r.quick);
    let _ = writeln!(
        s,
        "  \"clock\": {},",
        json_str(if r.icount { "instructions" } else { "wall" })
    );
    let _ = writeln!(s, "  \"seconds\": {},", json_num(r.seconds));
    let confs: Vec<String> = Config::ALL
        .iter()
        .map(|c| {
            format!(
                "{{\"name\": {}, \"describe\": {}}}",
                json_str(c.name()),
                json_str(c.describe())
            )
        })
        .collect();
    let _ = writeln!(s, "  \"configs\": [{}],", confs.join(", "));
    let _ = writeln!(
        s,
        "  \"targets\": {{\"module\": {}, \"module-audit-off\": {}}},",
        json_num(TARGET_MODULE),
        json_num(TARGET_AUDIT_OFF)
    );
    let _ = writeln!(s, "  \"types\": [");
    for (i, t) in r.types.iter().enumerate() {
        let _ = writeln!(s, "    {{");
        let _ = writeln!(s, "      \"type\": {},", json_str(t.kind.name()));
        let _ = writeln!(s, "      \"cycles_per_block\": {},", t.cycles);
        let _ = writeln!(s, "      \"configs\": {{");
        for (j, c) in Config::ALL.iter().enumerate() {
            let k = c.index();
            let _ = writeln!(
                s,
                "        {}: {{\"cycles_per_s\": {}, \"rate\": {}, \"ratio\": {}, \
                 \"ns_records_per_cycle\": {}, \"records_per_cycle\": {}}}{}",
                json_str(c.name()),
                json_nums(&t.rates[k]),
                json_spread(t.rate(*c)),
                json_spread(t.ratio(*c)),
                json_num(t.ns_records[k]),
                json_num(t.records[k]),
                if j + 1 < Config::ALL.len() { "," } else { "" }
            );
        }
        let _ = writeln!(s, "      }},");
        let _ = writeln!(
            s,
            "      \"module_audit_off_to_audit_off\": {},",
            json_spread(t.ratio_to(Config::ModuleAuditOff, Config::AuditOff))
        );
        let tg: Vec<String> = targets(t)
            .iter()
            .map(|(what, ok)| format!("{}: {}", json_str(what), json_bool(*ok)))
            .collect();
        let _ = writeln!(s, "      \"targets_met\": {{{}}}", tg.join(", "));
        let _ = writeln!(s, "    }}{}", if i + 1 < r.types.len() { "," } else { "" });
    }
    let _ = writeln!(s, "  ],");
    let f = &r.flood;
    let _ = writeln!(
        s,
        "  \"flood\": {{\"namespaces\": {}, \"records_per_s\": {}, \"rate\": {}, \
         \"generated_ns_per_s\": {}, \"expected\": {}, \"received\": {}, \"lost\": {}}},",
        f.namespaces,
        json_nums(&f.rates),
        json_spread(spread(&f.rates)),
        json_nums(&f.generated),
        f.expected,
        f.received,
        f.lost
    );
    let _ = writeln!(
        s,
        "  \"module_size\": {{\"coresize\": {}, \"initsize\": {}}},",
        r.module_core, r.module_init
    );
    let m = &r.memory;
    let samples: Vec<String> = m
        .samples
        .iter()
        .map(|(module, slab, avail)| {
            format!(
                "{{\"module\": {module}, \"slab_kb\": {slab}, \"memavailable_drop_kb\": {avail}}}"
            )
        })
        .collect();
    let (slab, avail) = m
        .per_namespace()
        .map_or(("null".into(), "null".into()), |(a, b)| {
            (json_num(a), json_num(b))
        });
    let _ = writeln!(
        s,
        "  \"memory\": {{\"sets\": {}, \"samples\": [{}], \
         \"bytes_per_namespace_slab\": {}, \"bytes_per_namespace_memavailable\": {}}}",
        m.sets,
        samples.join(", "),
        slab,
        avail
    );
    let _ = writeln!(s, "}}");
    s
}

/// gnuplot data: one line per type with, for each configuration but the baseline, the median
/// ratio and its min and max.
pub fn render_dat(r: &Report) -> String {
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

// ---------------------------------------------------------------------------------------------
// The measurements.

/// One cycle: fork a child that unshares `flag` and exits (for a PID namespace, after its
/// first process has been forked and reaped, without which the namespace is never set up).
/// The child makes only system calls: no allocation, no code of the parent's.
fn cycle(flag: libc::c_int, pid_ns: bool) -> Result<(), BenchError> {
    // SAFETY: the bench process is single-threaded; the child makes raw system calls only and
    // leaves through _exit.
    match unsafe { fork() }.map_err(sys("fork"))? {
        ForkResult::Child => {
            // SAFETY: unshare takes flags and touches no memory of ours.
            if unsafe { libc::unshare(flag) } != 0 {
                child_exit(1);
            }
            if pid_ns {
                // SAFETY: as above; the grandchild exits at once.
                let first = unsafe { libc::fork() };
                if first == 0 {
                    child_exit(0);
                }
                if first < 0 {
                    child_exit(2);
                }
                let mut status = 0;
                // SAFETY: waits for our own child and writes its status to a local.
                if unsafe { libc::waitpid(first, &mut status, 0) } != first {
                    child_exit(3);
                }
            }
            child_exit(0)
        }
        ForkResult::Parent { child } => {
            if reap(child)? {
                Ok(())
            } else {
                Err(BenchError::Command {
                    cmd: format!("cycle child {child}"),
                    why: "unshare or its first process failed (exit status not 0)".into(),
                })
            }
        }
    }
}

fn read_file(path: &str) -> Result<String, BenchError> {
    std::fs::read_to_string(path).map_err(io(format!("reading {path}")))
}

fn cpu_times() -> Result<(u64, u64, usize), BenchError> {
    parse_proc_stat(&read_file("/proc/stat")?)
}

/// Waits until the system is quiet (a 40 ms window at least 75% idle), at most `max`; returns
/// the CPU time spent meanwhile by everything (wall time of the busy windows times their busy
/// share): the work left over by what ran before.
fn quiesce(max: Duration) -> Result<Duration, BenchError> {
    let start = Instant::now();
    let mut busy = 0.0;
    loop {
        let (i0, t0, _) = cpu_times()?;
        let w0 = Instant::now();
        std::thread::sleep(Duration::from_millis(40));
        let (i1, t1, _) = cpu_times()?;
        let wall = w0.elapsed().as_secs_f64();
        let total = t1.saturating_sub(t0);
        let idle = i1.saturating_sub(i0);
        if total > 0 && idle * 4 >= total * 3 {
            return Ok(Duration::from_secs_f64(busy));
        }
        let share = if total == 0 {
            1.0
        } else {
            1.0 - idle as f64 / total as f64
        };
        busy += wall * share;
        if start.elapsed() >= max {
            return Ok(Duration::from_secs_f64(busy));
        }
    }
}

/// The audit daemon: a child process that registers as the daemon and counts the records it
/// receives, answering the bench's queries over a pipe.
struct Reader {
    pid: Pid,
    cmd: Option<OwnedFd>,
    answer: OwnedFd,
}

/// What the reader has received so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub records: u64,
    pub ns: u64,
    pub overruns: u64,
}

impl Counts {
    fn encode(self) -> [u8; 24] {
        let mut b = [0u8; 24];
        b[..8].copy_from_slice(&self.records.to_ne_bytes());
        b[8..16].copy_from_slice(&self.ns.to_ne_bytes());
        b[16..].copy_from_slice(&self.overruns.to_ne_bytes());
        b
    }

    fn decode(b: &[u8; 24]) -> Counts {
        let at = |o: usize| {
            let mut a = [0u8; 8];
            a.copy_from_slice(&b[o..o + 8]);
            u64::from_ne_bytes(a)
        };
        Counts {
            records: at(0),
            ns: at(8),
            overruns: at(16),
        }
    }
}

fn reader_main(cmd: OwnedFd, answer: OwnedFd) -> i32 {
    let mut sock = match AuditSocket::open() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("bench: reader: {e}");
            return 1;
        }
    };
    if let Err(e) = sock.become_daemon(BACKLOG_LIMIT) {
        eprintln!("bench: reader: {e}");
        return 1;
    }
    // Ready.
    if write_all(&answer, &Counts::default().encode()).is_err() {
        return 1;
    }
    let mut counts = Counts::default();
    let take = |sock: &mut AuditSocket, counts: &mut Counts| match sock.recv_records(Duration::ZERO)
    {
        Ok(recs) => {
            for (ty, _) in &recs {
                counts.records += 1;
                counts.ns += u64::from(is_ns_type(*ty));
            }
            Ok(!recs.is_empty())
        }
        Err(AuditError::Overrun) => {
            counts.overruns += 1;
            Ok(true)
        }
        Err(e) => Err(e),
    };
    loop {
        let (sock_ready, cmd_ready) = {
            let mut fds = [
                PollFd::new(sock.as_fd(), PollFlags::POLLIN),
                PollFd::new(cmd.as_fd(), PollFlags::POLLIN),
            ];
            match poll(&mut fds, PollTimeout::NONE) {
                Ok(_) => {}
                Err(Errno::EINTR) => continue,
                Err(e) => {
                    eprintln!("bench: reader: poll: {e}");
                    return 1;
                }
            }
            let ready = |f: &PollFd| f.revents().is_some_and(|r| !r.is_empty());
            (ready(&fds[0]), ready(&fds[1]))
        };
        if sock_ready {
            if let Err(e) = take(&mut sock, &mut counts) {
                eprintln!("bench: reader: {e}");
                return 1;
            }
        }
        if cmd_ready {
            let mut b = [0u8; 1];
            match read_exact(&cmd, &mut b) {
                Ok(true) if b[0] == b'c' => {
                    // Everything queued so far counts.
                    loop {
                        match take(&mut sock, &mut counts) {
                            Ok(true) => {}
                            Ok(false) => break,
                            Err(e) => {
                                eprintln!("bench: reader: {e}");
                                return 1;
                            }
                        }
                    }
                    if write_all(&answer, &counts.encode()).is_err() {
                        return 1;
                    }
                }
                _ => break,
            }
        }
    }
    let _ = sock.release_daemon();
    0
}

impl Reader {
    fn start() -> Result<Reader, BenchError> {
        let (cmd_r, cmd_w) = pipe2(OFlag::O_CLOEXEC).map_err(sys("pipe2"))?;
        let (ans_r, ans_w) = pipe2(OFlag::O_CLOEXEC).map_err(sys("pipe2"))?;
        // SAFETY: the bench process is single-threaded, so the child may do what the parent
        // could; it leaves through _exit.
        match unsafe { fork() }.map_err(sys("fork"))? {
            ForkResult::Child => {
                drop(cmd_w);
                drop(ans_r);
                child_exit(reader_main(cmd_r, ans_w))
            }
            ForkResult::Parent { child } => {
                drop(cmd_r);
                drop(ans_w);
                let mut r = Reader {
                    pid: child,
                    cmd: Some(cmd_w),
                    answer: ans_r,
                };
                let mut b = [0u8; 24];
                match read_exact(&r.answer, &mut b) {
                    Ok(true) => Ok(r),
                    _ => {
                        let _ = r.stop();
                        Err(BenchError::Reader(
                            "did not become the audit daemon (see its message above)".into(),
                        ))
                    }
                }
            }
        }
    }

    fn counts(&mut self) -> Result<Counts, BenchError> {
        let cmd = self
            .cmd
            .as_ref()
            .ok_or_else(|| BenchError::Reader("already stopped".into()))?;
        write_all(cmd, b"c").map_err(|e| BenchError::Reader(format!("query: {e}")))?;
        let mut b = [0u8; 24];
        match read_exact(&self.answer, &mut b) {
            Ok(true) => Ok(Counts::decode(&b)),
            Ok(false) => Err(BenchError::Reader("exited".into())),
            Err(e) => Err(BenchError::Reader(format!("answer: {e}"))),
        }
    }

    fn stop(&mut self) -> Result<(), BenchError> {
        let Some(cmd) = self.cmd.take() else {
            return Ok(());
        };
        let _ = write_all(&cmd, b"q");
        drop(cmd);
        if reap(self.pid)? {
            Ok(())
        } else {
            Err(BenchError::Reader("exited with an error".into()))
        }
    }
}

impl Drop for Reader {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}

fn run_cmd(prog: &str, args: &[&str]) -> Result<(), BenchError> {
    guest::run_cmd(prog, args)
        .map(drop)
        .map_err(BenchError::from)
}

/// The bench's view of the kernel: the control socket, the reader, the current configuration.
struct Bench<'a> {
    opts: &'a BenchOptions,
    ctl: AuditSocket,
    reader: Reader,
    current: Option<Config>,
    log: &'a mut dyn std::io::Write,
}

impl Bench<'_> {
    fn note(&mut self, msg: impl std::fmt::Display) {
        let _ = writeln!(self.log, "bench: {msg}");
        let _ = self.log.flush();
    }

    fn set_module(&mut self, on: bool) -> Result<(), BenchError> {
        match (on, module_loaded()) {
            (true, false) => {
                let m = self.opts.module.to_string_lossy().into_owned();
                run_cmd("insmod", &[&m])
            }
            (false, true) => run_cmd("rmmod", &["ns_audit"]),
            _ => Ok(()),
        }
    }

    fn set_rules(&mut self, on: bool) -> Result<(), BenchError> {
        let had = self.current.is_some_and(Config::rules);
        if on && !had {
            for r in syscall_rules() {
                self.ctl.add_rule(&r)?;
            }
        } else if !on && had {
            for r in syscall_rules() {
                self.ctl.del_rule(&r)?;
            }
        }
        Ok(())
    }

    /// Puts the kernel in configuration `c` and waits until it is quiet.
    fn enter(&mut self, c: Config) -> Result<(), BenchError> {
        if self.current != Some(c) {
            // Enabled first, so that the module's op=existing records reach the daemon.
            self.ctl.set_enabled(u32::from(c.audit_enabled()))?;
            self.set_module(c.module())?;
            self.set_rules(c.rules())?;
            self.current = Some(c);
        }
        quiesce(Duration::from_secs(5))?;
        Ok(())
    }

    /// Times `n` cycles of `kind`, until the system is quiet again; returns cycles per second
    /// and the records the daemon received meanwhile.
    fn block(&mut self, kind: NsKind, n: u64) -> Result<(f64, Counts), BenchError> {
        let before = self.reader.counts()?;
        let flag = clone_flag(kind).bits();
        let pid_ns = kind == NsKind::Pid;
        let start = Instant::now();
        for _ in 0..n {
            cycle(flag, pid_ns)?;
        }
        let looped = start.elapsed();
        let drained = quiesce(Duration::from_secs(5))?;
        let after = self.reader.counts()?;
        let secs = (looped + drained).as_secs_f64();
        let got = Counts {
            records: after.records.saturating_sub(before.records),
            ns: after.ns.saturating_sub(before.ns),
            overruns: after.overruns.saturating_sub(before.overruns),
        };
        Ok((n as f64 / secs, got))
    }

    fn calibrate(&mut self, kind: NsKind) -> Result<u64, BenchError> {
        let probe = Duration::from_millis(200).min(self.opts.block);
        let flag = clone_flag(kind).bits();
        let start = Instant::now();
        let mut n = 0u64;
        while start.elapsed() < probe || n < 3 {
            cycle(flag, kind == NsKind::Pid)?;
            n += 1;
        }
        let rate = n as f64 / start.elapsed().as_secs_f64();
        quiesce(Duration::from_secs(5))?;
        Ok(cycles_for(rate, self.opts.block))
    }

    fn measure_types(&mut self) -> Result<Vec<TypeResult>, BenchError> {
        self.enter(Config::Baseline)?;
        let mut results = Vec::new();
        for kind in NsKind::ALL {
            let n = self.calibrate(kind)?;
            self.note(format!("{}: {n} cycles per block", kind.name()));
            results.push(TypeResult::new(kind, n));
        }
        let mut totals = [[Counts::default(); 5]; 6];
        for round in 0..self.opts.rounds {
            // Per type, the configurations back to back: the blocks compared with each other
            // are seconds apart, whatever else the host does meanwhile.
            for (i, t) in results.iter_mut().enumerate() {
                for c in config_order(round + i) {
                    self.enter(c)?;
                    let (rate, got) = self.block(t.kind, t.cycles)?;
                    t.rates[c.index()].push(rate);
                    let tot = &mut totals[i][c.index()];
                    tot.records += got.records;
                    tot.ns += got.ns;
                    tot.overruns += got.overruns;
                }
            }
            let line: Vec<String> = results
                .iter()
                .map(|t| {
                    let r: Vec<String> = Config::ALL
                        .iter()
                        .map(|c| format!("{:.0}", t.rates[c.index()].last().unwrap_or(&0.0)))
                        .collect();
                    format!("{} {}", t.kind.name(), r.join("/"))
                })
                .collect();
            self.note(format!(
                "round {}/{}: cycles/s {}",
                round + 1,
                self.opts.rounds,
                line.join(", ")
            ));
        }
        for (i, t) in results.iter_mut().enumerate() {
            let cycles = (t.cycles * self.opts.rounds as u64) as f64;
            for c in Config::ALL {
                let tot = totals[i][c.index()];
                t.ns_records[c.index()] = tot.ns as f64 / cycles;
                t.records[c.index()] = tot.records as f64 / cycles;
                if tot.overruns > 0 {
                    self.note(format!(
                        "{} in {}: the daemon's socket overflowed {} time(s)",
                        t.kind.name(),
                        c.name(),
                        tot.overruns
                    ));
                }
            }
        }
        Ok(results)
    }

    /// One task creates and drops `flood` UTS namespaces (each unshare drops the one before);
    /// the daemon's receive rate is records over the time until the last one arrived.
    fn flood(&mut self) -> Result<FloodResult, BenchError> {
        self.enter(Config::Module)?;
        let mut res = FloodResult {
            namespaces: self.opts.flood,
            ..Default::default()
        };
        let runs = if self.opts.quick { 1 } else { 3 };
        for _ in 0..runs {
            let lost0 = self.ctl.status()?.lost;
            let before = self.reader.counts()?;
            let count = self.opts.flood;
            let start = Instant::now();
            // SAFETY: single-threaded; the child makes system calls only and leaves via _exit.
            let child = match unsafe { fork() }.map_err(sys("fork"))? {
                ForkResult::Child => {
                    for _ in 0..count {
                        // SAFETY: unshare takes flags and touches no memory of ours.
                        if unsafe { libc::unshare(libc::CLONE_NEWUTS) } != 0 {
                            child_exit(1);
                        }
                    }
                    child_exit(0)
                }
                ForkResult::Parent { child } => child,
            };
            let ok = reap(child)?;
            let generated = start.elapsed();
            if !ok {
                return Err(BenchError::Command {
                    cmd: "flood child".into(),
                    why: "unshare(CLONE_NEWUTS) failed".into(),
                });
            }
            // The last namespace goes with the child; every one gives an INIT and a DEL.
            let expected = 2 * u64::from(count);
            let mut last = (before.ns, Instant::now());
            let arrived = loop {
                let c = self.reader.counts()?;
                let got = c.ns.saturating_sub(before.ns);
                if c.ns != last.0 {
                    last = (c.ns, Instant::now());
                }
                if got >= expected || last.1.elapsed() > Duration::from_secs(2) {
                    break got;
                }
                std::thread::sleep(Duration::from_millis(5));
            };
            let secs = last.1.duration_since(start).as_secs_f64();
            let lost = self.ctl.status()?.lost;
            res.rates.push(arrived as f64 / secs);
            res.generated
                .push(f64::from(count) / generated.as_secs_f64());
            res.expected += expected;
            res.received += arrived;
            res.lost += u64::from(lost.wrapping_sub(lost0));
            quiesce(Duration::from_secs(5))?;
        }
        Ok(res)
    }

    fn meminfo() -> Result<BTreeMap<String, u64>, BenchError> {
        parse_meminfo(&read_file("/proc/meminfo")?)
    }

    /// Pins `pin` sets of six namespaces by fds (the processes that made them are gone) and
    /// returns the growth of Slab and the drop of MemAvailable, in kB.
    fn pinned_memory(&mut self) -> Result<(i64, i64), BenchError> {
        let field = |m: &BTreeMap<String, u64>, k: &str| -> Result<i64, BenchError> {
            m.get(k)
                .map(|v| *v as i64)
                .ok_or_else(|| BenchError::Parse {
                    what: "/proc/meminfo".into(),
                    why: format!("no {k}"),
                })
        };
        raise_fd_limit(u64::from(self.opts.pin) * 6 + 64)?;
        quiesce(Duration::from_secs(10))?;
        let m0 = Self::meminfo()?;
        let mut fds: Vec<File> = Vec::with_capacity(self.opts.pin as usize * 6);
        for _ in 0..self.opts.pin {
            let mut child = nsops::spawn(&NsKind::ALL, Method::Clone3, None, Hold::UntilReleased)?;
            for k in NsKind::ALL {
                let p = format!("/proc/{}/ns/{}", child.info.holder, k.name());
                fds.push(File::open(&p).map_err(io(format!("open {p}")))?);
            }
            child.release()?;
        }
        quiesce(Duration::from_secs(10))?;
        let m1 = Self::meminfo()?;
        drop(fds);
        quiesce(Duration::from_secs(20))?;
        Ok((
            field(&m1, "Slab")? - field(&m0, "Slab")?,
            field(&m0, "MemAvailable")? - field(&m1, "MemAvailable")?,
        ))
    }

    fn memory(&mut self) -> Result<(MemResult, u64, u64), BenchError> {
        let mut res = MemResult {
            sets: self.opts.pin,
            samples: Vec::new(),
        };
        let (mut core, mut init) = (0, 0);
        for module in [false, true, false, true] {
            let c = if module {
                Config::Module
            } else {
                Config::Baseline
            };
            self.enter(c)?;
            if module {
                core = parse_number("coresize", &read_file("/sys/module/ns_audit/coresize")?)?;
                init = parse_number("initsize", &read_file("/sys/module/ns_audit/initsize")?)?;
            }
            let (slab, avail) = self.pinned_memory()?;
            self.note(format!(
                "memory, {}: {} sets: Slab +{slab} kB, MemAvailable -{avail} kB",
                c.name(),
                self.opts.pin
            ));
            res.samples.push((module, slab, avail));
        }
        Ok((res, core, init))
    }

    fn finish(&mut self) -> Result<(), BenchError> {
        self.ctl.set_enabled(1)?;
        self.set_rules(false)?;
        self.current = None;
        self.set_module(false)?;
        self.reader.stop()
    }
}

/// Runs the whole bench; progress goes to `log`.  Writes `bench.json`, `bench.txt` and
/// `bench.dat` to the output directory and returns the report.
pub fn run(opts: &BenchOptions, log: &mut dyn std::io::Write) -> Result<Report, BenchError> {
    let started = Instant::now();
    std::fs::create_dir_all(&opts.out).map_err(io(format!("creating {}", opts.out.display())))?;
    if !opts.module.exists() {
        return Err(BenchError::BadArg(format!(
            "--module {}: no such file",
            opts.module.display()
        )));
    }
    if module_loaded() {
        run_cmd("rmmod", &["ns_audit"])?;
    }
    let reader = Reader::start()?;
    let ctl = AuditSocket::open()?;
    let mut b = Bench {
        opts,
        ctl,
        reader,
        current: None,
        log,
    };
    let status: Status = b.ctl.status()?;
    b.note(format!(
        "audit daemon pid {}, backlog_limit {}, lost {}",
        status.pid, status.backlog_limit, status.lost
    ));
    let result = (|| {
        let types = b.measure_types()?;
        b.note("flood");
        let flood = b.flood()?;
        b.note("memory");
        let (memory, core, init) = b.memory()?;
        Ok::<_, BenchError>((types, flood, memory, core, init))
    })();
    let finished = b.finish();
    let (types, flood, memory, module_core, module_init) = result?;
    finished?;
    let (_, _, cpus) = cpu_times()?;
    let kernel = read_file("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_string())
        .unwrap_or_default();
    let report = Report {
        kernel,
        cpus,
        rounds: opts.rounds,
        block_ms: opts.block.as_millis() as u64,
        quick: opts.quick,
        icount: opts.icount,
        types,
        flood,
        module_core,
        module_init,
        memory,
        seconds: started.elapsed().as_secs_f64(),
    };
    for (name, text) in [
        ("bench.json", render_json(&report)),
        ("bench.txt", render_table(&report)),
        ("bench.dat", render_dat(&report)),
    ] {
        let p = opts.out.join(name);
        std::fs::write(&p, text).map_err(io(format!("writing {}", p.display())))?;
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args() -> BenchArgs {
        BenchArgs {
            module: "/lib/modules/ns_audit.ko".into(),
            out: "/out".into(),
            ..Default::default()
        }
    }

    #[test]
    fn options_defaults_quick_and_ranges() {
        let o = BenchOptions::new(&args()).unwrap();
        assert_eq!(
            (o.rounds, o.block, o.flood, o.pin),
            (7, Duration::from_millis(1000), 5000, 500)
        );
        let q = BenchOptions::new(&BenchArgs {
            quick: true,
            ..args()
        })
        .unwrap();
        assert_eq!((q.rounds, q.block.as_millis(), q.pin), (2, 300, 100));
        let o = BenchOptions::new(&BenchArgs {
            quick: true,
            rounds: Some(3),
            ..args()
        })
        .unwrap();
        assert_eq!(o.rounds, 3);
        for bad in [
            BenchArgs {
                rounds: Some(0),
                ..args()
            },
            BenchArgs {
                block_ms: Some(10),
                ..args()
            },
            BenchArgs {
                flood: Some(1),
                ..args()
            },
            BenchArgs {
                pin: Some(0),
                ..args()
            },
            BenchArgs {
                out: PathBuf::new(),
                ..args()
            },
        ] {
            let e = BenchOptions::new(&bad).unwrap_err();
            assert!(matches!(e, BenchError::BadArg(_)), "{e}");
        }
    }

    #[test]
    fn spread_of_samples() {
        assert_eq!(spread(&[]), None);
        assert_eq!(spread(&[1.0, f64::NAN]), None);
        let s = spread(&[3.0, 1.0, 2.0]).unwrap();
        assert_eq!((s.n, s.median, s.min, s.max), (3, 2.0, 1.0, 3.0));
        assert_eq!((s.q1, s.q3), (1.5, 2.5));
        let s = spread(&[4.0, 1.0, 3.0, 2.0]).unwrap();
        assert_eq!(s.median, 2.5);
        assert_eq!((s.q1, s.q3), (1.75, 3.25));
        let s = spread(&[7.0]).unwrap();
        assert_eq!(
            (s.median, s.min, s.max, s.q1, s.q3),
            (7.0, 7.0, 7.0, 7.0, 7.0)
        );
    }

    #[test]
    fn ratios_are_paired_by_round() {
        assert_eq!(
            paired_ratios(&[90.0, 45.0, 10.0], &[100.0, 50.0, 0.0]),
            [0.9, 0.9]
        );
        let mut t = TypeResult::new(NsKind::Uts, 100);
        t.rates[0] = vec![100.0, 200.0, 150.0];
        t.rates[1] = vec![95.0, 180.0, 150.0];
        let r = t.ratio(Config::Module).unwrap();
        assert_eq!((r.min, r.median, r.max), (0.9, 0.95, 1.0));
        assert_eq!(t.ratio(Config::Rules), None);
    }

    #[test]
    fn configs_rotate_over_rounds() {
        assert_eq!(config_order(0), Config::ALL);
        assert_eq!(config_order(1)[0], Config::Module);
        assert_eq!(config_order(4)[0], Config::AuditOff);
        assert_eq!(config_order(5), Config::ALL);
        for r in 0..5 {
            let mut o = config_order(r).to_vec();
            o.sort();
            assert_eq!(o, Config::ALL);
        }
        assert!(Config::Module.module() && Config::ModuleAuditOff.module());
        assert!(!Config::ModuleAuditOff.audit_enabled() && !Config::AuditOff.audit_enabled());
        assert!(Config::Rules.rules() && !Config::Rules.module());
    }

    #[test]
    fn rules_cover_clone_clone3_unshare() {
        let nrs: Vec<u32> = syscall_rules()
            .iter()
            .map(|r| match r {
                Rule::AlwaysExit { arch, syscall } => {
                    assert_eq!(*arch, AUDIT_ARCH_X86_64);
                    *syscall
                }
                _ => panic!("not an always,exit rule: {r:?}"),
            })
            .collect();
        assert_eq!(nrs, [56, 435, 272]);
        assert_eq!(libc::SYS_clone as u32, SYS_CLONE);
        assert_eq!(libc::SYS_clone3 as u32, SYS_CLONE3);
        assert_eq!(libc::SYS_unshare as u32, SYS_UNSHARE);
    }

    #[test]
    fn cycles_for_a_block() {
        assert_eq!(cycles_for(1000.0, Duration::from_millis(1500)), 1500);
        assert_eq!(cycles_for(1.0, Duration::from_millis(100)), 20);
        assert_eq!(cycles_for(f64::INFINITY, Duration::from_secs(1)), 20);
        assert_eq!(cycles_for(1e12, Duration::from_secs(1)), 1_000_000);
    }

    const MEMINFO: &str = "MemTotal:        1023976 kB\nMemFree:         1004228 kB\n\
MemAvailable:     998164 kB\nSlab:               2808 kB\nHugePages_Total:       0\n";

    #[test]
    fn meminfo_parses() {
        let m = parse_meminfo(MEMINFO).unwrap();
        assert_eq!(m["MemAvailable"], 998164);
        assert_eq!(m["Slab"], 2808);
        assert_eq!(m["HugePages_Total"], 0);
        for bad in [
            "",
            "Slab 12 kB\n",
            "Slab: x kB\n",
            "Slab: 12 MB\n",
            "Slab:\n",
        ] {
            assert!(parse_meminfo(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn proc_stat_parses() {
        let t = "cpu  10 0 20 300 5 1 2 0 0 0\ncpu0 5 0 10 150 2 0 1 0 0 0\n\
cpu1 5 0 10 150 3 1 1 0 0 0\nintr 1 2\nctxt 9\n";
        assert_eq!(parse_proc_stat(t).unwrap(), (305, 338, 2));
        assert!(parse_proc_stat("intr 1\n").is_err());
        assert!(parse_proc_stat("cpu 1 2\n").is_err());
        assert!(parse_proc_stat("cpu 1 2 x 4\n").is_err());
        assert_eq!(parse_number("coresize", "16384\n").unwrap(), 16384);
        assert!(parse_number("coresize", "16k").is_err());
    }

    #[test]
    fn json_strings_and_numbers() {
        assert_eq!(json_str("a\"b\\c\n\u{1}"), "\"a\\\"b\\\\c\\n\\u0001\"");
        assert_eq!(json_num(1.5), "1.5");
        assert_eq!(json_num(2.0), "2");
        assert_eq!(json_num(0.0), "0");
        assert_eq!(json_num(-0.25), "-0.25");
        assert_eq!(json_num(f64::NAN), "null");
        assert_eq!(json_num(f64::INFINITY), "null");
    }

    fn report() -> Report {
        let mut t = TypeResult::new(NsKind::Net, 300);
        t.rates = [
            vec![200.0, 210.0],
            vec![190.0, 199.5],
            vec![199.0, 210.0],
            vec![150.0, 168.0],
            vec![202.0, 212.0],
        ];
        t.ns_records = [0.0, 2.0, 0.0, 0.0, 0.0];
        t.records = [0.0, 2.0, 0.0, 4.0, 0.0];
        Report {
            kernel: "7.3.4".into(),
            cpus: 1,
            rounds: 2,
            block_ms: 1500,
            quick: false,
            icount: false,
            types: vec![t],
            flood: FloodResult {
                namespaces: 100,
                rates: vec![1000.0],
                generated: vec![500.0],
                expected: 200,
                received: 200,
                lost: 0,
            },
            module_core: 16384,
            module_init: 0,
            memory: MemResult {
                sets: 10,
                samples: vec![(false, 100, 120), (true, 100, 126)],
            },
            seconds: 12.0,
        }
    }

    #[test]
    fn targets_per_type() {
        let r = report();
        let t = targets(&r.types[0]);
        // module 0.95, module-audit-off 0.9976, rules 0.775.
        assert_eq!(t[0].1, Some(true));
        assert_eq!(t[1].1, Some(true));
        assert_eq!(t[2].1, Some(true));
        let mut slow = r.types[0].clone();
        slow.rates[1] = vec![100.0, 100.0];
        assert_eq!(
            targets(&slow).map(|x| x.1),
            [Some(false), Some(true), Some(false)]
        );
        assert_eq!(
            targets(&TypeResult::new(NsKind::Mnt, 1)).map(|x| x.1),
            [None, None, None]
        );
    }

    #[test]
    fn memory_per_namespace() {
        let m = report().memory;
        let (slab, avail) = m.per_namespace().unwrap();
        assert_eq!(slab, 0.0);
        assert!((avail - 6.0 * 1024.0 / 60.0).abs() < 1e-9);
        assert_eq!(MemResult::default().per_namespace(), None);
    }

    #[test]
    fn table_json_and_dat() {
        let r = report();
        let t = render_table(&r);
        assert!(t.contains("net       300"), "{t}");
        assert!(t.contains("0.950 (0.950-0.950)"), "{t}");
        assert!(t.contains("module/baseline >= 0.90: met"), "{t}");
        assert!(t.contains("lost +0"), "{t}");
        assert!(
            t.contains("0 bytes (Slab), 102 bytes (MemAvailable)"),
            "{t}"
        );
        let j = render_json(&r);
        assert!(j.contains("\"type\": \"net\""), "{j}");
        assert!(j.contains("\"cycles_per_s\": [190, 199.5]"), "{j}");
        assert!(j.contains("\"module >= rules\": true"), "{j}");
        assert!(j.contains("\"bytes_per_namespace_slab\": 0,"), "{j}");
        // Balanced brackets, no trailing commas before a closing bracket.
        let opens = j.matches(['{', '[']).count();
        let closes = j.matches(['}', ']']).count();
        assert_eq!(opens, closes);
        assert!(!j.contains(",\n  }") && !j.contains(",\n  ]") && !j.contains(", }"));
        let d = render_dat(&r);
        let lines: Vec<&str> = d.lines().collect();
        assert_eq!(lines.len(), 2);
        assert!(lines[0].starts_with("# type module module-min module-max"));
        assert!(lines[1].starts_with("net 0.9500 0.9500 0.9500 "), "{d}");
        assert_eq!(lines[1].split(' ').count(), 1 + 4 * 3);
    }

    #[test]
    fn reports_say_what_the_clock_counted() {
        let mut r = report();
        assert!(render_table(&r).contains("\nclock: wall time (QEMU TCG)\n"));
        assert!(render_json(&r).contains("\"clock\": \"wall\","));
        r.icount = true;
        let t = render_table(&r);
        assert!(t.contains("\nclock: instructions (QEMU -icount"), "{t}");
        assert!(render_json(&r).contains("\"clock\": \"instructions\","));
    }
}
