// SPDX-License-Identifier: GPL-2.0

//! A central log of many machines: each simulated as [`super::generate`] does, with a seed of
//! its own, their events interleaved as the machines make them, every line prefixed with the
//! machine's `node=NAME `, as auditd writes it with `name_format` or forwards it.

use super::*;

/// The name of machine `i`: `host00`, `host01` ...
pub fn node_name(i: usize) -> String {
    format!("host{i:02}")
}

/// Writes the central log of `nodes` machines to `w`, `p.records` records in all, the
/// machines taking turns one step of their simulation each; returns what each one did.
pub fn generate_fleet<W: Write>(
    p: &GenParams,
    nodes: usize,
    mut w: W,
) -> io::Result<Vec<GenTruth>> {
    let nodes = nodes.max(1);
    let share = p.records.div_ceil(nodes as u64);
    let mut gens = Vec::with_capacity(nodes);
    for i in 0..nodes {
        let q = GenParams {
            seed: p.seed.wrapping_add(i as u64),
            ..p.clone()
        };
        gens.push(Gen::new(&q, Vec::new())?);
    }
    let prefixes: Vec<String> = (0..nodes)
        .map(|i| format!("node={} ", node_name(i)))
        .collect();
    let mut running = nodes;
    while running > 0 {
        running = 0;
        for (g, prefix) in gens.iter_mut().zip(&prefixes) {
            if g.truth.records < share {
                g.step(p.max_live)?;
                running += 1;
            }
            drain(&mut g.w, prefix, &mut w)?;
        }
    }
    let mut truths = Vec::with_capacity(nodes);
    for (g, prefix) in gens.into_iter().zip(&prefixes) {
        let (t, mut rest) = g.finish()?;
        drain(&mut rest, prefix, &mut w)?;
        truths.push(t);
    }
    w.flush()?;
    Ok(truths)
}

/// Moves the lines of `buf` to `w`, each after `prefix`.
fn drain<W: Write>(buf: &mut Vec<u8>, prefix: &str, w: &mut W) -> io::Result<()> {
    for line in buf.split_inclusive(|&b| b == b'\n') {
        w.write_all(prefix.as_bytes())?;
        w.write_all(line)?;
    }
    buf.clear();
    Ok(())
}
