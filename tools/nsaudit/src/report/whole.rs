// SPDX-License-Identifier: GPL-2.0

//! Whole events: every record of an event with its fields, values decoded, for the event
//! lists of the report and the plugin's ECS lines (`ecs.rs`): what ran (arguments, title),
//! where (working directory, paths), when (ISO 8601) and who (user names beside the ids).

use super::*;

/// A record of an event: its type name as the log gives it and its fields as written, which
/// [`RawRecord::fields`] gives one by one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawRecord {
    pub ty: String,
    body: String,
}

impl RawRecord {
    /// The fields, `(key, value as written)`; [`decode_value`] decodes a value.
    pub fn fields(&self) -> impl Iterator<Item = (&str, &str)> {
        self.body.split(' ').filter_map(|f| f.split_once('='))
    }

    /// The value of field `k`, decoded.
    pub fn get(&self, k: &str) -> Option<String> {
        self.fields()
            .find(|&(key, _)| key == k)
            .map(|(key, v)| decode_value(&self.ty, key, v))
    }
}

/// Fields whose values audit writes as untrusted strings: quoted, or in hex when they hold a
/// space, a quote or a control character.
pub fn untrusted_key(ty: &str, k: &str) -> bool {
    matches!(
        k,
        "comm" | "exe" | "cwd" | "name" | "key" | "proctitle" | "cmd" | "data" | "path"
    ) || (ty == "EXECVE" && k.starts_with('a') && k[1..].bytes().all(|b| b.is_ascii_digit()))
}

/// A value as written, decoded for the field `k` of a record of type `ty`: quotes taken off,
/// audit's hex encoding of untrusted strings undone (a NUL becomes a space).
pub fn decode_value(ty: &str, k: &str, v: &str) -> String {
    if let Some(q) = v.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
        return q.to_string();
    }
    if untrusted_key(ty, k) && v.len().is_multiple_of(2) && v.bytes().all(|b| b.is_ascii_hexdigit())
    {
        if let Ok(b) = crate::record::decode_untrusted(v) {
            let text: Vec<u8> = b.iter().map(|&c| if c == 0 { b' ' } else { c }).collect();
            return String::from_utf8_lossy(&text).into_owned();
        }
    }
    v.to_string()
}

/// The record of a log line, kept as written.
pub(super) fn raw_record(line: &Line<'_>) -> RawRecord {
    RawRecord {
        ty: line.name.to_string(),
        body: line.body().to_string(),
    }
}

/// A stamp's time in ISO 8601, UTC, to the millisecond: `2026-12-05T10:00:01.123Z`.
pub fn iso_time(s: &Stamp) -> String {
    let days = (s.sec / 86_400) as i64;
    let rem = s.sec % 86_400;
    // Howard Hinnant's days_from_civil, inverted.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        s.msec
    )
}

/// The names of the users and groups of this machine, from `/etc/passwd` and `/etc/group`
/// (users of NSS sources beyond the files have none).
#[derive(Debug, Default, Clone)]
pub struct Names {
    users: HashMap<u32, String>,
    groups: HashMap<u32, String>,
}

impl Names {
    /// The names of `/etc/passwd` and `/etc/group`; none where they cannot be read.
    pub fn of_this_machine() -> Names {
        let read = |p: &str| std::fs::read_to_string(p).unwrap_or_default();
        Names {
            users: Self::table(&read("/etc/passwd")),
            groups: Self::table(&read("/etc/group")),
        }
    }

    /// `name:x:id:...` lines.
    fn table(text: &str) -> HashMap<u32, String> {
        text.lines()
            .filter_map(|l| {
                let mut f = l.split(':');
                let name = f.next()?;
                let id = f.nth(1)?.parse().ok()?;
                Some((id, name.to_string()))
            })
            .collect()
    }

    /// The user name of `uid`; `unset` for audit's unset id.
    pub fn user(&self, uid: u32) -> Option<&str> {
        if uid == u32::MAX {
            return Some("unset");
        }
        self.users.get(&uid).map(String::as_str)
    }

    /// The group name of `gid`.
    pub fn group(&self, gid: u32) -> Option<&str> {
        self.groups.get(&gid).map(String::as_str)
    }
}

/// What an event says of its process, from its records.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Details {
    /// The time of the event, ISO 8601.
    pub time: String,
    /// The arguments of its `EXECVE` record.
    pub args: Option<Vec<String>>,
    /// Its `PROCTITLE`.
    pub title: Option<String>,
    /// Its `CWD`.
    pub cwd: Option<String>,
    /// The `name=` of its `PATH` records, in order.
    pub paths: Vec<String>,
    /// The user names of `uid=`, `euid=` and `auid=` of its `SYSCALL` record.
    pub user: Option<String>,
    pub euser: Option<String>,
    pub auser: Option<String>,
}

impl Details {
    /// The details of the event of `stamp` with the records `raw`.
    pub fn of(stamp: &Stamp, raw: &[RawRecord], names: &Names) -> Details {
        let mut d = Details {
            time: iso_time(stamp),
            ..Details::default()
        };
        for r in raw {
            match r.ty.as_str() {
                "EXECVE" if d.args.is_none() => {
                    d.args = Some(
                        r.fields()
                            .filter(|(k, _)| k.starts_with('a') && k[1..].parse::<u32>().is_ok())
                            .map(|(k, v)| decode_value("EXECVE", k, v))
                            .collect(),
                    );
                }
                "PROCTITLE" => d.title = r.get("proctitle"),
                "CWD" => d.cwd = r.get("cwd"),
                "PATH" => d.paths.extend(r.get("name")),
                "SYSCALL" => {
                    let name = |k| {
                        r.get(k)
                            .and_then(|v| v.parse().ok())
                            .and_then(|id| names.user(id))
                            .map(str::to_string)
                    };
                    d.user = name("uid");
                    d.euser = name("euid");
                    d.auser = name("auid");
                }
                _ => {}
            }
        }
        d
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_times() {
        let s = |sec, msec| Stamp {
            sec,
            msec,
            serial: 1,
        };
        assert_eq!(iso_time(&s(0, 0)), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso_time(&s(951_782_400, 5)), "2000-02-29T00:00:00.005Z");
        assert_eq!(iso_time(&s(1_796_474_851, 474)), "2026-12-05T12:47:31.474Z");
    }

    #[test]
    fn values_are_decoded() {
        assert_eq!(decode_value("EXECVE", "a1", "\"-n\""), "-n");
        assert_eq!(decode_value("EXECVE", "a2", "6C73202F"), "ls /");
        assert_eq!(decode_value("PROCTITLE", "proctitle", "6C73002F"), "ls /");
        // A number that looks like hex stays a number.
        assert_eq!(decode_value("SYSCALL", "a0", "7fff1234"), "7fff1234");
        assert_eq!(decode_value("SYSCALL", "exit", "0"), "0");
    }
}
