//! Member administrators: a buyer whom staff trusted manages its own organisation's sites and
//! colleagues, and cannot touch another member's or hand out any other role.

use crate::helpers::*;
use sammelkauf::db::{audit, orgs, users};

fn user_id(app: &TestApp, email: &str) -> sammelkauf::domain::ids::UserId {
    let mut conn = app.pool.get().expect("conn");
    users::list(&mut conn)
        .expect("users")
        .into_iter()
        .find(|u| u.email == email)
        .expect("account")
        .id
}

#[tokio::test]
async fn a_member_administrator_adds_a_site_and_a_colleague_but_cannot_touch_another_member() {
    let app = spawn_app().await;
    let f = fixture(&app);
    let mut a = Browser::new(&app);
    a.login("buyer-a@krz.example").await;
    assert_eq!(
        a.get("/organisation/admin").await.status,
        403,
        "not yet an administrator"
    );

    // Staff make buyer A the administrator of KRZ Lippe.
    let mut staff = Browser::new(&app);
    staff.login("staff@coop.example").await;
    let a_id = user_id(&app, "buyer-a@krz.example");
    let page = staff.get(&format!("/admin/users/{a_id}")).await;
    assert!(page.body.contains("id=\"member-admin\""));
    let granted = staff
        .post(
            &format!("/admin/users/{a_id}/member-admin"),
            &[("admin", "on")],
        )
        .await;
    assert_eq!(granted.status, 303);
    let supplier_id = user_id(&app, "sales@systemhaus.example");
    let not_a_buyer = staff
        .post(
            &format!("/admin/users/{supplier_id}/member-admin"),
            &[("admin", "on")],
        )
        .await;
    assert_eq!(not_a_buyer.status, 409);

    // A adds a site with its own code.
    let page = a.get("/organisation/admin").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Gesamtschule Lemgo") && !page.body.contains("Stadt Neuss"));
    let added = a
        .post(
            "/organisation/sites",
            &[
                ("name", "Realschule Blomberg"),
                ("address", "Schulstraße 3"),
                ("code", "RS-3"),
            ],
        )
        .await;
    assert_eq!(added.status, 303, "{}", added.body);
    let sites = {
        let mut conn = app.pool.get().expect("conn");
        orgs::sites_of(&mut conn, f.member_a).expect("sites")
    };
    let new_site = sites
        .iter()
        .find(|s| s.name == "Realschule Blomberg")
        .expect("added");
    assert_eq!(new_site.code, "RS-3");
    let renamed = a
        .post(
            &format!("/organisation/sites/{}", new_site.id),
            &[
                ("name", "Realschule Blomberg-Nord"),
                ("address", ""),
                ("code", "RS-3"),
                ("active", "on"),
            ],
        )
        .await;
    assert_eq!(renamed.status, 303);

    // Another member's site: not found, and unchanged, on either route.
    for path in [
        format!("/organisation/sites/{}", f.sites_b[0]),
        format!("/admin/sites/{}", f.sites_b[0]),
    ] {
        let answer = a
            .post(
                &path,
                &[("name", "Übernommen"), ("address", ""), ("active", "on")],
            )
            .await;
        assert!(
            matches!(answer.status, 403 | 404),
            "{path}: {}",
            answer.status
        );
    }
    {
        let mut conn = app.pool.get().expect("conn");
        assert_ne!(
            orgs::find_site(&mut conn, f.sites_b[0])
                .expect("q")
                .expect("site")
                .name,
            "Übernommen"
        );
    }

    // A invites a colleague, who sets the password through the emailed link and signs in.
    let invited = a
        .post(
            "/organisation/users",
            &[
                ("name", "Neue Kollegin"),
                ("email", "neu@krz.example"),
                ("language", "de"),
            ],
        )
        .await;
    assert_eq!(invited.status, 303, "{}", invited.body);
    accept_invitation(&app, "neu@krz.example").await;
    let mut colleague = Browser::new(&app);
    colleague.login("neu@krz.example").await;
    assert_eq!(colleague.get(&format!("/lots/{}", f.lot)).await.status, 200);
    {
        let mut conn = app.pool.get().expect("conn");
        let account = users::list(&mut conn)
            .expect("users")
            .into_iter()
            .find(|u| u.email == "neu@krz.example")
            .expect("account");
        assert_eq!(account.member_id, Some(f.member_a));
        assert_eq!(account.role.as_str(), "buyer");
    }
    // The staff route does not let A create staff, suppliers or another member's buyers.
    for (role, organisation) in [
        ("staff", ""),
        ("buyer", &*format!("member:{}", f.member_b)),
        ("supplier", &*format!("supplier:{}", f.supplier)),
    ] {
        let answer = a
            .post(
                "/admin/users",
                &[
                    ("email", "boese@example.org"),
                    ("name", "X"),
                    ("role", role),
                    ("organisation", organisation),
                    ("language", "de"),
                ],
            )
            .await;
        assert!(
            matches!(answer.status, 403 | 404),
            "{role} {organisation}: {}",
            answer.status
        );
    }
    {
        let mut conn = app.pool.get().expect("conn");
        assert!(users::list(&mut conn)
            .expect("users")
            .iter()
            .all(|u| u.email != "boese@example.org"));
    }

    // A deactivates the colleague (whose session ends), not itself, not another member's buyer.
    let colleague_id = user_id(&app, "neu@krz.example");
    let off = a
        .post(&format!("/organisation/users/{colleague_id}/active"), &[])
        .await;
    assert_eq!(off.status, 303);
    assert_eq!(colleague.get("/lots").await.status, 303, "signed out");
    assert_eq!(
        a.post(&format!("/organisation/users/{a_id}/active"), &[])
            .await
            .status,
        409
    );
    let b_id = user_id(&app, "buyer-b@itk.example");
    assert_eq!(
        a.post(&format!("/organisation/users/{b_id}/active"), &[])
            .await
            .status,
        404
    );
    {
        let mut conn = app.pool.get().expect("conn");
        assert!(users::find(&mut conn, b_id).expect("q").expect("b").active);
        assert!(audit::count_actions(&mut conn, "site.created").expect("audit") >= 1);
        assert!(audit::count_actions(&mut conn, "member_admin.granted").expect("audit") == 1);
    }
    // Another member's buyer is no administrator; withdrawn, A is none any more.
    let mut b = Browser::new(&app);
    b.login("buyer-b@itk.example").await;
    assert_eq!(b.get("/organisation/admin").await.status, 403);
    staff.get(&format!("/admin/users/{a_id}")).await;
    assert_eq!(
        staff
            .post(&format!("/admin/users/{a_id}/member-admin"), &[])
            .await
            .status,
        303
    );
    assert_eq!(a.get("/organisation/admin").await.status, 403);
}
