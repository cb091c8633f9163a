// SPDX-License-Identifier: GPL-2.0

//! The audit socket as a reader beside the audit daemon: the multicast group of the records
//! and a receive buffer large enough for their bursts.

use super::{io_err, AuditError, AuditSocket};
use std::io;
use std::os::fd::AsRawFd;

/// `AUDIT_NLGRP_READLOG`: the multicast group of the records.
pub const AUDIT_NLGRP_READLOG: u32 = 1;

impl AuditSocket {
    /// Sets the socket's receive buffer to `bytes` beyond `net.core.rmem_max`
    /// (`SO_RCVBUFFORCE`, needs `CAP_NET_ADMIN`); returns the size the kernel took, which is
    /// twice the one asked for (its bookkeeping).
    pub fn force_receive_buffer(&mut self, bytes: usize) -> Result<usize, AuditError> {
        let size = libc::c_int::try_from(bytes).unwrap_or(libc::c_int::MAX);
        // SAFETY: the descriptor is this socket's, open while `self` lives; the option value
        // is a c_int on the stack that outlives the call, and its size is passed with it.
        let rc = unsafe {
            libc::setsockopt(
                self.sock.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_RCVBUFFORCE,
                (&size as *const libc::c_int).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            )
        };
        if rc != 0 {
            return Err(io_err("setsockopt(SO_RCVBUFFORCE)")(
                io::Error::last_os_error(),
            ));
        }
        self.sock
            .get_rx_buf_sz()
            .map_err(io_err("getsockopt(SO_RCVBUF)"))
    }

    /// Joins the multicast group `AUDIT_NLGRP_READLOG` (needs `CAP_AUDIT_READ`): from now on
    /// the kernel sends this socket a copy of every record before the audit daemon gets it
    /// (`kauditd_send_multicast_skb()`), whoever the daemon is.  A copy that finds the buffer
    /// full is dropped for this socket alone, which the next read reports as
    /// [`AuditError::Overrun`].
    pub fn join_readlog(&mut self) -> Result<(), AuditError> {
        self.sock
            .add_membership(AUDIT_NLGRP_READLOG)
            .map_err(io_err(
                "setsockopt(NETLINK_ADD_MEMBERSHIP, AUDIT_NLGRP_READLOG)",
            ))
    }
}
