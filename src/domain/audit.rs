//! What the audit log records: one name for each kind of state change, written as the
//! stored text (`lot.awarded`) that the log page and its CSV show.

/// A kind of entry in the audit log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuditAction {
    AwardRevoked,
    CalendarRenewed,
    CalendarRevoked,
    CalloffPlaced,
    CalloffUploaded,
    EmailResent,
    FrameworkClosed,
    FrameworkEnded,
    LotAwarded,
    LotCancelled,
    LotClosed,
    LotConfirmed,
    LotCreated,
    LotEdited,
    LotOpened,
    LotShortStandstill,
    LotSupplierInvited,
    MemberChanged,
    MemberCreated,
    MemberAdminGranted,
    MemberAdminWithdrawn,
    OrderCancelled,
    OrderChanged,
    OrderPlaced,
    OrderUploaded,
    QuoteSubmitted,
    QuotesOpened,
    QuotesOpeningRequested,
    SiteChanged,
    SiteCreated,
    SupplierChanged,
    SupplierCreated,
    UserChanged,
    UserCreated,
    UserLogin,
    UserPasswordSet,
    UserStaffGranted,
    UserStaffRequested,
}

impl AuditAction {
    pub const ALL: [AuditAction; 38] = [
        AuditAction::AwardRevoked,
        AuditAction::CalendarRenewed,
        AuditAction::CalendarRevoked,
        AuditAction::CalloffPlaced,
        AuditAction::CalloffUploaded,
        AuditAction::EmailResent,
        AuditAction::FrameworkClosed,
        AuditAction::FrameworkEnded,
        AuditAction::LotAwarded,
        AuditAction::LotCancelled,
        AuditAction::LotClosed,
        AuditAction::LotConfirmed,
        AuditAction::LotCreated,
        AuditAction::LotEdited,
        AuditAction::LotOpened,
        AuditAction::LotShortStandstill,
        AuditAction::LotSupplierInvited,
        AuditAction::MemberChanged,
        AuditAction::MemberCreated,
        AuditAction::MemberAdminGranted,
        AuditAction::MemberAdminWithdrawn,
        AuditAction::OrderCancelled,
        AuditAction::OrderChanged,
        AuditAction::OrderPlaced,
        AuditAction::OrderUploaded,
        AuditAction::QuoteSubmitted,
        AuditAction::QuotesOpened,
        AuditAction::QuotesOpeningRequested,
        AuditAction::SiteChanged,
        AuditAction::SiteCreated,
        AuditAction::SupplierChanged,
        AuditAction::SupplierCreated,
        AuditAction::UserChanged,
        AuditAction::UserCreated,
        AuditAction::UserLogin,
        AuditAction::UserPasswordSet,
        AuditAction::UserStaffGranted,
        AuditAction::UserStaffRequested,
    ];

    /// As stored in the audit log.
    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::AwardRevoked => "award.revoked",
            AuditAction::CalendarRenewed => "calendar.renewed",
            AuditAction::CalendarRevoked => "calendar.revoked",
            AuditAction::CalloffPlaced => "calloff.placed",
            AuditAction::CalloffUploaded => "calloff.uploaded",
            AuditAction::EmailResent => "email.resent",
            AuditAction::FrameworkClosed => "framework.closed",
            AuditAction::FrameworkEnded => "framework.ended",
            AuditAction::LotAwarded => "lot.awarded",
            AuditAction::LotCancelled => "lot.cancelled",
            AuditAction::LotClosed => "lot.closed",
            AuditAction::LotConfirmed => "lot.confirmed",
            AuditAction::LotCreated => "lot.created",
            AuditAction::LotEdited => "lot.edited",
            AuditAction::LotOpened => "lot.opened",
            AuditAction::LotShortStandstill => "lot.short_standstill",
            AuditAction::LotSupplierInvited => "lot.supplier_invited",
            AuditAction::MemberChanged => "member.changed",
            AuditAction::MemberCreated => "member.created",
            AuditAction::MemberAdminGranted => "member_admin.granted",
            AuditAction::MemberAdminWithdrawn => "member_admin.withdrawn",
            AuditAction::OrderCancelled => "order.cancelled",
            AuditAction::OrderChanged => "order.changed",
            AuditAction::OrderPlaced => "order.placed",
            AuditAction::OrderUploaded => "order.uploaded",
            AuditAction::QuoteSubmitted => "quote.submitted",
            AuditAction::QuotesOpened => "quotes.opened",
            AuditAction::QuotesOpeningRequested => "quotes.opening_requested",
            AuditAction::SiteChanged => "site.changed",
            AuditAction::SiteCreated => "site.created",
            AuditAction::SupplierChanged => "supplier.changed",
            AuditAction::SupplierCreated => "supplier.created",
            AuditAction::UserChanged => "user.changed",
            AuditAction::UserCreated => "user.created",
            AuditAction::UserLogin => "user.login",
            AuditAction::UserPasswordSet => "user.password_set",
            AuditAction::UserStaffGranted => "user.staff_granted",
            AuditAction::UserStaffRequested => "user.staff_requested",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_has_its_own_stored_name() {
        let names: std::collections::HashSet<&str> =
            AuditAction::ALL.iter().map(|a| a.as_str()).collect();
        assert_eq!(names.len(), AuditAction::ALL.len());
        assert!(names.iter().all(|n| n.contains('.') && n.is_ascii()));
    }
}
