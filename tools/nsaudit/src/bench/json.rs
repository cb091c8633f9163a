// SPDX-License-Identifier: GPL-2.0

//! bench.json, written by hand.

use super::*;
use std::fmt::Write as _;

/// A JSON string literal.
pub fn json_str(v: &str) -> String {
    let mut s = String::with_capacity(v.len() + 2);
    s.push('"');
    for c in v.chars() {
        match c {
            '"' => s.push_str("\\\""),
            '\\' => s.push_str("\\\\"),
            '\n' => s.push_str("\\n"),
            '\r' => s.push_str("\\r"),
            '\t' => s.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(s, "\\u{:04x}", c as u32);
            }
            c => s.push(c),
        }
    }
    s.push('"');
    s
}

/// A JSON number; `null` for values JSON cannot hold.
pub fn json_num(v: f64) -> String {
    if v.is_finite() {
        let s = format!("{v:.6}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        if s.is_empty() || s == "-" {
            "0".into()
        } else {
            s.into()
        }
    } else {
        "null".into()
    }
}

pub(super) fn json_nums(xs: &[f64]) -> String {
    let v: Vec<String> = xs.iter().map(|x| json_num(*x)).collect();
    format!("[{}]", v.join(", "))
}

pub(super) fn json_spread(s: Option<Spread>) -> String {
    match s {
        Some(s) => format!(
            "{{\"median\": {}, \"min\": {}, \"max\": {}, \"q1\": {}, \"q3\": {}, \"n\": {}}}",
            json_num(s.median),
            json_num(s.min),
            json_num(s.max),
            json_num(s.q1),
            json_num(s.q3),
            s.n
        ),
        None => "null".into(),
    }
}

pub(super) fn json_bool(b: Option<bool>) -> &'static str {
    match b {
        Some(true) => "true",
        Some(false) => "false",
        None => "null",
    }
}

/// The JSON report (hand-written: the tool has no serializer among its dependencies).
pub fn render_json(r: &Report) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "{{");
    let _ = writeln!(s, "  \"kernel\": {},", json_str(&r.kernel));
    let _ = writeln!(s, "  \"cpus\": {},", r.cpus);
    let _ = writeln!(s, "  \"rounds\": {},", r.rounds);
    let _ = writeln!(s, "  \"block_ms\": {},", r.block_ms);
    let _ = writeln!(s, "  \"quick\": {},", r.quick);
    let _ = writeln!(
        s,
        "  \"clock\": {},",
        json_str(if r.icount { "instructions" } else { "wall" })
    );
    let _ = writeln!(s, "  \"seconds\": {},", json_num(r.seconds));
    let confs: Vec<String> = Config::ALL
        .iter()
        .map(|c| {
            format!(
                "{{\"name\": {}, \"describe\": {}}}",
                json_str(c.name()),
                json_str(c.describe())
            )
        })
        .collect();
    let _ = writeln!(s, "  \"configs\": [{}],", confs.join(", "));
    let _ = writeln!(
        s,
        "  \"targets\": {{\"module\": {}, \"module-audit-off\": {}}},",
        json_num(TARGET_MODULE),
        json_num(TARGET_AUDIT_OFF)
    );
    let _ = writeln!(s, "  \"types\": [");
    for (i, t) in r.types.iter().enumerate() {
        let _ = writeln!(s, "    {{");
        let _ = writeln!(s, "      \"type\": {},", json_str(t.kind.name()));
        let _ = writeln!(s, "      \"cycles_per_block\": {},", t.cycles);
        let _ = writeln!(s, "      \"configs\": {{");
        for (j, c) in Config::ALL.iter().enumerate() {
            let k = c.index();
            let _ = writeln!(
                s,
                "        {}: {{\"cycles_per_s\": {}, \"rate\": {}, \"ratio\": {}, \
                 \"ns_records_per_cycle\": {}, \"records_per_cycle\": {}}}{}",
                json_str(c.name()),
                json_nums(&t.rates[k]),
                json_spread(t.rate(*c)),
                json_spread(t.ratio(*c)),
                json_num(t.ns_records[k]),
                json_num(t.records[k]),
                if j + 1 < Config::ALL.len() { "," } else { "" }
            );
        }
        let _ = writeln!(s, "      }},");
        let _ = writeln!(
            s,
            "      \"module_audit_off_to_audit_off\": {},",
            json_spread(t.ratio_to(Config::ModuleAuditOff, Config::AuditOff))
        );
        let tg: Vec<String> = targets(t)
            .iter()
            .map(|(what, ok)| format!("{}: {}", json_str(what), json_bool(*ok)))
            .collect();
        let _ = writeln!(s, "      \"targets_met\": {{{}}}", tg.join(", "));
        let _ = writeln!(s, "    }}{}", if i + 1 < r.types.len() { "," } else { "" });
    }
    let _ = writeln!(s, "  ],");
    let f = &r.flood;
    let _ = writeln!(
        s,
        "  \"flood\": {{\"namespaces\": {}, \"records_per_s\": {}, \"rate\": {}, \
         \"generated_ns_per_s\": {}, \"expected\": {}, \"received\": {}, \"lost\": {}}},",
        f.namespaces,
        json_nums(&f.rates),
        json_spread(spread(&f.rates)),
        json_nums(&f.generated),
        f.expected,
        f.received,
        f.lost
    );
    let _ = writeln!(
        s,
        "  \"module_size\": {{\"coresize\": {}, \"initsize\": {}}},",
        r.module_core, r.module_init
    );
    let m = &r.memory;
    let samples: Vec<String> = m
        .samples
        .iter()
        .map(|(module, slab, avail)| {
            format!(
                "{{\"module\": {module}, \"slab_kb\": {slab}, \"memavailable_drop_kb\": {avail}}}"
            )
        })
        .collect();
    let (slab, avail) = m
        .per_namespace()
        .map_or(("null".into(), "null".into()), |(a, b)| {
            (json_num(a), json_num(b))
        });
    let _ = writeln!(
        s,
        "  \"memory\": {{\"sets\": {}, \"samples\": [{}], \
         \"bytes_per_namespace_slab\": {}, \"bytes_per_namespace_memavailable\": {}}}",
        m.sets,
        samples.join(", "),
        slab,
        avail
    );
    let _ = writeln!(s, "}}");
    s
}
