// SPDX-License-Identifier: GPL-2.0

//! `nsaudit-guest bench`: what auditing namespaces costs.
//!
//! For each namespace type (`--type`, every type by default), a block of create+destroy cycles
//! (fork; the child unshares the type, for PID and time namespaces forks a first process, which
//! enters it, and exits; the parent reaps it) is timed in five configurations of the same boot:
//!
//! - `baseline`: audit enabled with a daemon reading records, no rule, no module;
//! - `module`: the same with `ns_audit.ko` loaded (every type);
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
//! It also measures what the audit core's `AUDIT_NS_INFO` record costs an audited system call
//! event of a task in a container and of one on the host (`events.rs`), what one `mntns_id`
//! rule costs a system call against a `uid` rule and no rule (`rulecost.rs`), how many records
//! per second the daemon receives under a flood (and whether audit lost any), the module's
//! size, and the memory a live namespace costs with and without the module.  The statistics,
//! the parsers of `/proc` files and the output formats are pure functions with unit tests; the
//! measurements are I/O at the edge.

mod events;
mod json;
mod measure;
mod model;
mod procfs;
mod reader;
mod render;
mod rulecost;
mod stats;
#[cfg(test)]
mod tests;

pub use events::{events_order, events_rule, EventsBlock, EVENTS_KINDS};
pub use json::render_json;
pub use measure::run;
pub use model::{
    targets, BenchReport, EventsResult, FloodResult, MemResult, RuleCostResult, TypeResult,
    TARGET_AUDIT_OFF, TARGET_MODULE,
};
pub use procfs::{parse_meminfo, parse_number, parse_proc_stat};
pub use reader::Counts;
pub use render::{clock_name, render_dat, render_table};
pub use rulecost::{rule_cost_order, RuleBlock, RULE_COST_NO_NS, RULE_COST_RATIOS, RULE_COST_UID};
pub use stats::{cycles_for, paired_ratios, spread, Spread};

use crate::audit::{AuditError, AuditSocket, Rule, Status, AUDIT_ARCH_X86_64};
use crate::daemon::BACKLOG_LIMIT;
use crate::guest::{self, child_exit, module_loaded, raise_fd_limit, reap, GuestError};
use crate::nsops::{self, clone_flag, read_exact, write_all, Hold, Method, NsError};
use crate::reference::{is_ns_type, NsKind};
use crate::syscall::{SYS_CLONE, SYS_CLONE3, SYS_UNSHARE};
use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::unistd::{fork, pipe2, ForkResult, Pid};
use reader::*;
use std::collections::BTreeMap;
use std::fs::File;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::path::PathBuf;
use std::time::{Duration, Instant};
use thiserror::Error;

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
            Config::Module => "ns_audit.ko (types=0xff), audit on, daemon reading",
            Config::ModuleAuditOff => "ns_audit.ko (types=0xff), audit disabled",
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
    /// The types measured, in record type order.
    pub types: Vec<NsKind>,
    /// Rounds: each measures every type in every configuration once.
    pub rounds: usize,
    /// How long a block should take in the baseline; its number of cycles is calibrated.
    pub block: Duration,
    /// Namespaces the flood creates and removes (two records each).
    pub flood: u32,
    /// Namespace sets (one of each type) pinned to measure memory.
    pub pin: u32,
    /// How long a block of the audited system call events should take; [`None`]: they are not
    /// measured.
    pub events_block: Option<Duration>,
    /// How long a block of the rule cost measurement should take; [`None`]: it is not
    /// measured.
    pub rule_cost_block: Option<Duration>,
    /// Where to write `bench.json`, `bench.txt` and `bench.dat`.
    pub out: PathBuf,
    /// Whether this is the short run.
    pub quick: bool,
    /// Whether the guest's clock counts instructions (`scripts/bench --icount`).
    pub icount: bool,
}

/// The raw arguments of `nsaudit-guest bench`; [`BenchOptions::new`] checks them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BenchArgs {
    pub module: PathBuf,
    /// The types to measure; none: all.
    pub types: Vec<NsKind>,
    pub quick: bool,
    pub rounds: Option<usize>,
    pub block_ms: Option<u64>,
    pub flood: Option<u32>,
    pub pin: Option<u32>,
    pub events_block_ms: Option<u64>,
    pub no_events: bool,
    pub rule_cost_block_ms: Option<u64>,
    pub no_rule_cost: bool,
    pub out: PathBuf,
    pub icount: bool,
}

impl BenchOptions {
    /// Defaults of the full run and of `--quick`, overridden by what is given; checks ranges.
    pub fn new(a: &BenchArgs) -> Result<Self, BenchError> {
        let (rounds, block_ms, flood, pin, events_ms) = if a.quick {
            (2, 300, 1000, 100, 100)
        } else {
            (7, 1000, 5000, 500, 200)
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
        let events_block = optional_block("events", a.no_events, a.events_block_ms, events_ms)?;
        let rule_cost_block =
            optional_block("rule-cost", a.no_rule_cost, a.rule_cost_block_ms, events_ms)?;
        if a.out.as_os_str().is_empty() {
            return bad("--out: an empty path".into());
        }
        let mut types = if a.types.is_empty() {
            NsKind::ALL.to_vec()
        } else {
            a.types.clone()
        };
        types.sort();
        types.dedup();
        Ok(BenchOptions {
            module: a.module.clone(),
            types,
            rounds,
            block: Duration::from_millis(block_ms),
            flood,
            pin,
            events_block,
            rule_cost_block,
            out: a.out.clone(),
            quick: a.quick,
            icount: a.icount,
        })
    }
}

/// The block length of a measurement that `--no-<name>` skips and `--<name>-block-ms` sets
/// (default `default_ms`): [`None`] when skipped.
fn optional_block(
    name: &str,
    skip: bool,
    ms: Option<u64>,
    default_ms: u64,
) -> Result<Option<Duration>, BenchError> {
    match (skip, ms) {
        (true, Some(_)) => Err(BenchError::BadArg(format!(
            "--{name}-block-ms with --no-{name}: measure it or not"
        ))),
        (true, None) => Ok(None),
        (false, ms) => {
            let ms = ms.unwrap_or(default_ms);
            if !(20..=60_000).contains(&ms) {
                return Err(BenchError::BadArg(format!(
                    "--{name}-block-ms {ms}: must be 20 to 60000"
                )));
            }
            Ok(Some(Duration::from_millis(ms)))
        }
    }
}
