//! The measurements `make bench` records (`scripts/bench.sh` writes one
//! line per wrk run and per process, see [`Results::parse`]), and what
//! `bench-report` makes of them: the report's tables ([`report`]) and its
//! SVG charts ([`charts`]).

pub mod charts;
pub mod report;

use anyhow::{bail, Context};

/// One wrk run.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    /// The step measured (`step06` … `step10`, or `reference`).
    pub step: String,
    /// Which part of the report it belongs to: `main` (the side-by-side
    /// table), `connections` (the same page at 1 to 128 connections) or
    /// `posts` (the same request at 1,000 to 100,000 posts).
    pub group: String,
    /// What was measured, in words ("step08 API: one post").
    pub label: String,
    /// The request (`GET /posts/{id}`).
    pub request: String,
    /// wrk's connections.
    pub connections: u32,
    /// How many posts the database held.
    pub posts: u32,
    /// Requests per second.
    pub rps: f64,
    /// Median latency, in milliseconds.
    pub p50_ms: f64,
    /// 99th percentile latency, in milliseconds.
    pub p99_ms: f64,
    /// Requests wrk completed.
    pub requests: u64,
    /// Non-2xx answers plus socket errors (timeouts among them).
    pub errors: u64,
    /// How busy the whole machine was, in percent of all its cores.
    pub machine_busy: f64,
    /// The database server's CPU milliseconds per request (`None`: not on
    /// this machine).
    pub db_ms: Option<f64>,
    /// Each program that served the request, with its CPU milliseconds per
    /// request.
    pub programs: Vec<(String, f64)>,
}

impl Run {
    /// The CPU milliseconds per request of all the step's programs.
    pub fn program_ms(&self) -> f64 {
        self.programs.iter().map(|(_, ms)| ms).sum()
    }
}

/// One process's resident memory.
#[derive(Debug, Clone, PartialEq)]
pub struct Memory {
    /// The step it belongs to.
    pub step: String,
    /// The program's name.
    pub process: String,
    /// Resident set at rest (after start-up, before the runs), in KiB.
    pub rest_kib: u64,
    /// Resident set after the runs, in KiB.
    pub after_kib: u64,
}

/// Everything one bench run recorded.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Results {
    /// `meta` lines: when, where, how (`date`, `machine`, `database`, `wrk`, …).
    pub meta: Vec<(String, String)>,
    /// The wrk runs, in the order they ran.
    pub runs: Vec<Run>,
    /// The processes' memory.
    pub memory: Vec<Memory>,
    /// `note` lines: a title and a sentence (the import rate, sync's latency, …).
    pub notes: Vec<(String, String)>,
}

/// Milliseconds from one of wrk's latencies (`812.00us`, `1.23ms`, `2.01s`, `1.50m`).
pub fn wrk_ms(text: &str) -> anyhow::Result<f64> {
    let text = text.trim();
    let split = text.find(|c: char| c.is_ascii_alphabetic()).with_context(|| format!("no unit in {text:?}"))?;
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().with_context(|| format!("not a number: {text:?}"))?;
    let factor = match unit {
        "us" => 0.001,
        "ms" => 1.0,
        "s" => 1000.0,
        "m" => 60_000.0,
        "h" => 3_600_000.0,
        _ => bail!("unknown unit in {text:?}"),
    };
    Ok(number * factor)
}

impl Results {
    /// Reads the lines `scripts/bench.sh` writes, tab-separated:
    ///
    /// ```text
    /// meta  KEY  VALUE
    /// run   STEP  GROUP  LABEL  REQUEST  CONNECTIONS  POSTS  RPS  P50  P99  REQUESTS  ERRORS  MACHINE%  DB_MS  PROGRAMS
    /// mem   STEP  PROCESS  REST_KIB  AFTER_KIB
    /// note  TITLE  TEXT
    /// ```
    ///
    /// P50 and P99 as wrk prints them (`1.23ms`), DB_MS `-` when the
    /// database is not on this machine, PROGRAMS `name=ms,name=ms`.
    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let mut results = Self::default();
        for (n, line) in text.lines().enumerate().filter(|(_, line)| !line.trim().is_empty()) {
            let fields: Vec<&str> = line.split('\t').collect();
            let parsed = match fields.as_slice() {
                ["meta", key, value] => {
                    results.meta.push((key.to_string(), value.to_string()));
                    Ok(())
                }
                ["note", title, value] => {
                    results.notes.push((title.to_string(), value.to_string()));
                    Ok(())
                }
                ["mem", step, process, rest, after] => (|| {
                    results.memory.push(Memory {
                        step: step.to_string(),
                        process: process.to_string(),
                        rest_kib: rest.parse()?,
                        after_kib: after.parse()?,
                    });
                    anyhow::Ok(())
                })(),
                ["run", step, group, label, request, connections, posts, rps, p50, p99, requests, errors, busy, db, programs] => {
                    (|| {
                        let programs = programs
                            .split(',')
                            .filter(|p| !p.is_empty())
                            .map(|p| {
                                let (name, ms) = p.split_once('=').with_context(|| format!("not name=ms: {p:?}"))?;
                                Ok((name.to_owned(), ms.parse()?))
                            })
                            .collect::<anyhow::Result<_>>()?;
                        results.runs.push(Run {
                            step: step.to_string(),
                            group: group.to_string(),
                            label: label.to_string(),
                            request: request.to_string(),
                            connections: connections.parse()?,
                            posts: posts.parse()?,
                            rps: rps.parse()?,
                            p50_ms: wrk_ms(p50)?,
                            p99_ms: wrk_ms(p99)?,
                            requests: requests.parse()?,
                            errors: errors.parse()?,
                            machine_busy: busy.parse()?,
                            db_ms: if *db == "-" { None } else { Some(db.parse()?) },
                            programs,
                        });
                        anyhow::Ok(())
                    })()
                }
                _ => Err(anyhow::anyhow!("unknown line")),
            };
            parsed.with_context(|| format!("results line {}: {line:?}", n + 1))?;
        }
        Ok(results)
    }

    /// The value of a `meta` line.
    pub fn meta(&self, key: &str) -> Option<&str> {
        self.meta.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// The runs of one group.
    pub fn group<'a>(&'a self, group: &'a str) -> impl Iterator<Item = &'a Run> + 'a {
        self.runs.iter().filter(move |run| run.group == group)
    }

    /// The reference server's run in the side-by-side table.
    pub fn reference(&self) -> Option<&Run> {
        self.group("main").find(|run| run.step == "reference")
    }

    /// The curves of a scaling group: each label's runs, in the order of
    /// their first run, sorted by `x`.
    pub fn curves<'a>(&'a self, group: &'a str, x: fn(&Run) -> u32) -> Vec<(String, Vec<&'a Run>)> {
        let mut curves: Vec<(String, Vec<&Run>)> = Vec::new();
        for run in self.group(group) {
            match curves.iter_mut().find(|(label, _)| *label == run.label) {
                Some((_, runs)) => runs.push(run),
                None => curves.push((run.label.clone(), vec![run])),
            }
        }
        for (_, runs) in &mut curves {
            runs.sort_by_key(|run| x(run));
        }
        curves
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINES: &str = "meta\tdate\t2026-12-02 16:00 UTC\n\
        run\treference\tmain\treference: one post\tGET /posts/{id}\t32\t1000\t4321.5\t6.90ms\t15.20ms\t64822\t0\t98\t0.31\treference=0.21\n\
        run\tstep08\tmain\tstep08 web: one post\tGET /posts/{id}\t32\t1000\t1200\t812.00us\t1.50s\t18000\t3\t99\t-\tstep08-web=1.5,step08-api=0.4\n\
        mem\tstep08\tstep08-api\t9000\t12000\n\
        note\tImport\t100000 posts in 20 s\n";

    #[test]
    fn reads_every_kind_of_line() {
        let results = Results::parse(LINES).unwrap();
        assert_eq!(results.meta("date"), Some("2026-12-02 16:00 UTC"));
        assert_eq!(results.runs.len(), 2);
        let reference = results.reference().unwrap();
        assert_eq!(reference.rps, 4321.5);
        assert_eq!(reference.db_ms, Some(0.31));
        let web = &results.runs[1];
        assert_eq!((web.p50_ms, web.p99_ms), (0.812, 1500.0));
        assert_eq!(web.db_ms, None);
        assert_eq!(web.errors, 3);
        assert!((web.program_ms() - 1.9).abs() < 1e-9);
        assert_eq!(results.memory[0].after_kib, 12000);
        assert_eq!(results.notes[0].0, "Import");
    }

    #[test]
    fn a_malformed_line_names_its_number() {
        let error = Results::parse("meta\tdate\tx\nrun\tstep06\tmain\n").unwrap_err();
        assert!(format!("{error:#}").contains("results line 2"), "{error:#}");
        let error = Results::parse("run\ta\tmain\tl\tr\t32\t1000\tfast\t1ms\t1ms\t1\t0\t1\t-\t\n").unwrap_err();
        assert!(format!("{error:#}").contains("results line 1"), "{error:#}");
    }

    #[test]
    fn wrk_latencies_in_every_unit() {
        assert_eq!(wrk_ms("250.00us").unwrap(), 0.25);
        assert_eq!(wrk_ms("3.5ms").unwrap(), 3.5);
        assert_eq!(wrk_ms("1.25s").unwrap(), 1250.0);
        assert_eq!(wrk_ms("2.00m").unwrap(), 120_000.0);
        assert!(wrk_ms("12").is_err());
        assert!(wrk_ms("1.0parsecs").is_err());
    }

    #[test]
    fn curves_group_runs_by_label_sorted() {
        let mut results = Results::parse(LINES).unwrap();
        for (connections, rps) in [(32, 300.0), (1, 100.0), (8, 250.0)] {
            let mut run = results.runs[1].clone();
            run.group = "connections".into();
            run.connections = connections;
            run.rps = rps;
            results.runs.push(run);
        }
        let curves = results.curves("connections", |run| run.connections);
        assert_eq!(curves.len(), 1);
        let xs: Vec<u32> = curves[0].1.iter().map(|run| run.connections).collect();
        assert_eq!(xs, [1, 8, 32]);
    }
}
