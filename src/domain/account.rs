//! Who may do what: roles, languages and e-mail addresses of accounts.

/// The three kinds of users.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Cooperative staff: manage everything.
    Staff,
    /// A member organisation's buyer.
    Buyer,
    /// A supplier company's user.
    Supplier,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Staff, Role::Buyer, Role::Supplier];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Staff => "staff",
            Role::Buyer => "buyer",
            Role::Supplier => "supplier",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == text)
    }
}

/// The languages of the interface and of emails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Language {
    #[default]
    De,
    En,
}

impl Language {
    pub const ALL: [Language; 2] = [Language::De, Language::En];

    pub fn as_str(self) -> &'static str {
        match self {
            Language::De => "de",
            Language::En => "en",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.as_str() == text)
    }
}

/// Why a single-use password link is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkPurpose {
    /// A new account sets its first password.
    Invitation,
    /// Somebody who forgot their password sets a new one.
    Reset,
}

impl LinkPurpose {
    /// As stored with the token and named in the outbox.
    pub fn as_str(self) -> &'static str {
        match self {
            LinkPurpose::Invitation => "invitation_account",
            LinkPurpose::Reset => "reset",
        }
    }
}

/// An e-mail address that is safe to put in a header: one `local@domain`, no spaces, no
/// line breaks, no display-name tricks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(text: &str) -> Option<Self> {
        let address = text.trim().to_lowercase();
        if address.len() > 254 {
            return None;
        }
        let (local, domain) = address.split_once('@')?;
        let allowed_local =
            |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c);
        let allowed_domain = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '.';
        let ok = !local.is_empty()
            && local.len() <= 64
            && local.chars().all(allowed_local)
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && domain.contains('.')
            && domain.chars().all(allowed_domain)
            && !domain.starts_with(['.', '-'])
            && !domain.ends_with(['.', '-'])
            && !domain.contains("..");
        ok.then_some(EmailAddress(address))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_addresses_are_checked_and_normalised() {
        assert_eq!(
            EmailAddress::parse(" Einkauf@KRZ-Lippe.de ").map(|e| e.0),
            Some("einkauf@krz-lippe.de".to_string())
        );
        for bad in [
            "",
            "no-at-sign",
            "a@b",
            "a b@c.de",
            "a@c.de\r\nBcc: x@y.de",
            "a@@c.de",
            ".a@c.de",
            "a@-c.de",
        ] {
            assert_eq!(EmailAddress::parse(bad), None, "{bad:?}");
        }
    }
}
