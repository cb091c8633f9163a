// SPDX-License-Identifier: GPL-2.0

//! Tests of the flood's options, ledger and verdict, with records written from the format in
//! `Documentation/records.rst`.

use super::*;
use clap::Parser;

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    flood: FloodArgs,
}

fn args(argv: &[&str]) -> Result<FloodArgs, clap::Error> {
    let mut v = vec!["flood"];
    v.extend_from_slice(argv);
    Cli::try_parse_from(v).map(|c| c.flood)
}

fn subject(uid: u32, pid: u64) -> String {
    format!(
        "ppid=300 pid={pid} auid=4294967295 uid={uid} gid={uid} euid={uid} suid={uid} \
         fsuid={uid} egid={uid} sgid={uid} fsgid={uid} tty=(none) ses=4294967295 \
         comm=\"nsaudit\" exe=\"/bin/nsaudit\""
    )
}

const KWORKER: &str = "ppid=2 pid=41 auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 \
egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295 comm=\"kworker/u8:1\" exe=(null)";

/// The creation of namespace `id` by a child of a worker, pid 1000 + `id`, in event `id`.
fn init(kind: NsKind, id: u64, uid: u32) -> (u16, String) {
    let t = kind.name();
    (
        kind.init_type(),
        format!(
            "audit(1700000000.100:{id}): op=create {} dev=00:04 old_{t}ns=4026531840 \
             old_{t}ns_id=1 {t}ns=4026532000 {t}ns_id={id} res=1",
            subject(uid, 1000 + id)
        ),
    )
}

/// The removal of namespace `id` by the kernel worker pid 41, in event 10000 + `id`.
fn del(kind: NsKind, id: u64) -> (u16, String) {
    let t = kind.name();
    (
        kind.del_type(),
        format!(
            "audit(1700000001.100:{}): op=remove {KWORKER} dev=00:04 {t}ns=4026532000 \
             {t}ns_id={id} res=1",
            id + 10_000
        ),
    )
}

fn created(user: u64, net: u64) -> Created {
    let mut c = Created::default();
    c.ns[NsKind::User.index()] = user;
    c.ns[NsKind::Net.index()] = net;
    c
}

/// A ledger with INIT and DEL records of `user` user and `net` network namespaces.
fn ledger(user: u64, net: u64) -> FloodLedger {
    let mut l = FloodLedger::default();
    for (kind, n, base) in [(NsKind::User, user, 100), (NsKind::Net, net, 500)] {
        for id in base..base + n {
            let (ty, text) = init(kind, id, NOBODY);
            l.add(ty, &text);
            let (ty, text) = del(kind, id);
            l.add(ty, &text);
        }
    }
    l
}

fn run_of(c: Created, l: &FloodLedger, lost: (u64, u64)) -> FloodRun {
    FloodRun {
        created: c,
        tally: l.tally(),
        excluded: Vec::new(),
        lost,
        flooding: Duration::from_secs(2),
        reading: Duration::from_secs(3),
    }
}

#[test]
fn defaults_and_ranges() {
    let a = args(&[]).unwrap();
    assert_eq!(
        a.module.path.module,
        std::path::PathBuf::from("/lib/modules/ns_audit.ko")
    );
    assert!(!a.module.no_load);
    assert_eq!(
        (a.audit.backlog, a.audit.failure, a.audit.reader_delay_us),
        (64, 2, 0)
    );
    assert_eq!((a.workers, a.seconds, a.quiet), (4, 15, 10));
    assert!(!a.task_never && !a.allow_lost && a.exclude_msgtype.is_empty());
    let o = a.options().unwrap();
    assert_eq!(o.kinds, NsKind::ALL.to_vec());
    for bad in [
        &["--failure", "3"][..],
        &["--workers", "0"],
        &["--seconds", "0"],
        &["--types", "user,bogus"],
        &["--reader-delay-us", "-1"],
        &["--backlog", "x"],
    ] {
        assert!(args(bad).is_err(), "{bad:?}");
    }
    let a = args(&["--types", "net,user,net", "--task-never", "--no-load"]).unwrap();
    assert_eq!(a.options().unwrap().kinds, [NsKind::User, NsKind::Net]);
    assert!(a.task_never && a.module.no_load);
    let e = args(&["--types", "net,uts"])
        .unwrap()
        .options()
        .unwrap_err();
    assert!(e.contains("add user"), "{e}");
}

#[test]
fn worker_reports_round_trip() {
    let mut c = created(7, 3);
    c.refused = 2;
    c.fork_failed = 1;
    c.last_errno = 28;
    assert_eq!(Created::decode(&c.encode()), c);
    let mut sum = Created::default();
    sum.add(&c);
    sum.add(&created(1, 0));
    assert_eq!((sum.total(), sum.refused, sum.last_errno), (11, 2, 28));
}

#[test]
fn the_ledger_tells_the_flood_from_the_rest() {
    let mut l = ledger(3, 2);
    // root's namespace, a SYSCALL record, an op=existing record: not the flood's.
    let (ty, text) = init(NsKind::Uts, 900, 0);
    l.add(ty, &text);
    l.add(1300, "audit(1.000:1): arch=c000003e syscall=272");
    let existing = init(NsKind::Mnt, 901, NOBODY)
        .1
        .replace("op=create", "op=existing");
    l.add(1340, &existing);
    // A record without the subject.
    l.add(
        1351,
        "audit(1.000:2): op=remove dev=00:04 netns=4026532000 netns_id=7 res=1",
    );
    let t = l.tally();
    assert_eq!(t.init[NsKind::User.index()], 3);
    assert_eq!(t.del[NsKind::Net.index()], 2);
    assert_eq!((t.others, t.malformed), (3, 1));
    assert_eq!(t.other_types.get(&1300), Some(&1));
    assert_eq!(t.other_types.get(&1341), Some(&1));
    assert!(t
        .first_malformed
        .as_deref()
        .unwrap_or("")
        .contains("no subject"));
    assert_eq!(t.flood_records(), 10);
    assert_eq!(l.flood_records(), 10);
    assert!(l.last_flood_record().is_some());
}

#[test]
fn a_complete_flood_without_loss_passes() {
    let l = ledger(10, 5);
    let run = run_of(created(10, 5), &l, (4, 4));
    assert!(run.tally.complete(&run.created, &[]));
    assert_eq!(run.tally.missing(&run.created, &[]), 0);
    let v = verdict(&run, false);
    assert!(v.ok, "{v:?}");
    assert!(
        v.line.starts_with("flood: ok: all 15 namespaces"),
        "{}",
        v.line
    );
    assert!((run.ns_per_s() - 7.5).abs() < 1e-9);
    assert!((run.records_per_s() - 10.0).abs() < 1e-9);
}

#[test]
fn a_silent_loss_fails() {
    // A DEL missing, and audit says it lost nothing.
    let mut l = ledger(10, 0);
    let (ty, text) = init(NsKind::User, 50, NOBODY);
    l.add(ty, &text);
    let v = verdict(&run_of(created(11, 0), &l, (0, 0)), false);
    assert!(!v.ok);
    assert!(
        v.line.contains("1 records of the flood missing"),
        "{}",
        v.line
    );
    assert!(v.line.contains("silent"), "{}", v.line);
    // Fewer namespaces reported than created, e.g. the workers' count is wrong.
    let v = verdict(&run_of(created(12, 0), &ledger(10, 0), (0, 0)), false);
    assert!(!v.ok && v.line.contains("4 records"), "{}", v.line);
}

#[test]
fn a_loss_fails_and_says_whether_it_is_accounted() {
    // Two namespaces: one lost its INIT (its DEL came), one its DEL.
    let mut l = ledger(8, 0);
    let (ty, text) = init(NsKind::User, 160, NOBODY);
    l.add(ty, &text);
    let (ty, text) = del(NsKind::User, 161);
    l.add(ty, &text);
    let run = run_of(created(10, 0), &l, (5, 7));
    assert_eq!(run.tally.missing(&run.created, &[]), 2);
    assert_eq!(run.tally.del_unmatched[NsKind::User.index()], 1);
    let v = verdict(&run, false);
    assert!(!v.ok);
    assert!(
        v.line.contains("audit lost 2 records; 2 records"),
        "{}",
        v.line
    );
    assert!(v.line.contains("all of them counted"), "{}", v.line);
    // --allow-lost passes a loss that is accounted for, and says so.
    let v = verdict(&run, true);
    assert!(v.ok && v.line.contains("--allow-lost"), "{}", v.line);
    // More missing than lost, or fewer with nothing else generated: not accounted.
    for lost in [(5, 6), (5, 9)] {
        let run = run_of(created(10, 0), &l, lost);
        let v = verdict(&run, true);
        assert!(!v.ok && v.line.contains("NOT what"), "{lost:?}: {}", v.line);
    }
    // Fewer missing than lost is accounted for when other records were generated (and lost).
    let mut l2 = l;
    l2.add(1300, "audit(1.000:1): arch=c000003e syscall=272");
    let v = verdict(&run_of(created(10, 0), &l2, (5, 9)), true);
    assert!(v.ok, "{}", v.line);
}

#[test]
fn broken_duplicated_or_foreign_records_fail() {
    let mut l = ledger(3, 0);
    let (ty, text) = del(NsKind::User, 100);
    l.add(ty, &text);
    let v = verdict(&run_of(created(3, 0), &l, (0, 0)), true);
    assert!(!v.ok && v.line.contains("arrived twice"), "{}", v.line);
    let mut l = ledger(3, 0);
    l.add(1345, "audit(1.000:3): op=create");
    let v = verdict(&run_of(created(3, 0), &l, (0, 0)), true);
    assert!(
        !v.ok && v.line.contains("break the reference"),
        "{}",
        v.line
    );
    let v = verdict(&run_of(created(2, 0), &ledger(3, 0), (0, 0)), true);
    assert!(!v.ok && v.line.contains("more INIT records"), "{}", v.line);
    let v = verdict(&run_of(created(0, 0), &ledger(0, 0), (0, 0)), true);
    assert!(!v.ok && v.line.contains("no namespace"), "{}", v.line);
    // A DEL of a namespace the flood did not create, with everything else complete.
    let mut l = ledger(3, 0);
    let (ty, text) = del(NsKind::Net, 999);
    l.add(ty, &text);
    let v = verdict(&run_of(created(3, 0), &l, (0, 0)), false);
    assert!(!v.ok && v.line.contains("did not create"), "{}", v.line);
}

#[test]
fn a_tasks_records_out_of_serial_order_fail() {
    // Three user namespaces; the kernel worker's removals arrive :10102, :10101, :10100.
    let mut l = FloodLedger::default();
    for id in 100..103 {
        let (ty, text) = init(NsKind::User, id, NOBODY);
        l.add(ty, &text);
    }
    for id in (100..103).rev() {
        let (ty, text) = del(NsKind::User, id);
        l.add(ty, &text);
    }
    let run = run_of(created(3, 0), &l, (0, 0));
    assert!(run.tally.complete(&run.created, &[]));
    assert_eq!(run.tally.out_of_order, 2);
    let v = verdict(&run, true);
    assert!(!v.ok);
    assert_eq!(
        v.line,
        "flood: FAIL: 2 namespace records arrived after a record of the same task with a \
         higher serial, e.g. pid 41: serial 10101 at record 5 after serial 10102 at record 4"
    );
    // The INIT records of the workers' children, each its own task, come in any order; so
    // do the records of no task.
    let mut l = FloodLedger::default();
    for id in [102, 100, 101] {
        let (ty, text) = init(NsKind::User, id, NOBODY);
        l.add(ty, &text);
    }
    for id in 100..103 {
        let (ty, text) = del(NsKind::User, id);
        l.add(ty, &text);
    }
    let (ty, text) = del(NsKind::User, 90);
    l.add(
        ty,
        &text.replace(KWORKER, crate::reference::NO_TASK_SUBJECT),
    );
    assert_eq!(l.tally().out_of_order, 0);
}

/// A run of `created` with the types `excluded`, whose ledger got the records of `adds`.
fn excluding(c: Created, excluded: &[u16], adds: &[(u16, String)]) -> FloodRun {
    let mut l = FloodLedger::default();
    for (ty, text) in adds {
        l.add(*ty, text);
    }
    FloodRun {
        excluded: excluded.to_vec(),
        ..run_of(c, &l, (0, 0))
    }
}

/// The records of `user` user and `net` network namespaces, with the types `excluded` left out.
fn records_but(user: u64, net: u64, excluded: &[u16]) -> Vec<(u16, String)> {
    let mut v = Vec::new();
    for (kind, n, base) in [(NsKind::User, user, 100), (NsKind::Net, net, 500)] {
        for id in base..base + n {
            v.push(init(kind, id, NOBODY));
            v.push(del(kind, id));
        }
    }
    v.retain(|(ty, _)| !excluded.contains(ty));
    v
}

#[test]
fn excluded_init_records_are_not_expected_and_every_del_is() {
    let ex = [1343, 1345];
    let run = excluding(created(3, 2), &ex, &records_but(3, 2, &ex));
    assert!(run.tally.complete(&run.created, &ex));
    assert_eq!(run.tally.del_unmatched[NsKind::User.index()], 3);
    let v = verdict(&run, false);
    assert!(v.ok, "{v:?}");
    assert_eq!(
        v.line,
        "flood: ok: all 5 namespaces have their records but those of msgtype 1343,1345 \
         (excluded, none arrived), audit lost none; 2 namespaces/s"
    );
    // A DEL missing.
    let mut adds = records_but(3, 2, &ex);
    adds.pop();
    let v = verdict(&excluding(created(3, 2), &ex, &adds), false);
    assert!(
        !v.ok && v.line.contains("1 records of the flood missing"),
        "{}",
        v.line
    );
    // An excluded record that arrived.
    let mut adds = records_but(3, 2, &ex);
    adds.push(init(NsKind::User, 103, NOBODY));
    adds.push(init(NsKind::Net, 502, 0));
    let v = verdict(&excluding(created(4, 2), &ex, &adds), false);
    assert_eq!(
        v.line,
        "flood: FAIL: records of excluded types arrived (1 of 1343, 1 of 1345): the exclude \
         rules did not drop them"
    );
    // The user namespaces' INIT excluded alone: the network namespaces' are still matched.
    let ex = [1343];
    let mut adds = records_but(3, 2, &ex);
    adds.retain(|(ty, text)| *ty != 1345 || !text.contains("netns_id=501 "));
    let run = excluding(created(3, 2), &ex, &adds);
    assert!(!run.tally.complete(&run.created, &ex));
    assert_eq!(run.tally.missing(&run.created, &ex), 1);
}

#[test]
fn excluded_del_records_are_not_expected_and_every_init_is() {
    let ex = [1349, 1351];
    let run = excluding(created(3, 2), &ex, &records_but(3, 2, &ex));
    assert!(run.tally.complete(&run.created, &ex));
    assert!(verdict(&run, false).ok);
    // A removal that came through.
    let mut adds = records_but(3, 2, &ex);
    adds.push(del(NsKind::Net, 500));
    let v = verdict(&excluding(created(3, 2), &ex, &adds), false);
    assert!(!v.ok && v.line.contains("(1 of 1351)"), "{}", v.line);
    // Without the exclusion the same records miss their DELs.
    let run = excluding(created(3, 2), &[], &records_but(3, 2, &ex));
    assert_eq!(run.tally.missing(&run.created, &[]), 5);
}

#[test]
fn exclude_msgtype_options_and_rules() {
    let a = args(&[
        "--exclude-msgtype",
        "1349",
        "--exclude-msgtype",
        "1343",
        "--exclude-msgtype",
        "1349",
    ])
    .unwrap();
    let o = a.options().unwrap();
    assert_eq!(o.excluded, [1343, 1349]);
    assert_eq!(
        o.rules(),
        [Rule::ExcludeMsgtype(1343), Rule::ExcludeMsgtype(1349)]
    );
    assert!(o.excludes_a_del());
    let o = args(&["--task-never", "--exclude-msgtype", "1356"])
        .unwrap()
        .options()
        .unwrap();
    assert_eq!(o.rules(), [Rule::TaskNever, Rule::ExcludeMsgtype(1356)]);
    assert!(!o.excludes_a_del());
    assert!(args(&[]).unwrap().options().unwrap().rules().is_empty());
    // The range is EXCLUDABLE.
    for ok in [*EXCLUDABLE.start(), *EXCLUDABLE.end()] {
        assert!(
            args(&["--exclude-msgtype", &ok.to_string()]).is_ok(),
            "{ok}"
        );
    }
    for bad in ["1339", "1357", "1300", "x", "-1"] {
        assert!(args(&["--exclude-msgtype", bad]).is_err(), "{bad}");
    }
    // The DEL of a kind not flooded is not one the flood must settle for.
    let o = args(&["--types", "user", "--exclude-msgtype", "1351"])
        .unwrap()
        .options()
        .unwrap();
    assert!(!o.excludes_a_del());
}

#[test]
fn the_report_shows_counts_rates_loss_and_verdict() {
    let a = args(&["--reader-delay-us", "2000", "--seconds", "5"]).unwrap();
    let o = a.options().unwrap();
    let l = ledger(4, 2);
    let run = run_of(created(4, 2), &l, (0, 0));
    let v = verdict(&run, false);
    let text = render(&o, &run, &v);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].contains("backlog 64, failure 2, reader sleeping 2000 us per record"));
    assert!(lines[0].contains("4 workers as uid 65534 for 5 s"));
    assert!(!lines[0].contains("exclude"));
    let o = args(&["--exclude-msgtype", "1343", "--exclude-msgtype", "1345"])
        .unwrap()
        .options()
        .unwrap();
    let first = render(&o, &run, &v);
    assert!(
        first
            .lines()
            .next()
            .unwrap()
            .ends_with(", -a always,exclude -F msgtype=1343, -a always,exclude -F msgtype=1345"),
        "{first}"
    );
    assert!(lines[1].contains("mnt") && lines[1].ends_with("total"));
    assert!(lines[2].starts_with("flood: created") && lines[2].ends_with(" 6"));
    assert!(lines[3].starts_with("flood: INIT"));
    assert!(lines[4].starts_with("flood: DEL"));
    assert!(text.contains("12 records of the flood in 3.0 s: 4 records/s; 3 namespaces/s"));
    assert!(text.contains("0 malformed; other records: none"));
    assert!(text.contains("audit lost 0 records (lost counter 0 -> 0)"));
    assert_eq!(lines.last(), Some(&v.line.as_str()));
}

#[test]
fn a_worker_unshares_in_a_child() {
    // As whoever runs the test: a user namespace, if this system allows it, or an errno.
    match unshare_in_child(clone_flags(&[NsKind::User]).bits()) {
        Ok(()) => {}
        Err(Some(e)) => assert!(e > 0),
        Err(None) => panic!("fork failed"),
    }
    // Flags that make no sense fail in the child, with its errno.
    assert_eq!(unshare_in_child(-1), Err(Some(libc::EINVAL)));
}
