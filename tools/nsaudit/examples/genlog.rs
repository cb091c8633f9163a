// SPDX-License-Identifier: GPL-2.0

//! Writes a generated audit log with known answers (see `nsaudit::report::genlog`) and prints
//! what the simulation did.
//!
//! ```text
//! cargo run --release --example genlog -- [--records N] [--seed S] [--no-ns-info] FILE
//! ```

use anyhow::{bail, Context};
use nsaudit::report::genlog::{generate, GenParams};
use std::io::BufWriter;

fn main() -> anyhow::Result<()> {
    let mut p = GenParams::default();
    let mut file = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--records" => p.records = args.next().context("--records needs N")?.parse()?,
            "--seed" => p.seed = args.next().context("--seed needs S")?.parse()?,
            "--no-ns-info" => p.ns_info = false,
            "-h" | "--help" => {
                println!("usage: genlog [--records N] [--seed S] [--no-ns-info] FILE");
                return Ok(());
            }
            f if file.is_none() && !f.starts_with('-') => file = Some(f.to_string()),
            _ => bail!("usage: genlog [--records N] [--seed S] [--no-ns-info] FILE"),
        }
    }
    let file = file.context("usage: genlog [--records N] [--seed S] [--no-ns-info] FILE")?;
    let f = std::fs::File::create(&file).with_context(|| format!("creating {file}"))?;
    let t = generate(&p, BufWriter::with_capacity(1 << 20, f))
        .with_context(|| format!("writing {file}"))?;
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
