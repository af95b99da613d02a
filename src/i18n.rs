//! The languages of the pages people see, German and English, and their texts. The texts live
//! in data files (`templates/i18n/*.toml`) compiled into the binary and parsed once; the types
//! here name every text, so a template that uses a missing one does not compile and a file with
//! a missing or extra key does not parse. Wire errors (JSON, redirects) stay English, as the
//! RFCs want, and are not here.

use std::sync::LazyLock;

use serde::Deserialize;

/// A language a page can be shown in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    De,
}

impl Lang {
    /// The language for an `Accept-Language` header (RFC 9110 §12.5.4): German when a `de`
    /// range has the highest weight among the languages we have, English otherwise (also
    /// without the header). Equal weights go to the one named first.
    pub fn negotiate(accept_language: Option<&str>) -> Lang {
        let mut best: Option<(Lang, u16)> = None;
        for range in accept_language.unwrap_or("").split(',') {
            let mut parts = range.split(';');
            let tag = parts.next().unwrap_or("").trim();
            let primary = tag.split('-').next().unwrap_or("");
            let lang = if primary.eq_ignore_ascii_case("de") {
                Lang::De
            } else if primary.eq_ignore_ascii_case("en") {
                Lang::En
            } else {
                continue;
            };
            let weight = parts
                .find_map(|p| p.trim().strip_prefix("q=").or(p.trim().strip_prefix("Q=")))
                .map_or(Some(1000), weight_in_thousandths);
            match weight {
                Some(weight) if weight > 0 && best.is_none_or(|(_, w)| weight > w) => {
                    best = Some((lang, weight))
                }
                _ => {}
            }
        }
        best.map_or(Lang::En, |(lang, _)| lang)
    }

    /// The value of the page's `lang` attribute.
    pub const fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::De => "de",
        }
    }

    pub fn texts(self) -> &'static Texts {
        match self {
            Lang::En => &EN,
            Lang::De => &DE,
        }
    }
}

/// A `qvalue` (RFC 9110 §12.4.2: `0`, `1`, or up to three decimals) in thousandths; `None` when
/// it is not one, so a malformed range is ignored.
fn weight_in_thousandths(text: &str) -> Option<u16> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let digits = format!("{fraction:0<3}");
    let thousandths = match whole {
        "0" => digits.parse::<u16>().ok()?,
        "1" if digits == "000" => 1000,
        _ => return None,
    };
    Some(thousandths)
}

static EN: LazyLock<Texts> = LazyLock::new(|| parse(include_str!("../templates/i18n/en.toml")));
static DE: LazyLock<Texts> = LazyLock::new(|| parse(include_str!("../templates/i18n/de.toml")));

/// The files are part of the binary and a unit test parses both, so a failure here is a
/// build that never passed its tests.
fn parse(text: &str) -> Texts {
    toml::from_str(text).expect("templates/i18n texts match the Texts type")
}

/// Every text of the pages, in one language.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Texts {
    pub page: PageTexts,
    pub login: LoginTexts,
    pub error: ErrorTexts,
    pub company: CompanyTexts,
    pub norman_oauth: NormanOAuthTexts,
    pub upload: UploadTexts,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageTexts {
    pub footer: Text,
    pub close_hint: Text,
    pub developer_detail: Text,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginTexts {
    pub title: Text,
    pub heading: Text,
    pub lead: Text,
    pub read: Text,
    pub allow_write: Text,
    pub write: Text,
    pub write_hint: Text,
    pub redirect: Text,
    pub your_app: Text,
    pub loopback: Text,
    pub email: Text,
    pub password: Text,
    pub submit: Text,
    pub deny: Text,
    pub fineprint: Text,
    pub bad_credentials: Text,
    pub missing_credentials: Text,
    pub email_too_long: Text,
    pub too_many_one: Text,
    pub too_many: Text,
}

/// The company choice page.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompanyTexts {
    pub title: Text,
    pub heading: Text,
    pub lead: Text,
    pub own: Text,
    pub client: Text,
    pub submit: Text,
    pub deny: Text,
    pub none_chosen: Text,
    pub not_yours: Text,
    pub too_many_title: Text,
    pub too_many_one: Text,
    pub too_many: Text,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorTexts {
    pub cannot_connect: Text,
    pub malformed: Text,
    pub client_missing: Text,
    pub client_unknown: Text,
    pub client_invalid: Text,
    pub redirect_missing: Text,
    pub redirect_not_registered: Text,
    pub metadata: Text,
    pub metadata_unavailable: Text,
    pub metadata_busy: Text,
    pub metadata_rate_limited: Text,
    pub went_wrong_title: Text,
    pub went_wrong: Text,
    pub unreadable_title: Text,
    pub unreadable: Text,
    pub expired_title: Text,
    pub expired: Text,
    pub cookie_title: Text,
    pub cookie: Text,
    pub norman_title: Text,
    pub norman: Text,
}

/// "Sign in with Norman": the login page's button and the pages of the way back from Norman.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NormanOAuthTexts {
    pub button: Text,
    pub or: Text,
    pub not_offered_title: Text,
    pub not_offered: Text,
    pub refused_title: Text,
    pub refused: Text,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UploadTexts {
    pub title: Text,
    pub lead_matching: Text,
    pub lead_transaction: Text,
    pub note: Text,
    pub choose: Text,
    pub limits: Text,
    pub submit: Text,
    pub expires: Text,
    pub done_title: Text,
    pub done_lead: Text,
    pub done_matching: Text,
    pub file: Text,
    pub norman_id: Text,
    pub not_stored: Text,
    pub more: Text,
    pub too_many: Text,
    pub too_large: Text,
    pub total_too_large: Text,
    pub wrong_type: Text,
    pub empty: Text,
    pub no_files: Text,
    pub unreadable: Text,
    pub expired_title: Text,
    pub expired: Text,
    pub invalid_title: Text,
    pub invalid: Text,
    pub revoked_title: Text,
    pub revoked: Text,
    pub cross_site_title: Text,
    pub cross_site: Text,
    pub norman_title: Text,
    pub norman: Text,
    pub session_expired: Text,
    pub close: Text,
}

/// One text: plain text (the templates escape it), with `{name}` where a value goes.
#[derive(Debug, Deserialize)]
#[serde(transparent)]
pub struct Text(String);

impl Text {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The text with `{name}` replaced by `value`.
    pub fn fill(&self, name: &str, value: &str) -> String {
        self.0.replace(&format!("{{{name}}}"), value)
    }

    /// The part before `{name}`, so a template can set the value apart (in bold, say).
    pub fn before(&self, name: &str) -> &str {
        self.0.split_once(&format!("{{{name}}}")).map_or(self.0.as_str(), |(before, _)| before)
    }

    /// The part after `{name}`; empty when the text has no `{name}`.
    pub fn after(&self, name: &str) -> &str {
        self.0.split_once(&format!("{{{name}}}")).map_or("", |(_, after)| after)
    }
}

impl std::fmt::Display for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    /// Every key of a TOML table as a dotted path, with the `{name}` placeholders of its text.
    fn keys(text: &str) -> BTreeMap<String, Vec<String>> {
        fn walk(prefix: &str, table: &toml::Table, out: &mut BTreeMap<String, Vec<String>>) {
            for (key, value) in table {
                let path = if prefix.is_empty() { key.clone() } else { format!("{prefix}.{key}") };
                match value {
                    toml::Value::Table(inner) => walk(&path, inner, out),
                    toml::Value::String(text) => {
                        let mut names: Vec<String> = text
                            .split('{')
                            .skip(1)
                            .filter_map(|rest| rest.split_once('}').map(|(name, _)| name.to_owned()))
                            .collect();
                        names.sort();
                        out.insert(path, names);
                    }
                    other => panic!("{path} is not text: {other:?}"),
                }
            }
        }
        let mut out = BTreeMap::new();
        walk("", &toml::from_str(text).unwrap(), &mut out);
        out
    }

    #[test]
    fn both_languages_have_exactly_the_same_keys_and_placeholders() {
        let en = keys(include_str!("../templates/i18n/en.toml"));
        let de = keys(include_str!("../templates/i18n/de.toml"));
        assert_eq!(en.keys().collect::<Vec<_>>(), de.keys().collect::<Vec<_>>());
        assert_eq!(en, de, "the same {{name}} placeholders in each text");
        assert!(en.len() > 40, "{} keys", en.len());
        // Both parse into the typed texts (no key missing, none unknown) and differ.
        assert_ne!(Lang::En.texts().login.submit.as_str(), Lang::De.texts().login.submit.as_str());
    }

    #[test]
    fn german_when_a_german_range_weighs_most() {
        assert_eq!(Lang::negotiate(Some("de-DE,de;q=0.9,en;q=0.8")), Lang::De);
        assert_eq!(Lang::negotiate(Some("DE")), Lang::De);
        assert_eq!(Lang::negotiate(Some("fr-FR, de;q=0.5")), Lang::De, "the only one we have");
        assert_eq!(Lang::negotiate(Some("en-US,en;q=0.9,de;q=0.8")), Lang::En);
        assert_eq!(Lang::negotiate(Some("en;q=0.5, de-AT;q=0.7")), Lang::De);
        assert_eq!(Lang::negotiate(Some("de;q=0.5, en;q=0.5")), Lang::De, "a tie: the first");
        assert_eq!(Lang::negotiate(Some("de;q=0, en;q=0.1")), Lang::En, "q=0 means not acceptable");
        assert_eq!(Lang::negotiate(Some("de;q=2, en;q=0.1")), Lang::En, "not a qvalue: ignored");
        assert_eq!(Lang::negotiate(Some("dex, fr")), Lang::En, "not German");
        assert_eq!(Lang::negotiate(Some("")), Lang::En);
        assert_eq!(Lang::negotiate(None), Lang::En);
    }

    #[test]
    fn placeholders_are_filled_or_split_around() {
        let heading = &Lang::De.texts().login.heading;
        assert_eq!(heading.fill("client", "Cursor"), "Cursor mit Norman verbinden");
        assert_eq!((heading.before("client"), heading.after("client")), ("", " mit Norman verbinden"));
        let read = &Lang::En.texts().login.read;
        assert_eq!((read.before("client"), read.after("client")), (read.as_str(), ""));
    }
}
