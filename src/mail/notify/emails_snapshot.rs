//! Every kind of email, rendered in German and English, text and HTML, against a stored
//! snapshot: a change to what anybody receives shows in review. `cargo insta review` (or
//! `INSTA_UPDATE=always cargo test`) takes a deliberate change.

use super::*;
use crate::db::award::{LineResult, MemberResult, ResultLine};
use crate::db::lots::Lot;
use crate::domain::framework::{Credit, Priced};
use crate::domain::ids::{CallOffId, LineId, LotId, MemberId, SupplierId, UserId};
use crate::domain::lot::{Category, LotStatus};
use crate::domain::money::{Money, UnitPrice, VatRate};
use crate::domain::pricing::{IneligibleReason, LinePrice, LineStatus};
use crate::domain::spend::Spend;
use chrono::{NaiveDate, NaiveDateTime};

fn at(day: u32, hour: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 11, day)
        .and_then(|d| d.and_hms_opt(hour, 30, 0))
        .expect("a valid date")
}

fn price(text: &str) -> UnitPrice {
    UnitPrice::parse(text).expect("a valid price")
}

fn lot() -> Lot {
    Lot {
        id: LotId(12),
        title: "Notebooks 14 Zoll für Schulen".into(),
        specification: "14-Zoll-Notebook, 16 GB RAM".into(),
        category: Category::Devices,
        unit: "Stück".into(),
        order_increment: 1,
        min_total_quantity: 500,
        list_unit_price: Some(price("999.00")),
        vat_rate: VatRate::STANDARD,
        demand_deadline: at(20, 11),
        quote_deadline: at(27, 11),
        standstill_days: 10,
        status: LotStatus::Open,
        created_by: UserId(1),
        created_at: at(1, 8),
        updated_at: at(1, 8),
    }
}

/// 120 notebooks at 849.00 €.
fn priced_line() -> LinePrice {
    LinePrice {
        unit_price: price("849.00"),
        net: Money::from_cents(10_188_000),
        vat: Money::from_cents(1_935_720),
        gross: Money::from_cents(12_123_720),
    }
}

fn result_line(id: i64, member: &str, site: &str, status: LineStatus) -> ResultLine {
    ResultLine {
        result: LineResult {
            order_line_id: LineId(id),
            status,
            quantity: 120,
            price: (status == LineStatus::Accepted).then(priced_line),
        },
        member_id: MemberId(3),
        member: member.into(),
        site: site.into(),
        address: "Marktplatz 1, 32657 Lemgo".into(),
        reference: "KST 4711".into(),
    }
}

fn member_result() -> MemberResult {
    MemberResult {
        member_id: MemberId(3),
        quantity: 120,
        net: Money::from_cents(10_188_000),
        vat: Money::from_cents(1_935_720),
        gross: Money::from_cents(12_123_720),
        saving_vs_list: Some(Money::from_cents(1_800_000)),
        saving_vs_alone: Some(Money::from_cents(600_000)),
    }
}

fn priced() -> Priced {
    Priced {
        unit_price: price("89.00"),
        net: Money::from_cents(445_000),
        vat: Money::from_cents(84_550),
        gross: Money::from_cents(529_550),
        credits: Vec::new(),
        cumulative_quantity: 1_050,
    }
}

fn credit(name: &str) -> MemberCredit {
    MemberCredit {
        member: MemberId(4),
        name: name.into(),
        credit: Credit {
            member: "4".into(),
            net: Money::from_cents(40_000),
            vat: Money::from_cents(7_600),
            gross: Money::from_cents(47_600),
        },
    }
}

fn account() -> users::User {
    users::User {
        id: UserId(21),
        email: "vertrieb2@bechtle.example".into(),
        name: "Kim Schulze".into(),
        password_hash: String::new(),
        role: crate::domain::account::Role::Supplier,
        member_id: None,
        supplier_id: Some(SupplierId(2)),
        language: Language::De,
        active: true,
        created_at: at(2, 9),
        updated_at: at(2, 9),
        joined_at: at(2, 9),
    }
}

/// Renders the email for a recipient in each language and checks text and HTML against
/// their snapshots.
fn check(name: &str, lot: Option<LotId>, email: &impl Email) {
    let ctx = MailContext {
        base_url: "https://sammelkauf.example".into(),
    };
    for language in Language::ALL {
        let recipient = Recipient {
            id: UserId(7),
            email: "einkauf@lemgo.example",
            language,
        };
        let rendered = compose_for(
            &ctx,
            recipient,
            Notice::once(lot.unwrap_or_default(), at(3, 9)),
            email,
        )
        .expect("the email renders");
        assert_eq!(rendered.kind, email.kind());
        let attachment = match (&rendered.attachment_name, &rendered.attachment) {
            (Some(name), Some(body)) => format!("\n--- attachment {name}\n{body}"),
            _ => String::new(),
        };
        let lang = language.as_str();
        insta::assert_snapshot!(
            format!("{name}.{lang}.text"),
            format!(
                "Subject: {}\n\n{}{attachment}",
                rendered.subject, rendered.body_text
            )
        );
        insta::assert_snapshot!(format!("{name}.{lang}.html"), rendered.body_html);
    }
}

fn line() -> LineSummary {
    LineSummary {
        quantity: 120,
        unit: "Stück".into(),
        site: "Rathaus Lemgo".into(),
        limit: Some(price("880.00")),
        reference: "KST 4711".into(),
    }
}

/// The order line email for `change`, with the limit and reference a buyer gave or not.
fn order_line(name: &str, change: LineChange, line: &LineSummary) {
    let lot = lot();
    let email = OrderLineEmail {
        lot: &lot,
        change,
        line,
    };
    check(name, Some(LotId(12)), &email);
}

#[test]
fn order_placed() {
    order_line("order-placed", LineChange::Placed, &line());
}

#[test]
fn order_changed() {
    order_line("order-changed", LineChange::Changed, &line());
}

#[test]
fn order_cancelled() {
    let mut line = line();
    line.limit = None;
    line.reference = String::new();
    order_line("order-cancelled", LineChange::Cancelled, &line);
}

#[test]
fn order_uploaded() {
    let lot = lot();
    let email = OrdersUploadedEmail {
        lot: &lot,
        lines: 14,
        quantity: 1_250,
    };
    check("order-uploaded", Some(LotId(12)), &email);
}

#[test]
fn reminder() {
    let lot = lot();
    check("reminder", Some(LotId(12)), &ReminderEmail { lot: &lot });
}

#[test]
fn invitation() {
    let lot = lot();
    check(
        "invitation",
        Some(LotId(12)),
        &InvitationEmail { lot: &lot },
    );
}

#[test]
fn quote_receipt() {
    let lot = lot();
    let quote = QuoteReceipt {
        quote_id: crate::domain::ids::QuoteId(5),
        receipt: "Q-12-3-1",
        digest: "9f2c1b6a0e5d4c3b2a1908f7e6d5c4b3a2918f7e6d5c4b3a2918f7e6d5c4b3a",
        submitted_at: at(22, 14),
    };
    check(
        "quote-receipt",
        Some(LotId(12)),
        &QuoteReceiptEmail {
            lot: &lot,
            quote: &quote,
        },
    );
}

#[test]
fn lot_cancelled() {
    let lot = lot();
    let email = LotEndedEmail {
        lot: &lot,
        ending: Ending::Cancelled,
        reason: "Der Bedarf wird über den Landesrahmenvertrag gedeckt.",
    };
    check("cancelled", Some(LotId(12)), &email);
}

#[test]
fn lot_failed() {
    let lot = lot();
    let email = LotEndedEmail {
        lot: &lot,
        ending: Ending::Failed,
        reason: "no_eligible_quote",
    };
    check("failed", Some(LotId(12)), &email);
}

#[test]
fn account_invitation() {
    let email = AccountLinkEmail {
        purpose: crate::domain::account::LinkPurpose::Invitation,
        token: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        expires_at: at(10, 9),
    };
    check("invitation-account", None, &email);
}

#[test]
fn password_reset() {
    let email = AccountLinkEmail {
        purpose: crate::domain::account::LinkPurpose::Reset,
        token: "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210",
        expires_at: at(3, 11),
    };
    check("reset", None, &email);
}

#[test]
fn supplier_user_added() {
    let added = account();
    check(
        "supplier-user-added",
        None,
        &SupplierUserAddedEmail { added: &added },
    );
}

#[test]
fn award() {
    let lot = lot();
    let email = AwardEmail {
        lot: &lot,
        standstill_ends_at: at(30, 23),
    };
    check("award", Some(LotId(12)), &email);
}

fn information(why: NotChosen<'_>, rank: usize) {
    let lot = lot();
    let email = InformationEmail {
        lot: &lot,
        winner: "Bechtle GmbH",
        why,
        rank,
        of: 3,
        total: Some(Money::from_cents(48_000_000)),
        standstill_ends_at: at(30, 23),
    };
    let name = match why {
        NotChosen::Ineligible(_) => "information-ineligible",
        NotChosen::Justified(_) => "information-justified",
        NotChosen::Price { .. } => "information-price",
    };
    check(name, Some(LotId(12)), &email);
}

#[test]
fn information_on_price() {
    let winner_total = Some(Money::from_cents(42_450_000));
    information(NotChosen::Price { winner_total }, 2);
}

#[test]
fn information_when_ineligible() {
    information(NotChosen::Ineligible(IneligibleReason::OverCapacity), 3);
}

#[test]
fn information_when_first_but_not_chosen() {
    information(
        NotChosen::Justified("Das Angebot ist unvollständig (Nr. 4 fehlt)."),
        1,
    );
}

#[test]
fn confirmation() {
    let lot = lot();
    let lines = [
        result_line(31, "Stadt Lemgo", "Rathaus Lemgo", LineStatus::Accepted),
        result_line(32, "Stadt Lemgo", "Schulzentrum", LineStatus::OverLimit),
    ];
    let own: Vec<&ResultLine> = lines.iter().collect();
    let totals = member_result();
    let email = ConfirmationEmail {
        lot: &lot,
        member: "Stadt Lemgo",
        totals: &totals,
        lines: &own,
    };
    check("confirmation", Some(LotId(12)), &email);
}

#[test]
fn purchase_order() {
    let lot = lot();
    let accepted = [
        result_line(31, "Stadt Lemgo", "Rathaus Lemgo", LineStatus::Accepted),
        result_line(40, "Kreis Lippe", "Kreishaus Detmold", LineStatus::Accepted),
    ];
    let email = PurchaseOrderEmail::new(&lot, &accepted);
    check("purchase-order", Some(LotId(12)), &email);
}

fn calloff<'a>(priced: &'a Priced, credits: Vec<MemberCredit>) -> CallOffNotice<'a> {
    CallOffNotice {
        id: CallOffId(9),
        member: MemberId(3),
        member_name: "Stadt Lemgo".into(),
        supplier: SupplierId(2),
        site: "Rathaus Lemgo".into(),
        address: "Marktplatz 1, 32657 Lemgo".into(),
        reference: "Nachbestellung Homeoffice".into(),
        quantity: 50,
        priced,
        credits,
    }
}

#[test]
fn calloff_confirmation() {
    let (lot, priced) = (lot(), priced());
    let calloff = calloff(&priced, Vec::new());
    check(
        "calloff-confirmation",
        Some(LotId(12)),
        &CallOffConfirmationEmail {
            lot: &lot,
            calloff: &calloff,
        },
    );
}

#[test]
fn calloff_order() {
    let (lot, priced) = (lot(), priced());
    let calloff = calloff(&priced, Vec::new());
    check(
        "calloff-order",
        Some(LotId(12)),
        &CallOffOrderEmail::new(&lot, &calloff),
    );
}

#[test]
fn credit_note() {
    let (lot, priced) = (lot(), priced());
    let credit = credit("Kreis Lippe");
    let email = CreditNoteEmail {
        lot: &lot,
        priced: &priced,
        credit: &credit,
    };
    check("credit-note", Some(LotId(12)), &email);
}

#[test]
fn credit_summary() {
    let (lot, priced) = (lot(), priced());
    let credits = [credit("Kreis Lippe"), credit("Stadt Detmold")];
    let email = CreditSummaryEmail {
        lot: &lot,
        priced: &priced,
        credits: &credits,
    };
    check("credit-summary", Some(LotId(12)), &email);
}

fn statement() -> MemberStatement {
    MemberStatement {
        member: MemberId(3),
        name: "Stadt Lemgo".into(),
        spend: Spend {
            quantity: 450,
            calloffs: 2,
            called_off: 50,
            net: Money::from_cents(4_005_000),
            gross: Money::from_cents(4_765_950),
            credited_net: Money::from_cents(40_000),
            credited_gross: Money::from_cents(47_600),
            saving_vs_alone: Money::from_cents(300_000),
        },
    }
}

#[test]
fn framework_statement_at_the_end_of_the_term() {
    let (lot, statement) = (lot(), statement());
    let email = FrameworkStatementEmail {
        lot: &lot,
        reason: None,
        statement: &statement,
    };
    check("framework-statement", Some(LotId(12)), &email);
}

#[test]
fn framework_statement_when_ended_early() {
    let (lot, statement) = (lot(), statement());
    let email = FrameworkStatementEmail {
        lot: &lot,
        reason: Some("Der Hersteller hat das Modell abgekündigt."),
        statement: &statement,
    };
    check("framework-statement-early", Some(LotId(12)), &email);
}

#[test]
fn framework_ended() {
    let lot = lot();
    let email = FrameworkEndedEmail {
        lot: &lot,
        reason: None,
        called_off: 1_050,
        net: Money::from_cents(9_345_000),
    };
    check("framework-ended", Some(LotId(12)), &email);
}
