// SPDX-License-Identifier: GPL-2.0

//! Writes a generated audit log with known answers (see `nsaudit::report::genlog`) and prints
//! what the simulation did.
//!
//! ```text
//! cargo run --release --example genlog -- [--records N] [--seed S] [--no-ns-info] [--nodes N] FILE
//! ```
//!
//! With `--nodes N` (more than 1) the log is a central log of N machines, `node=host00` ...,
//! the records shared among them; the numbers printed are their sums.

use anyhow::{bail, Context};
use nsaudit::report::genlog::{generate, generate_fleet, GenParams, GenTruth};
use std::io::BufWriter;

fn main() -> anyhow::Result<()> {
    let mut p = GenParams::default();
    let mut file = None;
    let mut nodes = 1usize;
    let usage = "usage: genlog [--records N] [--seed S] [--no-ns-info] [--nodes N] FILE";
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--records" => p.records = args.next().context("--records needs N")?.parse()?,
            "--seed" => p.seed = args.next().context("--seed needs S")?.parse()?,
            "--no-ns-info" => p.ns_info = false,
            "--nodes" => nodes = args.next().context("--nodes needs N")?.parse()?,
            "-h" | "--help" => {
                println!("{usage}");
                return Ok(());
            }
            f if file.is_none() && !f.starts_with('-') => file = Some(f.to_string()),
            _ => bail!("{usage}"),
        }
    }
    let file = file.context(usage)?;
    let f = std::fs::File::create(&file).with_context(|| format!("creating {file}"))?;
    let w = BufWriter::with_capacity(1 << 20, f);
    let t = if nodes > 1 {
        sum(&generate_fleet(&p, nodes, w).with_context(|| format!("writing {file}"))?)
    } else {
        generate(&p, w).with_context(|| format!("writing {file}"))?
    };
    println!("records {}", t.records);
    println!("events {}", t.events);
    println!("containers {}", t.containers);
    println!("nested {}", t.nested);
    println!("ended {}", t.ended);
    println!("created {}", t.created.iter().sum::<u64>());
    println!("removed {}", t.removed.iter().sum::<u64>());
    println!("inside {}", t.inside.iter().sum::<u64>());
    println!("exact {}", t.exact.iter().sum::<u64>());
    println!("ns_info_events {}", t.info_events);
    println!("initial {}", t.initial);
    println!("inode_reuses {}", t.inode_reuses);
    Ok(())
}

/// The counts of several machines added up (the lists one after the other).
fn sum(truths: &[GenTruth]) -> GenTruth {
    let mut t = GenTruth::default();
    for u in truths {
        t.records += u.records;
        t.events += u.events;
        t.containers += u.containers;
        t.nested += u.nested;
        t.ended += u.ended;
        for i in 0..t.created.len() {
            t.created[i] += u.created[i];
            t.removed[i] += u.removed[i];
            t.existing[i] += u.existing[i];
        }
        t.inside.extend(&u.inside);
        t.exact.extend(&u.exact);
        t.info_events += u.info_events;
        t.info_unmatched += u.info_unmatched;
        t.initial += u.initial;
        t.inode_reuses += u.inode_reuses;
    }
    t
}
