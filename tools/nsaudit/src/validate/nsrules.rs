// SPDX-License-Identifier: GPL-2.0

//! The rule scenarios: audit rules that select events by the namespaces of their task (the
//! series' `mntns_id` ... `timens_id` fields).
//!
//! Workers ([`crate::nsops::worker`]) open a file each when told: A and B in containers of
//! their own (new user, mount, UTS, IPC, network and PID namespaces), H on the host, and, for
//! the user list, C in new mount and UTS namespaces only (audit takes user messages only from
//! the initial user and PID namespaces).  Between steps the rules change; each step ends with
//! a user message of the validator's own, after which every record of the step has arrived.
//! `AUDIT_FEATURE_NS_INFO` is turned on first: the steps check the `AUDIT_NS_INFO` records.

use super::*;
use crate::audit::rules::{Action, Cond, Field, List, Op as RuleOp, RuleSpec, Value};
use crate::audit::AUDIT_FEATURE_BITMAP_NS_ID_FILTER;
use crate::daemon::NUDGE;
use crate::nsinfo::{initial_id, AUDIT_NS_INFO};
use crate::nsops::{user_text, worker, Order, Worker, CONTAINER_KINDS};
use crate::syscall::SYS_OPENAT;
use std::collections::BTreeSet;

/// The key of the scenarios' exit rules.
pub const RULE_KEY: &str = "nsrule";

/// The pids of the `SYSCALL` records of `openat` with key [`RULE_KEY`] in `got`.
pub fn keyed_open_pids(got: &[Got]) -> BTreeSet<i32> {
    let key = format!("\"{RULE_KEY}\"");
    got.iter()
        .filter_map(|g| g.rec.as_ref())
        .filter(|r| r.ty == AUDIT_SYSCALL && r.get("key") == Some(key.as_str()))
        .filter(|r| r.get("syscall") == Some(SYS_OPENAT.to_string().as_str()))
        .filter_map(|r| r.get("pid")?.parse().ok())
        .collect()
}

/// The ids of the `AUDIT_NS_INFO` records in `got` of the `openat` events of task `pid`.
fn infos_of(got: &[Got], pid: i32) -> Vec<crate::nsinfo::NsInfo> {
    task_events(got, pid)
        .iter()
        .filter(|e| e.syscall == Some(SYS_OPENAT))
        .flat_map(|e| e.infos.iter().flatten().copied())
        .collect()
}

/// A rule on the exit list for `openat`, with `conds` and, if `keyed`, the key.
fn open_rule(action: Action, conds: Vec<Cond>, keyed: bool) -> RuleSpec {
    let mut conds = conds;
    if keyed {
        conds.insert(
            0,
            Cond {
                field: Field::Text(210),
                op: RuleOp::Eq,
                value: Value::Bytes(RULE_KEY.as_bytes().to_vec()),
            },
        );
    }
    RuleSpec {
        list: List::Exit,
        action,
        syscalls: Some(vec![SYS_OPENAT]),
        conds,
    }
}

fn ns_cond(kind: NsKind, op: RuleOp, id: u64) -> Cond {
    Cond {
        field: Field::Ns(kind),
        op,
        value: Value::Id(id),
    }
}

/// The rules the kernel must refuse with `EINVAL`, and why, given a namespace id `a`.
pub fn refused_rules(a: u64) -> Vec<(&'static str, RuleSpec)> {
    let exit = |c: Cond| open_rule(Action::Always, vec![c], false);
    let raw = |kind: NsKind, bytes: Vec<u8>| Cond {
        field: Field::Ns(kind),
        op: RuleOp::Eq,
        value: Value::Bytes(bytes),
    };
    vec![
        ("id 0", exit(ns_cond(NsKind::Mnt, RuleOp::Eq, 0))),
        (
            "netns_id=3, the initial user namespace's id",
            exit(ns_cond(NsKind::Net, RuleOp::Eq, initial_id(NsKind::User))),
        ),
        (
            "a 4-byte value",
            exit(raw(NsKind::Mnt, 4096u32.to_ne_bytes().to_vec())),
        ),
        ("a 9-byte value", exit(raw(NsKind::Uts, vec![1; 9]))),
        ("a bit test", exit(ns_cond(NsKind::Mnt, RuleOp::BitMask, a))),
        (
            "the task list",
            RuleSpec {
                list: List::Task,
                action: Action::Never,
                syscalls: None,
                conds: vec![ns_cond(NsKind::Mnt, RuleOp::Eq, a)],
            },
        ),
        (
            "field 35, after the eight",
            exit(Cond {
                field: Field::Num(35),
                op: RuleOp::Eq,
                value: Value::Num(1),
            }),
        ),
    ]
}

/// The workers of the scenarios.
struct Crew {
    a: Worker,
    b: Worker,
    h: Worker,
}

impl<W: Write> Validator<W> {
    /// The rule scenarios.
    pub(super) fn scenario_nsrules(&mut self) {
        let label = "nsrules";
        let dir = std::env::temp_dir();
        let file = |n: &str| dir.join(format!("nsaudit-nsrule-{n}-{}", std::process::id()));
        let files = [file("a"), file("b"), file("h"), file("c")];
        for f in &files {
            if let Err(e) = std::fs::write(f, "nsrule\n") {
                self.tap
                    .check(false, &format!("{label}: create {}", f.display()), e);
                return;
            }
        }
        let features = self.sock.status().map(|s| s.features);
        self.tap.check(
            features
                .as_ref()
                .is_ok_and(|f| f & AUDIT_FEATURE_BITMAP_NS_ID_FILTER != 0),
            &format!("{label}: audit's features have AUDIT_FEATURE_BITMAP_NS_ID_FILTER"),
            format!("{features:x?}"),
        );
        self.set_ns_info(label, true);
        let made = worker(&CONTAINER_KINDS, &files[0]).and_then(|a| {
            let b = worker(&CONTAINER_KINDS, &files[1])?;
            let h = worker(&[], &files[2])?;
            Ok(Crew { a, b, h })
        });
        let mut all = Vec::new();
        match made {
            Ok(mut crew) => {
                self.tap.note(format!(
                    "{label}: A pid {} {}, B pid {} {}, H pid {}",
                    crew.a.probed.pid,
                    crew.a.probed.ids,
                    crew.b.probed.pid,
                    crew.b.probed.ids,
                    crew.h.probed.pid
                ));
                self.nsrules_steps(label, &mut crew, &mut all);
                self.nsrules_refused(label, crew.a.probed.ids.id(NsKind::Mnt));
                self.nsrules_cli(label, &mut crew, &mut all);
                for w in [&mut crew.a, &mut crew.b, &mut crew.h] {
                    if let Err(e) = w.release() {
                        self.tap
                            .check(false, &format!("{label}: a worker exits cleanly"), e);
                    }
                }
            }
            Err(e) => {
                self.tap
                    .check(false, &format!("{label}: start the workers"), e);
            }
        }
        self.nsrules_user(label, &files[3], &mut all);
        self.wait_created_dels(&mut all);
        for f in &files {
            let _ = std::fs::remove_file(f);
        }
        self.flush(label);
    }

    /// Waits for the removals of the namespaces whose creation is in `all`.
    fn wait_created_dels(&mut self, all: &mut Vec<Got>) {
        let created: Vec<(NsKind, NsIdent)> = ns_of(all)
            .filter(|r| r.init && r.op != Op::Existing)
            .map(|r| (r.kind, r.ns))
            .collect();
        self.wait_dels_into(all, &created);
    }

    /// Adds `rules`, runs `orders`, sends the end-of-step message and receives the records of
    /// the step; deletes the rules.  [`None`] if a rule could not be added.
    fn nsrules_step(
        &mut self,
        what: &str,
        rules: &[RuleSpec],
        orders: &mut [(&mut Worker, &[Order])],
    ) -> Option<Vec<Got>> {
        let mut added = Vec::new();
        let mut ok = true;
        for r in rules {
            let res = self.sock.add_rule_spec(r);
            ok &= self.tap.check(
                res.is_ok(),
                &format!("{what}: add {r}"),
                res.as_ref()
                    .err()
                    .map(|e| e.to_string())
                    .unwrap_or_default(),
            );
            if res.is_ok() {
                added.push(r);
            }
        }
        let mut got = None;
        if ok {
            for (w, os) in orders.iter_mut() {
                for &o in os.iter() {
                    if let Err(e) = w.order(o) {
                        self.tap.check(false, &format!("{what}: worker {o:?}"), e);
                    }
                }
            }
            got = Some(self.until_marker(what));
        }
        for r in added {
            let res = self.sock.del_rule_spec(r);
            self.tap.check(
                res.is_ok(),
                &format!("{what}: delete {r}"),
                res.err().map(|e| e.to_string()).unwrap_or_default(),
            );
        }
        got
    }

    /// Sends a user message naming `what` and receives until it comes back: every record of
    /// what tasks did before has arrived then.
    fn until_marker(&mut self, what: &str) -> Vec<Got> {
        let marker = format!("nsaudit step {what}");
        if let Err(e) = self.sock.send_user_message(NUDGE, &marker) {
            self.tap
                .check(false, &format!("{what}: send the end-of-step message"), e);
            return Vec::new();
        }
        let m = marker.clone();
        let got = self.collect(Duration::ZERO, Duration::from_secs(10), move |g| {
            g.iter().any(|x| x.ty == NUDGE && x.text.contains(&m))
        });
        self.tap.check(
            got.iter()
                .any(|x| x.ty == NUDGE && x.text.contains(&marker)),
            &format!("{what}: the end-of-step message arrives"),
            "not within 10 s",
        );
        got
    }

    /// Checks that the keyed openat events of `got` are those of `want`, of `crew`.
    fn expect_opens(&mut self, what: &str, got: &[Got], crew: &Crew, want: &[char]) {
        let named = [('A', &crew.a), ('B', &crew.b), ('H', &crew.h)];
        let want_pids: BTreeSet<i32> = named
            .iter()
            .filter(|(n, _)| want.contains(n))
            .map(|(_, w)| w.probed.pid)
            .collect();
        let pids = keyed_open_pids(got);
        let who: Vec<String> = named
            .iter()
            .filter(|(_, w)| pids.contains(&w.probed.pid))
            .map(|(n, _)| n.to_string())
            .collect();
        let want_s: String = want.iter().collect();
        self.tap.check(
            pids == want_pids,
            &format!("{what}: openat recorded for {want_s} only"),
            format!("recorded for [{}] (pids {pids:?})", who.join(" ")),
        );
        for (n, w) in named.iter().filter(|(n, _)| want.contains(n) && *n != 'H') {
            let infos = infos_of(got, w.probed.pid);
            // Its UTS namespace changes when it unshares one.
            let same = |i: &crate::nsinfo::NsInfo| {
                [NsKind::Mnt, NsKind::User, NsKind::Pid, NsKind::Net]
                    .iter()
                    .all(|&k| i.id(k) == w.probed.ids.id(k))
            };
            self.tap.check(
                !infos.is_empty() && infos.iter().all(same),
                &format!(
                    "{what}: {n}'s event names its mount, user, PID and network namespaces in AUDIT_NS_INFO"
                ),
                format!("{infos:?}, {n} is in {}", w.probed.ids),
            );
        }
    }

    fn nsrules_steps(&mut self, label: &str, crew: &mut Crew, all: &mut Vec<Got>) {
        let (a, b) = (crew.a.probed.ids, crew.b.probed.ids);
        let what = format!("{label}: mntns_id=A");
        let rules = [open_rule(
            Action::Always,
            vec![ns_cond(NsKind::Mnt, RuleOp::Eq, a.id(NsKind::Mnt))],
            true,
        )];
        if let Some(got) = self.open_all(&what, &rules, crew) {
            self.expect_opens(&what, &got, crew, &['A']);
            all.extend(got);
        }
        let what = format!("{label}: never on netns_id=A before an always rule");
        let rules = [
            open_rule(
                Action::Never,
                vec![ns_cond(NsKind::Net, RuleOp::Eq, a.id(NsKind::Net))],
                false,
            ),
            open_rule(Action::Always, Vec::new(), true),
        ];
        if let Some(got) = self.open_all(&what, &rules, crew) {
            self.expect_opens(&what, &got, crew, &['B', 'H']);
            all.extend(got);
        }
        let what = format!("{label}: mntns_id!=init, every containerised task");
        let rules = [open_rule(
            Action::Always,
            vec![ns_cond(NsKind::Mnt, RuleOp::Ne, initial_id(NsKind::Mnt))],
            true,
        )];
        if let Some(got) = self.open_all(&what, &rules, crew) {
            self.expect_opens(&what, &got, crew, &['A', 'B']);
            all.extend(got);
        }
        self.nsrules_exclude(label, crew, b, all);
    }

    /// Adds `rules`, has A, B and H open their files, returns the records.
    fn open_all(&mut self, what: &str, rules: &[RuleSpec], crew: &mut Crew) -> Option<Vec<Got>> {
        let Crew { a, b, h } = crew;
        self.nsrules_step(
            what,
            rules,
            &mut [
                (a, &[Order::Open]),
                (b, &[Order::Open]),
                (h, &[Order::Open]),
            ],
        )
    }

    /// An exclude rule on B's network namespace: none of B's records, not even the creation
    /// of a namespace B makes; A's and H's come.
    fn nsrules_exclude(
        &mut self,
        label: &str,
        crew: &mut Crew,
        b: crate::nsinfo::NsInfo,
        all: &mut Vec<Got>,
    ) {
        let what = format!("{label}: exclude netns_id=B");
        let rules = [
            RuleSpec {
                list: List::Exclude,
                action: Action::Always,
                syscalls: None,
                conds: vec![ns_cond(NsKind::Net, RuleOp::Eq, b.id(NsKind::Net))],
            },
            open_rule(Action::Always, Vec::new(), true),
        ];
        let Crew { a, b: wb, h } = crew;
        let (a_pid, b_pid) = (a.probed.pid, wb.probed.pid);
        let Some(got) = self.nsrules_step(
            &what,
            &rules,
            &mut [
                (a, &[Order::Open, Order::UnshareUts]),
                (wb, &[Order::Open, Order::UnshareUts]),
                (h, &[Order::Open]),
            ],
        ) else {
            return;
        };
        self.expect_opens(&what, &got, crew, &['A', 'H']);
        let b_net = b.id(NsKind::Net);
        self.tap.report(vec![eval_none(
            &format!("{what}: no record of B's (SYSCALL, AUDIT_NS_INFO)"),
            &got,
            |g| {
                g.rec.as_ref().is_some_and(|r| {
                    (r.ty == AUDIT_SYSCALL && r.get("pid") == Some(b_pid.to_string().as_str()))
                        || (r.ty == AUDIT_NS_INFO
                            && g.info.is_some_and(|i| i.id(NsKind::Net) == b_net))
                })
            },
        )]);
        let uts_by =
            |pid: i32| ns_of(&got).any(|r| r.kind == NsKind::Uts && r.init && r.subject.pid == pid);
        self.tap.check(
            uts_by(a_pid) && !uts_by(b_pid),
            &format!("{what}: A's new UTS namespace is reported, B's is not (its writer is in B)"),
            format!("INIT_UTS by A: {}, by B: {}", uts_by(a_pid), uts_by(b_pid)),
        );
        all.extend(got);
    }
}

impl<W: Write> Validator<W> {
    /// Rules the kernel must refuse: each add fails with `EINVAL`.
    fn nsrules_refused(&mut self, label: &str, a: u64) {
        for (why, rule) in refused_rules(a) {
            let res = self.sock.add_rule_spec(&rule);
            let einval = matches!(&res, Err(AuditError::Refused { source, .. })
                if source.raw_os_error() == Some(libc::EINVAL));
            if res.is_ok() {
                let _ = self.sock.del_rule_spec(&rule);
            }
            self.tap.check(
                einval,
                &format!("{label}: refused with EINVAL: {why} ({rule})"),
                format!("{res:?}"),
            );
        }
    }

    /// Runs `nsaudit rules ARGS`, the auditor's binary beside this one: its exit status,
    /// standard output and error.
    pub(super) fn run_rules_cli(&mut self, args: &[&str]) -> Option<(bool, String, String)> {
        let exe = std::env::current_exe().ok()?.with_file_name("nsaudit");
        let out = std::process::Command::new(exe)
            .arg("rules")
            .args(args)
            .output()
            .ok()?;
        Some((
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        ))
    }

    /// `nsaudit rules` adds, lists and deletes a rule on A's mount namespace, which selects
    /// A's open; it refuses bad rules with a message.
    fn nsrules_cli(&mut self, label: &str, crew: &mut Crew, all: &mut Vec<Got>) {
        let what = format!("{label}: nsaudit rules");
        let mnt = format!("mntns_id={}", crew.a.probed.ids.id(NsKind::Mnt));
        let args = ["-S", "openat", "-F", &mnt, "-k", RULE_KEY];
        let listed = format!("-a always,exit -S openat -F key={RULE_KEY} -F {mnt}");
        let add: Vec<&str> = ["-a", "always,exit"].iter().chain(&args).copied().collect();
        let r = self.run_rules_cli(&add);
        if !self.tap.check(
            r.as_ref().is_some_and(|r| r.0),
            &format!("{what} -a always,exit -S openat -F {mnt} -k {RULE_KEY}"),
            format!("{r:?}"),
        ) {
            return;
        }
        let r = self.run_rules_cli(&["-l"]);
        self.tap.check(
            r.as_ref()
                .is_some_and(|r| r.0 && r.1.lines().any(|l| l == listed)),
            &format!("{what} -l lists \"{listed}\""),
            format!("{r:?}"),
        );
        let Crew { a, b, h } = crew;
        let got = self.nsrules_step(
            &what,
            &[],
            &mut [
                (a, &[Order::Open]),
                (b, &[Order::Open]),
                (h, &[Order::Open]),
            ],
        );
        if let Some(got) = got {
            self.expect_opens(&what, &got, crew, &['A']);
            all.extend(got);
        }
        let del: Vec<&str> = ["-d", "always,exit"].iter().chain(&args).copied().collect();
        let r = self.run_rules_cli(&del);
        self.tap.check(
            r.as_ref().is_some_and(|r| r.0),
            &format!("{what} -d deletes it"),
            format!("{r:?}"),
        );
        let r = self.run_rules_cli(&["-l"]);
        self.tap.check(
            r.as_ref().is_some_and(|r| r.0 && !r.1.contains(&mnt)),
            &format!("{what} -l no longer lists it"),
            format!("{r:?}"),
        );
        for (bad, says) in [
            ("netns_id=3", "Invalid argument"),
            ("netns_id=18446744073709551616", "out of range"),
            ("netns_id=0", "no namespace has id 0"),
            ("nets_id=5", "unknown field"),
        ] {
            let r = self.run_rules_cli(&["-a", "always,exit", "-S", "all", "-F", bad]);
            self.tap.check(
                r.as_ref().is_some_and(|r| !r.0 && r.2.contains(says)),
                &format!("{what} -F {bad}: refused, \"{says}\""),
                format!("{r:?}"),
            );
        }
    }

    /// A user-list rule on the mount namespace of C drops C's user messages, not the host's.
    fn nsrules_user(&mut self, label: &str, file: &Path, all: &mut Vec<Got>) {
        let what = format!("{label}: never,user on mntns_id=C");
        let (mut c, mut h) = match worker(&[NsKind::Mnt, NsKind::Uts], file)
            .and_then(|c| Ok((c, worker(&[], file)?)))
        {
            Ok(w) => w,
            Err(e) => {
                self.tap
                    .check(false, &format!("{what}: start the workers"), e);
                return;
            }
        };
        let rule = RuleSpec {
            list: List::User,
            action: Action::Never,
            syscalls: None,
            conds: vec![ns_cond(
                NsKind::Mnt,
                RuleOp::Eq,
                c.probed.ids.id(NsKind::Mnt),
            )],
        };
        let (c_text, h_text) = (user_text(c.probed.pid), user_text(h.probed.pid));
        let got = self.nsrules_step(
            &what,
            &[rule],
            &mut [
                (&mut c, &[Order::UserMessage]),
                (&mut h, &[Order::UserMessage]),
            ],
        );
        if let Some(got) = got {
            let has = |t: &str| got.iter().any(|g| g.ty == NUDGE && g.text.contains(t));
            self.tap.check(
                has(&h_text) && !has(&c_text),
                &format!("{what}: the host's user message is kept, C's is dropped"),
                format!("host's: {}, C's: {}", has(&h_text), has(&c_text)),
            );
            all.extend(got);
        }
        for w in [&mut c, &mut h] {
            if let Err(e) = w.release() {
                self.tap
                    .check(false, &format!("{what}: a worker exits cleanly"), e);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn syscall(serial: u64, nr: u32, pid: i32, key: &str) -> Got {
        let text = format!(
            "audit(1795977856.816:{serial}): arch=c000003e syscall={nr} success=yes exit=3 a0=0 \
             a1=0 a2=0 a3=0 items=1 ppid=1 pid={pid} auid=4294967295 uid=0 gid=0 euid=0 suid=0 \
             fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295 comm=\"w\" exe=\"/bin/w\" \
             key={key}"
        );
        Got::new(AUDIT_SYSCALL, text).0
    }

    #[test]
    fn keyed_opens_are_the_openat_events_with_the_key() {
        let got = [
            syscall(1, SYS_OPENAT, 10, "\"nsrule\""),
            syscall(2, SYS_OPENAT, 11, "(null)"),
            syscall(3, SYS_OPENAT, 12, "\"other\""),
            syscall(4, 39, 13, "\"nsrule\""),
            syscall(5, SYS_OPENAT, 14, "\"nsrule\""),
        ];
        assert_eq!(keyed_open_pids(&got), BTreeSet::from([10, 14]));
    }

    #[test]
    fn refused_rules_are_what_the_kernel_checks() {
        let rules = refused_rules(4096);
        let text: Vec<String> = rules.iter().map(|(_, r)| r.to_string()).collect();
        assert_eq!(
            text,
            [
                "-a always,exit -S openat -F mntns_id=0",
                "-a always,exit -S openat -F netns_id=3",
                // 4096 as 4 bytes, 9 bytes of 1: escaped, sent as they are.
                "-a always,exit -S openat -F mntns_id=\\x00\\x10\\x00\\x00",
                "-a always,exit -S openat -F utsns_id=\\x01\\x01\\x01\\x01\\x01\\x01\\x01\\x01\\x01",
                "-a always,exit -S openat -F mntns_id&4096",
                "-a never,task -F mntns_id=4096",
                "-a always,exit -S openat -F f35=1",
            ]
        );
        // The lengths the kernel sees for the raw values.
        let len = |i: usize| u32::from_ne_bytes(rules[i].1.encode()[524..528].try_into().unwrap());
        assert_eq!((len(2), len(3)), (4, 9));
    }
}
