//! Metrics, computed one way for every head and for the baseline.

use serde::Serialize;

use crate::Task;

/// The figures `hark eval --json` prints (DESIGN.md): binary tasks report precision, recall
/// and F1 of the positive class; sentiment reports macro figures and leaves those null.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub task: Task,
    pub n: usize,
    pub accuracy: f64,
    pub precision: Option<f64>,
    pub recall: Option<f64>,
    pub f1: Option<f64>,
    pub macro_f1: f64,
    pub macro_recall: f64,
    pub auc: Option<f64>,
    /// The decision threshold used for binary tasks.
    pub threshold: Option<f64>,
}

fn ratio(numerator: usize, denominator: usize) -> f64 {
    if denominator == 0 { 0.0 } else { numerator as f64 / denominator as f64 }
}

fn f1(precision: f64, recall: f64) -> f64 {
    if precision + recall == 0.0 { 0.0 } else { 2.0 * precision * recall / (precision + recall) }
}

/// Per-class precision, recall and F1 from predicted and gold class indices.
fn per_class(gold: &[usize], predicted: &[usize], classes: usize) -> Vec<(f64, f64, f64)> {
    (0..classes)
        .map(|class| {
            let true_positive = gold.iter().zip(predicted).filter(|(g, p)| **g == class && **p == class).count();
            let predicted_positive = predicted.iter().filter(|p| **p == class).count();
            let actual_positive = gold.iter().filter(|g| **g == class).count();
            let precision = ratio(true_positive, predicted_positive);
            let recall = ratio(true_positive, actual_positive);
            (precision, recall, f1(precision, recall))
        })
        .collect()
}

/// Area under the ROC curve: the probability that a random positive scores above a random
/// negative (ties count half). `None` when one class is absent.
pub fn auc(scores: &[f32], positive: &[bool]) -> Option<f64> {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|a, b| scores[*a].total_cmp(&scores[*b]));
    // Average ranks over ties, then the Mann-Whitney U statistic.
    let mut ranks = vec![0.0; scores.len()];
    let mut start = 0;
    while start < order.len() {
        let mut end = start;
        while end + 1 < order.len() && scores[order[end + 1]] == scores[order[start]] {
            end += 1;
        }
        let average = (start + end) as f64 / 2.0 + 1.0;
        for index in &order[start..=end] {
            ranks[*index] = average;
        }
        start = end + 1;
    }
    let positives = positive.iter().filter(|p| **p).count();
    let negatives = positive.len() - positives;
    if positives == 0 || negatives == 0 {
        return None;
    }
    let rank_sum: f64 = ranks.iter().zip(positive).filter(|(_, p)| **p).map(|(rank, _)| rank).sum();
    let u = rank_sum - (positives * (positives + 1)) as f64 / 2.0;
    Some(u / (positives * negatives) as f64)
}

/// Metrics of a binary head: `probabilities` of the positive class, flagged at `threshold`.
pub fn binary_report(task: Task, positive: &[bool], probabilities: &[f32], threshold: f32) -> Report {
    let gold: Vec<usize> = positive.iter().map(|p| usize::from(*p)).collect();
    let predicted: Vec<usize> = probabilities.iter().map(|p| usize::from(*p >= threshold)).collect();
    let classes = per_class(&gold, &predicted, 2);
    let correct = gold.iter().zip(&predicted).filter(|(g, p)| g == p).count();
    Report {
        task,
        n: gold.len(),
        accuracy: ratio(correct, gold.len()),
        precision: Some(classes[1].0),
        recall: Some(classes[1].1),
        f1: Some(classes[1].2),
        macro_f1: classes.iter().map(|c| c.2).sum::<f64>() / 2.0,
        macro_recall: classes.iter().map(|c| c.1).sum::<f64>() / 2.0,
        auc: auc(probabilities, positive),
        threshold: Some(f64::from(threshold)),
    }
}

/// Metrics of a multi-class head from per-class probabilities (argmax decides).
pub fn multiclass_report(task: Task, gold: &[usize], probabilities: &[Vec<f32>]) -> Report {
    let classes = probabilities.first().map_or(0, Vec::len);
    let predicted: Vec<usize> = probabilities.iter().map(|p| argmax(p)).collect();
    let per = per_class(gold, &predicted, classes);
    let correct = gold.iter().zip(&predicted).filter(|(g, p)| g == p).count();
    // Macro one-vs-rest AUC over the classes present.
    let aucs: Vec<f64> = (0..classes)
        .filter_map(|class| {
            let scores: Vec<f32> = probabilities.iter().map(|p| p[class]).collect();
            let is_class: Vec<bool> = gold.iter().map(|g| *g == class).collect();
            auc(&scores, &is_class)
        })
        .collect();
    Report {
        task,
        n: gold.len(),
        accuracy: ratio(correct, gold.len()),
        precision: None,
        recall: None,
        f1: None,
        macro_f1: per.iter().map(|c| c.2).sum::<f64>() / classes.max(1) as f64,
        macro_recall: per.iter().map(|c| c.1).sum::<f64>() / classes.max(1) as f64,
        auc: (!aucs.is_empty()).then(|| aucs.iter().sum::<f64>() / aucs.len() as f64),
        threshold: None,
    }
}

pub fn argmax(values: &[f32]) -> usize {
    values.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).map_or(0, |(index, _)| index)
}

/// The threshold with the best F1 of the positive class, and that F1. Ties go to the higher
/// threshold (fewer, surer flags).
pub fn best_f1_threshold(positive: &[bool], probabilities: &[f32]) -> (f32, f64) {
    let mut candidates: Vec<f32> = probabilities.to_vec();
    candidates.sort_by(f32::total_cmp);
    candidates.dedup();
    let mut best = (0.5, -1.0);
    for threshold in candidates {
        let report = binary_report(Task::Complaint, positive, probabilities, threshold);
        let score = report.f1.unwrap_or(0.0);
        if score >= best.1 {
            best = (threshold, score);
        }
    }
    best
}

/// The lowest threshold whose precision on the positive class reaches `target` (the most
/// recall at that precision), or `None` if no threshold reaches it.
pub fn threshold_for_precision(positive: &[bool], probabilities: &[f32], target: f64) -> Option<f32> {
    let mut candidates: Vec<f32> = probabilities.to_vec();
    candidates.sort_by(f32::total_cmp);
    candidates.dedup();
    candidates.into_iter().find(|threshold| {
        let report = binary_report(Task::Complaint, positive, probabilities, *threshold);
        report.precision.unwrap_or(0.0) >= target && report.recall.unwrap_or(0.0) > 0.0
    })
}

/// Bootstrap resamples of `n` examples: `resamples` index lists drawn with replacement from a
/// seeded generator (splitmix64), so intervals are reproducible and several systems can be
/// scored on the same draws (paired comparisons).
pub fn bootstrap_samples(n: usize, resamples: usize, seed: u64) -> Vec<Vec<usize>> {
    let mut state = seed;
    let mut next = move || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    if n == 0 {
        return vec![Vec::new(); resamples];
    }
    (0..resamples).map(|_| (0..n).map(|_| (next() % n as u64) as usize).collect()).collect()
}

/// The central 95% of bootstrap values (2.5th and 97.5th percentiles, nearest rank).
pub fn percentile_interval(values: &[f64]) -> (f64, f64) {
    if values.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let at = |q: f64| sorted[((q * (sorted.len() - 1) as f64).round() as usize).min(sorted.len() - 1)];
    (at(0.025), at(0.975))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bootstrap_draws_are_seeded_and_intervals_bracket_the_mean() {
        let draws = bootstrap_samples(50, 200, 7);
        assert_eq!(draws, bootstrap_samples(50, 200, 7));
        assert_ne!(draws, bootstrap_samples(50, 200, 8));
        assert!(draws.iter().all(|d| d.len() == 50 && d.iter().all(|i| *i < 50)));
        // The mean of 0/1 values with 30 ones in 50: the interval holds 0.6 and is a few points wide.
        let values: Vec<f64> = (0..50).map(|i| f64::from(u8::from(i < 30))).collect();
        let means: Vec<f64> = draws.iter().map(|d| d.iter().map(|i| values[*i]).sum::<f64>() / 50.0).collect();
        let (low, high) = percentile_interval(&means);
        assert!(low < 0.6 && 0.6 < high && high - low > 0.1 && high - low < 0.4, "{low} {high}");
        assert!(percentile_interval(&[]).0.is_nan());
    }

    #[test]
    fn auc_examples() {
        assert_eq!(auc(&[0.1, 0.2, 0.8, 0.9], &[false, false, true, true]), Some(1.0));
        assert_eq!(auc(&[0.9, 0.8, 0.2, 0.1], &[false, false, true, true]), Some(0.0));
        assert_eq!(auc(&[0.5, 0.5], &[false, true]), Some(0.5));
        assert_eq!(auc(&[0.5, 0.6], &[true, true]), None);
    }

    #[test]
    fn binary_figures() {
        let gold = [true, true, false, false, true];
        let probs = [0.9, 0.4, 0.6, 0.1, 0.8];
        let report = binary_report(Task::Complaint, &gold, &probs, 0.5);
        // predicted: 1 0 1 0 1 → tp 2, fp 1, fn 1
        assert!((report.precision.unwrap() - 2.0 / 3.0).abs() < 1e-9);
        assert!((report.recall.unwrap() - 2.0 / 3.0).abs() < 1e-9);
        assert!((report.accuracy - 0.6).abs() < 1e-9);
        let (threshold, best) = best_f1_threshold(&gold, &probs);
        assert!((best - 6.0 / 7.0).abs() < 1e-9, "{best}");
        assert!((threshold - 0.4).abs() < 1e-6, "{threshold}");
        // Precision 1.0 needs the threshold above the 0.6 negative: 0.8 keeps two positives.
        assert_eq!(threshold_for_precision(&gold, &probs, 1.0), Some(0.8));
        assert_eq!(threshold_for_precision(&gold, &probs, 0.7), Some(0.4), "3 of 4 flagged are right");
        assert_eq!(threshold_for_precision(&gold, &probs, 0.6), Some(0.1), "flagging all is 3 of 5");
    }

    #[test]
    fn macro_figures() {
        let gold = [0, 1, 2, 2];
        let probs = vec![vec![0.8, 0.1, 0.1], vec![0.1, 0.8, 0.1], vec![0.1, 0.1, 0.8], vec![0.1, 0.8, 0.1]];
        let report = multiclass_report(Task::Sentiment, &gold, &probs);
        assert!((report.macro_recall - (1.0 + 1.0 + 0.5) / 3.0).abs() < 1e-9);
        assert!(report.f1.is_none());
    }
}
