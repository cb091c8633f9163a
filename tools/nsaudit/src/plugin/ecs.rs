// SPDX-License-Identifier: GPL-2.0

//! The plugin's whole events (`nsaudit plugin --format ecs`): one JSON object per event with
//! Elastic Common Schema's field names where ECS has one, so that a SIEM reads it without a
//! parser of its own, and every record of the event besides:
//!
//! * `@timestamp` (ISO 8601), `event.id` (the stamp), `event.sequence` (the serial),
//!   `event.action` (the system call), `event.outcome`, `event.kind` = `event`, `tags` (the
//!   rule's key), `host.name` (the node);
//! * `process`: `pid`, `parent.pid`, `name` (`comm`), `executable`, `args`, `args_count`,
//!   `title`, `working_directory`, `exit_code` (the call's return value);
//! * `user`: `id`, `name`, `effective.id`/`name`, `audit.id`/`name` (names from this
//!   machine's `/etc/passwd`), `group.id`/`name`;
//! * `file.path` (the first `PATH` record) and `nsaudit.paths` (all of them);
//! * `container`: `id` (the stamp that names it), `name` (the runtime's command line), and
//!   `nsaudit.container`: the report's container as the compact line has it (namespaces,
//!   the eight ids, shared namespaces, parent, unknown creation);
//! * `nsaudit.attribution`, `nsaudit.created`, `nsaudit.removal_in`;
//! * `auditd.records`: every record, `{"type": ..., "fields": {...}}`, values decoded.

use crate::report::whole::{decode_value, iso_time, untrusted_key, Details, Names, RawRecord};
use crate::report::StreamEvent;
use serde::Serialize;
use std::fmt::Write as _;

/// `s` as a JSON string.
fn str_json(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c < ' ' => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// `"key":` then the value written by `f`, after a comma unless first.
fn key(out: &mut String, first: &mut bool, k: &str) {
    if !std::mem::take(first) {
        out.push(',');
    }
    str_json(out, k);
    out.push(':');
}

/// A value serialized by serde (small structs of the report).
fn serde_json_into<T: Serialize>(out: &mut String, v: &T) {
    match serde_json::to_string(v) {
        Ok(s) => out.push_str(&s),
        Err(_) => out.push_str("null"),
    }
}

/// The value of field `k` of the first record of type `ty`, decoded.
fn field(raw: &[RawRecord], ty: &str, k: &str) -> Option<String> {
    raw.iter().filter(|r| r.ty == ty).find_map(|r| r.get(k))
}

/// `{"id":"ID","name":"NAME"}`, the name left out when there is none.
fn who(out: &mut String, id: &str, name: Option<&str>) {
    out.push_str("{\"id\":");
    str_json(out, id);
    if let Some(n) = name {
        out.push_str(",\"name\":");
        str_json(out, n);
    }
    out.push('}');
}

/// The whole event `ev` as one ECS object, one line (without its newline) appended to `out`.
pub fn write_ecs(out: &mut String, ev: &StreamEvent, names: &Names) {
    let raw = &ev.raw;
    let d = Details::of(&ev.event, raw, names);
    let sys = |k| field(raw, "SYSCALL", k);
    out.push('{');
    let mut first = true;
    key(out, &mut first, "@timestamp");
    str_json(out, &iso_time(&ev.event));
    key(out, &mut first, "event");
    out.push_str("{\"kind\":\"event\",\"module\":\"auditd\",\"id\":");
    str_json(out, &ev.event.to_string());
    let _ = write!(out, ",\"sequence\":{}", ev.event.serial);
    if let Some(c) = &ev.syscall {
        out.push_str(",\"action\":");
        str_json(out, &c.name.map_or(c.nr.to_string(), String::from));
        if let Some(ok) = c.success {
            out.push_str(if ok {
                ",\"outcome\":\"success\""
            } else {
                ",\"outcome\":\"failure\""
            });
        }
    }
    out.push('}');
    if let Some(n) = &ev.node {
        key(out, &mut first, "host");
        out.push_str("{\"name\":");
        str_json(out, n);
        out.push('}');
    }
    if let Some(k) = ev.syscall.as_ref().and_then(|c| c.key.as_ref()) {
        key(out, &mut first, "tags");
        out.push('[');
        str_json(out, k);
        out.push(']');
    }
    write_process(out, &mut first, ev, &d);
    if let Some(uid) = sys("uid") {
        key(out, &mut first, "user");
        let name = |id: &str| id.parse().ok().and_then(|i| names.user(i));
        out.push_str("{\"id\":");
        str_json(out, &uid);
        if let Some(n) = name(&uid) {
            out.push_str(",\"name\":");
            str_json(out, n);
        }
        for (k, f) in [("effective", "euid"), ("audit", "auid")] {
            if let Some(id) = sys(f) {
                let _ = write!(out, ",\"{k}\":");
                who(out, &id, name(&id));
            }
        }
        if let Some(gid) = sys("gid") {
            out.push_str(",\"group\":");
            who(out, &gid, gid.parse().ok().and_then(|g| names.group(g)));
        }
        out.push('}');
    }
    if let Some(p) = d.paths.first() {
        key(out, &mut first, "file");
        out.push_str("{\"path\":");
        str_json(out, p);
        out.push('}');
    }
    if let Some(c) = &ev.container {
        key(out, &mut first, "container");
        out.push_str("{\"id\":");
        str_json(out, &c.id.to_string());
        if let Some(n) = &c.name {
            out.push_str(",\"name\":");
            str_json(out, n);
        }
        out.push('}');
    }
    key(out, &mut first, "nsaudit");
    out.push_str("{\"container\":");
    serde_json_into(out, &ev.container);
    out.push_str(",\"attribution\":");
    serde_json_into(out, &ev.attribution);
    out.push_str(",\"created\":");
    serde_json_into(out, &ev.created);
    out.push_str(",\"removal_in\":");
    serde_json_into(out, &ev.removal_in);
    out.push_str(",\"paths\":");
    serde_json_into(out, &d.paths);
    out.push('}');
    key(out, &mut first, "auditd");
    write_records(out, raw);
    out.push('}');
}

/// `process`: pid, parent, name, executable, args, title, working directory, exit code.
fn write_process(out: &mut String, first: &mut bool, ev: &StreamEvent, d: &Details) {
    key(out, first, "process");
    out.push('{');
    let mut f = true;
    if let Some(s) = &ev.subject {
        key(out, &mut f, "pid");
        let _ = write!(out, "{},\"parent\":{{\"pid\":{}}}", s.pid, s.ppid);
        if let Some(c) = &s.comm {
            key(out, &mut f, "name");
            str_json(out, c);
        }
        if let Some(e) = &s.exe {
            key(out, &mut f, "executable");
            str_json(out, e);
        }
    }
    if let Some(a) = &d.args {
        key(out, &mut f, "args_count");
        let _ = write!(out, "{}", a.len());
        key(out, &mut f, "args");
        serde_json_into(out, a);
    }
    if let Some(t) = &d.title {
        key(out, &mut f, "title");
        str_json(out, t);
    }
    if let Some(c) = &d.cwd {
        key(out, &mut f, "working_directory");
        str_json(out, c);
    }
    if let Some(x) = ev.syscall.as_ref().and_then(|c| c.exit) {
        key(out, &mut f, "exit_code");
        let _ = write!(out, "{x}");
    }
    out.push('}');
}

/// `{"records":[{"type":...,"fields":{...}}...]}`: every record, values decoded.
fn write_records(out: &mut String, raw: &[RawRecord]) {
    out.push_str("{\"records\":[");
    for (i, r) in raw.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str("{\"type\":");
        str_json(out, &r.ty);
        out.push_str(",\"fields\":{");
        for (j, (k, v)) in r.fields().enumerate() {
            if j > 0 {
                out.push(',');
            }
            str_json(out, k);
            out.push(':');
            if v.starts_with('"') || untrusted_key(&r.ty, k) {
                str_json(out, &decode_value(&r.ty, k, v));
            } else {
                str_json(out, v);
            }
        }
        out.push_str("}}");
    }
    out.push_str("]}");
}
