// SPDX-License-Identifier: GPL-2.0

//! The measurements: create+destroy cycles, waiting for a quiet system, the five
//! configurations, the flood and the memory of pinned namespaces; the whole run.

use super::*;

/// Whether a cycle of `kind` forks a first process into the namespace: a PID namespace is
/// never set up without one, and a time namespace is entered by the children of the task that
/// unshares it (or by its next `execve`), as in any real use of one.
pub(super) fn needs_first_process(kind: NsKind) -> bool {
    !kind.enters_on_unshare()
}

/// One cycle: fork a child that unshares `flag` and exits (with `first_process`, after forking
/// and reaping a first process in the new namespace: [`needs_first_process`]).  The child
/// makes only system calls: no allocation, no code of the parent's.
pub(super) fn cycle(flag: libc::c_int, first_process: bool) -> Result<(), BenchError> {
    // SAFETY: the bench process is single-threaded; the child makes raw system calls only and
    // leaves through _exit.
    match unsafe { fork() }.map_err(sys("fork"))? {
        ForkResult::Child => {
            // SAFETY: unshare takes flags and touches no memory of ours.
            if unsafe { libc::unshare(flag) } != 0 {
                child_exit(1);
            }
            if first_process {
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

pub(super) fn read_file(path: &str) -> Result<String, BenchError> {
    std::fs::read_to_string(path).map_err(io(format!("reading {path}")))
}

pub(super) fn cpu_times() -> Result<(u64, u64, usize), BenchError> {
    parse_proc_stat(&read_file("/proc/stat")?)
}

/// Waits until the system is quiet (a 40 ms window at least 75% idle), at most `max`; returns
/// the CPU time spent meanwhile by everything (wall time of the busy windows times their busy
/// share): the work left over by what ran before.
pub(super) fn quiesce(max: Duration) -> Result<Duration, BenchError> {
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

pub(super) fn run_cmd(prog: &str, args: &[&str]) -> Result<(), BenchError> {
    guest::run_cmd(prog, args)
        .map(drop)
        .map_err(BenchError::from)
}

/// The bench's view of the kernel: the control socket, the reader, the current configuration.
pub(super) struct Bench<'a> {
    pub(super) opts: &'a BenchOptions,
    pub(super) ctl: AuditSocket,
    pub(super) reader: CountingDaemon,
    pub(super) current: Option<Config>,
    pub(super) log: &'a mut dyn std::io::Write,
}

impl Bench<'_> {
    pub(super) fn note(&mut self, msg: impl std::fmt::Display) {
        let _ = writeln!(self.log, "bench: {msg}");
        let _ = self.log.flush();
    }

    pub(super) fn set_module(&mut self, on: bool) -> Result<(), BenchError> {
        match (on, module_loaded()) {
            (true, false) => {
                let m = self.opts.module.to_string_lossy().into_owned();
                run_cmd("insmod", &[&m])
            }
            (false, true) => run_cmd("rmmod", &["ns_audit"]),
            _ => Ok(()),
        }
    }

    pub(super) fn set_rules(&mut self, on: bool) -> Result<(), BenchError> {
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
    pub(super) fn enter(&mut self, c: Config) -> Result<(), BenchError> {
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
    pub(super) fn block(&mut self, kind: NsKind, n: u64) -> Result<(f64, Counts), BenchError> {
        let before = self.reader.counts()?;
        let flag = clone_flag(kind).bits();
        let first = needs_first_process(kind);
        let start = Instant::now();
        for _ in 0..n {
            cycle(flag, first)?;
        }
        let looped = start.elapsed();
        let drained = quiesce(Duration::from_secs(5))?;
        let after = self.reader.counts()?;
        let secs = (looped + drained).as_secs_f64();
        Ok((n as f64 / secs, after.since(before)))
    }

    pub(super) fn calibrate(&mut self, kind: NsKind) -> Result<u64, BenchError> {
        let probe = Duration::from_millis(200).min(self.opts.block);
        let flag = clone_flag(kind).bits();
        let start = Instant::now();
        let mut n = 0u64;
        while start.elapsed() < probe || n < 3 {
            cycle(flag, needs_first_process(kind))?;
            n += 1;
        }
        let rate = n as f64 / start.elapsed().as_secs_f64();
        quiesce(Duration::from_secs(5))?;
        Ok(cycles_for(rate, self.opts.block))
    }

    pub(super) fn measure_types(&mut self) -> Result<Vec<TypeResult>, BenchError> {
        self.enter(Config::Baseline)?;
        let mut results = Vec::new();
        for &kind in &self.opts.types {
            let n = self.calibrate(kind)?;
            self.note(format!("{}: {n} cycles per block", kind.name()));
            results.push(TypeResult::new(kind, n));
        }
        let mut totals = vec![[Counts::default(); 5]; results.len()];
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
    pub(super) fn flood(&mut self) -> Result<FloodResult, BenchError> {
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

    pub(super) fn meminfo() -> Result<BTreeMap<String, u64>, BenchError> {
        parse_meminfo(&read_file("/proc/meminfo")?)
    }

    /// Pins `pin` sets of namespaces, one of each type, by fds (the processes that made them
    /// are gone) and returns the growth of Slab and the drop of MemAvailable, in kB.
    pub(super) fn pinned_memory(&mut self) -> Result<(i64, i64), BenchError> {
        let field = |m: &BTreeMap<String, u64>, k: &str| -> Result<i64, BenchError> {
            m.get(k)
                .map(|v| *v as i64)
                .ok_or_else(|| BenchError::Parse {
                    what: "/proc/meminfo".into(),
                    why: format!("no {k}"),
                })
        };
        raise_fd_limit(u64::from(self.opts.pin) * NsKind::COUNT as u64 + 64)?;
        quiesce(Duration::from_secs(10))?;
        let m0 = Self::meminfo()?;
        let mut fds: Vec<File> = Vec::with_capacity(self.opts.pin as usize * NsKind::COUNT);
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

    pub(super) fn memory(&mut self) -> Result<(MemResult, u64, u64), BenchError> {
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

    pub(super) fn finish(&mut self) -> Result<(), BenchError> {
        self.ctl.set_enabled(1)?;
        self.set_rules(false)?;
        self.current = None;
        self.set_module(false)?;
        self.reader.stop()
    }
}

/// Runs the whole bench; progress goes to `log`.  Writes `bench.json`, `bench.txt` and
/// `bench.dat` to the output directory and returns the report.
pub fn run(opts: &BenchOptions, log: &mut dyn std::io::Write) -> Result<BenchReport, BenchError> {
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
    let reader = CountingDaemon::start()?;
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
        let events = match opts.events_block {
            Some(block) => {
                b.note("audited system call events, AUDIT_NS_INFO on and off");
                Some(b.events(block)?)
            }
            None => None,
        };
        let rule_cost = match opts.rule_cost_block {
            Some(block) => {
                b.note("rule cost: no rule, a uid rule and a mntns_id rule on getppid");
                Some(b.rule_cost(block)?)
            }
            None => None,
        };
        b.note("flood");
        let flood = b.flood()?;
        b.note("memory");
        let (memory, core, init) = b.memory()?;
        Ok::<_, BenchError>((types, events, rule_cost, flood, memory, core, init))
    })();
    let finished = b.finish();
    let (types, events, rule_cost, flood, memory, module_core, module_init) = result?;
    finished?;
    let (_, _, cpus) = cpu_times()?;
    let kernel = read_file("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_string())
        .unwrap_or_default();
    let report = BenchReport {
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
        events,
        rule_cost,
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
