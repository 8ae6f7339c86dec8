//! `FANOUT`: how a page waits for its independent calls, concurrently (the
//! default, step 10's point) or one after another (a teaching switch).
//!
//! The pages never write `futures::join!` for their rounds themselves: the
//! home page's first round, the counts' round of every list
//! ([`crate::reactions::counts`]) and the many-call reads inside a round
//! (the likes' and the shares' chunks of 100 ids) go through
//! [`Fanout::join`] and [`Fanout::in_flight`]. With `FANOUT=sequential`
//! every one of those calls waits for the one before, which is what the
//! same page would do written the blocking way, so `make bench` can put
//! the two side by side on the same programs. A teaching shortcut: the
//! post page, the search results and `/me` keep their own `join!`, since
//! the home page is the one the benchmark compares.

use std::future::Future;

/// How a page waits for the calls of one round.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Fanout {
    /// All the calls of a round at once: the round takes its slowest call.
    #[default]
    Concurrent,
    /// Each call after the one before: the page takes the sum of its calls.
    Sequential,
}

impl Fanout {
    /// Reads a `FANOUT` value: `concurrent` or `sequential` (any case).
    pub fn parse(value: &str) -> Option<Self> {
        match value.trim().to_ascii_lowercase().as_str() {
            "concurrent" => Some(Self::Concurrent),
            "sequential" => Some(Self::Sequential),
            _ => None,
        }
    }

    /// Waits for `a` and `b`: together, or `a` first and then `b`.
    pub async fn join<A: Future, B: Future>(self, a: A, b: B) -> (A::Output, B::Output) {
        match self {
            Self::Concurrent => futures::join!(a, b),
            Self::Sequential => {
                let a = a.await;
                (a, b.await)
            }
        }
    }

    /// How many of a round's calls may be in flight at once, when the
    /// caller would allow `limit` (at least 1): `limit`, or 1.
    pub fn in_flight(self, limit: usize) -> usize {
        match self {
            Self::Concurrent => limit.max(1),
            Self::Sequential => 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;

    #[test]
    fn parses_the_two_values_and_nothing_else() {
        assert_eq!(Fanout::parse("concurrent"), Some(Fanout::Concurrent));
        assert_eq!(Fanout::parse(" Sequential "), Some(Fanout::Sequential));
        assert_eq!(Fanout::parse("parallel"), None);
        assert_eq!(Fanout::parse(""), None);
    }

    #[test]
    fn sequential_allows_one_call_in_flight() {
        assert_eq!(Fanout::Concurrent.in_flight(12), 12);
        assert_eq!(Fanout::Concurrent.in_flight(0), 1);
        assert_eq!(Fanout::Sequential.in_flight(12), 1);
    }

    #[actix_web::test]
    async fn sequential_takes_the_sum_and_concurrent_the_slowest() {
        // An async block, as a call is: its timer starts when it is first
        // polled (a bare `sleep` would start counting when it is made).
        let sleep = |ms| async move { actix_web::rt::time::sleep(Duration::from_millis(ms)).await };
        let started = Instant::now();
        Fanout::Concurrent.join(sleep(100), sleep(100)).await;
        let concurrent = started.elapsed();
        let started = Instant::now();
        Fanout::Sequential.join(sleep(100), sleep(100)).await;
        let sequential = started.elapsed();
        assert!(concurrent < Duration::from_millis(180), "{concurrent:?}");
        assert!(sequential >= Duration::from_millis(200), "{sequential:?}");
    }
}
