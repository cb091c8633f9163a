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
    );
    assert_eq!(clone_flag(NsKind::Mnt).bits(), 0x0002_0000);
    assert_eq!(clone_flag(NsKind::Net).bits(), 0x4000_0000);
}

#[test]
fn reports_round_trip() {
    let mut ns = BTreeMap::new();
    for (i, k) in NsKind::ALL.into_iter().enumerate() {
        let i = i as u64;
        ns.insert(
            k,
            NsIdent {
                inum: 4026531840 + i,
                id: 1 << (40 + i),
            },
        );
    }
    let s = Spawned {
        actor: 1234,
        holder: 1235,
        comm: b"x \"=type=AVC m".to_vec(),
        ns,
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
