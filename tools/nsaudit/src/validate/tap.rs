// SPDX-License-Identifier: GPL-2.0

//! The checks of the validator and their `ok` / `not ok` lines.

use super::*;

/// The outcome of a check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub what: String,
    pub result: Result<(), String>,
}

pub(super) fn check(what: impl Into<String>, ok: bool, detail: impl FnOnce() -> String) -> Check {
    Check {
        what: what.into(),
        result: if ok { Ok(()) } else { Err(detail()) },
    }
}

/// Prints checks and counts them.
pub struct Tap<W: Write> {
    out: W,
    pub passed: usize,
    pub failed: usize,
}

impl<W: Write> Tap<W> {
    pub fn new(out: W) -> Self {
        Tap {
            out,
            passed: 0,
            failed: 0,
        }
    }

    /// Prints and counts one check; returns whether it passed.
    pub fn check(&mut self, ok: bool, what: &str, detail: impl Display) -> bool {
        let line = if ok {
            self.passed += 1;
            format!("ok - {what}")
        } else {
            self.failed += 1;
            format!("not ok - {what}: {detail}")
        };
        let _ = writeln!(self.out, "{line}");
        let _ = self.out.flush();
        ok
    }

    /// Prints and counts checks.
    pub fn report(&mut self, checks: Vec<Check>) -> bool {
        let mut all = true;
        for c in checks {
            all &= match &c.result {
                Ok(()) => self.check(true, &c.what, ""),
                Err(d) => self.check(false, &c.what, d),
            };
        }
        all
    }

    /// Prints a line that is not a check.
    pub fn note(&mut self, msg: impl Display) {
        let _ = writeln!(self.out, "# {msg}");
        let _ = self.out.flush();
    }

    /// `validate: N passed, N failed`.
    pub fn summary(&self) -> String {
        format!("validate: {} passed, {} failed", self.passed, self.failed)
    }

    pub fn into_inner(self) -> W {
        self.out
    }
}
