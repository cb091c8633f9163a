// SPDX-License-Identifier: GPL-2.0

//! Tests of the stress test's accounting.

use super::*;

const INIT_NET: u16 = 1345;
const DEL_NET: u16 = 1351;

fn subject() -> &'static str {
    "ppid=1 pid=2 auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 \
     tty=(none) ses=4294967295 comm=\"w\" exe=\"/bin/nsaudit\""
}

fn init(id: u64) -> String {
    format!(
        "audit(1.000:{id}): op=create {} dev=00:04 old_netns=4026531840 old_netns_id=1 \
         netns=4026532000 netns_id={id} res=1",
        subject()
    )
}

fn del(id: u64) -> String {
    format!(
        "audit(1.000:{id}): op=remove {} dev=00:04 netns=4026532000 netns_id={id} res=1",
        subject()
    )
}

fn expected(ids: &[u64]) -> BTreeSet<(NsKind, u64)> {
    ids.iter().map(|&i| (NsKind::Net, i)).collect()
}

#[test]
fn complete_records_pass() {
    let mut l = Ledger::default();
    for id in [10, 11] {
        l.add(INIT_NET, &init(id));
        l.add(DEL_NET, &del(id));
    }
    assert!(l.malformed.is_empty(), "{:?}", l.malformed);
    assert_eq!(account(&expected(&[10, 11]), &l, 0), Vec::<String>::new());
}

#[test]
fn silent_loss_fails() {
    let mut l = Ledger::default();
    l.add(INIT_NET, &init(10));
    let bad = account(&expected(&[10]), &l, 0);
    assert_eq!(bad.len(), 1);
    assert!(bad[0].contains("none lost"), "{bad:?}");
}

#[test]
fn counted_loss_passes_and_miscounted_loss_fails() {
    let mut l = Ledger::default();
    l.add(INIT_NET, &init(10));
    assert!(account(&expected(&[10]), &l, 1).is_empty());
    let more = account(&expected(&[10]), &l, 3);
    assert!(more.iter().any(|m| m.contains("counted 3")), "{more:?}");
    let fewer = account(&expected(&[10, 11]), &l, 1);
    assert!(fewer.iter().any(|m| m.contains("only 1 lost")), "{fewer:?}");
}

#[test]
fn duplicates_and_strangers_fail() {
    let mut l = Ledger::default();
    l.add(INIT_NET, &init(10));
    l.add(INIT_NET, &init(10));
    l.add(DEL_NET, &del(10));
    l.add(INIT_NET, &init(99));
    let bad = account(&expected(&[10]), &l, 0);
    assert!(bad.iter().any(|m| m.contains("duplicated")), "{bad:?}");
    assert!(
        bad.iter().any(|m| m.contains("no worker created")),
        "{bad:?}"
    );
}

#[test]
fn late_dels_of_other_namespaces_are_stragglers() {
    let mut l = Ledger::default();
    l.add(DEL_NET, &del(5));
    l.add(INIT_NET, &init(10));
    l.add(DEL_NET, &del(10));
    assert!(account(&expected(&[10]), &l, 0).is_empty());
    // With a straggler, a loss that is not all ours is not an error.
    let mut l2 = l.clone();
    l2.seen.remove(&(NsKind::Net, 10));
    l2.add(INIT_NET, &init(10));
    assert!(account(&expected(&[10]), &l2, 2).is_empty());
}

#[test]
fn malformed_and_other_records_are_kept_apart() {
    let mut l = Ledger::default();
    l.add(INIT_NET, "audit(1.000:1): op=create netns=1");
    l.add(1300, "audit(1.000:1): arch=c000003e syscall=272");
    assert_eq!(l.malformed.len(), 1);
    assert_eq!(l.others.get(&1300), Some(&1));
    assert!(account(&BTreeSet::new(), &l, 0)
        .iter()
        .any(|m| m.contains("malformed")));
}

#[test]
fn options_are_checked() {
    let ok = StressOptions {
        module: "/m.ko".into(),
        rounds: 1,
        workers: 2,
        churn: Duration::from_secs(1),
        batch: 3,
        flooders: 2,
    };
    assert!(ok.check().is_ok());
    for bad in [
        StressOptions {
            rounds: 0,
            ..ok.clone()
        },
        StressOptions {
            workers: 0,
            ..ok.clone()
        },
        StressOptions {
            batch: 0,
            ..ok.clone()
        },
        StressOptions {
            churn: Duration::ZERO,
            ..ok.clone()
        },
        StressOptions {
            flooders: 65,
            ..ok.clone()
        },
    ] {
        assert!(matches!(bad.check(), Err(StressError::Usage(_))));
    }
}

#[test]
fn churn_records_must_be_sound() {
    let mut created = Created::default();
    created.ns[NsKind::Net.index()] = 2;
    let flood_init = |id: u64| {
        init(id).replace(
            "uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0",
            "uid=65534 gid=65534 euid=65534 suid=65534 fsuid=65534 egid=65534 sgid=65534 \
             fsgid=65534",
        )
    };
    let mut l = FloodLedger::default();
    l.add(INIT_NET, &flood_init(10));
    l.add(DEL_NET, &del(10));
    // The churn's own namespaces, and removals whose INIT came while the module was out.
    l.add(INIT_NET, &init(20));
    l.add(DEL_NET, &del(21));
    assert_eq!(check_churn(&created, &l.tally()), Vec::<String>::new());
    // More flood INIT records than namespaces, a removal twice, a broken record.
    l.add(INIT_NET, &flood_init(11));
    l.add(INIT_NET, &flood_init(12));
    l.add(DEL_NET, &del(21));
    l.add(
        DEL_NET,
        "audit(1.000:9): op=remove dev=00:04 netns=1 netns_id=9 res=1",
    );
    let bad = check_churn(&created, &l.tally());
    assert_eq!(bad.len(), 3, "{bad:?}");
    assert!(bad[0].contains("break the reference"), "{bad:?}");
    assert!(bad[1].contains("came twice"), "{bad:?}");
    assert!(bad[2].contains("created 2 net namespaces but 3"), "{bad:?}");
}

#[test]
fn subsets_and_rng() {
    assert_eq!(kinds_of(0xff), NsKind::ALL.to_vec());
    assert_eq!(kinds_of(0x3f), NsKind::ALL[..6].to_vec());
    assert_eq!(kinds_of(0x20), vec![NsKind::Net]);
    assert_eq!(kinds_of(0x40), vec![NsKind::Cgroup]);
    assert_eq!(kinds_of(0x80), vec![NsKind::Time]);
    let mut a = Rng::new(7);
    let mut b = Rng::new(7);
    let xs: Vec<u64> = (0..10).map(|_| a.below(5)).collect();
    assert_eq!(xs, (0..10).map(|_| b.below(5)).collect::<Vec<_>>());
    assert!(xs.iter().all(|&x| x < 5));
}

#[test]
fn the_loader_masks_are_valid_and_cover_every_type() {
    let all = NsKind::ALL.iter().fold(0u32, |m, k| m | 1 << k.index());
    assert_eq!(format!("types={all:#x}"), ALL_TYPES);
    assert!(MASKS.contains(&all));
    for m in MASKS {
        assert!(m != 0 && m & !all == 0, "{m:#x}");
    }
    // Each type alone, so that a load writes the op=existing records of one type only.
    for k in NsKind::ALL {
        assert!(MASKS.contains(&(1 << k.index())), "{k:?}");
    }
}

#[test]
fn the_bad_parameters_are_bad() {
    let all = u64::from(NsKind::ALL.iter().fold(0u32, |m, k| m | 1 << k.index()));
    // Neither a number nor a mask of types: no bits, or a bit no type has.
    for p in BAD_PARAMS {
        let v = p.strip_prefix("types=").unwrap();
        let n = match v.strip_prefix("0x") {
            Some(hex) => u64::from_str_radix(hex, 16).ok(),
            None => v.parse::<u64>().ok(),
        };
        assert!(n.is_none_or(|n| n == 0 || n & !all != 0), "{p}");
    }
}
