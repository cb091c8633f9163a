// SPDX-License-Identifier: GPL-2.0

//! `nsaudit id PID`: the namespaces of a running process, by inode number and `NS_GET_ID`,
//! the ids that `AUDIT_NS_INFO` records carry and that audit rules select on.

use clap::ValueEnum;
use nsaudit::nsops::ns_idents;
use std::process::ExitCode;

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
    /// `-F mntns_id=21 -F utsns_id=22 ...`: the fields of an audit rule, for the namespaces
    /// that are not the initial ones.
    Rule,
}

#[derive(clap::Args)]
pub struct Args {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// The process: a container's init process, as `crun state`, `runc state` or `podman
    /// inspect --format '{{.State.Pid}}'` gives it.
    pid: i32,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if args.pid <= 0 {
        anyhow::bail!("no process {}: a pid is a positive number", args.pid);
    }
    let ids = ns_idents(Some(args.pid), false)
        .map_err(|e| anyhow::anyhow!("the namespaces of process {}: {e}", args.pid))?;
    match args.format {
        Format::Text => {
            for (k, n) in &ids {
                println!("{:<7}inode={:<11} id={}", k.name(), n.inum, n.id);
            }
        }
        Format::Json => {
            let ns: serde_json::Map<String, serde_json::Value> = ids
                .iter()
                .map(|(k, n)| {
                    let v = serde_json::json!({"inode": n.inum, "id": n.id});
                    (k.name().to_string(), v)
                })
                .collect();
            println!("{}", serde_json::json!({"pid": args.pid, "namespaces": ns}));
        }
        Format::Rule => {
            let fields: Vec<String> = ids
                .iter()
                .filter(|(k, n)| n.id != nsaudit::nsinfo::initial_id(**k))
                .map(|(k, n)| format!("-F {}ns_id={}", k.name(), n.id))
                .collect();
            println!("{}", fields.join(" "));
        }
    }
    Ok(ExitCode::SUCCESS)
}
