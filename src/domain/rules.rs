//! A lot's rules: which step of its life is allowed, to whom, and when. The pages ask these
//! to decide which actions to offer; the operations ask them again inside their transaction.

use super::account::Role;
use super::lot::LotStatus;
use crate::domain::ids::UserId;
use chrono::{DateTime, Utc};

/// What the rules need to know about a lot: its stored status and deadlines. Rules that
/// also depend on the procedure (who asked for the opening, when the standstill ends) take
/// those facts as arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LotState {
    pub status: LotStatus,
    pub demand_deadline: DateTime<Utc>,
    pub quote_deadline: DateTime<Utc>,
}

/// The next step of the two-person opening for one staff member.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpeningStep {
    /// Nobody has asked yet: this person asks.
    Request,
    /// Somebody else has asked: this person confirms and the quotes open.
    Confirm { requested_by: UserId },
}

/// Why the opening cannot go on now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpeningRefusal {
    /// The quote deadline has not passed, or the lot is not (or no longer) closed.
    NotNow,
    /// This person asked for the opening: a second person must confirm.
    WaitingForSecondPerson,
}

impl LotState {
    /// The status as of `now`: an open lot past its demand deadline is closed even before
    /// the background task has written that down.
    pub fn status_at(&self, now: DateTime<Utc>) -> LotStatus {
        self.status.effective(self.demand_deadline, now)
    }

    /// The moments at which the rules may answer differently for this state although
    /// nothing about the lot was written: its deadlines.
    pub fn turns(&self) -> [DateTime<Utc>; 2] {
        [self.demand_deadline, self.quote_deadline]
    }

    /// Who may see the lot at all (staff always; members and invited suppliers once opened).
    pub fn visible_to(&self, role: Role, invited: bool) -> bool {
        match role {
            Role::Staff => true,
            Role::Buyer => self.status.visible_to_members(),
            Role::Supplier => self.status.visible_to_members() && invited,
        }
    }

    /// Staff change a lot's terms while it is a draft.
    pub fn can_edit_terms(&self) -> bool {
        self.status == LotStatus::Draft
    }

    /// Staff open a draft for orders while its demand deadline is still ahead.
    pub fn can_open_for_orders(&self, now: DateTime<Utc>) -> bool {
        self.status == LotStatus::Draft && now < self.demand_deadline
    }

    /// Buyers place, change and cancel lines until the demand deadline.
    pub fn takes_orders_at(&self, now: DateTime<Utc>) -> bool {
        self.status_at(now) == LotStatus::Open
    }

    /// Invited suppliers submit quotes until the quote deadline; staff may invite further
    /// suppliers for as long.
    pub fn takes_quotes_at(&self, now: DateTime<Utc>) -> bool {
        matches!(self.status, LotStatus::Open | LotStatus::Closed) && now < self.quote_deadline
    }

    /// The opening step this staff member may take now, or why not; `requested_by` is who
    /// asked for the opening, while the quotes are not yet open.
    pub fn opening_step(
        &self,
        requested_by: Option<UserId>,
        staff: UserId,
        now: DateTime<Utc>,
    ) -> Result<OpeningStep, OpeningRefusal> {
        if self.status_at(now) != LotStatus::Closed || now < self.quote_deadline {
            return Err(OpeningRefusal::NotNow);
        }
        match requested_by {
            None => Ok(OpeningStep::Request),
            Some(first) if first == staff => Err(OpeningRefusal::WaitingForSecondPerson),
            Some(first) => Ok(OpeningStep::Confirm {
                requested_by: first,
            }),
        }
    }

    /// Quotes are sealed until two people have opened them (§55 VgV); after that staff see
    /// them in the evaluation.
    pub fn quotes_visible_to(&self, role: Role) -> bool {
        role == Role::Staff
            && matches!(
                self.status,
                LotStatus::Evaluated
                    | LotStatus::Awarded
                    | LotStatus::Confirmed
                    | LotStatus::Failed
            )
    }

    /// A supplier's user reads a receipt of its company's quote if it belonged to the
    /// company when the quote was submitted; someone added later (perhaps by an insider)
    /// waits for the opening like everyone else.
    pub fn receipt_readable_by(
        &self,
        joined_at: DateTime<Utc>,
        submitted_at: DateTime<Utc>,
    ) -> bool {
        joined_at <= submitted_at || self.quotes_visible_to(Role::Staff)
    }

    /// Staff award an evaluated lot.
    pub fn can_award(&self) -> bool {
        self.status == LotStatus::Evaluated
    }

    /// Staff revoke an award during its standstill; the lot returns to evaluation.
    pub fn can_revoke(
        &self,
        standstill_ends_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> bool {
        self.status == LotStatus::Awarded && standstill_ends_at.is_some_and(|end| now < end)
    }

    /// Staff cancel a lot at any point before it is confirmed, failed or cancelled.
    pub fn can_cancel(&self) -> bool {
        !self.status.is_final()
    }

    /// The stored results (allocation) exist from the award on.
    pub fn has_results(&self) -> bool {
        matches!(self.status, LotStatus::Awarded | LotStatus::Confirmed)
    }

    /// Members and the winning supplier see final prices once the lot is confirmed.
    pub fn is_confirmed(&self) -> bool {
        self.status == LotStatus::Confirmed
    }
}

impl LotStatus {
    /// Nothing happens to a lot any more once it is confirmed, failed or cancelled.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            LotStatus::Confirmed | LotStatus::Cancelled | LotStatus::Failed
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn state(status: LotStatus) -> (LotState, DateTime<Utc>) {
        let now = Utc::now();
        (
            LotState {
                status,
                demand_deadline: now + Duration::days(1),
                quote_deadline: now + Duration::days(2),
            },
            now,
        )
    }

    #[test]
    fn orders_are_taken_only_while_open_and_before_the_deadline() {
        for status in LotStatus::ALL {
            let (lot, now) = state(status);
            assert_eq!(lot.takes_orders_at(now), status == LotStatus::Open);
            assert!(!lot.takes_orders_at(lot.demand_deadline));
        }
    }

    #[test]
    fn the_opening_needs_two_different_people_after_the_quote_deadline() {
        let (mut lot, now) = state(LotStatus::Closed);
        assert_eq!(
            lot.opening_step(None, UserId(1), now),
            Err(OpeningRefusal::NotNow)
        );
        let after = lot.quote_deadline;
        assert_eq!(
            lot.opening_step(None, UserId(1), after),
            Ok(OpeningStep::Request)
        );
        assert_eq!(
            lot.opening_step(Some(UserId(1)), UserId(1), after),
            Err(OpeningRefusal::WaitingForSecondPerson)
        );
        assert_eq!(
            lot.opening_step(Some(UserId(1)), UserId(2), after),
            Ok(OpeningStep::Confirm {
                requested_by: UserId(1)
            })
        );
        lot.status = LotStatus::Evaluated;
        assert_eq!(
            lot.opening_step(Some(UserId(1)), UserId(2), after),
            Err(OpeningRefusal::NotNow)
        );
    }

    #[test]
    fn an_open_lot_past_both_deadlines_can_be_opened() {
        let (mut lot, now) = state(LotStatus::Open);
        lot.demand_deadline = now - Duration::days(2);
        lot.quote_deadline = now - Duration::days(1);
        assert_eq!(
            lot.opening_step(None, UserId(7), now),
            Ok(OpeningStep::Request)
        );
    }

    #[test]
    fn quotes_stay_sealed_until_the_opening_and_from_everyone_but_staff() {
        for status in LotStatus::ALL {
            let (lot, _) = state(status);
            let opened = matches!(
                status,
                LotStatus::Evaluated
                    | LotStatus::Awarded
                    | LotStatus::Confirmed
                    | LotStatus::Failed
            );
            assert_eq!(lot.quotes_visible_to(Role::Staff), opened);
            assert!(!lot.quotes_visible_to(Role::Buyer));
            assert!(!lot.quotes_visible_to(Role::Supplier));
        }
    }

    #[test]
    fn an_award_is_revocable_only_during_its_standstill() {
        let (mut lot, now) = state(LotStatus::Awarded);
        assert!(!lot.can_revoke(None, now));
        let end = Some(now + Duration::hours(1));
        assert!(lot.can_revoke(end, now));
        assert!(!lot.can_revoke(end, now + Duration::hours(1)));
        lot.status = LotStatus::Confirmed;
        assert!(!lot.can_revoke(end, now));
    }

    #[test]
    fn only_lots_still_in_progress_can_be_cancelled() {
        for status in LotStatus::ALL {
            let (lot, _) = state(status);
            assert_eq!(lot.can_cancel(), !status.is_final());
        }
    }

    #[test]
    fn a_draft_opens_only_before_its_demand_deadline() {
        let (lot, now) = state(LotStatus::Draft);
        assert!(lot.can_open_for_orders(now));
        assert!(!lot.can_open_for_orders(lot.demand_deadline));
        let (open, now) = state(LotStatus::Open);
        assert!(!open.can_open_for_orders(now));
    }

    #[test]
    fn quotes_are_taken_until_the_quote_deadline_of_an_open_or_closed_lot() {
        for status in LotStatus::ALL {
            let (lot, now) = state(status);
            assert_eq!(
                lot.takes_quotes_at(now),
                matches!(status, LotStatus::Open | LotStatus::Closed)
            );
            assert!(!lot.takes_quotes_at(lot.quote_deadline));
        }
    }
}
