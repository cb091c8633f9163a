// SPDX-License-Identifier: GPL-2.0

//! Audit's features (`struct audit_features`): read with `AUDIT_GET_FEATURE`, whose reply
//! carries the structure, and changed with `AUDIT_SET_FEATURE`, which carries one.  A change
//! writes an `AUDIT_FEATURE_CHANGE` record (`feature=ns_info old=0 new=1 ... res=1`).
//!
//! Series v7 adds `AUDIT_FEATURE_NS_INFO` (2): the audit core writes `AUDIT_NS_INFO` records
//! only while it is on, and it is off when the kernel boots.  A kernel without it ignores the
//! bit or refuses it with `EINVAL`; either way it does not read back as set, which
//! [`AuditSocket::set_ns_info`] reports as [`AuditError::NoNsInfo`].

use super::rules::encode_raw;
use super::{AuditError, AuditSocket, Incoming};
use std::time::Duration;

/// `AUDIT_SET_FEATURE`, `AUDIT_GET_FEATURE`.
pub const AUDIT_SET_FEATURE: u16 = 1018;
pub const AUDIT_GET_FEATURE: u16 = 1019;
/// `AUDIT_FEATURE_CHANGE`: the record of a change.
pub const AUDIT_FEATURE_CHANGE: u16 = 1328;
/// `AUDIT_FEATURE_VERSION`: the `vers` of the structure.
pub const AUDIT_FEATURE_VERSION: u32 = 1;
/// `AUDIT_FEATURE_ONLY_UNSET_LOGINUID`, `AUDIT_FEATURE_LOGINUID_IMMUTABLE`.
pub const AUDIT_FEATURE_ONLY_UNSET_LOGINUID: u32 = 0;
pub const AUDIT_FEATURE_LOGINUID_IMMUTABLE: u32 = 1;
/// `AUDIT_FEATURE_NS_INFO` (series v7): the audit core writes `AUDIT_NS_INFO` records.
pub const AUDIT_FEATURE_NS_INFO: u32 = 2;
/// `AUDIT_LAST_FEATURE` of series v7.
pub const AUDIT_LAST_FEATURE: u32 = AUDIT_FEATURE_NS_INFO;
/// Bytes of `struct audit_features`: `vers`, `mask`, `features`, `lock`.
pub const FEATURES_LEN: usize = 16;
/// How long a request waits for the kernel's reply.
const FEATURE_TIMEOUT: Duration = Duration::from_secs(5);

/// The kernel's names of the features (`audit_feature_names`), by bit.
const NAMES: [&str; 3] = ["only_unset_loginuid", "loginuid_immutable", "ns_info"];

/// The name the kernel gives feature `bit` in `AUDIT_FEATURE_CHANGE` records.
pub fn feature_name(bit: u32) -> Option<&'static str> {
    NAMES.get(bit as usize).copied()
}

/// `AUDIT_FEATURE_TO_MASK(bit)`.
pub fn feature_mask(bit: u32) -> u32 {
    1 << (bit & 31)
}

/// `struct audit_features`, in host byte order on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Features {
    /// [`AUDIT_FEATURE_VERSION`].
    pub vers: u32,
    /// The bits a request changes; the kernel's reply leaves it 0.
    pub mask: u32,
    /// The bits that are on (of those in `mask`, for a request).
    pub features: u32,
    /// The bits that cannot change until the next boot.
    pub lock: u32,
}

impl Features {
    /// The request that turns feature `bit` on or off and locks nothing.
    pub fn change(bit: u32, on: bool) -> Features {
        let mask = feature_mask(bit);
        Features {
            vers: AUDIT_FEATURE_VERSION,
            mask,
            features: if on { mask } else { 0 },
            lock: 0,
        }
    }

    /// Whether feature `bit` is on.
    pub fn is_on(&self, bit: u32) -> bool {
        self.features & feature_mask(bit) != 0
    }

    /// Whether feature `bit` is locked.
    pub fn is_locked(&self, bit: u32) -> bool {
        self.lock & feature_mask(bit) != 0
    }

    /// The structure's bytes.
    pub fn encode(&self) -> [u8; FEATURES_LEN] {
        let mut b = [0u8; FEATURES_LEN];
        let words = [self.vers, self.mask, self.features, self.lock];
        for (chunk, w) in b.chunks_exact_mut(4).zip(words) {
            chunk.copy_from_slice(&w.to_ne_bytes());
        }
        b
    }

    /// The structure from the payload of an `AUDIT_GET_FEATURE` reply.
    pub fn decode(b: &[u8]) -> Result<Features, String> {
        if b.len() < FEATURES_LEN {
            return Err(format!(
                "AUDIT_GET_FEATURE reply of {} bytes, struct audit_features has {FEATURES_LEN}",
                b.len()
            ));
        }
        let w = |i: usize| u32::from_ne_bytes([b[4 * i], b[4 * i + 1], b[4 * i + 2], b[4 * i + 3]]);
        Ok(Features {
            vers: w(0),
            mask: w(1),
            features: w(2),
            lock: w(3),
        })
    }

    /// `ns_info: on` or `ns_info: off`, with `(locked)` if it is: how `nsaudit rules -l`
    /// shows [`AUDIT_FEATURE_NS_INFO`].
    pub fn ns_info_line(&self) -> String {
        ns_info_line(
            self.is_on(AUDIT_FEATURE_NS_INFO),
            self.is_locked(AUDIT_FEATURE_NS_INFO),
        )
    }
}

/// `on` or `off`.
pub fn on_off(on: bool) -> &'static str {
    if on {
        "on"
    } else {
        "off"
    }
}

/// `ns_info: on` or `ns_info: off`, with ` (locked)` if `locked`.
pub fn ns_info_line(on: bool, locked: bool) -> String {
    format!(
        "ns_info: {}{}",
        on_off(on),
        if locked { " (locked)" } else { "" }
    )
}

/// What a refused `AUDIT_SET_FEATURE` of [`AUDIT_FEATURE_NS_INFO`] means, given the features
/// before it: `EINVAL` is a kernel without the bit; `EPERM` a locked bit, or a caller without
/// `CAP_AUDIT_CONTROL`.
pub fn explain_ns_info_refusal(e: AuditError, before: &Features, on: bool) -> AuditError {
    let AuditError::Refused { what, source } = e else {
        return e;
    };
    match source.raw_os_error() {
        Some(libc::EINVAL) => AuditError::NoNsInfo(format!("{what}: {source}")),
        Some(libc::EPERM) if before.is_locked(AUDIT_FEATURE_NS_INFO) => AuditError::Refused {
            what: format!(
                "{what}: ns_info is locked {} until the next boot",
                on_off(before.is_on(AUDIT_FEATURE_NS_INFO))
            ),
            source,
        },
        Some(libc::EPERM) => AuditError::Refused {
            what: format!("{what} (needs CAP_AUDIT_CONTROL: run it as root)"),
            source,
        },
        _ => AuditError::Refused {
            what: format!("{what} (ns_info {})", on_off(on)),
            source,
        },
    }
}

impl AuditSocket {
    /// Audit's features (`AUDIT_GET_FEATURE`).
    pub fn get_features(&mut self) -> Result<Features, AuditError> {
        let seq = self.next_seq();
        self.send_raw(&encode_raw(AUDIT_GET_FEATURE, seq, &[]))?;
        // The reply comes from a kernel thread (audit_send_reply()), before or after the ack.
        self.await_reply(seq, "AUDIT_GET_FEATURE", FEATURE_TIMEOUT, |m| match m {
            Incoming::Features { seq: s, features } if s == seq => Some(Ok(features)),
            _ => None,
        })
    }

    /// Turns feature `bit` on or off (`AUDIT_SET_FEATURE`, locking nothing).
    pub fn set_feature(&mut self, bit: u32, on: bool) -> Result<(), AuditError> {
        let seq = self.next_seq();
        let msg = encode_raw(AUDIT_SET_FEATURE, seq, &Features::change(bit, on).encode());
        let name = feature_name(bit).map_or_else(|| format!("feature {bit}"), str::to_string);
        let what = format!("AUDIT_SET_FEATURE {name}={}", u8::from(on));
        self.send_and_wait(&msg, seq, &what).map(drop)
    }

    /// Turns [`AUDIT_FEATURE_NS_INFO`] on or off and reads it back; returns whether it was on
    /// before.  A kernel without the feature gives [`AuditError::NoNsInfo`].
    pub fn set_ns_info(&mut self, on: bool) -> Result<bool, AuditError> {
        let before = self.get_features()?;
        self.set_feature(AUDIT_FEATURE_NS_INFO, on)
            .map_err(|e| explain_ns_info_refusal(e, &before, on))?;
        let after = self.get_features()?;
        if after.is_on(AUDIT_FEATURE_NS_INFO) != on {
            return Err(AuditError::NoNsInfo(format!(
                "it took AUDIT_SET_FEATURE ns_info={} but AUDIT_GET_FEATURE reads features {:#x}",
                u8::from(on),
                after.features
            )));
        }
        Ok(before.is_on(AUDIT_FEATURE_NS_INFO))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::{decode_datagram, NLMSG_HDRLEN};
    use netlink_packet_core::{NLM_F_ACK, NLM_F_REQUEST};

    fn words(b: &[u8]) -> Vec<u32> {
        b.chunks(4)
            .map(|c| u32::from_ne_bytes([c[0], c[1], c[2], c[3]]))
            .collect()
    }

    #[test]
    fn the_constants_are_those_of_the_uapi_header() {
        assert_eq!((AUDIT_SET_FEATURE, AUDIT_GET_FEATURE), (1018, 1019));
        assert_eq!((AUDIT_FEATURE_NS_INFO, AUDIT_LAST_FEATURE), (2, 2));
        assert_eq!(AUDIT_FEATURE_CHANGE, 1328);
        assert_eq!(feature_mask(AUDIT_FEATURE_NS_INFO), 4);
        assert_eq!(feature_name(AUDIT_FEATURE_NS_INFO), Some("ns_info"));
        assert_eq!(
            feature_name(AUDIT_FEATURE_LOGINUID_IMMUTABLE),
            Some("loginuid_immutable")
        );
        assert_eq!(
            feature_name(AUDIT_FEATURE_ONLY_UNSET_LOGINUID),
            Some("only_unset_loginuid")
        );
        assert_eq!(feature_name(3), None);
    }

    #[test]
    fn a_change_is_vers_mask_features_lock() {
        assert_eq!(
            words(&Features::change(AUDIT_FEATURE_NS_INFO, true).encode()),
            [1, 4, 4, 0]
        );
        assert_eq!(
            words(&Features::change(AUDIT_FEATURE_NS_INFO, false).encode()),
            [1, 4, 0, 0]
        );
        assert_eq!(words(&Features::change(0, true).encode()), [1, 1, 1, 0]);
    }

    #[test]
    fn the_set_request_carries_the_structure_after_the_header() {
        let f = Features::change(AUDIT_FEATURE_NS_INFO, true);
        let b = encode_raw(AUDIT_SET_FEATURE, 9, &f.encode());
        assert_eq!(b.len(), NLMSG_HDRLEN + FEATURES_LEN);
        let w = words(&b);
        assert_eq!(w[0] as usize, NLMSG_HDRLEN + FEATURES_LEN); // nlmsg_len
        assert_eq!(w[1] & 0xffff, u32::from(AUDIT_SET_FEATURE));
        assert_eq!(w[1] >> 16, u32::from(NLM_F_REQUEST | NLM_F_ACK));
        assert_eq!((w[2], w[3]), (9, 0)); // seq, pid
        assert_eq!(w[4..], [1, 4, 4, 0]);
        // AUDIT_GET_FEATURE carries nothing.
        assert_eq!(encode_raw(AUDIT_GET_FEATURE, 10, &[]).len(), NLMSG_HDRLEN);
    }

    #[test]
    fn decodes_the_reply_and_its_bits() {
        let reply = Features {
            vers: 1,
            mask: 0,
            features: 0b110,
            lock: 0b100,
        };
        assert_eq!(Features::decode(&reply.encode()), Ok(reply));
        assert!(reply.is_on(AUDIT_FEATURE_NS_INFO) && reply.is_locked(AUDIT_FEATURE_NS_INFO));
        assert!(!reply.is_on(AUDIT_FEATURE_ONLY_UNSET_LOGINUID));
        assert_eq!(reply.ns_info_line(), "ns_info: on (locked)");
        assert_eq!(Features::default().ns_info_line(), "ns_info: off");
        let e = Features::decode(&[0; 12]).unwrap_err();
        assert!(e.contains("12 bytes"), "{e}");
    }

    #[test]
    fn decodes_the_reply_in_a_datagram() {
        let f = Features {
            vers: 1,
            mask: 0,
            features: 4,
            lock: 0,
        };
        let mut d = Vec::new();
        d.extend_from_slice(&((NLMSG_HDRLEN + FEATURES_LEN) as u32).to_ne_bytes());
        d.extend_from_slice(&AUDIT_GET_FEATURE.to_ne_bytes());
        d.extend_from_slice(&0u16.to_ne_bytes());
        d.extend_from_slice(&7u32.to_ne_bytes());
        d.extend_from_slice(&0u32.to_ne_bytes());
        d.extend_from_slice(&f.encode());
        assert_eq!(
            decode_datagram(&d).unwrap(),
            [Incoming::Features {
                seq: 7,
                features: f
            }]
        );
        // Cut short: an error, not a panic.
        let short = {
            let mut s = d[..NLMSG_HDRLEN + 8].to_vec();
            s[..4].copy_from_slice(&((NLMSG_HDRLEN + 8) as u32).to_ne_bytes());
            s
        };
        assert!(matches!(
            decode_datagram(&short),
            Err(AuditError::Decode(_))
        ));
    }

    #[test]
    fn a_refusal_says_what_it_means() {
        let refused = |errno: i32| AuditError::Refused {
            what: "AUDIT_SET_FEATURE ns_info=1".into(),
            source: std::io::Error::from_raw_os_error(errno),
        };
        let none = Features::default();
        let e = explain_ns_info_refusal(refused(libc::EINVAL), &none, true).to_string();
        assert!(
            e.starts_with("this kernel has no AUDIT_FEATURE_NS_INFO (series v7): "),
            "{e}"
        );
        let e = explain_ns_info_refusal(refused(libc::EPERM), &none, true).to_string();
        assert!(e.contains("needs CAP_AUDIT_CONTROL: run it as root"), "{e}");
        let locked = Features {
            lock: 4,
            ..Features::default()
        };
        let e = explain_ns_info_refusal(refused(libc::EPERM), &locked, true).to_string();
        assert!(
            e.contains("ns_info is locked off until the next boot"),
            "{e}"
        );
        let e = explain_ns_info_refusal(AuditError::Overrun, &none, true);
        assert!(matches!(e, AuditError::Overrun));
    }
}
