// SPDX-License-Identifier: GPL-2.0

//! The scenarios, in the order [`Validator::run`] runs them.

use super::*;

impl<W: Write> Validator<W> {
    /// a: load the module; op=existing records for our own namespaces.
    pub(super) fn scenario_load(&mut self) {
        if module_loaded() {
            self.tap
                .note("ns_audit is loaded already: unloading it first");
            if let Err(e) = run_cmd("rmmod", &["ns_audit"]) {
                self.tap
                    .check(false, "load: rmmod the module loaded before", e);
            }
            self.settle(Duration::from_millis(500));
            self.flush("before load");
        }
        let loaded = self.insmod(&[]);
        let ok = loaded.is_ok();
        self.tap.check(
            ok,
            &format!("load: insmod {}", self.opts.module.display()),
            loaded.as_ref().err().cloned().unwrap_or_default(),
        );
        let Ok(insmod) = loaded else {
            return;
        };
        let own = self.own.clone();
        let got = self.collect(Duration::from_secs(1), Duration::from_secs(5), move |g| {
            own.iter()
                .all(|(k, id)| ns_of(g).any(|r| r.kind == *k && r.init && r.ns == *id))
        });
        let mut checks = eval_load(&got, &self.own);
        checks.push(eval_load_subject(&got, insmod));
        self.tap.report(checks);
        self.flush("load");
    }

    /// b, c, d, i: create the namespaces of `kinds` in a child and check INIT and DEL.
    pub(super) fn scenario_create(
        &mut self,
        label: &str,
        kinds: &[NsKind],
        method: Method,
        comm: Option<&str>,
    ) -> Option<(Vec<Got>, Spawned)> {
        let mut child = self.spawn(label, kinds, method, comm, Hold::UntilReleased)?;
        let info = child.info.clone();
        let want: Vec<(NsKind, u64)> = kinds
            .iter()
            .filter_map(|k| info.ns.get(k).map(|i| (*k, i.id)))
            .collect();
        let actor = info.actor.to_string();
        let mut got = self.collect(
            Duration::from_millis(200),
            Duration::from_secs(5),
            move |g| {
                want.iter().all(|&(k, id)| has_ns(g, k, true, id))
                    && g.iter()
                        .filter_map(|x| x.rec.as_ref())
                        .any(|r| r.ty == AUDIT_SYSCALL && r.get("pid") == Some(actor.as_str()))
            },
        );
        self.release(label, &mut child);
        let ids: Vec<(NsKind, NsIdent)> = kinds
            .iter()
            .filter_map(|k| info.ns.get(k).map(|i| (*k, *i)))
            .collect();
        let dels = self.wait_dels(&ids);
        got.extend(dels);
        let checks = eval_create(label, &got, kinds, &info, &self.own, method);
        self.tap.report(checks);
        let checks = eval_dels(label, &got, &ids, &[info.actor, info.holder]);
        self.tap.report(checks);
        self.flush(label);
        Some((got, info))
    }

    /// Audit disabled: no namespace record at all, and records again once it is enabled.
    pub(super) fn scenario_disabled(&mut self) {
        let label = "disabled";
        let off = self.sock.set_enabled(0);
        let ok = off.is_ok();
        self.tap.check(
            ok,
            "disabled: auditctl -e 0",
            off.err().map(|e| e.to_string()).unwrap_or_default(),
        );
        if !ok {
            return;
        }
        let child = self.spawn(label, &NsKind::ALL, Method::Unshare, None, Hold::ExitAtOnce);
        // Long enough for the removals that run in workers (user, pid, net).
        let got = self.settle(Duration::from_millis(2500));
        if child.is_some() {
            self.tap.report(vec![eval_none(
                "disabled: no namespace record while audit is disabled",
                &got,
                |g| g.ns.is_some() || is_ns_type(g.ty),
            )]);
        }
        let on = self.sock.set_enabled(1);
        let ok = on.is_ok();
        self.tap.check(
            ok,
            "disabled: auditctl -e 1",
            on.err().map(|e| e.to_string()).unwrap_or_default(),
        );
        if ok {
            if let Some(child) = self.spawn(
                label,
                &[NsKind::Uts],
                Method::Unshare,
                None,
                Hold::ExitAtOnce,
            ) {
                if let Some(&uts) = child.info.ns.get(&NsKind::Uts) {
                    let got = self.collect(
                        Duration::from_millis(300),
                        Duration::from_secs(10),
                        move |g| has_ns(g, NsKind::Uts, false, uts.id),
                    );
                    self.tap.check(
                        has_ns(&got, NsKind::Uts, true, uts.id)
                            && has_ns(&got, NsKind::Uts, false, uts.id),
                        "disabled: INIT_UTS and DEL_UTS come again once audit is enabled",
                        "missing",
                    );
                }
            }
        }
        self.flush(label);
    }

    /// i: a comm made to look like more fields.
    pub(super) fn scenario_comm(&mut self) {
        let label = "comm injection";
        let Some((got, info)) =
            self.scenario_create(label, &[NsKind::Uts], Method::Unshare, Some(INJECTION_COMM))
        else {
            return;
        };
        let init = got.iter().find(|g| {
            g.ty == NsKind::Uts.init_type()
                && g.ns
                    .as_ref()
                    .is_some_and(|r| Some(r.ns) == info.ns.get(&NsKind::Uts).copied())
        });
        // The INIT record carries comm itself, as the SYSCALL record of its event does.
        let syscall = init
            .and_then(|g| g.ns.as_ref())
            .and_then(|r| syscall_of(&got, r.serial));
        let hex = |r: &Record| r.get("comm").is_some_and(|c| !c.starts_with('"'));
        let fields_ok = init
            .and_then(|g| g.rec.as_ref())
            .zip(syscall)
            .is_some_and(|(r, sc)| {
                let keys = r.keys();
                !keys.contains(&"type")
                    && !keys.contains(&"msg")
                    && keys.iter().filter(|k| **k == "comm").count() == 1
                    && hex(r)
                    && hex(sc)
            });
        self.tap.check(
            fields_ok,
            "comm injection: the record's and the event's comm are hex-encoded and add no field",
            match (init, syscall) {
                (Some(g), Some(sc)) => format!("{} | {}", g.log_line(), sc.to_log_line()),
                (Some(g), None) => format!("{} and no SYSCALL record", g.log_line()),
                _ => "no INIT_UTS record".into(),
            },
        );
        let decoded = init
            .and_then(|g| g.ns.as_ref())
            .and_then(|r| check_event_subject(r, syscall).ok())
            .map(|s| s.comm);
        self.tap.check(
            decoded.as_deref() == Some(info.comm.as_slice())
                && info.comm == INJECTION_COMM.as_bytes(),
            "comm injection: comm decodes to the bytes of /proc/PID/comm",
            format!(
                "record {:?}, /proc {:?}",
                decoded.map(|d| String::from_utf8_lossy(&d).into_owned()),
                String::from_utf8_lossy(&info.comm)
            ),
        );
    }

    /// j: after rmmod nothing is logged.
    pub(super) fn scenario_rmmod(&mut self) {
        let r = run_cmd("rmmod", &["ns_audit"]);
        let ok = r.is_ok();
        self.tap
            .check(ok, "rmmod: rmmod ns_audit", r.err().unwrap_or_default());
        let mut got = self.settle(Duration::from_millis(300));
        if ok {
            for k in NsKind::ALL {
                self.spawn("rmmod", &[k], Method::Unshare, None, Hold::ExitAtOnce);
            }
            self.spawn(
                "rmmod",
                &NsKind::ALL,
                Method::Clone3,
                None,
                Hold::ExitAtOnce,
            );
            got.extend(self.settle(Duration::from_secs(2)));
            self.tap.report(vec![eval_none(
                "rmmod: no AUDIT_NS_* record once the module is gone",
                &got,
                |g| is_ns_type(g.ty),
            )]);
        }
        self.flush("rmmod");
    }
}
