// SPDX-License-Identifier: GPL-2.0

//! `nsaudit man DIR`: the manual pages of the command line, made from its clap definitions:
//! nsaudit(8) and one page per command, nsaudit-report(8) and so on.

use anyhow::Context;
use std::path::Path;
use std::process::ExitCode;

/// Writes `DIR/nsaudit.8` and `DIR/nsaudit-COMMAND.8` for each command shown in the help.
pub fn write(cli: clap::Command, dir: &Path) -> anyhow::Result<ExitCode> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut pages = vec![(String::from("nsaudit"), cli.clone())];
    for sub in cli.get_subcommands() {
        if sub.is_hide_set() || sub.get_name() == "help" {
            continue;
        }
        let name = format!("nsaudit-{}", sub.get_name());
        pages.push((name.clone(), sub.clone().name(name)));
    }
    for (name, cmd) in pages {
        let path = dir.join(format!("{name}.8"));
        let mut out = Vec::new();
        clap_mangen::Man::new(cmd)
            .section("8")
            .render(&mut out)
            .with_context(|| format!("rendering {name}(8)"))?;
        std::fs::write(&path, out).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(ExitCode::SUCCESS)
}
