// SPDX-License-Identifier: GPL-2.0

use super::*;

#[test]
fn ns_get_id_request_code() {
    assert_eq!(nix::request_code_read!(0xb7, 0x0d, 8), NS_GET_ID);
}

#[test]
fn clone_flags_of_kinds() {
    assert_eq!(clone_flags(&[]), CloneFlags::empty());
    assert_eq!(
        clone_flags(&NsKind::ALL).bits(),
        libc::CLONE_NEWNS
            | libc::CLONE_NEWUTS
            | libc::CLONE_NEWIPC
            | libc::CLONE_NEWUSER
            | libc::CLONE_NEWPID
            | libc::CLONE_NEWNET
            | libc::CLONE_NEWCGROUP
            | libc::CLONE_NEWTIME
    );
    assert_eq!(clone_flag(NsKind::Mnt).bits(), 0x0002_0000);
    assert_eq!(clone_flag(NsKind::Net).bits(), 0x4000_0000);
    // include/uapi/linux/sched.h: CLONE_NEWCGROUP 0x02000000, CLONE_NEWTIME 0x00000080.
    assert_eq!(clone_flag(NsKind::Cgroup).bits(), 0x0200_0000);
    assert_eq!(clone_flag(NsKind::Time).bits(), 0x80);
}

#[test]
fn reports_round_trip() {
    // Every identity different, the actor's from the new ones, so that a field read from the
    // wrong offset shows.
    let idents = |base: u64| -> BTreeMap<NsKind, NsIdent> {
        NsKind::ALL
            .into_iter()
            .enumerate()
            .map(|(i, k)| {
                let i = i as u64;
                let id = NsIdent {
                    inum: 4026531840 + base + i,
                    id: (1 << (40 + i)) + base,
                };
                (k, id)
            })
            .collect()
    };
    let s = Spawned {
        actor: 1234,
        holder: 1235,
        comm: b"x \"=type=AVC m".to_vec(),
        ns: idents(0),
        actor_ns: idents(100),
    };
    assert_eq!(decode_report(&encode_report(&Ok(s.clone()))), Ok(s));
    let e = decode_report(&encode_report(&Err((Stage::Unshare, Errno::EPERM))));
    assert_eq!(e, Err((Stage::Unshare, Errno::EPERM)));
}

#[test]
fn stage_codes_round_trip() {
    for c in 0..=255u8 {
        assert_eq!(Stage::from_code(c).code(), c);
    }
    assert_eq!(Stage::Setns.to_string(), "setns");
}

#[test]
fn probe_reports_round_trip() {
    let p = Probed {
        pid: 4321,
        ids: crate::nsinfo::NsInfo([1 << 40, 2, 3, 1 << 41, 5, 6, u64::MAX, 8]),
    };
    assert_eq!(probe::decode_probe(&probe::encode_probe(&Ok(p))), Ok(p));
    let e = (Stage::Probe, Errno::EACCES);
    assert_eq!(probe::decode_probe(&probe::encode_probe(&Err(e))), Err(e));
    assert_eq!(Stage::Probe.to_string(), "the probe's system calls");
    assert_eq!(probe::PROBE_LEN, 73);
}
