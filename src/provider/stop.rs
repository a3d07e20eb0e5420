//! Stop sequences for an engine that streams text and has no server to apply them: text that
//! could be the start of a stop sequence is held back until the next piece settles it, so nothing
//! of a stop sequence ever reaches the screen, however the text is cut into tokens.

/// Filters a stream of text pieces against stop sequences.
#[derive(Debug, Default)]
pub struct StopFilter {
    stops: Vec<String>,
    held: String,
}

impl StopFilter {
    pub fn new(stops: &[String]) -> Self {
        Self {
            stops: stops.iter().filter(|s| !s.is_empty()).cloned().collect(),
            held: String::new(),
        }
    }

    /// Takes the next piece; returns the text that may be shown now, and whether a stop sequence
    /// was reached (then nothing after it is shown, and the answer ends).
    pub fn push(&mut self, piece: &str) -> (String, bool) {
        self.held.push_str(piece);
        let found = self
            .stops
            .iter()
            .filter_map(|s| self.held.find(s.as_str()))
            .min();
        if let Some(at) = found {
            let out = self.held[..at].to_string();
            self.held.clear();
            return (out, true);
        }
        // Keep the longest end of the text that is the start of some stop sequence.
        let keep = self
            .stops
            .iter()
            .flat_map(|s| {
                (1..s.len())
                    .filter(|n| s.is_char_boundary(*n))
                    .filter(|n| self.held.ends_with(&s[..*n]))
                    .max()
            })
            .max()
            .unwrap_or(0);
        let cut = self.held.len() - keep;
        let out = self.held[..cut].to_string();
        self.held.drain(..cut);
        (out, false)
    }

    /// The text still held when the answer ends without a stop sequence.
    pub fn finish(&mut self) -> String {
        std::mem::take(&mut self.held)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn run(stops: &[&str], pieces: &[&str]) -> (String, bool) {
        let stops: Vec<String> = stops.iter().map(|s| s.to_string()).collect();
        let mut filter = StopFilter::new(&stops);
        let mut out = String::new();
        for piece in pieces {
            let (text, stopped) = filter.push(piece);
            out.push_str(&text);
            if stopped {
                return (out, true);
            }
        }
        out.push_str(&filter.finish());
        (out, false)
    }

    #[test]
    fn a_stop_sequence_split_across_pieces_is_never_shown() {
        assert_eq!(
            run(&["\nDECISION:"], &["Plan\n", "DEC", "ISION: end"]),
            ("Plan".to_string(), true)
        );
        assert_eq!(
            run(&["END"], &["all ", "E", "N"]),
            ("all EN".to_string(), false)
        );
        assert_eq!(run(&[], &["a", "b"]), ("ab".to_string(), false));
    }

    #[test]
    fn the_earliest_of_several_stops_wins() {
        assert_eq!(run(&["zz", "b"], &["abzz"]), ("a".to_string(), true));
    }

    proptest! {
        #[test]
        fn any_split_shows_the_text_up_to_the_first_stop(text in "[a-cé\\n]{0,40}", stop in "[a-c]{1,3}", cuts in prop::collection::vec(0usize..40, 0..8)) {
            let expected = match text.find(&stop) { Some(at) => (text[..at].to_string(), true), None => (text.clone(), false) };
            let mut points: Vec<usize> = cuts.into_iter().map(|c| c % (text.len() + 1)).filter(|c| text.is_char_boundary(*c)).collect();
            points.sort_unstable();
            let mut pieces = Vec::new();
            let mut last = 0;
            for p in points.into_iter().chain([text.len()]) { pieces.push(&text[last..p]); last = p; }
            prop_assert_eq!(run(&[stop.as_str()], &pieces), expected);
        }
    }
}
