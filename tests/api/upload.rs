//! Many order lines from a CSV file: nothing stored while any line is wrong, every line
//! stored in one go once the file is right, the same file twice adds nothing.

use crate::helpers::*;
use sammelkauf::db::orgs;

async fn upload_file(
    buyer: &mut Browser,
    lot: sammelkauf::domain::ids::LotId,
    bytes: Vec<u8>,
) -> Page {
    buyer.get(&format!("/lots/{lot}")).await;
    let form = reqwest::multipart::Form::new()
        .text("csrf", buyer.csrf.clone())
        .part(
            "csv_file",
            reqwest::multipart::Part::bytes(bytes)
                .file_name("bestellung.csv")
                .mime_str("text/csv")
                .expect("mime"),
        )
        .text("csv_text", "");
    let answer = buyer
        .client
        .post(format!("{}/lots/{lot}/orders/upload", buyer.base))
        .multipart(form)
        .send()
        .await
        .expect("post");
    let status = answer.status().as_u16();
    Page {
        status,
        location: None,
        body: answer.text().await.expect("body"),
    }
}

fn hidden_csv(body: &str) -> String {
    let marker = "name=\"csv\" value=\"";
    let start = body.find(marker).expect("the confirm form") + marker.len();
    body[start..]
        .split('"')
        .next()
        .unwrap_or_default()
        .replace("&#10;", "\n")
        .replace("&#13;", "\r")
        .replace("&#59;", ";")
        .replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

fn thousand_lines(bad_at: Option<usize>) -> String {
    let mut csv = String::from("Lieferort;Standortkennung;Menge;Preisobergrenze;Referenz\r\n");
    for i in 0..1000 {
        if Some(i) == bad_at {
            csv.push_str("Gesamtschule Lemgo;;zwölf;;\r\n");
        } else if i % 2 == 0 {
            csv.push_str(&format!(
                "Gesamtschule Lemgo;;{};899,50;Klasse {i}\r\n",
                1 + i % 7
            ));
        } else {
            csv.push_str(&format!(";KD-7;{};;\r\n", 1 + i % 5));
        }
    }
    csv
}

fn expected_total() -> u64 {
    (0..1000u64)
        .map(|i| if i % 2 == 0 { 1 + i % 7 } else { 1 + i % 5 })
        .sum()
}

#[tokio::test]
async fn a_thousand_lines_with_one_bad_line_store_nothing_and_the_corrected_file_stores_all_once() {
    let app = spawn_app().await;
    let f = fixture(&app);
    {
        let mut conn = app.pool.get().expect("conn");
        orgs::set_site_code(&mut conn, f.sites_a[1], "KD-7").expect("code");
    }
    let mut buyer = Browser::new(&app);
    buyer.login("buyer-a@krz.example").await;

    // Line 501 of the file (the 500th order line) is wrong: the preview names it.
    let bad = upload_file(&mut buyer, f.lot, thousand_lines(Some(499)).into_bytes()).await;
    assert_eq!(bad.status, 422);
    assert!(
        bad.body.contains("1 Zeilen der Datei sind fehlerhaft"),
        "{}",
        &bad.body[..2000.min(bad.body.len())]
    );
    assert!(bad.body.contains("<td class=\"num\">501</td>"));
    assert!(
        !bad.body.contains("name=\"csv\""),
        "no confirmation while a line is wrong"
    );
    // Posting the confirmation anyway stores nothing.
    buyer.get(&format!("/lots/{}", f.lot)).await;
    let forced = buyer
        .post(
            &format!("/lots/{}/orders/upload/confirm", f.lot),
            &[("csv", &thousand_lines(Some(499)))],
        )
        .await;
    assert_eq!(forced.status, 422);
    assert!(stored_lines(&app, f.lot).is_empty());
    assert_eq!(stored_total(&app, f.lot), (0, 0));

    // The corrected file: a preview with the new totals, then every line in one go.
    let good = upload_file(&mut buyer, f.lot, thousand_lines(None).into_bytes()).await;
    assert_eq!(
        good.status,
        200,
        "{}",
        &good.body[..2000.min(good.body.len())]
    );
    assert!(good.body.contains("1.000 Positionen"));
    let text = hidden_csv(&good.body);
    let stored = buyer
        .post(
            &format!("/lots/{}/orders/upload/confirm", f.lot),
            &[("csv", &text)],
        )
        .await;
    assert_eq!(stored.status, 303, "{}", stored.body);
    let lines = stored_lines(&app, f.lot);
    assert_eq!(lines.len(), 1000);
    assert_eq!(stored_total(&app, f.lot).0, expected_total());
    assert_eq!(
        lines
            .iter()
            .filter(|l| l.delivery_site_id == f.sites_a[1])
            .count(),
        500,
        "by site code"
    );
    assert!(lines.iter().any(|l| l.reference == "Klasse 998"));

    // The same file again adds nothing, whether confirmed again or uploaded again.
    let twice = buyer
        .post(
            &format!("/lots/{}/orders/upload/confirm", f.lot),
            &[("csv", &text)],
        )
        .await;
    assert_eq!(twice.status, 303);
    assert!(twice
        .location
        .as_deref()
        .unwrap_or_default()
        .contains("upload_already"));
    let again = upload_file(&mut buyer, f.lot, thousand_lines(None).into_bytes()).await;
    assert!(again.body.contains("id=\"upload-already\""));
    assert_eq!(stored_lines(&app, f.lot).len(), 1000);
    // The lot's maintained totals equal a fresh count.
    let mut conn = app.pool.get().expect("conn");
    let counted = sammelkauf::db::bundles::counted_totals(&mut conn, f.lot).expect("count");
    assert_eq!(
        counted,
        sammelkauf::db::bundles::totals(&mut conn, f.lot).expect("kept")
    );
}

#[tokio::test]
async fn bad_files_get_a_clear_message_and_store_nothing() {
    let app = spawn_app().await;
    let f = fixture(&app);
    let other_member_site = {
        let mut conn = app.pool.get().expect("conn");
        orgs::find_site(&mut conn, f.sites_b[0])
            .expect("q")
            .expect("site")
            .name
    };
    let mut buyer = Browser::new(&app);
    buyer.login("buyer-a@krz.example").await;
    let cases: Vec<(&str, Vec<u8>, u16, &str)> = vec![
        (
            "wrong columns",
            b"Name;Anzahl der Tage\r\nx;1\r\n".to_vec(),
            422,
            "Spalte",
        ),
        (
            "other member's site",
            format!("Lieferort;Menge\r\n{other_member_site};5\r\n").into_bytes(),
            422,
            "kein aktiver Lieferort",
        ),
        (
            "formula",
            b"Lieferort;Menge;Referenz\r\nGesamtschule Lemgo;5;=HYPERLINK(\"http://x\")\r\n"
                .to_vec(),
            422,
            "Tabellenformel",
        ),
        (
            "unclosed quote",
            b"Lieferort;Menge\r\n\"Gesamtschule Lemgo;5\r\n".to_vec(),
            422,
            "",
        ),
        ("binary", vec![0u8, 159, 146, 150, 0, 1, 2, 3], 422, ""),
        ("empty", Vec::new(), 422, "keine Bestellpositionen"),
        (
            "huge quantity",
            b"Lieferort;Menge\r\nGesamtschule Lemgo;99999999999999999999\r\n".to_vec(),
            422,
            "Zeile",
        ),
    ];
    for (what, bytes, status, text) in cases {
        let answer = upload_file(&mut buyer, f.lot, bytes).await;
        assert_eq!(
            answer.status,
            status,
            "{what}: {}",
            &answer.body[..1500.min(answer.body.len())]
        );
        assert!(
            answer.body.contains(text),
            "{what}: {}",
            &answer.body[..3000.min(answer.body.len())]
        );
    }
    // 10 MB of junk: refused before it is read.
    let junk = upload_file(&mut buyer, f.lot, vec![b'x'; 10 * 1024 * 1024]).await;
    assert_eq!(junk.status, 413);
    // Windows-1252 from older Excel: the umlaut of the site's name is read right.
    {
        let mut conn = app.pool.get().expect("conn");
        orgs::insert_site(
            &mut conn,
            f.member_a,
            "Grundschule Müllheim",
            "",
            chrono::Utc::now().naive_utc(),
        )
        .expect("site");
    }
    let cp1252 = b"Lieferort;Menge\r\nGrundschule M\xfcllheim;3\r\n".to_vec();
    let answer = upload_file(&mut buyer, f.lot, cp1252).await;
    assert_eq!(
        answer.status,
        200,
        "{}",
        &answer.body[..2000.min(answer.body.len())]
    );
    assert!(answer.body.contains("Grundschule Müllheim"));
    assert!(
        stored_lines(&app, f.lot).is_empty(),
        "a preview stores nothing"
    );
    // Another member's buyer cannot use the template of this member; a supplier cannot upload.
    let template = buyer
        .get(&format!("/lots/{}/orders/template.csv", f.lot))
        .await;
    assert_eq!(template.status, 200);
    assert!(
        template.body.contains("Gesamtschule Lemgo") && !template.body.contains(&other_member_site)
    );
    let mut supplier = Browser::new(&app);
    supplier.login("sales@systemhaus.example").await;
    let denied = upload_file(
        &mut supplier,
        f.lot,
        b"Lieferort;Menge\r\nGesamtschule Lemgo;1\r\n".to_vec(),
    )
    .await;
    assert_eq!(denied.status, 403);
}
