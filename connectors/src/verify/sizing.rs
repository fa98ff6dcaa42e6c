//! How large verification's sample is and what it may spend: the rules alone, free of any
//! store or runtime, so the runtime's verification and the benchmarks against the sandboxes
//! size a sample the same way.

/// Records per entity kept for the field-by-field comparison unless `[run] sample_size` says.
pub const DEFAULT_SAMPLE_SIZE: usize = 50;

/// Share of the load's API spend (points or requests), in percent, a sampled verification may
/// use unless `[run] verify_budget_pct` says.
pub const DEFAULT_BUDGET_PCT: f64 = 10.0;

/// Which records the sample takes: an even spread over the whole entity, at most `size`.
#[derive(Debug, Clone, Copy)]
pub struct Stride {
    every: u64,
    size: u64,
}

impl Stride {
    /// The stride for a sample of `size` from an entity of `total` records (unknown: the
    /// first records).
    pub fn new(size: usize, total: Option<u64>) -> Stride {
        let size = size.max(1) as u64;
        Stride {
            every: (total.unwrap_or(0) / size).max(1),
            size,
        }
    }

    /// `ordinal` counts the entity's records from 1 in source order.
    pub fn picks(&self, ordinal: u64) -> bool {
        ordinal.is_multiple_of(self.every) && ordinal / self.every <= self.size
    }
}

/// What verification may spend in all, counts included: `pct` percent of what the load spent.
pub fn budget_cap(load_spent: u64, pct: f64) -> u64 {
    (load_spent as f64 * pct.max(0.0) / 100.0).floor() as u64
}

/// What one entity's sample may spend of the `left` of the cap. `needs` are the estimated
/// costs of whole samples, this entity's first and those checked after it: one whose sample
/// costs less than an even share takes what it needs (with a margin for the estimate), and
/// what an entity leaves goes to the next.
pub fn allowance(left: u64, needs: &[f64]) -> u64 {
    let budget = left as f64;
    let given = share_by_need(budget, needs.iter().map(|n| n * 1.25).collect());
    // Requests and points are whole: a share of 0.6 is one request while the budget still
    // holds one, not none.
    if given > 0.0 {
        given.ceil().min(budget.floor()) as u64
    } else {
        0
    }
}

/// The first entity's share of `budget` when it is shared by need among `needs` (water
/// filling: the smallest needs are met whole, the rest share what remains evenly).
pub fn share_by_need(mut budget: f64, needs: Vec<f64>) -> f64 {
    let Some(first) = needs.first().copied() else {
        return 0.0;
    };
    let mut sorted = needs;
    sorted.sort_by(|a, b| a.total_cmp(b));
    let n = sorted.len();
    for (k, need) in sorted.into_iter().enumerate() {
        let share = budget / (n - k) as f64;
        if need >= share {
            // From here on every need is at least the even share: the first gets that share
            // unless its own need is smaller (then it was met in an earlier round).
            return first.min(share);
        }
        budget -= need;
    }
    first
}

/// Indices 0..n in an order whose every prefix is spread over the whole range (bit-reversed
/// order), so a sample cut short by the budget still spans the entity.
pub fn spread(n: usize) -> Vec<usize> {
    if n == 0 {
        return vec![];
    }
    let bits = usize::BITS - (n - 1).leading_zeros();
    (0..1usize << bits)
        .map(|i| {
            if bits == 0 {
                0
            } else {
                i.reverse_bits() >> (usize::BITS - bits)
            }
        })
        .filter(|i| *i < n)
        .collect()
}

/// How many of the next records (`costs`, in the order they are checked) one batch of at
/// most `limit` takes within `room`, and what that batch is estimated to cost: the records'
/// shares are summed, scaled by what the platform was seen to charge (`ratio`), and rounded
/// up once for the whole batch.
pub fn batch_within(costs: &[f64], limit: usize, ratio: f64, room: u64) -> (usize, u64) {
    let (mut n, mut sum, mut charged) = (0, 0.0, 0);
    for c in costs.iter().take(limit) {
        // The shares are fractions summed in floating point: 250 × 1/250 may come to a
        // hair over 1, which is still one request.
        let next = ((sum + c) * ratio - 1e-9).ceil().max(0.0) as u64;
        if next > room {
            break;
        }
        sum += c;
        charged = next;
        n += 1;
    }
    (n, charged)
}

/// The charge ratio the next batch is sized with, after a batch estimated at `estimated`
/// cost `cost`: estimates are a model of the platform's charge, what it really charged sizes
/// the next batch, never below the model nor below what was seen before.
pub fn next_ratio(seen_before: Option<f64>, cost: u64, estimated: f64) -> f64 {
    let seen = cost as f64 / estimated.ceil().max(1.0);
    seen.max(seen_before.unwrap_or(1.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_prefix_of_the_spread_spans_the_range() {
        assert_eq!(spread(8), vec![0, 4, 2, 6, 1, 5, 3, 7]);
        assert_eq!(spread(1), vec![0]);
        assert!(spread(0).is_empty());
        let first: Vec<usize> = spread(100).into_iter().take(4).collect();
        assert_eq!(first, vec![0, 64, 32, 96]);
    }

    #[test]
    fn small_needs_are_met_whole_and_the_rest_share_evenly() {
        assert_eq!(share_by_need(100.0, vec![10.0, 500.0, 500.0]), 10.0);
        assert_eq!(share_by_need(100.0, vec![500.0, 10.0, 500.0]), 45.0);
        assert_eq!(share_by_need(100.0, vec![20.0]), 20.0);
        assert_eq!(share_by_need(100.0, vec![]), 0.0);
    }

    #[test]
    fn an_allowance_is_whole_and_never_beyond_what_is_left() {
        // A need of 0.4 request with a margin is still one whole request.
        assert_eq!(allowance(5, &[0.4]), 1);
        // Nothing left: nothing allowed, however great the need.
        assert_eq!(allowance(0, &[100.0]), 0);
        // Three equal needs above the even share split what is left.
        assert_eq!(allowance(90, &[1000.0, 1000.0, 1000.0]), 30);
    }

    #[test]
    fn the_sample_spreads_over_the_entity() {
        let s = Stride::new(50, Some(1000));
        let picked: Vec<u64> = (1..=1000).filter(|o| s.picks(*o)).collect();
        assert_eq!(picked.len(), 50);
        assert_eq!((picked[0], picked[49]), (20, 1000));
        // Unknown size: the first records.
        let first = Stride::new(3, None);
        assert_eq!((1..=10).filter(|o| first.picks(*o)).count(), 3);
    }

    #[test]
    fn a_batch_is_charged_whole_not_record_by_record() {
        // 250 records at a 250th of a request each: one request for the lot.
        let per = vec![1.0 / 250.0; 300];
        assert_eq!(batch_within(&per, 250, 1.0, 1), (250, 1));
        // Nothing left: nothing fetched.
        assert_eq!(batch_within(&per, 250, 1.0, 0), (0, 0));
        // A configurable costs its own request for its children on top of its share.
        let mixed = vec![1.0 + 1.0 / 100.0, 1.0 / 100.0, 1.0 + 1.0 / 100.0];
        assert_eq!(batch_within(&mixed, 100, 1.0, 2), (2, 2));
        assert_eq!(batch_within(&mixed, 100, 1.0, 3), (3, 3));
        // The platform charged twice the model: half as many fit.
        let points = vec![10.0; 10];
        assert_eq!(batch_within(&points, 10, 2.0, 100), (5, 100));
    }

    proptest! {
        #[test]
        fn the_spread_is_a_permutation(n in 0usize..3000) {
            let mut s = spread(n);
            s.sort_unstable();
            prop_assert_eq!(s, (0..n).collect::<Vec<_>>());
        }
    }
}
