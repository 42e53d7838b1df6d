//! `NEAR/n` and `ONEAR/n` as a tantivy query with an exact positions check.
//!
//! Candidates are the documents holding every token of both operands (a conjunction, scored
//! by BM25 like any text query); each candidate is kept only if some occurrence of the left
//! operand (its tokens at consecutive positions) and some occurrence of the right one have at
//! most `distance` other words between them: in either order for `NEAR`, left first for
//! `ONEAR`.

use tantivy::postings::{Postings, SegmentPostings};
use tantivy::query::{BooleanQuery, EmptyScorer, EnableScoring, Explanation, Occur, Query, Scorer, TermQuery, Weight};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocId, DocSet, Score, SegmentReader, TERMINATED, Term};

#[derive(Debug, Clone)]
pub(super) struct NearQuery {
    field: Field,
    left: Vec<Term>,
    right: Vec<Term>,
    distance: u32,
    ordered: bool,
}

impl NearQuery {
    pub fn new(field: Field, left: Vec<Term>, right: Vec<Term>, distance: u32, ordered: bool) -> Self {
        Self { field, left, right, distance, ordered }
    }

    /// The distinct terms and, for each operand, the index of each of its tokens among them.
    fn layout(&self) -> (Vec<Term>, Vec<usize>, Vec<usize>) {
        let mut terms: Vec<Term> = Vec::new();
        let mut slot = |term: &Term| match terms.iter().position(|known| known == term) {
            Some(index) => index,
            None => {
                terms.push(term.clone());
                terms.len() - 1
            }
        };
        let left = self.left.iter().map(&mut slot).collect();
        let right = self.right.iter().map(&mut slot).collect();
        (terms, left, right)
    }
}

impl Query for NearQuery {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        let (terms, left, right) = self.layout();
        let conjunction = BooleanQuery::new(
            terms
                .iter()
                .map(|term| {
                    let query: Box<dyn Query> = Box::new(TermQuery::new(term.clone(), IndexRecordOption::WithFreqs));
                    (Occur::Must, query)
                })
                .collect(),
        );
        Ok(Box::new(NearWeight {
            candidates: conjunction.weight(enable_scoring)?,
            field: self.field,
            terms,
            left,
            right,
            distance: self.distance,
            ordered: self.ordered,
        }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        for term in self.left.iter().chain(&self.right) {
            visitor(term, true);
        }
    }
}

struct NearWeight {
    candidates: Box<dyn Weight>,
    field: Field,
    terms: Vec<Term>,
    left: Vec<usize>,
    right: Vec<usize>,
    distance: u32,
    ordered: bool,
}

impl Weight for NearWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let inverted = reader.inverted_index(self.field)?;
        let mut postings = Vec::with_capacity(self.terms.len());
        for term in &self.terms {
            match inverted.read_postings(term, IndexRecordOption::WithFreqsAndPositions)? {
                Some(list) => postings.push(list),
                None => return Ok(Box::new(EmptyScorer)),
            }
        }
        let mut scorer = NearScorer {
            candidates: self.candidates.scorer(reader, boost)?,
            postings,
            positions: vec![Vec::new(); self.terms.len()],
            left: self.left.clone(),
            right: self.right.clone(),
            distance: self.distance,
            ordered: self.ordered,
        };
        let first = scorer.candidates.doc();
        if first != TERMINATED && !scorer.matches(first) {
            scorer.advance();
        }
        Ok(Box::new(scorer))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let mut scorer = self.scorer(reader, 1.0)?;
        if scorer.seek(doc) != doc {
            return Err(tantivy::TantivyError::InvalidArgument(format!("document {doc} does not match")));
        }
        Ok(Explanation::new("near", scorer.score()))
    }
}

struct NearScorer {
    candidates: Box<dyn Scorer>,
    postings: Vec<SegmentPostings>,
    positions: Vec<Vec<u32>>,
    left: Vec<usize>,
    right: Vec<usize>,
    distance: u32,
    ordered: bool,
}

/// Start positions where the operand's tokens stand at consecutive positions.
fn starts(operand: &[usize], positions: &[Vec<u32>]) -> Vec<u32> {
    let Some((first, rest)) = operand.split_first() else {
        return Vec::new();
    };
    positions[*first]
        .iter()
        .copied()
        .filter(|start| {
            rest.iter()
                .enumerate()
                .all(|(offset, slot)| positions[*slot].binary_search(&(start + 1 + offset as u32)).is_ok())
        })
        .collect()
}

/// Whether `second` starts at most `distance` words after `first` (of `first_len` tokens) ends.
fn within(first: &[u32], first_len: usize, second: &[u32], distance: u32) -> bool {
    first.iter().any(|start| {
        let end = start + first_len as u32;
        second.iter().any(|next| *next >= end && next - end <= distance)
    })
}

impl NearScorer {
    fn matches(&mut self, doc: DocId) -> bool {
        for (postings, positions) in self.postings.iter_mut().zip(&mut self.positions) {
            if postings.doc() < doc {
                postings.seek(doc);
            }
            positions.clear();
            if postings.doc() != doc {
                return false;
            }
            postings.positions(positions);
        }
        let left = starts(&self.left, &self.positions);
        let right = starts(&self.right, &self.positions);
        within(&left, self.left.len(), &right, self.distance)
            || (!self.ordered && within(&right, self.right.len(), &left, self.distance))
    }
}

impl DocSet for NearScorer {
    fn advance(&mut self) -> DocId {
        loop {
            let doc = self.candidates.advance();
            if doc == TERMINATED || self.matches(doc) {
                return doc;
            }
        }
    }

    fn doc(&self) -> DocId {
        self.candidates.doc()
    }

    fn size_hint(&self) -> u32 {
        self.candidates.size_hint()
    }
}

impl Scorer for NearScorer {
    fn score(&mut self) -> Score {
        self.candidates.score()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_need_consecutive_tokens() {
        // tokens: 0 = acme, 1 = crm
        let positions = vec![vec![0, 5], vec![1, 9]];
        assert_eq!(starts(&[0, 1], &positions), vec![0]);
        assert_eq!(starts(&[1], &positions), vec![1, 9]);
    }

    #[test]
    fn within_counts_words_between() {
        assert!(within(&[0], 1, &[1], 0), "adjacent");
        assert!(within(&[0], 1, &[3], 2));
        assert!(!within(&[0], 1, &[4], 2));
        assert!(!within(&[5], 1, &[2], 10), "order matters");
        assert!(within(&[0], 2, &[2], 0), "after a two-word phrase");
    }
}
