// SPDX-License-Identifier: GPL-2.0

//! Waiting for the kernel's answer to one request, with audit records that arrive meanwhile
//! kept for later reads.

use super::{AuditError, AuditSocket, Incoming};
use std::time::{Duration, Instant};

impl AuditSocket {
    /// Reads until `answer` returns `Some` for a message of the request `seq`, or until
    /// `timeout` has passed; an error message for `seq` is the kernel refusing `what`.
    pub(super) fn await_reply<T>(
        &mut self,
        seq: u32,
        what: &str,
        timeout: Duration,
        mut answer: impl FnMut(Incoming) -> Option<Result<T, AuditError>>,
    ) -> Result<T, AuditError> {
        let deadline = Instant::now() + timeout;
        loop {
            while let Some(msgs) = self.read_datagram_counting()? {
                for m in msgs {
                    match m {
                        Incoming::Error { seq: s, errno } if s == seq => {
                            return Err(AuditError::Refused {
                                what: what.into(),
                                source: std::io::Error::from_raw_os_error(errno),
                            })
                        }
                        Incoming::Record { ty, text } => self.pending.push_back((ty, text)),
                        m => {
                            if let Some(r) = answer(m) {
                                return r;
                            }
                        }
                    }
                }
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(AuditError::Timeout {
                    what: format!("the reply to {what}"),
                    after: timeout,
                });
            }
            self.wait_readable(left)?;
        }
    }
}
