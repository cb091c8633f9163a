// SPDX-License-Identifier: GPL-2.0

//! Parsers of the `/proc` and `/sys` files the bench reads: pure functions over text.

use super::*;

/// `/proc/meminfo` as a map from field to kB (or pages for the few fields without a unit).
pub fn parse_meminfo(text: &str) -> Result<BTreeMap<String, u64>, BenchError> {
    let bad = |line: &str| BenchError::Parse {
        what: "/proc/meminfo".into(),
        why: format!("line {line:?}"),
    };
    let mut m = BTreeMap::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let (key, rest) = line.split_once(':').ok_or_else(|| bad(line))?;
        let mut words = rest.split_whitespace();
        let value = words
            .next()
            .and_then(|v| v.parse::<u64>().ok())
            .ok_or_else(|| bad(line))?;
        match words.next() {
            None | Some("kB") => {}
            Some(_) => return Err(bad(line)),
        }
        m.insert(key.trim().to_string(), value);
    }
    if m.is_empty() {
        return Err(bad(""));
    }
    Ok(m)
}

/// CPU time from the `cpu` line of `/proc/stat`: (idle, total) in `USER_HZ` ticks, and the
/// number of CPUs (`cpuN` lines).
pub fn parse_proc_stat(text: &str) -> Result<(u64, u64, usize), BenchError> {
    let bad = |why: &str| BenchError::Parse {
        what: "/proc/stat".into(),
        why: why.into(),
    };
    let mut agg = None;
    let mut cpus = 0;
    for line in text.lines() {
        let mut w = line.split_whitespace();
        match w.next() {
            Some("cpu") => {
                let v: Vec<u64> = w
                    .map(|x| {
                        x.parse::<u64>()
                            .map_err(|_| bad("a non-number on the cpu line"))
                    })
                    .collect::<Result<_, _>>()?;
                if v.len() < 4 {
                    return Err(bad("fewer than 4 numbers on the cpu line"));
                }
                // user nice system idle iowait irq softirq steal (guest time is in user).
                let idle = v[3] + v.get(4).copied().unwrap_or(0);
                let total = v.iter().take(8).sum();
                agg = Some((idle, total));
            }
            Some(c) if c.starts_with("cpu") && c[3..].parse::<u32>().is_ok() => cpus += 1,
            _ => {}
        }
    }
    let (idle, total) = agg.ok_or_else(|| bad("no cpu line"))?;
    Ok((idle, total, cpus.max(1)))
}

/// A number in a sysfs file such as `/sys/module/ns_audit/coresize`.
pub fn parse_number(what: &str, text: &str) -> Result<u64, BenchError> {
    text.trim().parse().map_err(|_| BenchError::Parse {
        what: what.into(),
        why: format!("{:?} is not a number", text.trim()),
    })
}
