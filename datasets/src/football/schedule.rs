//! The fixture list: who plays whom in which round, and when.
//!
//! [`double_round_robin`] pairs the teams of one competition so that every
//! team meets every other twice, once at home and once away, and plays at
//! most once per round. [`kickoff`] spreads the rounds over the season's
//! weekends. Both are pure functions of their arguments; the generator only
//! adds the random kick-off slot.

/// Saturday 16 August 2025, 00:00 UTC (epoch seconds): the first weekend of
/// the 2025-26 season.
pub(super) const SEASON_START: i64 = 1_755_302_400;
/// The season's name, as the `season` field writes it.
pub(super) const SEASON: &str = "2025-26";
/// A season lasts about forty weeks (August to May): fewer rounds are spread
/// over them, more get a week each.
const SEASON_WEEKS: usize = 40;
/// Kick-off slots, as (days after Saturday, hour, minute), in UTC. A
/// teaching shortcut: real kick-offs follow local time and television.
const SLOTS: &[(i64, i64, i64)] = &[(0, 11, 30), (0, 14, 0), (0, 16, 30), (1, 13, 0), (1, 15, 30)];

/// The rounds of a double round robin between teams `0..n`, each round a list
/// of `(home, away)` pairs.
///
/// The circle method: the teams sit on a ring, team 0 stays put and the
/// others turn one place per round; the team at position `i` meets the one
/// at position `len - 1 - i`. That gives the first half (`n - 1` rounds, `n`
/// rounds when `n` is odd); the second half repeats it with home and away
/// swapped. With an odd `n` a phantom team fills the ring and whoever meets
/// it rests that round.
pub fn double_round_robin(n: usize) -> Vec<Vec<(usize, usize)>> {
    if n < 2 {
        return Vec::new();
    }
    let slots = n + n % 2;
    let mut ring: Vec<usize> = (0..slots).collect();
    let mut first_half = Vec::with_capacity(slots - 1);
    for round in 0..slots - 1 {
        let mut pairs = Vec::with_capacity(slots / 2);
        for i in 0..slots / 2 {
            let (a, b) = (ring[i], ring[slots - 1 - i]);
            if a == n || b == n {
                continue; // the phantom team: a bye
            }
            // Teams move one place per round, so deciding home and away by
            // place makes them alternate; team 0 never moves, so its pair
            // alternates by round instead. With an even number of teams, that
            // leaves every team at most three "breaks" (two home or two away
            // games in a row) a season.
            let a_at_home = if i == 0 { round % 2 == 0 } else { i % 2 == 0 };
            pairs.push(if a_at_home { (a, b) } else { (b, a) });
        }
        first_half.push(pairs);
        ring[1..].rotate_right(1);
    }
    let second_half: Vec<Vec<(usize, usize)>> =
        first_half.iter().map(|pairs| pairs.iter().map(|&(home, away)| (away, home)).collect()).collect();
    first_half.into_iter().chain(second_half).collect()
}

/// The kick-off (epoch seconds) of round `round` (from 0) of `rounds`, in
/// kick-off slot `slot` (any number: it wraps around the weekend's slots).
pub fn kickoff(round: usize, rounds: usize, slot: usize) -> i64 {
    let week = round * SEASON_WEEKS.max(rounds) / rounds.max(1);
    let (day, hour, minute) = SLOTS[slot % SLOTS.len()];
    SEASON_START + (week as i64 * 7 + day) * 86_400 + hour * 3600 + minute * 60
}

/// How many kick-off slots a weekend has.
pub fn slot_count() -> usize {
    SLOTS.len()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn every_pair_meets_home_and_away_once_and_nobody_plays_twice_a_round() {
        for n in 2..=21 {
            let rounds = double_round_robin(n);
            assert_eq!(rounds.len(), 2 * (n - 1 + n % 2), "{n} teams");
            let mut met = BTreeSet::new();
            for pairs in &rounds {
                let mut busy = BTreeSet::new();
                for &(home, away) in pairs {
                    assert!(home != away && home < n && away < n);
                    assert!(busy.insert(home) && busy.insert(away), "{n} teams: a team plays twice in a round");
                    assert!(met.insert((home, away)), "{n} teams: {home} hosts {away} twice");
                }
                // Everyone plays, except one resting team when n is odd.
                assert_eq!(busy.len(), n - n % 2);
            }
            assert_eq!(met.len(), n * (n - 1));
        }
        assert!(double_round_robin(1).is_empty());
    }

    #[test]
    fn home_and_away_games_alternate() {
        // With an even number of teams (with an odd one, resting rounds
        // count as breaks: five at most).
        for n in (2..=24).step_by(2) {
            let rounds = double_round_robin(n);
            for team in 0..n {
                let at_home: Vec<bool> = rounds
                    .iter()
                    .filter_map(|pairs| pairs.iter().find(|&&(h, a)| h == team || a == team).map(|&(h, _)| h == team))
                    .collect();
                let breaks = at_home.windows(2).filter(|w| w[0] == w[1]).count();
                assert!(breaks <= 3, "{n} teams, team {team}: {breaks} breaks");
                assert_eq!(at_home.iter().filter(|&&h| h).count(), n - 1);
            }
        }
    }

    #[test]
    fn rounds_spread_over_the_season_in_order() {
        assert_eq!(kickoff(0, 18, 1), SEASON_START + 14 * 3600);
        // 46 rounds (24 teams) get a week each, 38 are spread over 40 weeks.
        let times: Vec<i64> = (0..46).map(|r| kickoff(r, 46, 0)).collect();
        assert!(times.windows(2).all(|w| w[1] - w[0] == 7 * 86_400));
        let times: Vec<i64> = (0..38).map(|r| kickoff(r, 38, 0)).collect();
        assert!(times.windows(2).all(|w| w[1] - w[0] == 7 * 86_400 || w[1] - w[0] == 14 * 86_400));
        // 18 rounds still end in spring, not in December.
        let last = kickoff(17, 18, slot_count() - 1);
        assert!(last > SEASON_START + 30 * 7 * 86_400 && last < SEASON_START + 41 * 7 * 86_400);
    }
}
