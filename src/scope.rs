//! The scopes norman-mcp grants: `norman.read` and `norman.write`, as a small set.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scope {
    Read,
    Write,
}

impl Scope {
    pub const ALL: [Scope; 2] = [Scope::Read, Scope::Write];

    pub const fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "norman.read",
            Scope::Write => "norman.write",
        }
    }

    pub fn parse(text: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|s| s.as_str() == text)
    }

    const fn bit(self) -> u8 {
        match self {
            Scope::Read => 1,
            Scope::Write => 2,
        }
    }
}

/// A set of scopes. Its text form is the OAuth one: names separated by single spaces.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Scopes(u8);

impl Scopes {
    pub const EMPTY: Scopes = Scopes(0);
    pub const ALL: Scopes = Scopes(1 | 2);
    pub const READ: Scopes = Scopes(1);

    /// Parses a `scope` parameter leniently: surrounding and repeated spaces are trimmed and
    /// unknown names (`offline_access`, `openid`, ...) are ignored, as real clients send them.
    pub fn parse_lenient(text: &str) -> Scopes {
        text.split_ascii_whitespace().filter_map(Scope::parse).fold(Scopes::EMPTY, Scopes::with)
    }

    pub const fn with(self, scope: Scope) -> Scopes {
        Scopes(self.0 | scope.bit())
    }

    pub const fn contains(self, scope: Scope) -> bool {
        self.0 & scope.bit() != 0
    }

    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub const fn intersection(self, other: Scopes) -> Scopes {
        Scopes(self.0 & other.0)
    }

    pub fn iter(self) -> impl Iterator<Item = Scope> {
        Scope::ALL.into_iter().filter(move |s| self.contains(*s))
    }
}

impl FromIterator<Scope> for Scopes {
    fn from_iter<I: IntoIterator<Item = Scope>>(iter: I) -> Scopes {
        iter.into_iter().fold(Scopes::EMPTY, Scopes::with)
    }
}

impl std::fmt::Display for Scopes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, scope) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            f.write_str(scope.as_str())?;
        }
        Ok(())
    }
}

impl std::fmt::Debug for Scopes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Scopes({self})")
    }
}

impl Serialize for Scopes {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Scopes {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Scopes::parse_lenient(&String::deserialize(deserializer)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lenient_parsing_trims_and_ignores_unknown_names() {
        assert_eq!(Scopes::parse_lenient("  norman.read   offline_access "), Scopes::READ);
        assert_eq!(Scopes::parse_lenient("norman.write norman.read norman.read"), Scopes::ALL);
        assert_eq!(Scopes::parse_lenient(""), Scopes::EMPTY);
        assert_eq!(Scopes::ALL.to_string(), "norman.read norman.write");
    }
}
