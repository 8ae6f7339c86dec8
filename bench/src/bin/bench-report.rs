//! `bench-report RESULTS REPORT CHARTS`: reads the measurements
//! `scripts/bench.sh` recorded in RESULTS (see `bench::Results::parse`),
//! draws the SVG charts into the folder CHARTS and writes the markdown
//! report REPORT, which shows them by their path relative to it.

use std::path::{Path, PathBuf};

use anyhow::Context;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [results, report, charts] = args.as_slice() else {
        anyhow::bail!(
            "usage: bench-report RESULTS REPORT CHARTS (the measurements, the markdown to write, its charts' folder)"
        );
    };
    let text = std::fs::read_to_string(results).with_context(|| format!("reading {results}"))?;
    let parsed = bench::Results::parse(&text)?;
    let charts = PathBuf::from(charts);
    let drawn = bench::charts::draw_all(&parsed, &charts)?;
    // The charts as the report links them: relative to the report's folder.
    let base = Path::new(report).parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let relative = pathdiff(&charts, base);
    let linked: Vec<(String, String)> =
        drawn.into_iter().map(|(file, title)| (relative.join(file).display().to_string(), title)).collect();
    std::fs::write(report, bench::report::markdown(&parsed, &linked)).with_context(|| format!("writing {report}"))?;
    println!("bench-report: wrote {report} and {} charts in {}", linked.len(), charts.display());
    Ok(())
}

/// `path` relative to `base`, both relative to the working directory (or
/// both absolute): the common prefix dropped, `..` for the rest of `base`.
fn pathdiff(path: &Path, base: &Path) -> PathBuf {
    fn clean(p: &Path) -> Vec<std::path::Component<'_>> {
        p.components().filter(|c| !matches!(c, std::path::Component::CurDir)).collect()
    }
    let (path, base) = (clean(path), clean(base));
    let common = path.iter().zip(&base).take_while(|(a, b)| a == b).count();
    let mut relative = PathBuf::new();
    for _ in common..base.len() {
        relative.push("..");
    }
    for component in &path[common..] {
        relative.push(component);
    }
    relative
}
