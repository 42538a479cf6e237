//! Date words shared by the stages that read dates in text (the normalizer's
//! datelines, the enricher's date mentions). Here rather than in either stage so
//! that the two read the same month names.

/// Month names and common abbreviations in the languages the rule packs cover.
pub fn month(name: &str) -> Option<u8> {
    let n = name.to_lowercase();
    const MONTHS: [&[&str]; 12] = [
        &[
            "january", "jan", "januar", "jänner", "janvier", "janv", "enero", "ene", "gennaio",
            "gen", "janeiro", "januari",
        ],
        &[
            "february",
            "feb",
            "februar",
            "février",
            "févr",
            "fevrier",
            "febrero",
            "febbraio",
            "fevereiro",
            "fev",
            "februari",
        ],
        &[
            "march", "mar", "märz", "mars", "marzo", "março", "maart", "mrt",
        ],
        &["april", "apr", "avril", "abril", "aprile", "abr"],
        &["may", "mai", "mayo", "maggio", "mag", "maio", "mei"],
        &[
            "june", "jun", "juni", "juin", "junio", "giugno", "giu", "junho",
        ],
        &[
            "july", "jul", "juli", "juillet", "juil", "julio", "luglio", "lug", "julho",
        ],
        &["august", "aug", "août", "aout", "agosto", "ago", "augustus"],
        &[
            "september",
            "sep",
            "sept",
            "septembre",
            "septiembre",
            "settembre",
            "set",
            "setembro",
        ],
        &[
            "october", "oct", "oktober", "okt", "octobre", "octubre", "ottobre", "ott", "outubro",
            "out",
        ],
        &["november", "nov", "novembre", "noviembre", "novembro"],
        &[
            "december",
            "dec",
            "dezember",
            "dez",
            "décembre",
            "decembre",
            "diciembre",
            "dic",
            "dicembre",
            "dezembro",
        ],
    ];
    MONTHS
        .iter()
        .position(|names| names.contains(&n.as_str()))
        .map(|i| i as u8 + 1)
}

/// Weekday names (Monday first) in the same languages, for "on Thursday".
pub fn weekday(name: &str) -> Option<u8> {
    let n = name.to_lowercase();
    const DAYS: [&[&str]; 7] = [
        &[
            "monday", "montag", "lundi", "lunes", "lunedì", "segunda", "maandag",
        ],
        &[
            "tuesday", "dienstag", "mardi", "martes", "martedì", "terça", "dinsdag",
        ],
        &[
            "wednesday",
            "mittwoch",
            "mercredi",
            "miércoles",
            "mercoledì",
            "quarta",
            "woensdag",
        ],
        &[
            "thursday",
            "donnerstag",
            "jeudi",
            "jueves",
            "giovedì",
            "quinta",
            "donderdag",
        ],
        &[
            "friday", "freitag", "vendredi", "viernes", "venerdì", "sexta", "vrijdag",
        ],
        &[
            "saturday", "samstag", "samedi", "sábado", "sabato", "zaterdag",
        ],
        &[
            "sunday", "sonntag", "dimanche", "domingo", "domenica", "zondag",
        ],
    ];
    DAYS.iter()
        .position(|names| names.contains(&n.as_str()))
        .map(|i| i as u8)
}
