//! The stand-ins for Norman's AI rewrites: deterministic, so tests can name the answer, and
//! shaped like what a register court and a trade office expect.

/// The draft without surrounding space, a final full stop or a leading capital that would
/// break the sentence it goes into.
fn core(draft: &str) -> String {
    draft.split_whitespace().collect::<Vec<_>>().join(" ").trim_end_matches(['.', ';', ',']).to_owned()
}

/// A business purpose (Unternehmensgegenstand) as the articles state it.
pub(crate) fn purpose_suggestion(draft: &str) -> String {
    format!(
        "Gegenstand des Unternehmens ist: {}. Die Gesellschaft ist zu allen Geschäften und Maßnahmen \
         berechtigt, die dem Gegenstand des Unternehmens unmittelbar oder mittelbar zu dienen geeignet \
         sind. Ausgenommen sind Tätigkeiten, die einer behördlichen Erlaubnis bedürfen.",
        core(draft)
    )
}

/// A trade activity as field 15 of the GewA 1 wants it: concrete, without catch-alls.
pub(crate) fn activity_suggestion(draft: &str) -> String {
    let core = core(draft);
    let mut chars = core.chars();
    let capitalised =
        chars.next().map(|c| c.to_uppercase().chain(chars).collect::<String>()).unwrap_or_default();
    format!("{capitalised} (ohne erlaubnispflichtige Tätigkeiten)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_wrap_the_draft() {
        assert!(
            purpose_suggestion("  die Entwicklung von Software. ").starts_with(
                "Gegenstand des Unternehmens ist: die Entwicklung von Software. Die Gesellschaft"
            )
        );
        assert_eq!(
            activity_suggestion("handel mit Kaffee;"),
            "Handel mit Kaffee (ohne erlaubnispflichtige Tätigkeiten)"
        );
    }
}
