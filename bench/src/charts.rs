//! The report's SVG charts, drawn with plotters: throughput, p99 and CPU
//! per request of every row of the side-by-side table (with the
//! reference's figure as a red line), memory per step, and the scaling
//! curves (by connections, by posts).

use std::path::Path;

use anyhow::Context;
use plotters::{coord::ranged1d::SegmentValue, prelude::*};

use crate::{Results, Run};

/// A bar: its label, its value and its colour (one per step).
type Bar = (String, f64, usize);

/// A curve: its label and its points.
type Curve = (String, Vec<(f64, f64)>);

/// The colour of a step's bars and curves.
fn colour(step: &str) -> usize {
    match step {
        "reference" => 0,
        "step06" => 1,
        "step08" => 2,
        "step09" => 3,
        "step10" => 4,
        _ => 5,
    }
}

/// Draws every chart of `results` into `dir`; the files written, with a
/// title each, in the order the report shows them.
pub fn draw_all(results: &Results, dir: &Path) -> anyhow::Result<Vec<(String, String)>> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut written = Vec::new();
    let mut chart = |file: &str, title: &str, draw: &dyn Fn(&Path) -> anyhow::Result<()>| -> anyhow::Result<()> {
        draw(&dir.join(file)).with_context(|| format!("drawing {file}"))?;
        written.push((file.to_owned(), title.to_owned()));
        Ok(())
    };
    let main: Vec<&Run> = results.group("main").collect();
    if !main.is_empty() {
        let reference = results.reference();
        let bars = |value: fn(&Run) -> f64| -> Vec<Bar> {
            main.iter().map(|run| (run.label.clone(), value(run), colour(&run.step))).collect()
        };
        chart("throughput.svg", "Requests per second (red: the reference server)", &|path| {
            horizontal_bars(path, "Requests per second", "req/s", &bars(|run| run.rps), reference.map(|r| r.rps))
        })?;
        chart("p99.svg", "99th percentile latency", &|path| {
            horizontal_bars(path, "p99 latency", "ms", &bars(|run| run.p99_ms), reference.map(|r| r.p99_ms))
        })?;
        chart("cpu.svg", "CPU per request of the step's own programs (red: the reference server)", &|path| {
            horizontal_bars(
                path,
                "CPU per request, the step's programs",
                "CPU ms per request",
                &bars(Run::program_ms),
                reference.map(Run::program_ms),
            )
        })?;
    }
    if !results.memory.is_empty() {
        let mut steps: Vec<&str> = Vec::new();
        for memory in &results.memory {
            if !steps.contains(&memory.step.as_str()) {
                steps.push(&memory.step);
            }
        }
        let mut bars = Vec::new();
        for step in steps {
            let of_step = || results.memory.iter().filter(move |m| m.step == step);
            let mib = |kib: u64| kib as f64 / 1024.0;
            bars.push((format!("{step} at rest"), mib(of_step().map(|m| m.rest_kib).sum()), colour(step)));
            bars.push((format!("{step} after the runs"), mib(of_step().map(|m| m.after_kib).sum()), colour(step)));
        }
        chart("memory.svg", "Resident memory of each step's programs, summed", &|path| {
            horizontal_bars(path, "Resident memory, all of a step's programs", "MiB", &bars, None)
        })?;
    }
    let by_connections = results.curves("connections", |run| run.connections);
    if !by_connections.is_empty() {
        let points = |value: fn(&Run) -> f64| -> Vec<Curve> {
            by_connections
                .iter()
                .map(|(label, runs)| (label.clone(), runs.iter().map(|r| (r.connections as f64, value(r))).collect()))
                .collect()
        };
        chart("connections.svg", "Requests per second by connections", &|path| {
            curves(path, "Requests per second by connections", "connections", "req/s", (1.0, 128.0), &points(|r| r.rps))
        })?;
        chart("connections-p99.svg", "p99 latency by connections", &|path| {
            curves(path, "p99 latency by connections", "connections", "p99, ms", (1.0, 128.0), &points(|r| r.p99_ms))
        })?;
    }
    let by_posts = results.curves("posts", |run| run.posts);
    if !by_posts.is_empty() {
        let points: Vec<Curve> = by_posts
            .iter()
            .map(|(label, runs)| (label.clone(), runs.iter().map(|r| (r.posts as f64, r.rps)).collect()))
            .collect();
        chart("posts.svg", "Requests per second by posts in the database", &|path| {
            curves(path, "Requests per second by posts", "posts in the database", "req/s", (1000.0, 100_000.0), &points)
        })?;
    }
    Ok(written)
}

/// One horizontal bar per item, its value written at its end, and a red
/// line at `reference`.
fn horizontal_bars(path: &Path, title: &str, unit: &str, bars: &[Bar], reference: Option<f64>) -> anyhow::Result<()> {
    let n = bars.len();
    let height = 90 + 26 * n as u32;
    let root = SVGBackend::new(path, (1000, height)).into_drawing_area();
    root.fill(&WHITE)?;
    // The scale ends at 3× the reference (when there is one): a bar past
    // it (the stylesheet, served without the database) is drawn to the
    // edge with its value written, so that it does not flatten the rest.
    let largest = bars.iter().map(|(_, v, _)| *v).chain(reference).fold(0.0, f64::max).max(f64::MIN_POSITIVE);
    let max = reference.map_or(largest, |r| largest.min(3.0 * r));
    let shown = |value: f64| value.min(max * 1.05);
    let end = if largest > max { max * 1.4 } else { max * 1.18 };
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(380)
        .build_cartesian_2d(0.0..end, (0..n).into_segmented())?;
    // The first bar at the top: bar i is drawn in segment n - 1 - i.
    let row = |i: usize| n - 1 - i;
    let labels: Vec<String> = bars.iter().rev().map(|(label, _, _)| label.clone()).collect();
    let label_of = |value: &SegmentValue<usize>| match value {
        SegmentValue::CenterOf(i) => labels.get(*i).cloned().unwrap_or_default(),
        _ => String::new(),
    };
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(n)
        .y_label_formatter(&label_of)
        .x_label_formatter(&|v| figure(*v))
        .x_desc(unit)
        .label_style(("sans-serif", 13))
        .draw()?;
    chart.draw_series(bars.iter().enumerate().map(|(i, (_, value, colour))| {
        let mut bar = Rectangle::new(
            [(0.0, SegmentValue::Exact(row(i))), (shown(*value), SegmentValue::Exact(row(i) + 1))],
            Palette99::pick(*colour).filled(),
        );
        bar.set_margin(3, 3, 0, 0);
        bar
    }))?;
    chart.draw_series(bars.iter().enumerate().map(|(i, (_, value, _))| {
        let past = if *value > max * 1.05 { " (off the scale)" } else { "" };
        Text::new(
            format!(" {}{past}", figure(*value)),
            (shown(*value), SegmentValue::CenterOf(row(i))),
            ("sans-serif", 12),
        )
    }))?;
    if let Some(reference) = reference {
        chart.draw_series(LineSeries::new(
            [(reference, SegmentValue::Exact(0)), (reference, SegmentValue::Exact(n))],
            RED.stroke_width(2),
        ))?;
    }
    root.present()?;
    Ok(())
}

/// Curves on a logarithmic x axis from `x.0` to `x.1`, with a legend.
fn curves(path: &Path, title: &str, x_desc: &str, y_desc: &str, x: (f64, f64), curves: &[Curve]) -> anyhow::Result<()> {
    let root = SVGBackend::new(path, (900, 520)).into_drawing_area();
    root.fill(&WHITE)?;
    let max =
        curves.iter().flat_map(|(_, points)| points.iter().map(|p| p.1)).fold(0.0, f64::max).max(f64::MIN_POSITIVE);
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(45)
        .y_label_area_size(70)
        .build_cartesian_2d((x.0 * 0.8..x.1 * 1.25).log_scale(), 0.0..max * 1.1)?;
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .y_desc(y_desc)
        .x_label_formatter(&|v| format!("{v:.0}"))
        .y_label_formatter(&|v| figure(*v))
        .label_style(("sans-serif", 13))
        .draw()?;
    for (i, (label, points)) in curves.iter().enumerate() {
        let colour = Palette99::pick(i + 1).to_rgba();
        chart
            .draw_series(LineSeries::new(points.iter().copied(), colour.stroke_width(2)))?
            .label(label.as_str())
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], colour.stroke_width(2)));
        chart.draw_series(points.iter().map(|p| Circle::new(*p, 3, colour.filled())))?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .border_style(BLACK)
        .background_style(WHITE.mix(0.85))
        .label_font(("sans-serif", 13))
        .draw()?;
    root.present()?;
    Ok(())
}

/// A figure as the charts write it: no more digits than it carries.
pub fn figure(value: f64) -> String {
    match value.abs() {
        v if v >= 100.0 => format!("{value:.0}"),
        v if v >= 10.0 => format!("{value:.1}"),
        _ => format!("{value:.2}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_chart_is_an_svg_with_its_labels() {
        let mut lines = String::from(
            "run\treference\tmain\treference: one post\tGET /posts/{id}\t32\t1000\t4000\t5ms\t9ms\t60000\t0\t90\t0.3\treference=0.2\n\
             run\tstep08\tmain\tstep08 API: one post\tGET /posts/{id}\t32\t1000\t3000\t7ms\t12ms\t45000\t0\t95\t0.3\tstep08-api=0.3\n\
             mem\tstep08\tstep08-api\t9000\t12000\n",
        );
        for (connections, rps) in [(1, 500), (8, 2500), (32, 3000), (128, 3100)] {
            lines += &format!("run\tstep08\tconnections\tstep08 web: home\tGET /\t{connections}\t1000\t{rps}\t1ms\t2ms\t1\t0\t50\t-\t\n");
        }
        for (posts, rps) in [(1000, 300), (10_000, 200), (100_000, 40)] {
            lines += &format!(
                "run\tstep08\tposts\tstep08 API: list\tGET /posts\t32\t{posts}\t{rps}\t1ms\t2ms\t1\t0\t50\t-\t\n"
            );
        }
        let results = Results::parse(&lines).unwrap();
        let dir = std::env::temp_dir().join(format!("bench-charts-{}", std::process::id()));
        let written = draw_all(&results, &dir).unwrap();
        let files: Vec<&str> = written.iter().map(|(file, _)| file.as_str()).collect();
        assert_eq!(
            files,
            [
                "throughput.svg",
                "p99.svg",
                "cpu.svg",
                "memory.svg",
                "connections.svg",
                "connections-p99.svg",
                "posts.svg"
            ]
        );
        let throughput = std::fs::read_to_string(dir.join("throughput.svg")).unwrap();
        assert!(throughput.starts_with("<svg"), "{}", &throughput[..80]);
        assert!(throughput.contains("step08 API: one post") && throughput.contains("3000"), "a bar's label and value");
        let posts = std::fs::read_to_string(dir.join("posts.svg")).unwrap();
        assert!(posts.contains("step08 API: list"), "the legend names the curve");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn figures_keep_their_significant_digits() {
        assert_eq!(figure(4321.4), "4321");
        assert_eq!(figure(12.34), "12.3");
        assert_eq!(figure(0.326), "0.33");
    }
}
