//! Who the demo cooperative is: its members with their cities and delivery sites, and the
//! suppliers it buys from (modelled on Germany's municipal IT service providers).

pub(super) const MEMBERS: [(&str, &str, &[&str]); 12] = [
    (
        "KRZ Minden-Ravensberg/Lippe",
        "Lemgo",
        &[
            "Kreishaus Detmold",
            "Stadt Bad Salzuflen",
            "Gesamtschule Lemgo",
        ],
    ),
    (
        "ITK Rheinland",
        "Neuss",
        &[
            "Stadtverwaltung Neuss",
            "Stadt Dormagen",
            "Berufskolleg Neuss",
        ],
    ),
    (
        "regio iT Aachen",
        "Aachen",
        &[
            "Stadt Aachen",
            "StädteRegion Aachen",
            "Schulzentrum Eschweiler",
            "Stadt Gütersloh",
        ],
    ),
    (
        "Südwestfalen-IT",
        "Hemer",
        &["Kreis Soest", "Stadt Iserlohn", "Märkischer Kreis"],
    ),
    (
        "Dataport",
        "Altenholz",
        &[
            "Freie und Hansestadt Hamburg",
            "Land Schleswig-Holstein",
            "Bremen Schulen",
            "Sachsen-Anhalt",
        ],
    ),
    (
        "ekom21 Hessen",
        "Gießen",
        &["Landkreis Gießen", "Stadt Kassel", "Stadt Darmstadt"],
    ),
    (
        "AKDB Bayern",
        "München",
        &["Landratsamt Rosenheim", "Stadt Landshut"],
    ),
    (
        "Komm.ONE",
        "Stuttgart",
        &[
            "Stadt Heilbronn",
            "Landkreis Esslingen",
            "Stadt Freiburg",
            "Ortenaukreis",
            "Stadt Ulm",
        ],
    ),
    (
        "KDO Oldenburg",
        "Oldenburg",
        &["Stadt Oldenburg", "Landkreis Ammerland"],
    ),
    (
        "civitec Siegburg",
        "Siegburg",
        &["Rhein-Sieg-Kreis", "Stadt Troisdorf"],
    ),
    (
        "GKD Recklinghausen",
        "Recklinghausen",
        &["Kreis Recklinghausen", "Stadt Marl", "Stadt Dorsten"],
    ),
    ("KAAW Unna", "Unna", &["Kreis Unna", "Stadt Kamen"]),
];

pub(super) const SUPPLIERS: [&str; 4] = [
    "Bechtle Öffentliche Auftraggeber GmbH",
    "Cancom Public GmbH",
    "Computacenter Public Sector AG",
    "Dr. Schönfeld Systemhaus GmbH",
];
