// SPDX-License-Identifier: GPL-2.0

//! The `AUDIT_NS_INFO` scenarios: the audit core names the namespaces of the task of every
//! system call event, unless the task is in the initial namespaces.  They do not need the
//! module: its records only come along.
//!
//! Rules with the key [`INFO_KEY`] audit `getpid`, `uname` and `setns`, and `openat` of a file
//! the validator watches.  Probes ([`crate::nsops`]) read their namespaces and make those
//! calls: one in a fresh container (new user, mount, UTS, IPC, network and PID namespaces, the
//! probe the first process of the PID namespace), joiners that enter it with `setns(2)` by
//! namespace files and by pidfd, one on the host, and one in a container while an exclude rule
//! drops the record and one after the rule is gone.  The audit feature `AUDIT_FEATURE_NS_INFO`
//! is on for all of them; last, a probe in a container with it turned off and one with it
//! turned on again, both by `nsaudit rules --ns-info`.

use super::info_eval::*;
use super::*;
use crate::audit::features::{ns_info_line, on_off};
use crate::audit::AUDIT_ARCH_X86_64;
use crate::nsinfo::{NsInfo, AUDIT_NS_INFO};
use crate::nsops::{Join, ProbeHost, Probed, CONTAINER_KINDS, PROBE_SYSCALLS};
use crate::syscall::{SYS_GETPID, SYS_OPENAT, SYS_SETNS, SYS_UNAME};

/// The rules of the scenarios: the system calls of a probe and of a joiner, the watched file.
pub(super) fn info_rules(watched: &Path) -> [Rule; 2] {
    [
        Rule::AlwaysExitKeyed {
            arch: AUDIT_ARCH_X86_64,
            syscalls: vec![SYS_GETPID, SYS_UNAME, SYS_SETNS],
            path: None,
            key: INFO_KEY.into(),
        },
        Rule::AlwaysExitKeyed {
            arch: AUDIT_ARCH_X86_64,
            syscalls: vec![SYS_OPENAT],
            path: Some(watched.to_string_lossy().into_owned()),
            key: INFO_KEY.into(),
        },
    ]
}

/// A rule of [`info_rules`] as auditctl writes it.
pub(super) fn rule_text(rule: &Rule) -> String {
    match rule {
        Rule::AlwaysExitKeyed {
            syscalls,
            path,
            key,
            ..
        } => {
            let calls: Vec<String> = syscalls
                .iter()
                .map(|&nr| {
                    crate::syscall::name(Some(crate::syscall::ARCH_X86_64), nr)
                        .map_or(nr.to_string(), str::to_string)
                })
                .collect();
            let path = path
                .as_ref()
                .map_or(String::new(), |p| format!(" -F path={p}"));
            format!(
                "-a always,exit -F arch=b64 -S {}{path} -F key={key}",
                calls.join(",")
            )
        }
        other => format!("{other:?}"),
    }
}

/// Whether `got` has the `SYSCALL` records of every system call of a probe of task `pid`.
fn has_probe_calls(got: &[Got], pid: i32) -> bool {
    let events = task_events(got, pid);
    PROBE_SYSCALLS
        .iter()
        .all(|&nr| events.iter().any(|e| e.syscall == Some(nr)))
}

impl<W: Write> Validator<W> {
    /// The `AUDIT_NS_INFO` scenarios, with their rules and watched file.
    pub(super) fn scenario_nsinfo(&mut self) {
        let label = "nsinfo";
        let watched = std::env::temp_dir().join(format!("nsaudit-nsinfo-{}", std::process::id()));
        let made = std::fs::write(&watched, "watched\n");
        if !self.tap.check(
            made.is_ok(),
            &format!("{label}: create the watched file {}", watched.display()),
            made.err().map(|e| e.to_string()).unwrap_or_default(),
        ) {
            return;
        }
        let rules = info_rules(&watched);
        let mut added = Vec::new();
        for rule in &rules {
            let r = self.sock.add_rule(rule);
            if self.tap.check(
                r.is_ok(),
                &format!("{label}: add {}", rule_text(rule)),
                r.err().map(|e| e.to_string()).unwrap_or_default(),
            ) {
                added.push(rule.clone());
            }
        }
        if added.len() == rules.len() && self.set_ns_info(label, true) {
            self.info_container(&watched);
            self.info_host(&watched);
            self.info_exclude(&watched);
            self.info_feature(&watched);
        }
        for rule in &added {
            let r = self.sock.del_rule(rule);
            self.tap.check(
                r.is_ok(),
                &format!("{label}: delete {}", rule_text(rule)),
                r.err().map(|e| e.to_string()).unwrap_or_default(),
            );
        }
        let _ = std::fs::remove_file(&watched);
        self.flush(label);
    }

    /// Receives the records of task `pid` until its probe calls are in.
    fn collect_probe(&mut self, pids: &[i32]) -> Vec<Got> {
        let pids = pids.to_vec();
        self.collect(
            Duration::from_millis(300),
            Duration::from_secs(5),
            move |g| pids.iter().all(|&p| has_probe_calls(g, p)),
        )
    }

    /// A probe in a fresh container, with its records; [`None`] after a failed check.
    fn info_probe_container(
        &mut self,
        label: &str,
        watched: &Path,
    ) -> Option<(ProbeHost, Vec<Got>)> {
        match nsops::probe_container(&CONTAINER_KINDS, watched) {
            Ok(host) => {
                let got = self.collect_probe(&[host.probed.pid]);
                Some((host, got))
            }
            Err(e) => {
                self.tap
                    .check(false, &format!("{label}: a probe in a new container"), e);
                None
            }
        }
    }

    /// Lets the container probe go, and waits for the removals of its namespaces that the
    /// module reported created in `got`, so that none comes in a later scenario.
    fn info_release(&mut self, label: &str, mut host: ProbeHost, got: &[Got]) {
        if let Err(e) = host.release() {
            self.tap.check(
                false,
                &format!("{label}: the container probe exits cleanly"),
                e,
            );
        }
        let ids = host.probed.ids;
        let created: Vec<(NsKind, NsIdent)> = ns_of(got)
            .filter(|r| r.init && r.ns.id == ids.id(r.kind))
            .map(|r| (r.kind, r.ns))
            .collect();
        self.wait_dels(&created);
    }

    /// A probe in a fresh container: each of its events has one record with its namespaces;
    /// then joiners enter the container.
    fn info_container(&mut self, watched: &Path) {
        let label = "nsinfo container";
        let Some((host, got)) = self.info_probe_container(label, watched) else {
            return;
        };
        let p = host.probed;
        self.tap
            .note(format!("{label}: probe pid {}: {}", p.pid, p.ids));
        let own = self.own_info();
        let mut new = CONTAINER_KINDS.to_vec();
        new.sort();
        self.tap.check(
            p.ids.differences(&own) == new,
            &format!("{label}: the probe is in new user, mnt, uts, ipc, net and pid namespaces"),
            format!("the probe {}, the validator {own}", p.ids),
        );
        self.tap.report(eval_info_task(label, &got, &p, true));
        let steps: Vec<&[NsKind]> = CONTAINER_KINDS.iter().map(std::slice::from_ref).collect();
        self.info_join(
            "nsinfo setns by namespace files",
            &p,
            Join::Fds,
            &steps,
            watched,
        );
        self.info_join(
            "nsinfo setns by pidfd",
            &p,
            Join::Pidfd,
            &[&CONTAINER_KINDS],
            watched,
        );
        self.info_release(label, host, &got);
        self.flush(label);
    }

    /// A joiner enters the container of `container` (one setns per entry of `steps`).
    fn info_join(
        &mut self,
        label: &str,
        container: &Probed,
        how: Join,
        steps: &[&[NsKind]],
        watched: &Path,
    ) {
        let joined = match nsops::probe_joiner(container.pid, &CONTAINER_KINDS, how, watched) {
            Ok(j) => j,
            Err(e) => {
                self.tap
                    .check(false, &format!("{label}: enter the container"), e);
                return;
            }
        };
        let got = self.collect_probe(&[joined.joiner.pid, joined.child.pid]);
        let before = self.own_info();
        self.tap.report(eval_info_joiner(
            label,
            &got,
            &joined,
            before,
            container.ids,
            steps,
        ));
    }

    /// A probe on the host, in the initial namespaces: no record in any of its events.
    fn info_host(&mut self, watched: &Path) {
        let label = "nsinfo host";
        let p = match nsops::probe_here(watched) {
            Ok(p) => p,
            Err(e) => {
                self.tap
                    .check(false, &format!("{label}: a probe on the host"), e);
                return;
            }
        };
        let got = self.collect_probe(&[p.pid]);
        let initial = p.ids.all_initial();
        self.tap.check(
            initial,
            &format!(
                "{label}: the probe's namespaces are the initial ones ({})",
                NsInfo::initial()
            ),
            format!("it is in {}", p.ids),
        );
        self.tap.report(eval_info_task(label, &got, &p, !initial));
        self.flush(label);
    }

    /// An exclude rule on `AUDIT_NS_INFO` drops the records; once it is gone they come again.
    fn info_exclude(&mut self, watched: &Path) {
        let label = "nsinfo exclude";
        let rule = Rule::ExcludeMsgtype(AUDIT_NS_INFO);
        let r = self.sock.add_rule(&rule);
        if !self.tap.check(
            r.is_ok(),
            &format!("{label}: add -a always,exclude -F msgtype={AUDIT_NS_INFO}"),
            r.err().map(|e| e.to_string()).unwrap_or_default(),
        ) {
            return;
        }
        self.info_container_probe_has_record(label, watched, "while excluded", false);
        let r = self.sock.del_rule(&rule);
        if !self.tap.check(
            r.is_ok(),
            &format!("{label}: delete the rule on msgtype={AUDIT_NS_INFO}"),
            r.err().map(|e| e.to_string()).unwrap_or_default(),
        ) {
            return;
        }
        self.info_container_probe_has_record(label, watched, "once the rule is gone", true);
        self.flush(label);
    }

    /// With `AUDIT_FEATURE_NS_INFO` off, the events of a probe in a container have no record;
    /// with it on again, they have one each.  `nsaudit rules --ns-info` turns it off and on,
    /// and `nsaudit rules -l` shows it.
    fn info_feature(&mut self, watched: &Path) {
        let label = "nsinfo feature";
        for on in [false, true] {
            let arg = on_off(on);
            let r = self.run_rules_cli(&["--ns-info", arg]);
            let line = ns_info_line(on, false);
            if !self.tap.check(
                r.as_ref().is_some_and(|r| r.0 && r.1.starts_with(&line)),
                &format!("{label}: nsaudit rules --ns-info {arg}"),
                format!("{r:?}"),
            ) {
                return;
            }
            let r = self.run_rules_cli(&["-l"]);
            self.tap.check(
                r.as_ref()
                    .is_some_and(|r| r.0 && r.1.lines().any(|l| l == line)),
                &format!("{label}: nsaudit rules -l shows \"{line}\""),
                format!("{r:?}"),
            );
            let when = format!("AUDIT_FEATURE_NS_INFO {arg}");
            self.info_container_probe_has_record(label, watched, &when, on);
        }
        self.flush(label);
    }

    /// Turns `AUDIT_FEATURE_NS_INFO` on or off, a check of `label`; whether it is so now.  The
    /// first change notes the setting to give back at the end.
    pub(super) fn set_ns_info(&mut self, label: &str, on: bool) -> bool {
        let r = self.sock.set_ns_info(on);
        if let Ok(was) = r {
            self.ns_info_before.get_or_insert(was);
        }
        self.tap.check(
            r.is_ok(),
            &format!("{label}: turn AUDIT_FEATURE_NS_INFO {}", on_off(on)),
            r.err().map(|e| e.to_string()).unwrap_or_default(),
        )
    }

    /// A probe in a fresh container: whether its events carry the record (`expect`), `when`
    /// describing the state of the exclude rule or of the feature.
    fn info_container_probe_has_record(
        &mut self,
        label: &str,
        watched: &Path,
        when: &str,
        expect: bool,
    ) {
        if let Some((host, got)) = self.info_probe_container(label, watched) {
            let p = host.probed;
            self.tap.report(eval_info_task(
                &format!("{label}: {when}, a probe in a container"),
                &got,
                &p,
                expect,
            ));
            self.info_release(label, host, &got);
        }
    }

    /// The ids of the validator's namespaces.
    fn own_info(&self) -> NsInfo {
        NsInfo(NsKind::ALL.map(|k| self.own.get(&k).map_or(0, |i| i.id)))
    }
}

#[cfg(test)]
mod tests;
