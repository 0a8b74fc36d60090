//! The demo's people: staff, members with their delivery sites and buyers, suppliers with
//! their sales accounts.

use super::cooperative::{MEMBERS, SUPPLIERS};
use super::{slug, DemoAccount, DemoError};
use crate::app::Actor;
use crate::db::{orgs, users, DbConnection};
use crate::domain::account::{Language, Role};
use crate::domain::ids::{MemberId, SiteId, SupplierId, UserId};
use chrono::{DateTime, Duration, Utc};

/// A member of the demo with its first buyer and its delivery sites.
pub struct DemoMember {
    pub buyer: Actor,
    pub sites: Vec<SiteId>,
}

/// A supplier of the demo with its sales account.
pub struct DemoSupplier {
    pub id: SupplierId,
    pub user: Actor,
}

/// Everyone the demo's lots are seeded by.
pub struct People {
    pub staff: Actor,
    pub second_staff: Actor,
    pub members: Vec<DemoMember>,
    pub suppliers: Vec<DemoSupplier>,
    /// The accounts to print, in the order they were created.
    pub accounts: Vec<DemoAccount>,
}

/// Creates the cooperative's staff, members and suppliers, all with the demo password.
pub fn create(
    conn: &mut DbConnection,
    now: DateTime<Utc>,
    hash: &str,
) -> Result<People, DemoError> {
    // The cooperative exists since before the demo's oldest lot.
    let ts = (now - Duration::days(90)).naive_utc();
    let mut accounts = Vec::new();
    let mut add_user = |conn: &mut DbConnection,
                        email: String,
                        name: &str,
                        role: Role,
                        member_id: Option<MemberId>,
                        supplier_id: Option<SupplierId>,
                        organisation: &str|
     -> Result<UserId, DemoError> {
        let id = users::insert(
            conn,
            &users::NewUser {
                email: &email,
                name,
                password_hash: hash,
                role: role.as_str(),
                member_id,
                supplier_id,
                language: Language::De.as_str(),
                active: true,
                created_at: ts,
                updated_at: ts,
            },
        )?;
        accounts.push(DemoAccount {
            email,
            role: role.as_str(),
            organisation: organisation.to_string(),
        });
        Ok(id)
    };

    let staff = add_user(
        conn,
        "einkauf@sammelkauf.example".into(),
        "Petra Vogel",
        Role::Staff,
        None,
        None,
        "Genossenschaft",
    )?;
    let second_staff = add_user(
        conn,
        "vergabe@sammelkauf.example".into(),
        "Jonas Brandt",
        Role::Staff,
        None,
        None,
        "Genossenschaft",
    )?;

    let mut members = Vec::new();
    for (i, (name, city, sites)) in MEMBERS.iter().enumerate() {
        let domain = format!("{}.example", slug(name));
        let member = orgs::insert_member(conn, name, city, &format!("beschaffung@{domain}"), ts)?;
        let mut site_ids = Vec::new();
        for site in *sites {
            site_ids.push(orgs::insert_site(conn, member, site, city, ts)?);
        }
        let buyer = add_user(
            conn,
            format!("einkauf@{domain}"),
            "Einkauf",
            Role::Buyer,
            Some(member),
            None,
            name,
        )?;
        // Each member's main buyer administers its organisation (sites and accounts); a
        // site gets its own code for uploads.
        users::set_member_admin(conn, buyer, true, staff, ts)?;
        if let Some(first) = site_ids.first() {
            orgs::set_site_code(conn, *first, &format!("{:02}-01", i + 1))?;
        }
        if i % 3 == 0 {
            add_user(
                conn,
                format!("it-beschaffung@{domain}"),
                "IT-Beschaffung",
                Role::Buyer,
                Some(member),
                None,
                name,
            )?;
        }
        members.push((buyer, site_ids));
    }
    let mut suppliers = Vec::new();
    for name in SUPPLIERS {
        let domain = format!("{}.example", slug(name));
        let supplier = orgs::insert_supplier(conn, name, &format!("angebote@{domain}"), ts)?;
        let user = add_user(
            conn,
            format!("vertrieb@{domain}"),
            "Vertrieb",
            Role::Supplier,
            None,
            Some(supplier),
            name,
        )?;
        suppliers.push((supplier, user));
    }
    let find = |conn: &mut DbConnection, id: UserId| -> Result<Actor, DemoError> {
        users::find(conn, id)?
            .map(|u| Actor::from_account(&u))
            .ok_or_else(|| DemoError::Procurement(format!("account {id} missing")))
    };
    let mut demo_members = Vec::new();
    for (buyer, sites) in members {
        demo_members.push(DemoMember {
            buyer: find(conn, buyer)?,
            sites,
        });
    }
    let mut demo_suppliers = Vec::new();
    for (id, user) in suppliers {
        demo_suppliers.push(DemoSupplier {
            id,
            user: find(conn, user)?,
        });
    }
    Ok(People {
        staff: find(conn, staff)?,
        second_staff: find(conn, second_staff)?,
        members: demo_members,
        suppliers: demo_suppliers,
        accounts,
    })
}
