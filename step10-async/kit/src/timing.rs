//! The durations of one request's calls to other services, for the
//! `Server-Timing` response header (the W3C standard that browsers'
//! developer tools draw under "Timing") and the page footer.

use std::{cell::RefCell, rc::Rc, time::Duration};

/// One measured step: a service call, or the render.
#[derive(Clone, Debug)]
pub struct Timing {
    /// A token naming the step (`search`, `posts`, `render`).
    pub name: String,
    /// What exactly (the path called), shown as the entry's description.
    pub description: String,
    /// How long it took.
    pub duration: Duration,
}

/// The steps of one request, in the order they ended. Cheap to clone (one
/// per request, on one worker thread: `Rc`, not `Arc`).
#[derive(Clone, Default, Debug)]
pub struct Timings(Rc<RefCell<Vec<Timing>>>);

impl Timings {
    /// Records a step.
    pub fn record(&self, name: &str, description: &str, duration: Duration) {
        self.0.borrow_mut().push(Timing { name: name.into(), description: description.into(), duration });
    }

    /// Every step so far.
    pub fn all(&self) -> Vec<Timing> {
        self.0.borrow().clone()
    }

    /// The steps that were service calls (everything but `render` and
    /// `total`).
    pub fn calls(&self) -> Vec<Timing> {
        self.all().into_iter().filter(|t| t.name != "render" && t.name != "total").collect()
    }

    /// The `Server-Timing` value: `name;desc="…";dur=1.23` per step.
    pub fn header_value(&self) -> String {
        self.all()
            .iter()
            .map(|t| {
                let description: String = t
                    .description
                    .chars()
                    .filter(|c| (c.is_ascii_graphic() || *c == ' ') && *c != '"' && *c != '\\')
                    .collect();
                format!("{};desc=\"{}\";dur={:.2}", t.name, description, t.duration.as_secs_f64() * 1e3)
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_lists_every_step() {
        let timings = Timings::default();
        timings.record("search", "/v1/search?q=\"x\"", Duration::from_micros(1_500));
        timings.record("render", "index.html", Duration::from_micros(250));
        timings.record("total", "the whole request\n", Duration::from_micros(2_000));
        assert_eq!(
            timings.header_value(),
            r#"search;desc="/v1/search?q=x";dur=1.50, render;desc="index.html";dur=0.25, total;desc="the whole request";dur=2.00"#
        );
        assert_eq!(timings.calls().len(), 1);
    }
}
