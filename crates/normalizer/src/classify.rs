//! The paragraph classifier: the second boilerplate layer, after the rule packs.
//!
//! In the spirit of jusText: each paragraph gets features (length, stopword
//! density in the document's language, terminal punctuation, link and handle
//! density, digit share, menu separators, similarity to the title), an initial
//! class (good, bad, short, heading), and then context decides the uncertain ones:
//! a short sentence or a heading between good paragraphs is good; runs of short
//! headline-shaped lines (menus, "most read" lists) and short lines at the edges,
//! outside the article, are not. Hand-written because the rules are the product's
//! own edge; the stopword lists come from the `stop-words` crate (Stopwords ISO).

use crate::rules::ends_terminated;
use newsflow_record::words::{stopwords, StopWords};
use regex::Regex;
use serde::Serialize;
// rapidhash, not std's SipHash: the classifier hashes every word of every paragraph
// several times (stems, coherence, title words), and SipHash was ~15 % of its
// profile samples.
use rapidhash::{RapidHashMap as HashMap, RapidHashSet as HashSet};
use std::sync::LazyLock;

/// Features of one paragraph, reported by `newsflow explain`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Features {
    pub words: usize,
    /// Share of words that are stopwords of the document's language (None: no list).
    pub stopword_density: Option<f32>,
    pub terminated: bool,
    /// Share of tokens that are URLs, handles, hashtags or e-mail addresses.
    pub link_density: f32,
    pub digit_ratio: f32,
    /// Standalone menu separators (`|`, `›`, `»`, `•`, `·`, `>`).
    pub separators: usize,
    /// Of those, breadcrumb arrows (`›`, `>`; `»` closes French quotes).
    pub arrows: usize,
    /// Share of the paragraph's words that also occur in the title.
    pub title_similarity: f32,
    /// Speaks to the reader ("you", "Sie", "vous"…) outside quotation marks, or
    /// names a price: the voice of promotions, paywalls and sign-up prompts.
    pub addresses_reader: bool,
    /// Distinct words of the site's own vocabulary (subscribe, video, copyright,
    /// comments, share…; see `cue_words`).
    pub site_words: usize,
    /// Share of the paragraph's content words (not stopwords, four letters or
    /// more) whose stem occurs elsewhere in the document or in the title. None
    /// when it has no content word. Article text, headings included, talks about
    /// the story; teasers for other stories and site notices do not.
    pub coherence: Option<f32>,
    /// Names the author of the byline, or reads like a staff bio ("Lena Vogt ist
    /// Redakteurin …"): a bio or a disclosure when it stands after the article.
    pub names_author: bool,
    /// Names the site ([`Head::site`]).
    pub names_site: bool,
    /// Reads like a staff bio: a name, "is"/"ist"/"es"…, a journalist's role
    /// ("Priya Venkataraman is Byteline's security editor"). In the labelled
    /// sets every such line is boilerplate (48 of 48), wherever it stands.
    pub bio: bool,
    /// Shaped like a picture credit or caption credit: "Foto: Jan Zwiers",
    /// "© Frank Koch", "… in north London (Getty Images)"; or a caption marked
    /// as one ([`photo_caption`]: "Sabine Krüger (Mitte) …").
    pub credit: bool,
    /// An item of a fact list: short, with a figure, a bracket or a quoted title
    /// ("Boston: 23.6 inches", "« Annette » de Leos Carax"), or a bullet.
    pub list_item: bool,
    /// Starts with a bullet ("- ", "• ", "* ", "– ").
    pub bullet: bool,
    /// Three or more one-word sentences: a site's slogan ("Heimat. Nachrichten.
    /// Meinung."), read as a heading, not as prose.
    pub slogan: bool,
    /// Starts with a short label and a colon ("Mercoledì: piogge al Nord-Est"):
    /// an item of a labelled list when its neighbours are too.
    pub labelled: bool,
}

/// The classifier's decision on one paragraph.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    pub keep: bool,
    /// 0 (boilerplate) to 1 (article text): a summary of the features.
    pub score: f32,
    /// Why, in a few words: the class and, for context decisions, the context.
    pub reason: &'static str,
    pub features: Features,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Good,
    Bad(&'static str),
    /// A short sentence: good next to good text.
    Short,
    /// A short line without terminal punctuation: a heading if article text follows.
    Heading,
    /// An item of a fact list right after article text.
    Fact,
}

/// Longest heading, in words; longer lines without terminal punctuation are
/// captions or teasers.
const HEADING_MAX_WORDS: usize = 12;
/// A good paragraph is a sentence of at least this many words...
const GOOD_MIN_WORDS: usize = 9;
/// ...with at least this share of stopwords, when the language has a list.
const GOOD_MIN_STOPWORDS: f32 = 0.12;
/// Runs of this many headline-shaped lines are lists (menus, "most read").
const LIST_RUN: usize = 3;
/// A paragraph with two site words is the site's own notice when at most this
/// share of its content words occur elsewhere in the document...
const SITE_MAX_COHERENCE: f32 = 0.34;
/// ...and it is no longer than this (long paragraphs are article text that
/// happens to discuss subscriptions or videos).
const SITE_MAX_WORDS: usize = 45;
/// Longer paragraphs must share even less with the story.
const SITE_MAX_COHERENCE_LONG: f32 = 0.2;
/// Up to this many words, two site words are enough; longer needs three.
const SITE_SHORT_WORDS: usize = 20;
/// A headline-shaped line of at least this many words that shares no content
/// word with the document is a teaser for another story.
/// Shorter ones are often in-body subheadings with words of their own ("Des
/// absences en cascade").
const TEASER_MIN_WORDS: usize = 7;

/// Items of a pros-and-cons or key-points list between paragraphs average at
/// most this many words.
const SHORT_ITEMS_MAX_WORDS: usize = 5;

/// The label over a list of key points has at most this many words.
const KEY_POINTS_LABEL_MAX_WORDS: usize = 5;
/// Longest item of a list of key points, in words.
const KEY_POINT_MAX_WORDS: usize = 20;

/// A caption above a photographer's bare name has this many words.
const NAME_CAPTION_MIN_WORDS: usize = 4;
const NAME_CAPTION_MAX_WORDS: usize = 12;

/// A standfirst has at least this many words, and at least this share of its
/// content words in the article's prose or title.
const STANDFIRST_MIN_WORDS: usize = 8;
const STANDFIRST_MIN_COHERENCE: f32 = 0.2;
/// Fewest words of a paragraph speaking to the reader that can be the story's
/// own prose after the article text (shorter ones are the site's prompts).
const READER_PROSE_MIN_WORDS: usize = 30;
/// Least coherence with the story of such a paragraph.
const READER_PROSE_MIN_COHERENCE: f32 = 0.2;

/// Second-person words per language (the same word can mean "of the" in French
/// and "you" in German, so the document's language picks the list). German "Sie"
/// and "Ihr…" count only capitalized inside a sentence, the polite form.
fn reader_words(lang: &str) -> &'static [&'static str] {
    match lang {
        "en" => &["you", "your", "yours", "you're", "you've", "you'll"],
        "de" => &[
            "du", "dich", "dir", "dein", "deine", "deinen", "euch", "Sie", "Ihnen", "Ihr", "Ihre",
            "Ihren", "Ihrem", "Ihrer",
        ],
        "fr" => &["vous", "votre", "vos", "tu", "toi", "ton", "tes"],
        "es" => &[
            "usted", "ustedes", "tú", "tu", "tus", "te", "os", "vuestro", "vuestra",
        ],
        "it" => &[
            "ti", "te", "tuo", "tua", "tuoi", "tue", "voi", "vostro", "vostra", "vi",
        ],
        "pt" => &["você", "vocês", "teu", "tua", "te"],
        "nl" => &["je", "jij", "jouw", "u", "uw", "jullie"],
        _ => &[],
    }
}

/// Words that make a price a recurring offer.
const PERIODS: &[&str] = &[
    "month",
    "week",
    "year",
    "monat",
    "woche",
    "jahr",
    "mois",
    "semaine",
    "an",
    "mes",
    "semana",
    "año",
    "mese",
    "settimana",
    "anno",
    "mês",
    "ano",
    "maand",
    "jaar",
];

/// The site's own vocabulary per language: subscriptions and paywalls, ads,
/// media players, sharing, comments, newsletters, copyright, staff bios. A word
/// matches an entry ending in `*` by prefix, any other entry exactly. Article text
/// uses these words too, so they decide nothing alone: the classifier needs two
/// of them in a paragraph that shares little with the rest of the document.
fn cue_words(lang: &str) -> &'static [&'static str] {
    match lang {
        "en" => &[
            "subscri*",
            "newsletter*",
            "sign",
            "login",
            "log",
            "register*",
            "sponsor*",
            "advert*",
            "ad",
            "ads",
            "copyright",
            "rights",
            "reserved",
            "cookie*",
            "comment*",
            "video*",
            "photo*",
            "gallery",
            "galleries",
            "watch",
            "listen",
            "podcast*",
            "download*",
            "app",
            "apps",
            "unlimited",
            "premium",
            "free",
            "read",
            "reading",
            "continue*",
            "below",
            "click*",
            "share",
            "follow",
            "donat*",
            "support",
            "journalism",
            "account",
            "offer",
            "trial",
            "disclosure",
            "reporter",
            "correspondent",
            "editor",
            "covering",
            "permission",
            "redistribut*",
            "articles",
            "story",
            "access",
            "inbox",
            "affiliate*",
            "commission",
            "refresh",
            "logged",
            "browser",
            "newsroom",
        ],
        "de" => &[
            "abo",
            "abos",
            "abonn*",
            "newsletter*",
            "anmeld*",
            "registr*",
            "login",
            "werbung",
            "werbefrei",
            "anzeige",
            "gesponsert",
            "copyright",
            "rechte",
            "vorbehalten",
            "cookie*",
            "kommentar*",
            "video*",
            "foto*",
            "bilder",
            "galerie",
            "podcast*",
            "app",
            "herunterlad*",
            "zugang",
            "plus",
            "kündbar",
            "artikel",
            "lesen",
            "weiterlesen",
            "teilen",
            "folgen",
            "redakteur*",
            "korrespondent*",
            "quelle",
            "unterstütz*",
            "spende*",
            "tracking",
            "datenschutz*",
            "privacy",
            "probemonat",
            "kostenlos",
            "handy",
            "affiliate*",
            "provision",
            "journalismus",
            "mail",
            "e-mail",
            "push",
            "gratis",
        ],
        "fr" => &[
            "abonn*",
            "newsletter*",
            "inscri*",
            "connect*",
            "publicité",
            "sponsoris*",
            "copyright",
            "droits",
            "réservés",
            "reproduction",
            "cookie*",
            "commentaire*",
            "réagir",
            "réagissez",
            "vidéo*",
            "photo*",
            "diaporama",
            "galerie",
            "écouter",
            "podcast*",
            "appli",
            "application",
            "télécharg*",
            "lire",
            "article",
            "articles",
            "suite",
            "partag*",
            "suivre",
            "suivez",
            "journaliste",
            "rédact*",
            "soutenir",
            "soutenez",
            "traceurs",
            "partenaires",
            "accepter",
            "paramétrer",
            "édition",
            "pdf",
            "recommande",
            "offre",
            "gratuit*",
            "illimité",
            "journalisme",
            "écoutez",
            "regardez",
        ],
        "es" => &[
            "suscri*",
            "newsletter*",
            "boletín",
            "regístrate",
            "registr*",
            "publicidad",
            "patrocin*",
            "copyright",
            "derechos",
            "reservados",
            "reproducción",
            "cookie*",
            "comentario*",
            "comenta",
            "vídeo*",
            "video*",
            "foto*",
            "galería",
            "escucha",
            "pódcast*",
            "podcast*",
            "app",
            "descarg*",
            "lee",
            "leer",
            "artículo",
            "artículos",
            "compart*",
            "síguenos",
            "sigue",
            "periodista",
            "periodismo",
            "redact*",
            "apoya",
            "hazte",
            "gratis",
            "exclusivos",
            "contenidos",
            "oferta*",
            "ilimitado",
        ],
        "it" => &[
            "abbona*",
            "abbonati",
            "newsletter*",
            "iscriviti",
            "registr*",
            "accedi",
            "pubblicit*",
            "sponsor*",
            "copyright",
            "diritti",
            "riservati",
            "riproduzione",
            "cookie*",
            "comment*",
            "video*",
            "foto*",
            "gallery",
            "galleria",
            "ascolta",
            "podcast*",
            "app",
            "scarica",
            "leggi",
            "articolo",
            "articoli",
            "condividi",
            "seguici",
            "giornalista",
            "giornalismo",
            "donazione",
            "redazione",
            "sostieni",
            "contributo",
            "guarda",
            "annuncio",
            "gratis",
            "offerta",
            "illimitato",
            "gratuito",
        ],
        "pt" => &[
            "assin*",
            "newsletter*",
            "cadastr*",
            "inscrev*",
            "registe*",
            "sessão",
            "publicidade",
            "patrocin*",
            "copyright",
            "direitos",
            "reservados",
            "reprodução",
            "cookie*",
            "comentar",
            "comentário*",
            "vídeo*",
            "video*",
            "foto*",
            "galeria",
            "ouça",
            "podcast*",
            "app",
            "aplicativo",
            "baixe",
            "leia",
            "ler",
            "veja",
            "artigo",
            "compartilh*",
            "partilh*",
            "siga",
            "jornalista",
            "jornalismo",
            "donativo",
            "contribu*",
            "apoie",
            "grátis",
            "notícias",
            "ilimitado",
            "conteúdo",
            "exclusivo*",
        ],
        "nl" => &[
            "abonnee*",
            "abonnement*",
            "abonneer*",
            "nieuwsbrief",
            "registr*",
            "inloggen",
            "log",
            "account",
            "advertentie*",
            "gesponsord",
            "copyright",
            "rechten",
            "voorbehouden",
            "cookie*",
            "reactie*",
            "reageer",
            "reageren",
            "video*",
            "foto*",
            "podcast*",
            "app",
            "download*",
            "lees",
            "lezen",
            "artikel",
            "artikelen",
            "deel",
            "delen",
            "volg",
            "journalist",
            "redacteur*",
            "steun",
            "gratis",
            "onbeperkt",
            "toegang",
            "tipknop",
            "bekijk",
            "beelden",
            "redactie",
            "journalistiek",
            "probeer",
        ],
        _ => &[],
    }
}

/// Platforms sites point readers to, in every language.
const PLATFORM_WORDS: &[&str] = &[
    "whatsapp",
    "telegram",
    "facebook",
    "twitter",
    "instagram",
    "tiktok",
    "youtube",
    "linkedin",
];

/// The cue patterns of one language, indexed so that a paragraph's words are
/// looked up once each instead of compared with every pattern (that comparison
/// was 3-5% of a record's CPU). Each pattern (a platform's name, a cue word, or a
/// cue stem ending in `*`) is one bit of a [`Cues::mask`].
struct Cues {
    exact: HashMap<&'static str, u32>,
    /// Stems (patterns ending in `*`, without it) and their bit.
    stems: Vec<(&'static str, u32)>,
}

impl Cues {
    fn of(lang: &str) -> Cues {
        let mut exact = HashMap::default();
        let mut stems = Vec::new();
        for (i, c) in PLATFORM_WORDS.iter().chain(cue_words(lang)).enumerate() {
            assert!(
                i < 128,
                "more than 128 cue words for {lang}: a mask is a u128"
            );
            match c.strip_suffix('*') {
                Some(stem) => stems.push((stem, i as u32)),
                None => {
                    exact.entry(*c).or_insert(i as u32);
                }
            }
        }
        Cues { exact, stems }
    }

    /// The cues of `lang`; platform names only for a language `cue_words` lacks.
    fn for_lang(lang: Option<&str>) -> &'static Cues {
        static BY_LANG: LazyLock<HashMap<&'static str, Cues>> = LazyLock::new(|| {
            ["", "en", "de", "fr", "es", "it", "pt", "nl"]
                .into_iter()
                .map(|l| (l, Cues::of(l)))
                .collect()
        });
        let by_lang = &*BY_LANG;
        lang.and_then(|l| by_lang.get(l))
            .unwrap_or_else(|| &by_lang[""])
    }

    /// One bit per pattern that some word matches.
    fn mask<'w>(&self, words: impl IntoIterator<Item = &'w String>) -> u128 {
        let mut mask = 0u128;
        for w in words {
            if let Some(&i) = self.exact.get(w.as_str()) {
                mask |= 1 << i;
            }
            for &(stem, i) in &self.stems {
                if w.starts_with(stem) {
                    mask |= 1 << i;
                }
            }
        }
        mask
    }
}

/// Other prose paragraphs (or the title) a site word must occur in to be what
/// the story is about: "app" in a story about an app, "Abonnement" in one about
/// a price rise.
const TOPICAL_MIN: usize = 2;

fn cue_count(words: &[String], lang: Option<&str>) -> usize {
    Cues::for_lang(lang).mask(words).count_ones() as usize
}

/// Picture credits and caption credits. Hand-written: these shapes hold across
/// languages and sites, and the rule packs see lines with punctuation folded
/// away, so "Foto: Jan Zwiers" would there read like a heading.
static CREDIT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^(?:©|\(c\)\s|(?:foto|fotos|bild|bilder|bildrechte|bildquelle|beeld|photo|photos|photograph|picture|image|illustration|credit|credits|crédit|crédits|crédit photo|crédits photo|crédito|créditos|fotografia|fotografía|imagen|imagem|immagine|quelle|source|fuente|fonte|bron)(?:\s+(?:di|de)\s+(?:copertina|portada|capa))?\s*[:|])|\((?:[^()]*\b(?:foto\w*|photo\w*|bild|beeld|imagen|immagine|getty|images|reuters|afp|dpa|epa|ansa|efe|lapresse|imago|archiv|archive|archives|archivo|archivio|shutterstock|istock)\b[^()]*)\)\.?$|\b(?:courtesy of|mit freundlicher genehmigung)\b|(?:[.!?]|\s[-–])\s+(?:foto|fotos|bild|photo|photos|photograph|picture|imagen|immagine|beeld|fotografia|fotografía|crédit|crédito|credit)(?:\s*:[^!?:]{2,60}|[^.!?:]{0,40}/[^!?]{1,40})$|[.!?]\s+(?:courtesy|cortesía|cortesia)\s[^.!?]{2,60}$|[.!?]\s+/\s*\p{Lu}[^!?/]{0,30}$|^(?:photo|photos|foto|fotos|bild|beeld)\s[^.!?:/]{2,60}\s/\s[^!?/]{2,40}$|^(?:interview|entrevista|intervista|entretien|gespräch)\s*:\s*(?-i:\p{Lu}[\p{L}'’\-]+(?:\s+(?:van|von|de|der|den|da|di|del|dos|\p{Lu}[\p{L}.'’\-]+)){1,3})$|\[[^\[\]]*[,/][^\[\]]*\]\.?$",
    )
    .unwrap()
});

/// A sentence signed off with an agency's or author's initials after its period
/// ("… entre los jóvenes. EFE", "… veröffentlicht. (tep)", "… on Friday. AFP/dpa"):
/// prose, however the line ends.
fn agency_tail(text: &str) -> bool {
    static TAIL: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"[.!?»”]\s+(\([\p{L}/]{2,8}\)|\p{Lu}{2,5}(?:/\p{L}{2,5})?)$").unwrap()
    });
    // "… at 6 p.m. ET" ends in a time zone, not a signature.
    const ZONES: &[&str] = &[
        "ET", "EST", "EDT", "CT", "CST", "CDT", "MT", "PT", "PST", "PDT", "GMT", "BST", "UTC",
        "CET", "CEST", "WET", "WEST", "EET", "EEST", "AEST", "AEDT", "IST", "JST",
    ];
    TAIL.captures(text)
        .and_then(|c| c.get(1))
        .is_some_and(|m| !ZONES.contains(&m.as_str()))
}

/// Site words in a line, plus one if it speaks to the reader: two or more and the
/// line is the site talking (used to keep promotions from becoming the title).
pub fn site_signal(text: &str, lang: Option<&str>) -> usize {
    cue_count(&words_of(text), lang) + usize::from(addresses_reader(text, lang))
}

/// "Árbitro: Hélder Malheiro", "Ammoniti: Cassani, Ruffoni, Gallo": a short
/// label, a colon, a short value. (A teaser's "Faktencheck: Wie gut wirkt …"
/// goes on longer after its colon.)
fn label_value(text: &str) -> bool {
    label_split(text).is_some_and(|(label, value)| label <= 3 && (1..=4).contains(&value))
}

/// A label and a list of names after it, however long: a cast ("Interpretação:
/// Sofia Arruda, Joana Vilar, Manuel Teixeira"), a line-up ("TV Lindenau: Albers,
/// Pohl – Steiger (8), Meinhardt (6) …"). Each part is a few words, none a sentence.
fn label_list(text: &str) -> bool {
    let Some((label, value)) = text.split_once(": ") else {
        return false;
    };
    if label.split_whitespace().count() > 3 || value.trim_end().ends_with(['?', '!']) {
        return false;
    }
    // Substitutions and minutes in brackets ("Wenzel (71. Aydın)") belong to
    // the name before them.
    let mut flat = String::with_capacity(value.len());
    let mut depth = 0usize;
    for c in value.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            _ if depth == 0 => flat.push(c),
            _ => {}
        }
    }
    // Line-ups separate positions with dashes or semicolons and may end in
    // the coach ("… e Everaldo. Técnico: Cláudio Bastos").
    // The last name may follow a conjunction instead of a comma ("Paixão (8'),
    // Kaíque (14') e Matheusinho (33')").
    let parts: Vec<&str> = flat
        .split([',', ';', '–', '—'])
        .flat_map(|p| p.split(". "))
        .flat_map(|p| LIST_CONJUNCTION.split(p))
        .map(|p| p.trim().trim_end_matches('.'))
        .filter(|p| !p.is_empty())
        .collect();
    let capitals = parts
        .iter()
        .filter(|p| p.chars().next().is_some_and(char::is_uppercase))
        .count();
    parts.len() >= 3
        && 3 * capitals >= 2 * parts.len()
        && parts.iter().all(|p| {
            (1..=4).contains(&p.split_whitespace().count()) && !p.contains(['.', '!', '?'])
        })
}

/// A word that joins the last two names of a list, in the packs' languages.
static LIST_CONJUNCTION: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\s(?:and|und|et|y|e|ed|en|&)\s").unwrap());

/// The words before and after the first ": ", unless what follows is a question
/// (a teaser's shape).
fn label_split(text: &str) -> Option<(usize, usize)> {
    let (label, value) = text.split_once(": ")?;
    (!value.trim_end().ends_with('?')).then(|| {
        (
            label.split_whitespace().count(),
            value.split_whitespace().count(),
        )
    })
}

fn bullet(text: &str) -> bool {
    static NUMBERED: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^\d{1,2}[.)] \S").unwrap());
    ["- ", "• ", "* ", "– ", "· ", "▪ "]
        .iter()
        .any(|b| text.starts_with(b))
        || NUMBERED.is_match(text)
}

/// Is this line shaped like a picture credit?
pub fn is_credit(text: &str) -> bool {
    let t = text.trim();
    let words = t.split_whitespace().count();
    (words <= CREDIT_MAX_WORDS && CREDIT.is_match(t))
        // "© 2022 Europa Press. Está expresamente prohibida la redistribución …"
        || (words <= COPYRIGHT_MAX_WORDS && t.starts_with('©'))
        // Short, no sentence: names joined by a slash or a dash. (A name in
        // capitals alone could as well be a heading in capitals.)
        || (words <= 6
            && !ends_terminated(t)
            && (t.contains('/') || t.contains(" - ") || t.contains(" – "))
            && AGENCY_CREDIT.is_match(t))
}

/// A photo caption by what only captions say: where people stand in the picture
/// ("Sabine Krüger (Mitte) lässt sich feiern"), that it is an archive or stock
/// picture ("…, en una imagen de archivo."), "pictured". In the thirteen open
/// labelled sets, 14 removed lines have these marks and no kept line does.
/// Hand-written for the same reason as [`CREDIT`]: the packs see punctuation
/// folded away, and brackets are the signal.
fn photo_caption(text: &str, words: usize) -> bool {
    static MARK: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?i)\((?:mitte|links|rechts|[lrm]\.|li\.|re\.|(?:(?:second|2nd|third|3rd) )?(?:from )?(?:left|right)|cent(?:re|er)|à gauche|à droite|au centre|izquierda|derecha|en el centro|a sinistra|a destra|al centro|(?:à )?esquerda|(?:à )?direita|ao centro|midden|symbolbild|archivbild|archivfoto|file photo|foto de archivo|imagen de archivo|foto d'archivio|foto de arquivo|archieffoto)\)|\bpictured\b|\b(?:en una imagen de archivo|in una foto d(?:el|'archivio)|(?:em|numa) (?:foto|imagem) de arquivo|sur (?:notre|cette) photo|op de foto)\b",
        )
        .unwrap()
    });
    words <= CAPTION_MARK_MAX_WORDS && MARK.is_match(text)
}

/// Most words of a line that [`photo_caption`] may call a caption.
const CAPTION_MARK_MAX_WORDS: usize = 30;

/// Agency and archive credits without a label: "MIGUEL FARIA/LUSA",
/// "AFP/Archives - Joël Sagnard", "EUROPA PRESS - Archivo", "DDM - Michel Viala".
static AGENCY_CREDIT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\p{Lu}[\p{L}.'’\- ]{0,40}(?:/| - | – )\s*\p{Lu}[\p{L}.'’\- ]{0,40}$").unwrap()
});

/// A person's name at the start of a line, then a space: what a staff bio opens with.
const BIO_NAME: &str = r"^\p{Lu}[\p{L}'’\-]+(?:\s+(?:van|von|de|der|den|da|di|del|dos|la|le|\p{Lu}[\p{L}'’\-]+)){1,3}\s+";

/// "Lena Vogt ist Redakteurin im Ressort …", "Théo Marchand est journaliste …".
static BIO: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"{BIO_NAME}(?:is|ist|est|es|è|é|works|arbeitet|travaille|trabaja|lavora|trabalha|werkt|writes|schreibt|écrit|escribe|scrive|escreve|schrijft|covers|berichtet)\b.{{0,60}}\b(?i:\p{{L}}+(?:journalist|journalistin|redakteur|redakteurin|reporterin|korrespondentin|kolumnistin)|reporter|reporterin|journalist|journalistin|journaliste|correspondent|korrespondent|korrespondentin|correspondant|correspondante|corresponsal|corrispondente|correspondente|editor|redakteur|redakteurin|rédacteur|rédactrice|redactor|redactora|redattore|redattrice|redacteur|periodista|giornalista|jornalista|repórter|verslaggever|columnist|kolumnist|column|kolumne|chronique|columna|rubrica|coluna|rubriek|writer|autor|autorin|auteur|autore|professor|professorin|professeur|professeure|profesor|profesora|professore|professoressa|professora|hoogleraar|researcher|forscher|forscherin|chercheur|chercheuse|investigador|investigadora|ricercatore|ricercatrice|pesquisador|pesquisadora|onderzoeker|ressort|redaktion|rédaction|redacción|redazione|redação|redactie|desk|service)",
    ))
    .unwrap()
});

/// "Marieke Vos schrijft voor ZorgNieuws.nu over …", "Hannes Lüdtke schreibt
/// jeden Sonntag für …": a name, writes, for.
static BIO_WRITES_FOR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"{BIO_NAME}(?:writes|schreibt|écrit|escribe|scrive|escreve|schrijft)\s+(?:\p{{L}}+\s+){{0,2}}(?:for|für|pour|para|per|voor)\s",
    ))
    .unwrap()
});

/// A staff bio that starts with the role ("Critico musicale, collabora con …",
/// "Redactora de Economía. Cubre …", "Journaliste tech depuis 2015, …"): the
/// role, a few words, then a comma or a period. German "Kritiker" is left out:
/// "Kritiker befürchten, dass …" is the story's plural.
static BIO_ROLE_FIRST: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^(?:Freie[r]? |Freelance )?(?:Journalist|Journalistin|Journaliste|Jornalista|Giornalista|Periodista|Reporter|Reporterin|Redakteur|Redakteurin|Redacteur|Rédacteur|Rédactrice|Redattore|Redattrice|Redactor|Redactora|Correspondent|Correspondant|Correspondante|Corresponsal|Corrispondente|Correspondente|Korrespondent|Korrespondentin|Critico|Critica|Crítico|Crítica|Critique|Cronista|Columnist|Kolumnist|Kolumnistin|Chroniqueur|Chroniqueuse|Verslaggever)(?: [\p{L}\-]+){0,4}[.,] \S",
    )
    .unwrap()
});

/// The article an outlet's name may start with, in the packs' languages.
const OUTLET_ARTICLE: &str = r"(?:The |Het |De |Le |La |L'|Il |Lo |El |O |A |Der |Die |Das )?";
/// An outlet's name's first word: capitalised, or a brand's lowercase prefix
/// ("inFuga"), maybe with a domain ("Confere.aí").
const OUTLET_NAME: &str = r"\p{Ll}{0,3}\p{Lu}[\p{L}'’\-]+(?:\.\p{Ll}{2,4})?";

/// The outlet describing itself: a name, "is"/"est"/"è"…, then what it is ("The
/// Wharfedale Courier is a member of the Independent Press Standards
/// Organisation", "Zwolle Vandaag is een onafhankelijk nieuwsplatform …", "Le
/// Labo est un média indépendant financé par ses lecteurs"). In the labelled sets
/// every such line (31) is boilerplate. Also the appositive form with the year it
/// was founded ("Diario del Litoral, el periódico de la costa de Huelva desde
/// 1978."): without the year, "Marco Bianchi, il direttore del giornale, …" is
/// the story.
static OUTLET: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"^{OUTLET_ARTICLE}{OUTLET_NAME}(?:\s+(?:\p{{Lu}}[\p{{L}}'’\-&.]*|de|do|da|dei|del|della|des|du|van|von|der|y|e|et|en|and|und|&)){{0,4}}\s+(?:is|ist|est|es|è|é|has been|fait partie|gehört|behoort|fa parte|faz parte|forma parte)\s+(?:(?:een|ein|eine|un|une|uno|una|um|uma|a|an|the|het|de|der|die|das|le|la|il|lo|el|o|member|part|lid|membre|miembro|membro|signatario|signataire)\s+){{0,3}}(?:[\p{{L}}'’\-]+\s+){{0,3}}(?i:[\p{{L}}\-]*(?:portal|magazin|plattform|platform|zeitung|blad|krant|site|agentur)|portail|agence|agency|agencia|agência|agenzia|persbureau|uitgave|quotidien|quotidiano|diario|diário|hebdomadaire|settimanale|semanario|semanário|weekly|daily|órgão|webzine|revista|rivista|tijdschrift|blog|reporting|publishing|medium|média|media|medio|mídia|plateforme|plataforma|piattaforma|newspaper|giornale|jornal|journal|periódico|magazine|publication|publicación|pubblicazione|publicação|projet|projeto|proyecto|progetto|site|sitio|sito|website|webseite|angebot|testata|title|titre|member|membre|miembro|membro|lid|signatario|signataire|outlet|portale|nieuwssite|newsroom|redactie)\b",
    ))
    .unwrap()
});

/// The outlet saying how long it has reported ("Der Rheintal-Kurier berichtet
/// seit 1952 aus Mainz, Bingen …"): only after the article, where a body
/// sentence of that shape ("Die Stadt informiert seit 2019 …") does not stand.
static OUTLET_REPORTS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"^{OUTLET_ARTICLE}{OUTLET_NAME}(?:\s+\p{{Lu}}[\p{{L}}'’\-]+){{0,3}}\s+(?i:berichtet|informiert|reports|has reported|has covered|covers|has served|serves|informe|couvre|informa|cubre|racconta|bericht|brengt|relata)\s+(?:[^.!?]{{1,80}}\s)?(?i:seit|since|depuis|desde|dal|sinds|há mais de \d+ anos|hace)\s",
    ))
    .unwrap()
});

/// [`OUTLET`]'s appositive form: a name, a comma or dash, what it is, and since
/// when ("Le Vigilant alpin, le quotidien des Savoie depuis 1946.", "Akkerland
/// Nieuws – onafhankelijk vakblad voor de akkerbouw sinds 1998.").
static OUTLET_SINCE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"^{OUTLET_ARTICLE}{OUTLET_NAME}(?:\s+[\p{{L}}'’\-&.]+){{0,4}}(?:,| –| -| —)\s+(?:[\p{{L}}'’\-]+\s+){{0,4}}(?i:[\p{{L}}\-]*(?:zeitung|blad|krant|portal|magazin|platform|plattform)|newspaper|paper|magazine|journal|quotidien|hebdomadaire|quotidiano|giornale|settimanale|periódico|diario|semanario|jornal|diário|semanário|revista|rivista|tijdschrift|weekly|daily|site|website|portale|média|media)\b.{{0,60}}\b(?i:since|seit|depuis|desde|dal|sinds|founded in|fondée? en|gegründet|fundad[oa] en|fundad[oa] em|fondat[oa] nel|opgericht in)\s+(?:\d{{4}})\.?$",
    ))
    .unwrap()
});

/// Shaped like a person's name: two to four capitalised words or name
/// particles ("Juan Carlos Vázquez", "Jan de Vries", "ANA GARCÍA"), none of them
/// a stopword of the document's language when `stop` is given ("Die
/// Reaktionen" is a heading).
pub fn name_shaped(text: &str, stop: Option<&StopWords>) -> bool {
    const PARTICLES: &[&str] = &[
        "van", "von", "de", "der", "den", "da", "di", "del", "dos", "das", "la", "le", "du", "ten",
        "ter",
    ];
    // Asked of every paragraph: most are long, and five words tell.
    (2..=4).contains(&text.split_whitespace().take(5).count())
        && text.trim_start().starts_with(char::is_uppercase)
        && text.split_whitespace().all(|w| {
            PARTICLES.contains(&w)
                || (w.starts_with(char::is_uppercase)
                    && w.chars()
                        .all(|c| c.is_alphabetic() || matches!(c, '-' | '\'' | '’' | '.'))
                    && stop.is_none_or(|s| !s.contains(&w.to_lowercase())))
        })
}

/// A person's name alone on a line, written as a name: [`name_shaped`] and not
/// in capitals ("SEGUÍ LEYENDO", "LEGGI ANCHE" are labels as often as names).
pub fn bare_name(text: &str, stop: Option<&StopWords>) -> bool {
    name_shaped(text, stop) && text.chars().any(char::is_lowercase)
}

/// Longest picture credit or captioned credit, in words.
const CREDIT_MAX_WORDS: usize = 22;
/// Longest copyright notice starting with ©, in words.
const COPYRIGHT_MAX_WORDS: usize = 60;
/// Longest picture caption, in words.
const CAPTION_MAX_WORDS: usize = 40;
/// Most words of a picture credit standing alone ("Foto: Rolf Vennenbernd/dpa",
/// "Photograph: Jonathan Brady/PA Wire"), whose neighbour is the caption.
const CREDIT_ALONE_MAX_WORDS: usize = 8;
/// Longest item of a list opened by a colon, in words.
const LIST_MAX_ITEM_WORDS: usize = 25;
/// Longest question that opens a list between the story's paragraphs, in words.
const QUESTION_LIST_MAX_WORDS: usize = 10;
/// Longest item of a fact list, in words.
const LIST_ITEM_MAX_WORDS: usize = 8;

/// A cheap stem: the first five letters. Enough to match "Ukraine" with
/// "Ukrainian" and "cambia" with "cambiamenti" across a document; a real
/// stemmer would cost a dependency for little gain at this level.
fn stem(word: &str) -> &str {
    match word.char_indices().nth(5) {
        Some((i, _)) => &word[..i],
        None => word,
    }
}

fn is_content(word: &str, stop: Option<&StopWords>) -> bool {
    word.chars().count() >= 4
        && word.chars().all(char::is_alphabetic)
        && stop.is_none_or(|s| !s.contains(word))
}

/// Below this many words a Portuguese "seu"/"sua" speaks to the reader.
const PT_POSSESSIVE_MAX_WORDS: usize = 25;

fn addresses_reader(text: &str, lang: Option<&str>) -> bool {
    if text.contains(['“', '”', '"', '«', '»', '„']) {
        return false;
    }
    // "rendez-vous" is a meeting, not an imperative ("abonnez-vous").
    let folded = text
        .replace("rendez-vous", "rendez")
        .replace("Rendez-vous", "Rendez");
    let tokens: Vec<&str> = folded
        .split(|c: char| !c.is_alphanumeric() && c != '\'' && c != '’')
        .filter(|t| !t.is_empty())
        .collect();
    let offer = text.contains(['€', '£', '$'])
        && tokens
            .iter()
            .any(|t| PERIODS.contains(&t.to_lowercase().as_str()));
    let words = lang.map(reader_words).unwrap_or(&[]);
    // Portuguese "seu"/"sua" is "your" in the site's short prompts ("Receba as
    // notícias no seu e-mail") and "his"/"its" in prose ("No seu terceiro
    // romance, Helena Quintela …", "… atingir seu ponto mais próximo do Sol").
    let possessive = lang == Some("pt")
        && text.split_whitespace().count() < PT_POSSESSIVE_MAX_WORDS
        && tokens
            .iter()
            .any(|t| matches!(t.to_lowercase().as_str(), "seu" | "sua"));
    offer
        || possessive
        || tokens.iter().enumerate().any(|(i, t)| {
            let polite = t.starts_with(char::is_uppercase) && lang == Some("de");
            if polite {
                i > 0 && words.contains(t)
            } else {
                words.contains(&t.to_lowercase().as_str())
            }
        })
}

fn words_of(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric() && c != '\'' && c != '’')
        .filter(|w| w.chars().any(char::is_alphabetic))
        .map(|w| elide(w.trim_matches(|c| c == '\'' || c == '’')).to_lowercase())
        .filter(|w| !w.is_empty())
        .collect()
}

/// The word after a French or Italian elision ("l'article" → "article",
/// "dell'anno" → "anno"); English contractions ("don't", "you're") stay whole.
fn elide(word: &str) -> &str {
    match word.split_once(['\'', '’']) {
        Some((head, tail)) if head.chars().count() <= 4 && tail.chars().count() >= 3 => tail,
        _ => word,
    }
}

/// What the head of a document said, for judging its paragraphs.
#[derive(Debug, Clone, Copy, Default)]
pub struct Head<'a> {
    pub title: Option<&'a str>,
    pub byline: Option<&'a str>,
    /// The site's name as its logo line reads ("Diario Costa Levante"): after
    /// the article, a paragraph naming it is the site talking about itself.
    pub site: Option<&'a str>,
    pub lang: Option<&'a str>,
}

/// What a paragraph is judged against: its document's title, byline and language.
pub struct Context<'a> {
    pub title_words: HashSet<String>,
    /// The byline's name words (capitalized, three letters or more).
    pub author: Vec<String>,
    /// The site's name ([`Head::site`]).
    pub site: Option<&'a str>,
    pub stop: Option<&'a StopWords>,
    pub lang: Option<&'a str>,
}

impl<'a> Context<'a> {
    pub fn new(head: &Head<'a>) -> Self {
        let lang = head.lang;
        let stop = lang.and_then(stopwords);
        let title_words: HashSet<String> = head
            .title
            .map(|t| words_of(t).into_iter().collect())
            .unwrap_or_default();
        let author = head
            .byline
            .map(|b| {
                b.split(|c: char| !c.is_alphabetic() && c != '-')
                    .filter(|w| w.chars().count() >= 3 && w.starts_with(char::is_uppercase))
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        Context {
            title_words,
            author,
            site: head.site,
            stop,
            lang,
        }
    }
}

/// Stem counts of the content words of some paragraphs and the title.
fn stem_table<'w>(
    paras: impl Iterator<Item = &'w [String]>,
    title: Option<&str>,
    stop: Option<&StopWords>,
) -> HashMap<String, usize> {
    let title_words = title.map(words_of).unwrap_or_default();
    let mut stems: HashMap<String, usize> = HashMap::default();
    let mut count = |w: &String| {
        if is_content(w, stop) {
            *stems.entry(stem(w).to_string()).or_default() += 1;
        }
    };
    paras.flatten().for_each(&mut count);
    title_words.iter().for_each(&mut count);
    stems
}

/// Share of a paragraph's content words whose stem occurs elsewhere in the
/// paragraphs counted in `stems`; `counted`: the paragraph is one of them.
fn coherence(
    words: &[String],
    stems: &HashMap<String, usize>,
    stop: Option<&StopWords>,
    counted: bool,
) -> Option<f32> {
    let mut own: HashMap<&str, usize> = HashMap::default();
    for w in words.iter().filter(|w| is_content(w, stop)) {
        *own.entry(stem(w)).or_default() += 1;
    }
    let content: usize = own.values().sum();
    let shared: usize = own
        .iter()
        .filter(|(s, n)| stems.get(**s).copied().unwrap_or(0) > if counted { **n } else { 0 })
        .map(|(_, n)| n)
        .sum();
    (content > 0).then(|| shared as f32 / content as f32)
}

/// Computes the features of one paragraph from its text and its words
/// ([`words_of`]). Coherence needs the whole document: `classify` fills it in.
pub fn features(text: &str, words: &[String], cx: &Context) -> Features {
    let (title_words, stop, lang) = (&cx.title_words, cx.stop, cx.lang);
    let n = words.len().max(1) as f32;
    let tokens: Vec<&str> = text.split_whitespace().collect();
    // Case-blind without a lowercase copy of every token.
    let starts = |t: &str, p: &str| t.get(..p.len()).is_some_and(|h| h.eq_ignore_ascii_case(p));
    let ends = |t: &str, p: &str| {
        t.len()
            .checked_sub(p.len())
            .and_then(|i| t.get(i..))
            .is_some_and(|h| h.eq_ignore_ascii_case(p))
    };
    let links = tokens
        .iter()
        .filter(|t| {
            starts(t, "http")
                || starts(t, "www.")
                || t.starts_with('@')
                || t.starts_with('#')
                || (t.contains('@') && t.contains('.'))
                || [".com", ".de", ".fr", ".org"].iter().any(|d| ends(t, d))
        })
        .count();
    let row = fact_row(text);
    let separators = tokens
        .iter()
        .filter(|t| matches!(**t, "|" | "›" | "»" | "•" | "·" | ">"))
        .filter(|t| !(row && matches!(**t, "|" | "·" | "•")))
        .count();
    let arrows = tokens.iter().filter(|t| matches!(**t, "›" | ">")).count();
    let chars = text.chars().filter(|c| !c.is_whitespace()).count().max(1) as f32;
    let digits = text.chars().filter(char::is_ascii_digit).count() as f32;
    let is_bullet = bullet(text);
    let bio = BIO.is_match(text) || BIO_ROLE_FIRST.is_match(text) || BIO_WRITES_FOR.is_match(text);
    Features {
        words: words.len(),
        stopword_density: stop
            .map(|s| words.iter().filter(|w| s.contains(w.as_str())).count() as f32 / n),
        terminated: ends_terminated(text) || agency_tail(text),
        link_density: links as f32 / tokens.len().max(1) as f32,
        digit_ratio: digits / chars,
        separators,
        arrows,
        addresses_reader: addresses_reader(text, lang),
        site_words: cue_count(words, lang),
        coherence: None,
        bio,
        names_author: bio
            || (!cx.author.is_empty()
                && text
                    .split(|c: char| !c.is_alphabetic() && c != '-')
                    .any(|w| cx.author.iter().any(|a| a == w))),
        // The whole name: its words alone are often the town the story is about.
        names_site: cx.site.is_some_and(|s| text.contains(s)),
        credit: is_credit(text) || photo_caption(text, words.len()),
        // A colon alone does not make an item: "Faktencheck: Wie gut …" is a
        // teaser's shape too.
        list_item: is_bullet
            || row
            || label_list(text)
            || (words.len() <= LIST_ITEM_MAX_WORDS
                && (text.chars().any(|c| c.is_ascii_digit())
                    || text.contains('(')
                    || label_value(text)
                    || text.starts_with(['«', '"', '“', '„', '‘', '\'']))),
        bullet: is_bullet,
        slogan: words.len() >= 3
            && words.len() <= 6
            && text
                .split_terminator(['.', '!'])
                .all(|p| p.split_whitespace().count() == 1),
        labelled: label_split(text)
            .is_some_and(|(label, value)| (1..=3).contains(&label) && value >= 1),
        title_similarity: if title_words.is_empty() {
            0.0
        } else {
            words
                .iter()
                .filter(|w| title_words.contains(w.as_str()))
                .count() as f32
                / n
        },
    }
}

/// A row of a fact box, not a menu: bars or dots between parts that each hold a
/// figure or a "label: value" ("Umsatz 2021: 148 Mio. € | 2022: 139 Mio. €",
/// "capaciteit 3 MW | looptijd 24 maanden", "Tempo di preparazione: 20 minuti ·
/// Cottura: 25 minuti · Difficoltà: facile"), with a word somewhere, so that page
/// numbers ("1 | 2 | 3") are not one. Of four parts or more the first may be a
/// plain name (a listing's "Montpellier – Antigone · 3 pièces · 68 m² · 249 000 €";
/// a weather widget's "Weer: 6° · motregen · wind 4" and a dateline's "Oviedo |
/// 20·04·22 | 04:00" are not rows).
fn fact_row(text: &str) -> bool {
    let mut parts = vec![text];
    for sep in [" | ", " · ", " • "] {
        parts = parts.into_iter().flat_map(|p| p.split(sep)).collect();
    }
    let fact = |p: &str| {
        p.bytes().any(|b| b.is_ascii_digit())
            || label_split(p.trim()).is_some_and(|(l, v)| (1..=3).contains(&l) && v >= 1)
    };
    // (Credits are labelled too: "Reportagem: … | Imagem: … | Edição: …".)
    if parts.iter().any(|p| p.contains(": ") && is_credit(p)) {
        return false;
    }
    let plain: Vec<bool> = parts.iter().map(|p| !fact(p)).collect();
    parts.len() >= 2
        && (!plain.contains(&true) || (parts.len() >= 4 && plain[0] && !plain[1..].contains(&true)))
        && text
            .split(|c: char| !c.is_alphabetic())
            .any(|w| w.chars().count() >= 3)
}

/// Lines that are rows of a table: two or more in a row with the same number of
/// " | " bars, each holding a figure ("Área | 2023 | 2024" / "Deportes | 6,5 |
/// 7,0"). Menus bar words, not figures, and are rarely two lines of one width.
fn table_rows(paras: &[&str]) -> Vec<bool> {
    let cells = |p: &str| {
        let bars = p.matches(" | ").count();
        (bars >= 1 && p.bytes().any(|b| b.is_ascii_digit())).then_some(bars)
    };
    let widths: Vec<Option<usize>> = paras.iter().map(|p| cells(p)).collect();
    let mut rows = vec![false; paras.len()];
    let mut i = 0;
    while i < widths.len() {
        let mut j = i + 1;
        while widths[i].is_some() && j < widths.len() && widths[j] == widths[i] {
            j += 1;
        }
        if widths[i].is_some() && j - i >= 2 {
            rows[i..j].fill(true);
        }
        i = j;
    }
    rows
}

/// An info box inside a run of short lines between the story's paragraphs, with
/// the page's buttons around it ("Voir la bande-annonce" / "Trouver une séance"
/// / "Note de la rédaction : 4/5" / "Fiche technique" / "Réalisation : …" /
/// "Genre : drame" / "Durée : 1 h 52"): three or more "label: value" lines in a
/// row, most labels one word and none twice, with a short heading between two of
/// them, stay; the rest of the run goes.
fn info_box(run: &[&str], class: &mut [Class]) {
    let pair = |p: &str| {
        label_split(p.trim()).is_some_and(|(label, value)| (1..=4).contains(&label) && value >= 1)
    };
    fn label(p: &str) -> &str {
        p.trim().split_once(": ").map_or("", |(l, _)| l.trim())
    }
    let mut i = 0;
    while i < run.len() {
        let mut j = i;
        let mut labels: Vec<&str> = Vec::new();
        while j < run.len() {
            if pair(run[j]) {
                labels.push(label(run[j]));
            } else if !(j > i
                && j + 1 < run.len()
                && pair(run[j - 1])
                && pair(run[j + 1])
                && run[j].split_whitespace().count() <= 3)
            {
                break;
            }
            j += 1;
        }
        // A box's fields are named in a word or so, each once ("Genre", "Durée");
        // "Trending: …" three times, or headlines with a colon ("Kreisliga A:
        // Atzbach II bleibt ungeschlagen"), are teasers.
        let one_word = labels
            .iter()
            .filter(|l| l.split_whitespace().count() == 1)
            .count();
        let distinct = labels
            .iter()
            .enumerate()
            .all(|(k, l)| !labels[..k].contains(l));
        if labels.len() >= INFO_BOX_MIN_PAIRS && 3 * one_word >= 2 * labels.len() && distinct {
            class[i..j].fill(Class::Fact);
        }
        i = j.max(i + 1);
    }
}

/// Fewest "label: value" lines that make an info box among buttons.
const INFO_BOX_MIN_PAIRS: usize = 3;

/// A live blog's time stamps ("15:47" / "More than 62,000 homes without
/// electricity" / "15:20" / …): three or more times of day written alike and in
/// order, newest or oldest first, are the blog's own structure and stay with
/// their entries. A time alone is a player's duration ("2:14") or a clock.
/// Whether the page is a live blog (its stamps were found).
fn live_blog_stamps(paras: &[&str], class: &mut [Class]) -> bool {
    static TIME: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^([01]?\d|2[0-3])([:.h])([0-5]\d)(\s?(?:Uhr|h|hrs|(?i:[ap]\.?m\.?)))?$")
            .unwrap()
    });
    // (paragraph, minutes since midnight, how it is written: separator and suffix)
    let stamps: Vec<(usize, u32, (&str, &str))> = paras
        .iter()
        .enumerate()
        // "4:47pm" holds a word ("pm") and so is no bare stamp to `initial`.
        .filter(|(i, _)| matches!(class[*i], Class::Bad("stamp") | Class::Heading))
        .filter_map(|(i, p)| {
            let c = TIME.captures(p.trim())?;
            let suffix = c.get(4).map_or("", |m| m.as_str());
            let (pm, twelve) = match suffix.trim_start().as_bytes().first() {
                Some(b'p' | b'P') => (true, true),
                Some(b'a' | b'A') => (false, true),
                _ => (false, false),
            };
            let mut hour = c[1].parse::<u32>().ok()?;
            if twelve {
                hour = hour % 12 + if pm { 12 } else { 0 };
            }
            let minutes = hour * 60 + c[3].parse::<u32>().ok()?;
            // "11:30am" and "4:47pm" are written alike.
            let shape = (c.get(2)?.as_str(), if twelve { "am/pm" } else { suffix });
            Some((i, minutes, shape))
        })
        .collect();
    if stamps.len() < LIVE_STAMPS_MIN || stamps.iter().any(|s| s.2 != stamps[0].2) {
        return false;
    }
    let ordered =
        stamps.windows(2).all(|w| w[0].1 >= w[1].1) || stamps.windows(2).all(|w| w[0].1 <= w[1].1);
    if ordered {
        for (i, _, _) in stamps {
            class[i] = Class::Fact;
        }
    }
    ordered
}

/// A podcast's chapters or a live page's entries written one a line with their
/// time ("00:00 – Introduction" / "02:15 – La montée en alpage" / …, "17:35 –
/// Escolas fechadas amanhã"): three or more in a row, times in order, are the
/// page's content, with a short heading right above them ("Chapitres"); without
/// the dash ("00:00 Introduction") only when they start at zero. In the
/// labelled sets every such line (26) is article text. Which lines they are: after
/// the article's first paragraph they stay even where a removed caption or teaser
/// stands between them and the text.
fn timed_lists(paras: &[&str], class: &mut [Class]) -> Vec<bool> {
    let mut marked = vec![false; paras.len()];
    static TIMED: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^(?:(\d{1,2}):)?(\d{1,2}):([0-5]\d)( [–—-])? \S").unwrap());
    let time = |p: &str| {
        let c = TIMED.captures(p.trim())?;
        let hours = c
            .get(1)
            .map_or(Some(0), |h| h.as_str().parse::<u32>().ok())?;
        let t = (hours * 60 + c[2].parse::<u32>().ok()?) * 60 + c[3].parse::<u32>().ok()?;
        Some((t, c.get(4).is_some()))
    };
    let times: Vec<Option<(u32, bool)>> = paras.iter().map(|p| time(p)).collect();
    let timed: Vec<bool> = times.iter().map(Option::is_some).collect();
    for std::ops::Range { start: i, end: j } in runs(&timed) {
        let run: Vec<u32> = times[i..j].iter().flatten().map(|(t, _)| *t).collect();
        let ordered = run.windows(2).all(|w| w[0] < w[1]) || run.windows(2).all(|w| w[0] > w[1]);
        // Without the dash ("00:00 Introduction" / "02:35 …") only chapters from
        // the start: a ticker of other stories reads "08:05 Castellano, …".
        let dashed = times[i..j].iter().flatten().all(|(_, d)| *d);
        let chapters = run.first() == Some(&0);
        if run.len() >= TIMED_LIST_MIN && ordered && (dashed || chapters) {
            class[i..j].fill(Class::Fact);
            marked[i..j].fill(true);
            if i > 0
                && paras[i - 1].split_whitespace().count() <= 3
                && matches!(class[i - 1], Class::Heading | Class::Short)
            {
                class[i - 1] = Class::Fact;
                marked[i - 1] = true;
            }
        }
    }
    marked
}

/// A series of figures under a heading inside the story ("Capturas de chirla
/// (toneladas)" / "2013: 2.480" / "2016: 1.910" / "2019: 1.240"): three or more
/// "figure: figure" lines in a row, with the heading above them and prose
/// below, are a chart's data, not stamps.
fn figure_series(paras: &[&str], class: &mut [Class]) {
    static PAIR: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^[\d.,/]+ ?: ?[\d.,]+ ?%?$").unwrap());
    let pairs: Vec<bool> = (0..paras.len())
        .map(|k| class[k] == Class::Bad("stamp") && PAIR.is_match(paras[k].trim()))
        .collect();
    for std::ops::Range { start: i, end: j } in runs(&pairs) {
        let headed = i > 0 && class[i - 1] == Class::Heading && prose_before(class, i - 1);
        let prose_after = next_text(class, j).is_some_and(|k| class[k] == Class::Good);
        if j - i >= LIST_RUN && headed && prose_after {
            class[i..j].fill(Class::Fact);
        }
    }
}

/// The maximal runs of `true` in `mask`, in order.
fn runs(mask: &[bool]) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < mask.len() {
        let start = i;
        while i < mask.len() && mask[i] {
            i += 1;
        }
        if i > start {
            out.push(start..i);
        }
        i += 1;
    }
    out
}

/// Longest subheading under a captioned picture's credit, in words.
const SUBHEADING_MAX_WORDS: usize = 6;

/// Fewest timed lines that make a list of chapters or entries.
const TIMED_LIST_MIN: usize = 3;

/// Fewest time stamps that make a live blog.
const LIVE_STAMPS_MIN: usize = 3;

/// A review's price box ("Today's best deals" / "£449 at Kestrel" / "£419.99 at
/// HomeTech Direct" / "View all prices"): shop lines, each an amount and a
/// seller, and the box's own header and footer next to them. Hand-written: a
/// price with a shop's name is the same shape on every site, and the box sits
/// inside pros-and-cons or spec lists that are the article's, so it must be cut
/// out before those lists are judged.
fn shop_boxes(paras: &[&str], words: &[Vec<String>], lang: Option<&str>, class: &mut [Class]) {
    static PRICE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?i)(?:[€£$]\s?\d[\d.,]*|\d[\d.,]*\s?(?:€|£|\$|euros?\b|eur\b|usd\b|gbp\b|chf\b))(?:\s+\S+){0,2}?\s+(?:at|from|bei|bij|chez|en|da|em|na|no|su|auf|op|via|sur|von|de|ab)\s+(?-i:\p{Lu}|\S+\.(?:com|de|fr|es|it|nl|pt|be|co\.uk)\b)",
        )
        .unwrap()
    });
    let shop: Vec<bool> = paras
        .iter()
        .map(|p| p.split_whitespace().count() <= SHOP_LINE_MAX_WORDS && PRICE.is_match(p))
        .collect();
    if !shop.contains(&true) {
        return;
    }
    let shop_word = |class: &[Class], k: usize| {
        !matches!(class[k], Class::Good)
            && words[k].len() <= SHOP_LINE_MAX_WORDS
            && words[k]
                .iter()
                .any(|w| shop_words(lang).contains(&w.as_str()))
    };
    for std::ops::Range { start: i, end: j } in runs(&shop) {
        let start = if i > 0 && shop_word(class, i - 1) {
            i - 1
        } else {
            i
        };
        let end = if j < class.len() && shop_word(class, j) {
            j + 1
        } else {
            j
        };
        for c in &mut class[start..end] {
            *c = Class::Bad("shop");
        }
    }
}

/// A reader's comment header: a name or handle, a dot or bar, and when it was
/// posted ("marcoL · 23 giugno 2024 alle 09:14", "Peter_V · 11:37", "Andrés P. ·
/// 08/02/2024 10:48", "Sanne | 2 uur geleden", "Gianni_63 – 30 aprile 2024 alle
/// 21:14", "Marcus Delaney says:", "backmaus_77 schrieb am 21.04.2024 um
/// 15:12:"). Hand-written: the shape is the
/// same in every language and the rule packs see lines with the dot folded away.
fn comment_header(text: &str) -> bool {
    static HEADER: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^[\p{L}@][\p{L}\p{N}_.'’\-]*(?: [\p{L}\p{N}_.'’\-]+){0,3} ([·•|–]) (.{1,48})$")
            .unwrap()
    });
    static POSTED: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)\b\d{1,2}[:.h]\d{2}\b|\b\d{1,2}[./-]\d{1,2}[./-]\d{2,4}\b|\b\d{4}\b|\b(?:ago|hace|vor|il y a|fa|há|geleden)\b|^\d{1,3} ?(?:h|min|d|std|j|u)$")
            .unwrap()
    });
    // "Marcus Delaney says:", "Jan B. schreef:", "maria_cycles says: October 9,
    // 2023 at 9:02 pm": a blog's comment header.
    static SAYS: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^[\p{L}@][\p{L}\p{N}_.'’\-]*(?: [\p{L}\p{N}_.'’\-]+){0,2} (?:says|said|wrote|replied|schreef|zegt|schrieb|schreibt|sagt|meint|a écrit|écrit|dit|dice|ha scritto|ha detto|scrive|dijo|escribió|escribe|comenta|disse|escreveu|diz)(?::(?: .{1,40})?| .{0,30}\d.{0,15}:)$")
            .unwrap()
    });
    // After a dash, a date with its year: "HC Oberau – TuS Lindenau 29:33" is a
    // result, not a comment.
    static DATED: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\b(?:19|20)\d{2}\b").unwrap());
    let text = text.trim();
    SAYS.is_match(text)
        || HEADER.captures(text).is_some_and(|c| {
            let posted = c.get(2).map_or("", |m| m.as_str());
            posted.split_whitespace().count() <= 7
                && POSTED.is_match(posted)
                && (&c[1] != "–" || DATED.is_match(posted))
        })
}

/// A review's rating: the critic's ("Score: 4 out of 5", "Voto: 7,5/10",
/// "Cijfer: 8,5", "★★★★☆", "Unsere Wertung: 4 von 5 Sternen") is part of the
/// review, wherever it stands; the readers' ("Note des spectateurs : 3,6/5 (148
/// votes)", "★★★★★ (128 valoraciones)") is the page's widget. `Some(true)` for
/// the critic's, `Some(false)` for the readers'.
fn rating(text: &str) -> Option<bool> {
    static VALUE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)^(?:[★☆●○✩✪]{3,}(?:\s.*)?|\d{1,3}(?:[.,]\d{1,2})?\s*(?:out of|von|sur|su|sobre|de|van|em|op)\s*(?:5|10|20|100)\b.*)$")
            .unwrap()
    });
    static NUMBER: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)^(?:\w+ )?(?:cijfer|note|nota|voto|voto finale|punteggio|valoración|valoracion|puntuación|wertung|bewertung|score|rating|verdict|avaliação|classificação|beoordeling|oordeel)\s?: \d{1,3}(?:[.,]\d{1,2})?$")
            .unwrap()
    });
    static READERS: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)\b(?:lettori|lectores|leitores|lecteurs|lezers|leser|readers|spectateurs|spettatori|espectadores|users|utenti|usuarios|utilisateurs|gebruikers|nutzer|publikum|community|rate this|valuta|vota|noter|notez|bewerten|bewerte|beoordeel|valora|avalie)\b|\d+ (?:reviews|ratings|votes|avis|notes|voti|votos|valoraciones|avaliações|beoordelingen|bewertungen|stemmen)\b|\(\s*\d[\d.,]*\s+\p{L}+\s*\)")
            .unwrap()
    });
    let t = text.trim();
    if t.split_whitespace().count() > 8 {
        return None;
    }
    // A figure over a figure needs its label: "3 / 10" alone is a gallery's
    // counter.
    static SLASHED: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^\d{1,3}(?:[.,]\d{1,2})?\s*/\s*(?:5|10|20|100)\b").unwrap());
    let labelled = t
        .split_once(": ")
        .or_else(|| t.split_once(" : "))
        .filter(|(label, _)| label.split_whitespace().count() <= 4)
        .map(|(_, v)| v.trim());
    let valued = match labelled {
        Some(v) => VALUE.is_match(v) || SLASHED.is_match(v),
        None => VALUE.is_match(t),
    };
    (valued || NUMBER.is_match(t)).then(|| !READERS.is_match(t))
}

/// Marks the reviews' ratings ([`rating`]): the critic's is a fact of the
/// review, the readers' a widget.
fn ratings(paras: &[&str], class: &mut [Class]) {
    for (p, c) in paras.iter().zip(class.iter_mut()) {
        match rating(p) {
            Some(true) => *c = Class::Fact,
            Some(false) => *c = Class::Bad("rating"),
            None => {}
        }
    }
}

/// A comment's reply button, with its counts ("Antworten · 14 Gefällt mir",
/// "Répondre · 3 J'aime", "Reageer · 4", "Responder · Gosto 11"), or a blog
/// comment's stamp ending in it ("14 February 2024 at 9:12 am  Reply"). It marks
/// the comment above it as a reader's for sure.
fn reply_control(text: &str) -> bool {
    const REPLY: &str =
        "reply|antworten|répondre|rispondi|reageer|beantwoorden|antwoorden|responder|responda";
    static BUTTON: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(&format!(
            r"(?i)^(?:{REPLY})(?:\s*[·|•]\s*[\p{{L}}\p{{N}}'’\- ]{{1,30}})?$"
        ))
        .unwrap()
    });
    static STAMPED: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(&format!(
            r"(?i)^[^.!?]{{0,40}}\d[^.!?]{{0,40}}\s(?:{REPLY})$"
        ))
        .unwrap()
    });
    let text = text.trim();
    text.split_whitespace().count() <= 10 && (BUTTON.is_match(text) || STAMPED.is_match(text))
}

/// Comment headers after the article make a thread: each header and the lines
/// under it, up to the next header, are readers' comments. Two headers make one,
/// or a single one with a reply button under it; the buttons go too.
fn comment_threads(paras: &[&str], class: &mut [Class]) {
    let Some(first_good) = class.iter().position(|c| *c == Class::Good) else {
        return;
    };
    let replies: Vec<usize> = (first_good + 1..paras.len())
        .filter(|&i| reply_control(paras[i]))
        .collect();
    for &r in &replies {
        class[r] = Class::Bad("comment");
    }
    let headers: Vec<usize> = (first_good + 1..paras.len())
        .filter(|&i| comment_header(paras[i]))
        .collect();
    let answered = |h: usize| {
        replies
            .iter()
            .any(|&r| r > h && r <= h + COMMENT_MAX_PARAGRAPHS + 1)
    };
    if headers.len() < COMMENT_HEADERS_MIN && !headers.iter().any(|&h| answered(h)) {
        return;
    }
    for (n, &h) in headers.iter().enumerate() {
        // A comment runs to the next header when that is near; the last one
        // is taken to be a single paragraph.
        let end = match headers.get(n + 1) {
            Some(&next) if next - h <= COMMENT_MAX_PARAGRAPHS + 1 => next,
            _ => (h + 2).min(paras.len()),
        };
        for c in &mut class[h..end] {
            *c = Class::Bad("comment");
        }
    }
}

/// A reader's comment on one line: who, then what they said ("FanBlock_Kocherau:
/// Endlich mal wieder ein Derbysieg!", "Manuel F.: Uma voz que nunca vamos
/// esquecer.", "Mario R. – Un grande maestro …", "Cévenol48 : Bravo …",
/// "Bolzplatz_Kalle, vor 2 Std.: Verdient!"). The name is a handle (a digit, an
/// underscore, a capital inside or a lower-case start) or two to four capitalised
/// words, initials and particles; a time may follow it; what follows is a
/// sentence. Returns the name.
fn inline_comment(text: &str) -> Option<&str> {
    static LINE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^([\p{L}\p{N}_.'’\-]+(?: [\p{L}\p{N}_.'’\-]+){0,3})(?:(?: ·|,) [^:]{1,30})? ?(?:: | – | - )(\S.{10,})$")
            .unwrap()
    });
    let c = LINE.captures(text.trim())?;
    let name = c.get(1)?.as_str();
    let said = c.get(2)?.as_str();
    let words: Vec<&str> = name.split_whitespace().collect();
    // A year ("1938 – …", a timeline) or a team in capitals ("TAPAJÓS: …", a
    // line-up) is no handle.
    let handle = words.len() == 1
        && name.chars().any(char::is_lowercase)
        && (name.contains(|c: char| c.is_ascii_digit() || c == '_')
            || name.starts_with(char::is_lowercase)
            || name.chars().skip(1).any(char::is_uppercase));
    // "Paul W", "Sue and Geoff Tanner", "Marjolein uit Zwolle", "Zé do Cartaxo":
    // capitalised words and, between them, a particle or "and".
    const JOINERS: &[&str] = &[
        "and", "und", "et", "y", "e", "en", "uit", "aus", "de", "do", "da", "di", "del", "van",
        "von",
    ];
    let person = (2..=4).contains(&words.len())
        && words[0].starts_with(char::is_uppercase)
        && words[words.len() - 1].starts_with(char::is_uppercase)
        && words
            .iter()
            .all(|w| w.starts_with(char::is_uppercase) || JOINERS.contains(w));
    ((handle || person) && said.split_whitespace().count() >= 4 && ends_terminated(said))
        .then_some(name)
}

/// A one-line comment signed with one capitalised word ("Schaatsmam: Wat een
/// sfeer vanochtend, kippenvel!"): a reader's, or a speaker's in an interview,
/// so it only counts in a thread with a signature [`inline_comment`] accepts.
fn weak_inline_comment(text: &str) -> Option<&str> {
    let (name, said) = text.trim().split_once(": ")?;
    let one_word = !name.contains(' ')
        && name.starts_with(char::is_uppercase)
        && name.chars().all(char::is_alphabetic)
        // A team in capitals ("TAPAJÓS: Jefferson; …") is a line-up.
        && name.chars().any(char::is_lowercase)
        && name.chars().count() >= 3;
    (one_word && said.split_whitespace().count() >= 4 && ends_terminated(said)).then_some(name)
}

/// Two or more one-line comments in a row, each by someone else and by no one
/// the article names (an interview's speakers recur and are introduced), are
/// readers' comments.
fn inline_comment_threads(paras: &[&str], class: &mut [Class]) {
    // (name, whether inline_comment accepts it alone)
    let names: Vec<Option<(&str, bool)>> = paras
        .iter()
        .map(|p| {
            inline_comment(p)
                .map(|n| (n, true))
                .or_else(|| weak_inline_comment(p).map(|n| (n, false)))
        })
        .collect();
    let reply: Vec<bool> = paras.iter().map(|p| reply_control(p)).collect();
    // Reply buttons between the comments are part of the thread.
    let signed: Vec<bool> = names
        .iter()
        .zip(&reply)
        .map(|(n, r)| n.is_some() || *r)
        .collect();
    for std::ops::Range { start: i, end: j } in runs(&signed) {
        let comments = names[i..j].iter().flatten().count();
        // A signed comment with a reply button under it is a reader's.
        if comments >= 1 && reply[i..j].iter().any(|r| *r) {
            for c in &mut class[i..j] {
                *c = Class::Bad("comment");
            }
            continue;
        }
        // Half or more signed as inline_comment accepts alone: "Centro: …", "Nord:
        // …" under "Sud e Isole: …" are a forecast's regions.
        let strong = names[i..j].iter().flatten().filter(|(_, s)| *s).count();
        if 2 * strong < comments {
            continue;
        }
        let thread: Vec<&str> = names[i..j].iter().flatten().map(|(n, _)| *n).collect();
        let distinct = thread.iter().collect::<HashSet<_>>().len() == thread.len();
        let named_before = thread
            .iter()
            .any(|n| paras[..i].iter().any(|p| p.contains(n)));
        if thread.len() >= COMMENT_HEADERS_MIN && distinct && !named_before {
            for c in &mut class[i..j] {
                *c = Class::Bad("comment");
            }
        }
    }
}

/// A letters page signs each letter with a name and a place ("Gisela
/// Brandhorst, Kassel-Wilhelmshöhe", "Dr. Helmut Tjaden, Kassel"), an advice
/// column its questions ("Rosario, 58 años, Burgos"). Two or more such lines,
/// each right under a paragraph of prose, are part of the page's text.
fn letter_signatures(paras: &[&str], class: &mut [Class]) {
    static SIGNED: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^(?:(?:Dr|Prof)\. )?\p{Lu}[\p{L}'’\-]+(?: \p{Lu}[\p{L}.'’\-]*){0,3}, (?:\d{1,3} [\p{L}.]+, )?\p{Lu}[\p{L}.\-]+(?:[ \-]\p{L}[\p{L}.\-]*){0,3}$")
            .unwrap()
    });
    let signed: Vec<usize> = (1..paras.len())
        .filter(|&i| class[i - 1] == Class::Good && SIGNED.is_match(paras[i].trim()))
        .collect();
    if signed.len() >= LETTERS_MIN {
        for i in signed {
            if !matches!(class[i], Class::Good) {
                class[i] = Class::Fact;
            }
        }
    }
}

/// Fewest signed letters that make a letters page.
const LETTERS_MIN: usize = 2;

/// Fewest comment headers that make a thread (one could be a byline with a date).
const COMMENT_HEADERS_MIN: usize = 2;
/// Most paragraphs of one reader's comment.
const COMMENT_MAX_PARAGRAPHS: usize = 3;

/// Longest line of a price box, in words.
const SHOP_LINE_MAX_WORDS: usize = 8;

/// Words of a price box's header or footer ("Today's best deals", "Bekijk de
/// laagste prijs"), lower case.
fn shop_words(lang: Option<&str>) -> &'static [&'static str] {
    match lang.unwrap_or("") {
        "en" => &[
            "deal",
            "deals",
            "price",
            "prices",
            "buy",
            "shop",
            "offer",
            "offers",
            "retailer",
            "retailers",
            "cheapest",
            "lowest",
        ],
        "de" => &[
            "preis",
            "preise",
            "preisvergleich",
            "angebot",
            "angebote",
            "kaufen",
            "shop",
            "günstigste",
            "günstigsten",
            "händler",
        ],
        "fr" => &[
            "prix",
            "offre",
            "offres",
            "acheter",
            "boutique",
            "marchand",
            "marchands",
        ],
        "es" => &[
            "precio", "precios", "oferta", "ofertas", "comprar", "tienda", "tiendas",
        ],
        "it" => &[
            "prezzo", "prezzi", "offerta", "offerte", "acquista", "negozio", "negozi",
        ],
        "pt" => &[
            "preço", "preços", "oferta", "ofertas", "comprar", "loja", "lojas",
        ],
        "nl" => &[
            "prijs",
            "prijzen",
            "laagste",
            "aanbieding",
            "aanbiedingen",
            "kopen",
            "winkel",
            "winkels",
        ],
        _ => &[],
    }
}

/// A name alone on a line that the page repeats (a gallery's photographer under
/// each picture, the author's box after the article) or that is the byline's
/// name again is a credit, not the article's. Of 32 repeated lines of two to four
/// capitalised words in thirteen labelled sets (counted on the labels, stopwords
/// aside), 25 are boilerplate, 5 the byline itself (lifted before the classifier
/// runs) and 2 a subheading repeated by a table of contents.
fn repeated_names(
    paras: &[&str],
    byline: Option<&str>,
    stop: Option<&StopWords>,
    class: &mut [Class],
) {
    let names: Vec<Option<&str>> = paras
        .iter()
        .map(|p| Some(p.trim()).filter(|p| bare_name(p, stop)))
        .collect();
    let mut seen: HashMap<&str, usize> = HashMap::default();
    for name in names.iter().flatten() {
        *seen.entry(name).or_default() += 1;
    }
    for (c, name) in class.iter_mut().zip(&names) {
        let Some(name) = name else { continue };
        if !matches!(c, Class::Bad(_))
            && (seen[name] >= 2 || byline.is_some_and(|b| b.trim() == *name))
        {
            *c = Class::Bad("credit");
        }
    }
}

/// Is the nearest line above `i`, a picture's caption or credit or the readers'
/// rating aside, the
/// article's text? ("Os grupos que mais subiram:" introduces the list under it.)
fn prose_before(class: &[Class], i: usize) -> bool {
    class[..i]
        .iter()
        .rev()
        .find(|c| !matches!(c, Class::Bad("credit" | "pictured" | "caption" | "rating")))
        .is_some_and(|c| matches!(c, Class::Good | Class::Short))
}

/// The first line from `k` on that is not (yet) judged boilerplate.
fn next_text(class: &[Class], k: usize) -> Option<usize> {
    (k..class.len()).find(|&k| !matches!(class[k], Class::Bad(_)))
}

fn initial(f: &Features) -> Class {
    if f.link_density > 0.3 {
        return Class::Bad("links");
    }
    if f.credit {
        return Class::Bad("credit");
    }
    // "Home › World › Europe", "E-Paper | Abo | Login": menu separators between few words.
    if f.separators >= 2 && f.words <= 3 * f.separators + 6 && !f.terminated {
        return Class::Bad("menu");
    }
    // "Culture › Cinéma": one breadcrumb arrow between a few words.
    if f.arrows >= 1 && f.words <= 5 && !f.terminated {
        return Class::Bad("menu");
    }
    // "07:58", "12.03.": a time stamp or a number alone (live blogs, galleries).
    if f.words == 0 {
        return Class::Bad("stamp");
    }
    if f.terminated && !f.slogan {
        let wordy = f.stopword_density.is_none_or(|d| d >= GOOD_MIN_STOPWORDS);
        if f.words >= GOOD_MIN_WORDS && wordy {
            return Class::Good;
        }
        return Class::Short;
    }
    // A bullet, a table row or a labelled list of names without a period is a
    // list item, however long.
    if f.words > HEADING_MAX_WORDS && !f.bullet && !f.list_item {
        return Class::Bad("caption");
    }
    Class::Heading
}

fn score(f: &Features) -> f32 {
    let len = (f.words as f32 / 25.0).min(1.0);
    let stop = f
        .stopword_density
        .map(|d| (d / 0.35).min(1.0))
        .unwrap_or(0.5);
    let s = 0.35 * len + 0.35 * stop + if f.terminated { 0.3 } else { 0.0 }
        - 0.6 * f.link_density
        - if f.separators >= 2 { 0.3 } else { 0.0 };
    (s.clamp(0.0, 1.0) * 100.0).round() / 100.0
}

/// Classifies the paragraphs of one document (those the rules kept, in order).
pub fn classify(
    paras: &[&str],
    title: Option<&str>,
    byline: Option<&str>,
    lang: Option<&str>,
) -> Vec<Verdict> {
    let head = Head {
        title,
        byline,
        site: None,
        lang,
    };
    classify_with(paras, head, None, &[], &[])
}

/// [`classify`], knowing which paragraph came right under the title: a long line
/// without a period there is the standfirst, not a caption; and which ones come
/// right under a link-list label the rules removed (`under_label`, by paragraph).
/// Headlines there ("Lo más leído" / "1. Cortes de tráfico …") are the list's
/// links, however well they fit the story. `adjacent` (by paragraph, empty for
/// "all"): whether it follows the paragraph before it directly in the source,
/// with no lifted byline or date and no removed line between.
pub fn classify_with(
    paras: &[&str],
    head: Head,
    standfirst: Option<usize>,
    under_label: &[bool],
    adjacent: &[bool],
) -> Vec<Verdict> {
    let Head {
        title,
        byline,
        lang,
        ..
    } = head;
    let cx = Context::new(&head);
    let words: Vec<Vec<String>> = paras.iter().map(|p| words_of(p)).collect();
    let mut feats: Vec<Features> = paras
        .iter()
        .zip(&words)
        .map(|(p, w)| features(p, w, &cx))
        .collect();
    // Rows of a table ("Ingresos | 8.143 M€ | 7.410 M€ | -9,0 %"): bars between
    // figures, not menu separators.
    for (i, row) in table_rows(paras).into_iter().enumerate() {
        if row {
            feats[i].separators = 0;
            feats[i].list_item = true;
        }
    }
    let mut class: Vec<Class> = feats.iter().map(initial).collect();
    let live_blog = live_blog_stamps(paras, &mut class);
    let timed = timed_lists(paras, &mut class);
    figure_series(paras, &mut class);
    shop_boxes(paras, &words, lang, &mut class);
    comment_threads(paras, &mut class);
    inline_comment_threads(paras, &mut class);
    letter_signatures(paras, &mut class);
    repeated_names(paras, byline, cx.stop, &mut class);
    for i in (0..class.len()).filter(|&i| under_label.get(i) == Some(&true)) {
        // The links end where a labelled list of the story's starts: a heading
        // over two short items with figures ("I risultati della 31ª giornata" /
        // "Valdarno-Portoverde 4-1" / …).
        // (A numbered "most read" list is links: its items are bullets.) Labelled
        // items may be long: line-ups ("TuS Rheinhöhe: Brandt – Petri, …").
        let list_starts = |k: usize| {
            k > i
                && !feats[k].bullet
                && feats.get(k + 1..k + 3).is_some_and(|n| {
                    n.iter().all(|f| {
                        f.list_item && !f.bullet && (f.words <= LIST_ITEM_MAX_WORDS || f.labelled)
                    })
                })
        };
        let mut j = i;
        while j < class.len()
            && (class[j] == Class::Heading
                || (class[j] == Class::Short && feats[j].words <= HEADING_MAX_WORDS))
            && !list_starts(j)
        {
            j += 1;
        }
        // Where the article resumes, the last of two or more is its subheading
        // ("Mehr zum Thema" / one link / "Was das Urteil bedeutet" / prose).
        let end = if j - i >= 2 && class.get(j) == Some(&Class::Good) {
            j - 1
        } else {
            j
        };
        for c in &mut class[i..end] {
            *c = Class::Bad("list");
        }
    }
    // Site words the story is about do not make its prose the site talking: a
    // cue found in two other prose paragraphs (or the title) is the story's.
    if feats.iter().any(|f| f.site_words > 0) {
        let cues = Cues::for_lang(cx.lang);
        let prose: Vec<(usize, u128)> = (0..class.len())
            .filter(|&k| class[k] == Class::Good)
            .map(|k| (k, cues.mask(&words[k])))
            .collect();
        let title = cues.mask(&cx.title_words);
        for (i, f) in feats
            .iter_mut()
            .enumerate()
            .filter(|(_, f)| f.site_words > 0)
        {
            let mut own = cues.mask(&words[i]);
            let mut topical = 0;
            while own != 0 {
                let bit = own & own.wrapping_neg();
                own &= own - 1;
                let elsewhere = prose
                    .iter()
                    .filter(|(k, m)| *k != i && m & bit != 0)
                    .count()
                    + usize::from(title & bit != 0);
                topical += usize::from(elsewhere >= TOPICAL_MIN);
            }
            f.site_words -= topical.min(f.site_words);
        }
    }
    if let Some(k) = standfirst.filter(|&k| class.get(k) == Some(&Class::Bad("caption"))) {
        if feats[k].site_words == 0 && !feats[k].addresses_reader {
            class[k] = Class::Good;
        }
    }

    // Coherence is judged against the article's prose and title only, so that
    // boilerplate lines ("gratis", "abonnement" in two prompts) do not vouch for
    // each other; with no prose yet, against every paragraph.
    let any_prose = class.contains(&Class::Good);
    let in_table = |c: &Class| !any_prose || *c == Class::Good;
    let stems = stem_table(
        words
            .iter()
            .zip(&class)
            .filter(|(_, c)| in_table(c))
            .map(|(w, _)| w.as_slice()),
        title,
        cx.stop,
    );
    for ((w, f), c) in words.iter().zip(feats.iter_mut()).zip(&class) {
        f.coherence = coherence(w, &stems, cx.stop, in_table(c));
    }
    // The standfirst under the title summarises the story: prose-length, about
    // the story (it shares words with the article), not the site talking. Without
    // a period it reads like a caption, and above the first paragraph like a
    // menu line; judged as what it is before the context rules run.
    if let Some(k) = standfirst {
        let f = &feats[k];
        let shaped = matches!(
            class[k],
            Class::Heading | Class::Short | Class::Bad("caption")
        );
        if shaped
            && f.words >= STANDFIRST_MIN_WORDS
            && f.words <= CAPTION_MAX_WORDS
            && f.site_words <= 1
            && !f.addresses_reader
            && !f.credit
            && !f.names_author
            && f.coherence.unwrap_or(0.0) >= STANDFIRST_MIN_COHERENCE
            // Next to a picture credit it is the lead picture's caption (next to
            // it in the source: a byline and a date lifted between part them).
            && !(feats.get(k + 1).is_some_and(|f| f.credit) && adjacent.get(k + 1) != Some(&false))
            && !(k > 0 && feats[k - 1].credit && adjacent.get(k) != Some(&false))
        {
            class[k] = Class::Good;
        }
    }

    // "Mercoledì: …" / "Giovedì: …": labelled headlines next to each other are a
    // list; labelled prose ("Driving the news: …") is no list, and a teaser
    // beside it ("Go deeper: …") stays one.
    let label_head: Vec<bool> = (0..class.len())
        .map(|i| feats[i].labelled && class[i] == Class::Heading)
        .collect();
    let labelled_run = |i: usize| {
        label_head[i] && ((i > 0 && label_head[i - 1]) || label_head.get(i + 1) == Some(&true))
    };
    for (i, (c, f)) in class.iter_mut().zip(&feats).enumerate() {
        if matches!(c, Class::Bad(_)) {
            continue;
        }
        let coherence = f.coherence.unwrap_or(0.0);
        // The site talking about itself: two of its words in a paragraph about
        // nothing else in the document (a paywall prompt, a copyright notice).
        // Longer paragraphs need a third site word: prose about a newspaper's
        // copyright case or an app's cookies uses two of them naturally.
        let (needed, max_coherence) = if f.words > SITE_SHORT_WORDS {
            (3, SITE_MAX_COHERENCE_LONG)
        } else {
            (2, SITE_MAX_COHERENCE)
        };
        // A short line made half of site words ("Annuncio pubblicitario") is a
        // notice whatever it shares with the story.
        let dense = f.site_words >= 2 && f.site_words * 2 >= f.words;
        // Speaking to the reader counts as one site word: "Hören Sie den
        // Morgen-Podcast", "Get the rundown in your inbox".
        let site = f.site_words + usize::from(f.addresses_reader);
        if site >= needed && (coherence <= max_coherence || dense) && f.words <= SITE_MAX_WORDS {
            *c = Class::Bad("site");
        // A headline about something the article never mentions: a teaser.
        } else if *c == Class::Heading
            && !f.list_item
            && !labelled_run(i)
            && coherence == 0.0
            && f.words >= TEASER_MIN_WORDS
            && f.title_similarity == 0.0
        {
            *c = Class::Bad("teaser");
        }
    }

    // A labelled list of key points between the article's paragraphs ("Le misure
    // principali" / "Conferma del taglio del cuneo …" / …): headline-length items
    // about the story, the article resuming after them. An item sharing no word
    // with the rest may have been taken for a teaser: it is one of the items.
    for i in 0..class.len() {
        if class[i] != Class::Heading || feats[i].words > KEY_POINTS_LABEL_MAX_WORDS {
            continue;
        }
        // A live blog's key points run longer than headings ("More than 11,000
        // properties without power across Cornwall, according to the network
        // operator") and were taken for captions. (Elsewhere lines that long
        // under a short label are links to other stories.)
        let item_words = if live_blog {
            KEY_POINT_MAX_WORDS
        } else {
            HEADING_MAX_WORDS
        };
        let mut j = i + 1;
        while j < class.len()
            && (matches!(class[j], Class::Heading | Class::Bad("teaser"))
                || (live_blog && class[j] == Class::Bad("caption")))
            && feats[j].words <= item_words
            && !feats[j].credit
            && feats[j].site_words == 0
            && !feats[j].addresses_reader
        {
            j += 1;
        }
        let items = j - i - 1;
        if items < LIST_RUN || !prose_before(&class, i) {
            continue;
        }
        let coherent = feats[i + 1..j]
            .iter()
            .filter(|f| f.coherence.unwrap_or(0.0) > 0.0)
            .count();
        // Prose next, or a subheading and then prose.
        // (A live blog's first time stamp counts as a subheading.)
        let resumes = next_text(&class, j).is_some_and(|k| match class[k] {
            Class::Good => true,
            Class::Heading => next_text(&class, k + 1).is_some_and(|m| class[m] == Class::Good),
            Class::Fact if paras[k].split_whitespace().count() <= 2 => next_text(&class, k + 1)
                .is_some_and(|m| {
                    class[m] == Class::Good
                        || (class[m] == Class::Heading
                            && next_text(&class, m + 1).is_some_and(|n| class[n] == Class::Good))
                }),
            _ => false,
        });
        // Items that come back as the article's subheadings are its table of
        // contents ("Neste especial" / "Um zumbido diferente" / …).
        let contents = paras[i + 1..j]
            .iter()
            .filter(|p| paras[j..].contains(p))
            .count()
            >= 2;
        if 2 * coherent >= items && resumes && !contents {
            for c in &mut class[i..j] {
                *c = Class::Fact;
            }
        }
    }

    // A person's name alone on a line, under a caption-length line, is the
    // photographer's credit ("Lluvia sobre los capirotes en la plaza." /
    // "Juan Carlos Vázquez"), and the line above it the caption. A subheading
    // in title case ("Rising Costs") is told apart by its words: the article
    // uses them, while a photographer's name appears nowhere else.
    // The article's words are gathered only once a document has such a line.
    let mut prose_words: Option<HashSet<&str>> = None;
    for i in 1..class.len() {
        let above = &feats[i - 1];
        if !matches!(class[i], Class::Heading | Class::Short)
            || matches!(class[i - 1], Class::Bad(_))
            || !(NAME_CAPTION_MIN_WORDS..=NAME_CAPTION_MAX_WORDS).contains(&above.words)
            || !bare_name(paras[i], cx.stop)
        {
            continue;
        }
        // Whole words, not the coherence stems: "Chantal" is not "chantier".
        let prose = prose_words.get_or_insert_with(|| {
            words
                .iter()
                .zip(&class)
                .filter(|(_, c)| **c == Class::Good)
                .flat_map(|(w, _)| w.iter().map(String::as_str))
                .filter(|p| p.chars().count() >= 4)
                .collect()
        });
        let used = |w: &String| {
            w.chars().count() >= 4
                && prose
                    .iter()
                    .any(|p| p.starts_with(w.as_str()) || w.starts_with(*p))
        };
        if words[i].iter().any(used) {
            continue;
        }
        // Not flagged as a credit feature: the line under a bare name is the
        // article resuming, not another caption.
        class[i] = Class::Bad("credit");
        if Some(i - 1) != standfirst {
            class[i - 1] = Class::Bad("pictured");
        }
    }

    // A line right above a picture credit is the picture's caption ("Barcos
    // amarrados en el puerto de Malpica, este jueves." / "ANA GARCÍA/EFE"), and
    // so is a headline-shaped line right below one.
    // A credit that is a whole caption itself ("Lukas Terhorst als Woyzeck …
    // (Foto: Matthias Baus)") or a copyright notice has no caption beside it:
    // the line under it is the article resuming, often with a subheading.
    let alone = |f: &Features| f.credit && f.words <= CREDIT_ALONE_MAX_WORDS;
    for i in 0..class.len() {
        let credit_below = feats.get(i + 1).is_some_and(alone);
        // A credit with its caption above it ("Barcos … este miércoles." /
        // "Foto: …") ends the picture: a short line under it with the story's
        // prose next is a subheading ("Ayudas que no llegan").
        let captioned = i >= 2
            && feats[i - 2].words <= CAPTION_MAX_WORDS
            && !feats[i - 2].credit
            && !matches!(class[i - 2], Class::Bad(_))
            && feats[i].words <= SUBHEADING_MAX_WORDS
            && feats[i].site_words == 0
            && !feats[i].addresses_reader
            && next_text(&class, i + 1).is_some_and(|k| class[k] == Class::Good);
        let credit_above = i > 0 && alone(&feats[i - 1]) && !feats[i].terminated && !captioned;
        if (credit_below || credit_above)
            && !feats[i].credit
            && feats[i].words <= CAPTION_MAX_WORDS
            // Prose next to a credit is as often the article resuming.
            && matches!(class[i], Class::Short | Class::Heading)
        {
            class[i] = Class::Bad("pictured");
        }
    }

    // A list after prose, its label included ("Uitslag", "Meilleur film"): at
    // least two items in a row, whatever their punctuation ("2. Mathis Deprez
    // (Fra) z.t.").
    let mut i = 0;
    while i < class.len() {
        // Prose that reads as a list too (a line-up ending in a period) is kept
        // already and is no item: it stands for the prose before a list.
        let item =
            |k: usize| feats[k].list_item && !matches!(class[k], Class::Bad(_) | Class::Good);
        if !item(i) {
            i += 1;
            continue;
        }
        let mut j = i;
        while j < class.len() && item(j) {
            j += 1;
        }
        let labelled = i > 0 && class[i - 1] == Class::Heading && feats[i - 1].words <= 5;
        let start = if labelled { i - 1 } else { i };
        let after_prose = start > 0 && matches!(class[start - 1], Class::Good | Class::Short);
        if j - i >= 2 && (labelled || j - i >= 3) && after_prose {
            for c in &mut class[start..j] {
                *c = Class::Fact;
            }
        }
        i = j;
    }

    // A line ending in a colon ("Key points:", "Die Ausnahmen gelten:") opens a
    // list: the short lines after it, up to the next paragraph of prose, are its
    // items, whatever their shape ("em farmácias", "- Sa masse est estimée …").
    // So does a short question between paragraphs of the story ("Wat komt er aan
    // de Hanzekade?" / "650 woningen, …" / "Een parkeergarage …"), when three or
    // more items follow and the story's prose resumes after them: a teaser list
    // has no prose below it.
    for i in 0..class.len() {
        let colon = paras[i].trim_end().ends_with(':')
            && matches!(class[i], Class::Short | Class::Good | Class::Heading);
        let question = paras[i].trim_end().ends_with('?')
            && feats[i].words <= QUESTION_LIST_MAX_WORDS
            && matches!(class[i], Class::Short | Class::Heading)
            && prose_before(&class, i);
        if !colon && !question {
            continue;
        }
        let mut j = i + 1;
        while j < class.len()
            && feats[j].words <= LIST_MAX_ITEM_WORDS
            && !feats[j].credit
            && !paras[j].contains('©')
            && feats[j].site_words == 0
            && matches!(
                class[j],
                Class::Heading
                    | Class::Short
                    | Class::Fact
                    | Class::Bad("caption")
                    | Class::Bad("teaser")
            )
        {
            j += 1;
        }
        let enough = if colon {
            j - i > 2
        } else {
            j - i > LIST_RUN && next_text(&class, j).is_some_and(|k| class[k] == Class::Good)
        };
        if enough {
            for c in &mut class[i..j] {
                *c = Class::Fact;
            }
        }
    }

    // Runs of headline-shaped lines are lists (menus, "most read"), wherever they
    // stand; except short items with figures, colons or quoted titles right after
    // article text: results, nominees, measures, part of the story.
    let mut i = 0;
    while i < class.len() {
        let mut j = i;
        while j < class.len() && class[j] == Class::Heading {
            j += 1;
        }
        if j - i >= LIST_RUN {
            let run = &feats[i..j];
            let facts = run.iter().filter(|f| f.list_item).count();
            // The kept line above the run, and whether prose follows it.
            let above = (0..i).rev().find(|&k| !matches!(class[k], Class::Bad(_)));
            let text_above = |ok: &[Class]| above.is_some_and(|k| ok.contains(&class[k]));
            // A price box between two of the review's lists (pros and cons, then
            // specs): the list below it stands for the text below.
            let good_below = next_text(&class, j).is_some_and(|k| {
                class[k] == Class::Good
                    || (class[j..k].contains(&Class::Bad("shop"))
                        && class[k..]
                            .iter()
                            .position(|c| *c != Class::Heading)
                            .is_some_and(|n| {
                                n >= LIST_RUN
                                    && next_text(&class, k + n)
                                        .is_some_and(|m| class[m] == Class::Good)
                            }))
            });
            // A labelled list between paragraphs of the article ("Le previsioni
            // giorno per giorno" / "Mercoledì: …" / "Giovedì: …"), a caption or a
            // credit above it removed already.
            let labelled = run.iter().filter(|f| f.labelled).count();
            let between = text_above(&[Class::Good, Class::Short, Class::Fact]) && good_below;
            // Short items about the story between its paragraphs ("Pluspunten" /
            // "Lange accuduur" / "Helder scherm"): pros and cons, key points. Half
            // or more share a word with the article (an info box: "De Agnès Morvan",
            // "Genre : drame", "Durée : 1h52"); a menu's or a teaser list's
            // lines do not, and teasers are longer. A fact list may come right
            // before ("Specificaties" / "Accu: 5000 mAh").
            let (content, coherent) = run
                .iter()
                .filter_map(|f| f.coherence)
                .fold((0, 0), |(n, c), k| (n + 1, c + usize::from(k > 0.0)));
            let words: usize = run.iter().map(|f| f.words).sum();
            let items = text_above(&[Class::Good, Class::Short, Class::Fact])
                && good_below
                && words <= SHORT_ITEMS_MAX_WORDS * (j - i)
                && content >= LIST_RUN
                && 2 * coherent >= content
                && run.iter().all(|f| !f.credit && !f.addresses_reader)
                // One con in five may name what the site sells too ("App pushes
                // a paid plan").
                && 5 * run.iter().filter(|f| f.site_words > 0).count() <= j - i
                // A list whose lines come back as the article's subheadings is
                // its table of contents ("Neste especial" / …).
                && paras[i..j]
                    .iter()
                    .filter(|p| paras[j..].contains(p))
                    .count()
                    < 2;
            // Right after the story's prose or another of its lists ("Teams" /
            // line-ups / "Attendance: 2,318", then "Elsewhere in the league" /
            // scores).
            // Or right after links that stood between the story and its list
            // ("Leggi anche" / two links / "I risultati della giornata" / …).
            let after_text = prose_before(&class, i)
                || text_above(&[Class::Fact])
                || (i > 0 && class[i - 1] == Class::Bad("list") && text_above(&[Class::Good]));
            // (A recipe's box of times comes before its ingredient lists.)
            let box_over_list = text_above(&[Class::Good, Class::Short])
                && next_text(&class, j).is_some_and(|k| class[k] == Class::Fact);
            let keep = (after_text && 3 * facts >= 2 * (j - i))
                || (between && 3 * labelled >= 2 * (j - i))
                || items;
            for c in &mut class[i..j] {
                *c = if keep {
                    Class::Fact
                } else {
                    Class::Bad("list")
                };
            }
            if !keep && (between || box_over_list) {
                info_box(&paras[i..j], &mut class[i..j]);
            }
        }
        i = j.max(i + 1);
    }

    // After the lists: a rating stands in one (a review's info box) as any of
    // its lines.
    ratings(paras, &mut class);
    // The outlet describing itself is no part of the story, above it or below
    // it (nor, then, the last of the article's text: the newsletter pitch above
    // it is after the article).
    for ((c, f), p) in class.iter_mut().zip(&feats).zip(paras) {
        if !f.bio
            && f.words <= SITE_MAX_WORDS
            && (OUTLET.is_match(p.trim()) || OUTLET_SINCE.is_match(p.trim()))
        {
            *c = Class::Bad("site");
        }
    }
    // After the article's last plain paragraph, text that speaks to the reader is
    // the site talking: subscriptions, newsletters, donations, comment rules. A
    // review's or a live blog's own prose says "you" too ("If you want a robot
    // that cleans edges properly …", "Good morning and welcome to our live
    // coverage of …"): long, about the story and without the site's words, it
    // is plain text.
    let story_prose = |f: &Features| {
        f.words >= READER_PROSE_MIN_WORDS
            && f.site_words == 0
            && f.coherence.unwrap_or(0.0) >= READER_PROSE_MIN_COHERENCE
    };
    if let Some(last_plain) = (0..class.len()).rev().find(|&i| {
        class[i] == Class::Good && (!feats[i].addresses_reader || story_prose(&feats[i]))
    }) {
        for i in last_plain + 1..class.len() {
            if feats[i].addresses_reader && !matches!(class[i], Class::Bad(_)) {
                class[i] = Class::Bad("reader");
            }
        }
    }
    // After the article text, a paragraph naming the byline's author is a bio or
    // a disclosure, not the story; one naming the site is the site describing
    // itself or its terms.
    let reports =
        |i: usize| feats[i].words <= SITE_MAX_WORDS && OUTLET_REPORTS.is_match(paras[i].trim());
    if let Some(last_story) = (0..class.len()).rev().find(|&i| {
        class[i] == Class::Good && !feats[i].names_author && !feats[i].names_site && !reports(i)
    }) {
        for i in last_story + 1..class.len() {
            if matches!(class[i], Class::Bad(_)) {
                continue;
            }
            if feats[i].names_author {
                class[i] = Class::Bad("bio");
            } else if feats[i].names_site || reports(i) {
                class[i] = Class::Bad("site");
            }
        }
    }
    // A staff bio is no part of the story, above it or below it. (It still counts
    // as text above: a review's verdict before it says "you" as the story.)
    for (c, f) in class.iter_mut().zip(&feats) {
        if f.bio {
            *c = Class::Bad("bio");
        }
    }
    let first_good = class.iter().position(|c| *c == Class::Good);
    let last_good = class.iter().rposition(|c| *c == Class::Good);
    let mut out: Vec<Verdict> = Vec::with_capacity(paras.len());
    // A plain short sentence (no site words, not speaking to the reader) goes on
    // the article's text when the line before it was kept as text: the short
    // closing sentences of a "What to do" section, after its heading.
    // Questions are left out: "Is this the cosiest pub in England?" is a teaser.
    let plain = |k: usize| {
        let f = &feats[k];
        let question = paras[k]
            .trim_end_matches(['"', '\'', '”', '’', '»', ')', ' '])
            .ends_with('?');
        f.terminated && !question && f.site_words == 0 && !f.addresses_reader
    };
    for (i, (c, f)) in class.iter().zip(&feats).enumerate() {
        let chained = (0..i)
            .rev()
            .find(|&k| !matches!(class[k], Class::Bad(_)))
            .is_some_and(|k| out[k].keep);
        let next = (i + 1..class.len()).find(|&k| !matches!(class[k], Class::Bad(_)));
        let text_after =
            next.is_some_and(|k| class[k] == Class::Good || (class[k] == Class::Short && plain(k)));
        let good_before = class[..i]
            .iter()
            .rev()
            .find(|c| !matches!(c, Class::Bad(_)))
            == Some(&Class::Good)
            || class[..i].last() == Some(&Class::Good);
        let after = class[i + 1..].iter().find(|c| !matches!(c, Class::Bad(_)));
        let good_after = after == Some(&Class::Good);
        let inside = matches!((first_good, last_good), (Some(a), Some(b)) if a < i && i < b);
        // A subheading over a list inside the article ("What happens next" /
        // "The plans include:" / items).
        let list_after = inside && after == Some(&Class::Fact) && f.words >= 2;
        let (keep, reason) = match *c {
            Class::Good => (true, "good: a sentence of ordinary prose"),
            Class::Bad(why) => (
                false,
                match why {
                    "links" => "bad: mostly links, handles or addresses",
                    "menu" => "bad: menu or breadcrumb separators",
                    "caption" => "bad: long line without terminal punctuation (caption or teaser)",
                    "reader" => "bad: speaks to the reader after the article text (promotion)",
                    "site" => "bad: the site's own notice (site words, unrelated to the story)",
                    "teaser" => "bad: headline about nothing in the article (teaser)",
                    "bio" => "bad: a staff bio, or names the author after the article text",
                    "credit" => "bad: picture credit or caption credit",
                    "stamp" => "bad: a time stamp or number alone",
                    "shop" => "bad: a shop's price box (amounts and sellers)",
                    "comment" => "bad: a reader's comment in a thread (name · time headers)",
                    "pictured" => "bad: caption next to a picture credit",
                    "rating" => "bad: the readers' rating (a widget)",
                    _ => "bad: a run of headline-shaped lines (menu or list)",
                },
            ),
            Class::Heading if (good_after || list_after) && (inside || good_before) => {
                (true, "heading: short line inside the article text")
            }
            Class::Heading if chained && text_after => {
                (true, "heading: over a section of short sentences")
            }
            Class::Heading => (false, "bad: short line outside the article text"),
            Class::Fact if chained || inside => {
                (true, "list item: figures or titles in the article text")
            }
            Class::Fact if timed[i] && first_good.is_some_and(|g| g < i) => {
                (true, "list item: chapters or entries with their times")
            }
            // "Key points:" and its items, right above the article's first paragraph.
            Class::Fact
                if class[i + 1..]
                    .iter()
                    .find(|c| !matches!(c, Class::Bad(_) | Class::Fact))
                    == Some(&Class::Good) =>
            {
                (
                    true,
                    "list item: a list of key points leading into the article",
                )
            }
            Class::Fact => (false, "bad: list item outside the article text"),
            Class::Short if good_before || good_after || inside => {
                (true, "short sentence next to article text")
            }
            Class::Short if chained && plain(i) => {
                (true, "short sentence continuing kept article text")
            }
            Class::Short => (false, "bad: short sentence outside the article text"),
        };
        out.push(Verdict {
            keep,
            score: score(f),
            reason,
            features: *f,
        });
    }
    // With no good paragraph at all, the classifier knows too little to remove anything.
    if first_good.is_none() {
        for v in &mut out {
            v.keep = true;
            v.reason = "kept: no paragraph looks like article text, so nothing is judged";
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A phone review's paragraphs: two before its lists, one after.
    const PHONE_REVIEW: [&str; 3] = [
        "The new phone has an excellent main camera and a battery that easily lasts two days of heavy use.",
        "The wide-angle camera is weak in low light, and the phone lacks wireless charging at this price.",
        "Overall it is the best phone under 500 euros that we have tested this year, despite its camera.",
    ];
    const PROS_AND_CONS: [&str; 6] = [
        "Pros",
        "Excellent main camera",
        "Battery lasts two days",
        "Cons",
        "Weak wide-angle camera",
        "No wireless charging",
    ];

    fn keep(paras: &[&str]) -> Vec<bool> {
        classify(paras, None, None, Some("en"))
            .into_iter()
            .map(|v| v.keep)
            .collect()
    }

    #[test]
    fn a_price_box_goes_and_the_lists_around_it_stay() {
        let [a, b, c] = PHONE_REVIEW;
        let mut review = vec![a, b];
        review.extend(PROS_AND_CONS);
        review.extend([
            "Today's best deals",
            "£449 at Phonehouse",
            "£419.99 at MobileDirect",
            "View all prices",
            "Specs",
            "Screen: 6.1 inches",
            "Battery: 4,500mAh",
            "Weight: 172g",
            c,
        ]);
        let kept = keep(&review);
        assert_eq!(kept[..8], [true; 8], "pros and cons lost: {kept:?}");
        assert_eq!(kept[8..12], [false; 4], "price box kept: {kept:?}");
        assert_eq!(kept[12..], [true; 5], "specs lost: {kept:?}");
    }

    #[test]
    fn a_table_of_contents_is_no_list_of_the_story() {
        let a = "Beekeepers in the north of the region say the native bees pollinate more of their crops than the imported ones.";
        let contents = [
            a,
            "In this story",
            "A different buzz",
            "Better than the honeybee",
            "What threatens them",
            "The first beekeeper opens one of his 140 boxes in the yard, where he has kept native bees for 26 years now.",
            "A different buzz",
            "Anyone expecting the loud buzz of a common hive is disappointed in the yard of the old beekeeper and his family.",
        ];
        let kept = keep(&contents);
        assert_eq!(kept[1..5], [false; 4], "contents kept: {kept:?}");
        assert!(kept[6], "the subheading lost: {kept:?}");
    }

    #[test]
    fn a_thread_of_readers_comments_goes() {
        let a = "The council approved the night bus plan on Monday after a debate that lasted more than four hours.";
        let b = "The first buses will run in June, the transport office said, and the route will be reviewed after a year.";
        let page = [
            a,
            b,
            "marcoL · 23 June 2024 at 09:14",
            "About time. We have asked for a night bus for twenty years.",
            "Resident_Docks · 23 June 2024 at 10:02",
            "Easy to write that when you don't live here.",
            "Julia R. · 11:47",
            "Public toilets would already be a miracle.",
        ];
        let kept = keep(&page);
        assert_eq!(kept[..2], [true, true], "article lost: {kept:?}");
        assert_eq!(kept[2..], [false; 6], "comments kept: {kept:?}");
        // A blog's "… says:" headers make a thread too.
        let blog = [
            a,
            b,
            "booksnbytes says:",
            "Great write-up, thanks. I think the council badly underestimated the demand.",
            "Marcus Delaney says:",
            "Does anyone know whether the night bus will also stop at the station?",
        ];
        assert_eq!(keep(&blog), vec![true, true, false, false, false, false]);
        // "Name – date" and "Name schrieb am …:" headers; results with a dash are
        // no headers.
        assert!(comment_header("Gianni_63 – 30 aprile 2024 alle 21:14"));
        assert!(comment_header(
            "backmaus_77 schrieb am 21.04.2024 um 15:12:"
        ));
        assert!(!comment_header("HC Oberau – TuS Lindenau 29:33"));
        // A compact age after the dot, and "says" in German and Italian.
        assert!(comment_header("GregInDartmouth · 6 h"));
        assert!(comment_header("Sheila M. · 5 h"));
        assert!(comment_header("Renate sagt:"));
        assert!(comment_header("Marta ha detto:"));
        assert!(!comment_header("Wirtschaft · 6 Themen"));
        assert!(!comment_header(
            "Der Bürgermeister schrieb am Montag an den Rat: Die Brücke wird saniert."
        ));
        // One "name · date" line is no thread: a byline with its date.
        let byline = [a, "Julia Rossi · 23 June 2024", b];
        assert!(comment_header(byline[1]));
        assert!(keep(&byline)[2], "the article lost under a byline");
    }

    #[test]
    fn a_question_between_paragraphs_opens_a_list() {
        let a = "De gemeenteraad van Dronten heeft donderdagavond ingestemd met de bouw van 650 woningen op het voormalige haventerrein.";
        let b = "Omwonenden van de Hanzekade maakten tijdens de inspraak bezwaar tegen de hoogte van twee appartementengebouwen.";
        let items = [
            "Wat komt er aan de Hanzekade?",
            "650 woningen, waarvan 35 procent sociale huur en 40 procent koop",
            "Een parkeergarage met 420 plekken onder het centrale plein",
            "Een nieuwe basisschool en een kinderdagverblijf",
            "Een groene kade met een fiets- en wandelpad langs het water",
        ];
        let mut page = vec![a];
        page.extend(items);
        page.push(b);
        assert_eq!(keep(&page), vec![true; 7]);
    }

    #[test]
    fn a_subheading_under_a_captioned_pictures_credit_stays() {
        let a = "Los 42 barcos de rastro que faenan la chirla desde el puerto volverán a quedarse amarrados el lunes.";
        let b = "Los armadores podrán acogerse a las ayudas por paralización temporal, que cubren una parte del salario.";
        let page = [
            a,
            "Barcos de la flota de rastro amarrados en el muelle de Isla Cristina, este miércoles.",
            "Foto: Diario del Litoral / Manuel Ortega",
            "Ayudas que no llegan",
            b,
        ];
        let kept = keep(&page);
        assert_eq!((kept[2], kept[3], kept[4]), (false, true, true), "{kept:?}");
    }

    #[test]
    fn a_series_of_figures_under_a_heading_is_data() {
        let page = [
            "Los biólogos apuntan a varias causas para explicar la crisis de la chirla en el golfo de Cádiz.",
            "Capturas de chirla de la flota onubense (toneladas)",
            "2013: 2.480",
            "2016: 1.910",
            "2019: 1.240",
            "2023: 590",
            "La Consejería sostiene que las paradas son la única herramienta eficaz para recuperar el caladero.",
        ];
        assert_eq!(keep(&page), vec![true; 7]);
    }

    #[test]
    fn the_outlet_saying_how_long_it_has_reported_goes_after_the_article_only() {
        let outlet = "Der Rheintal-Kurier berichtet seit 1952 aus Mainz, Bingen, Koblenz und dem Mittelrheintal.";
        let body = "Die Stadt informiert seit 2019 jedes Jahr im Frühjahr über die geplanten Baustellen, die Sperrungen und die Umleitungen für Pendler.";
        let page = [
            body,
            "Nach Angaben des Unternehmens fallen damit auf den Linien RB 81 und RE 17 zwischen Mainz und Koblenz rund 80 Prozent der Verbindungen aus.",
            outlet,
        ];
        let v = classify(&page, None, None, Some("de"));
        assert!(v[0].keep && v[1].keep, "{v:?}");
        assert!(!v[2].keep, "{v:?}");
        // The places it serves between the verb and the year.
        assert!(OUTLET_REPORTS.is_match(
            "The Severn Courier has served Gloucester, Stroud and the Forest of Dean since 1871."
        ));
    }

    #[test]
    fn a_portuguese_possessive_speaks_to_the_reader_only_in_a_short_prompt() {
        let pt = Some("pt");
        assert!(addresses_reader(
            "Receba as principais notícias do dia no seu email.",
            pt
        ));
        assert!(addresses_reader(
            "Quer saber tudo sobre o mercado financeiro antes da abertura? Assine gratuitamente o Exame Morning Call e receba as principais análises no seu e-mail.",
            pt
        ));
        assert!(!addresses_reader(
            "O artigo com os resultados foi aceito para publicação em uma revista científica internacional. A equipe pretende seguir acompanhando o cometa até novembro, quando ele deve atingir seu ponto mais próximo do Sol.",
            pt
        ));
    }

    #[test]
    fn line_ups_under_a_removed_link_label_end_its_links() {
        let paras = [
            "Die Gäste aus Bingerbrück kamen entschlossen aus der Kabine und verkürzten in der 53. Minute durch einen Kopfball nach einer Ecke.",
            "Frauenfußball: Rheinhöhe II verliert Pokalspiel nach Elfmeterschießen",
            "Die Statistik",
            "TuS Rheinhöhe: Brandt – Petri, Kurz, Albers, Lenz – Hartung, Schreiber (78. Ott), Nikolić – Weber (65. Rausch), Yilmaz (88. Demir), Fuchs",
            "SV Bingerbrück-Süd: Hoffmann – Sauer, Klein, Marx, Dietz (46. Braun) – Eberhardt, Schuster, Wagner (70. Roth), Becker – Neumann, Krämer",
            "Tore: 1:0 Yilmaz (12.), 2:0 Yilmaz (43.), 2:1 Eberhardt (53.), 3:1 Hartung (72., Foulelfmeter)",
        ];
        let mut under = vec![false; paras.len()];
        under[1] = true;
        let head = Head {
            lang: Some("de"),
            ..Head::default()
        };
        let kept: Vec<bool> = classify_with(&paras, head, None, &under, &[])
            .into_iter()
            .map(|v| v.keep)
            .collect();
        assert_eq!(kept, [true, false, true, true, true, true]);
    }

    #[test]
    fn a_podcasts_chapters_stay_below_its_caption() {
        let page = [
            "Ils ne sont plus qu'une poignée à monter chaque été avec leurs troupeaux dans les alpages de l'Oisans, et ils racontent pourquoi.",
            "Le couple Girard devant leur cabane d'alpage, à 2 100 mètres d'altitude",
            "Chapitres",
            "00:00 – Introduction",
            "02:15 – La montée en alpage, au petit matin",
            "09:40 – Raymond et les chiens de protection",
            "36:20 – Conclusion",
            "Épisode 13 – Le glacier qui recule",
            "Épisode 12 – Une saison au refuge",
        ];
        let kept = keep(&page);
        assert_eq!(kept[2..7], [true; 5], "{kept:?}");
        assert_eq!(kept[7..], [false; 2], "{kept:?}");
        // Out of order, the times are not chapters.
        assert!(
            !timed_lists(
                &["02:15 – A", "00:00 – B", "09:40 – C"],
                &mut [Class::Heading; 3]
            )[0]
        );
        // Without the dash, chapters start at zero; a ticker of other stories
        // with their times of day is no chapter list.
        let marked = |lines: &[&str]| timed_lists(lines, &mut vec![Class::Heading; lines.len()]);
        assert_eq!(
            marked(&[
                "00:00 Introduction",
                "02:35 \"We were told we'd be last\"",
                "09:50 Digging trenches"
            ]),
            [true; 3]
        );
        assert_eq!(
            marked(&[
                "08:05 Castellano, chiude l'anagrafe",
                "08:40 Valsorda, mercato spostato",
                "09:12 Pieve Alta, anziano soccorso"
            ]),
            [false; 3]
        );
    }

    #[test]
    fn an_info_box_among_buttons_stays_and_the_buttons_go() {
        let page = [
            "Pour son deuxième long métrage, Hélène Vasseur filme l'hiver d'une infirmière dans un Ehpad de la Creuse avec une pudeur rare.",
            "Voir la bande-annonce",
            "Trouver une séance",
            "Note de la rédaction : 4/5",
            "Fiche technique",
            "Réalisation : Hélène Vasseur",
            "Scénario : Hélène Vasseur et Karim Bensaïd",
            "Genre : drame",
            "Durée : 1 h 52",
            "Il y a des films qui semblent ne rien raconter et qui, pourtant, vous suivent des jours entiers après la séance.",
            "Solène Aubrac, que l'on connaissait surtout pour ses rôles comiques, trouve ici le rôle de sa vie dans ce film.",
        ];
        let mut want = vec![true, false, false];
        want.extend([true; 8]);
        assert_eq!(keep(&page), want);
        // The same label three times is a teaser list, not a box.
        let teasers = [
            page[0],
            "Voir la bande-annonce",
            "Trouver une séance",
            "Trending: Bristol bus strike",
            "Trending: Glastonbury tickets",
            "Trending: Interest rates",
            page[9],
            page[10],
        ];
        assert_eq!(keep(&teasers)[1..6], [false; 5]);
    }

    #[test]
    fn a_match_report_keeps_its_line_ups_and_facts() {
        let report = [
            "Wehlheiden struggled for a long time against the compact visitors and only scored in the last minutes of the game.",
            "With the win Wehlheiden climbs to second place, two points behind the leaders, and travels to Haunetal next Sunday.",
            "Line-ups",
            "Wehlheiden: Rüdiger – Okafor, Brandt, Scholtysik, Wenzel (71. Aydin) – Kleinschmidt, Petrovic – Hoffmeister (63. Krug), Demir",
            "Rengershausen: Gerlach – Tiedemann, Yilmaz, Schäfer, Bodenstein – Markovic, Lüdtke (77. Heinze) – Vogt, Amrani (85. Pohl)",
            "Goals: 0:1 Kastner (34.), 1:1 Sennholz (90.+2), 2:1 Ruppel (90.+5)",
            "Referee: Lennart Eichhorst (Hofgeismar)",
            "Attendance: 640",
        ];
        assert_eq!(keep(&report), vec![true; 8]);
    }

    #[test]
    fn a_staff_bio_and_the_outlets_self_description_go_wherever_they_stand() {
        let page = [
            "Priya Natarajan is GearCheck's smart home editor and has tested more than 60 robot vacuums.",
            "The Kestrel V7 Pro is one of the best-cleaning robot vacuums we've tested at this price, with a swinging side brush.",
            "The loud dock and the subscription prompts hold it back from a full five stars, but it is easy to recommend.",
            "Laura Pedrosa es periodista especializada en salud y divulgación científica desde hace muchos años.",
            "If budget is tighter, last year's V5 offers the same mapping for around 150 pounds less than the new model.",
            "Critico musicale, collabora con Palcoscenico24 dal 2016. Si occupa soprattutto di opera italiana.",
            "The Wharfedale Courier is a member of the Independent Press Standards Organisation.",
            "Zwolle Vandaag is een onafhankelijk nieuwsplatform voor Zwolle en omstreken.",
            "Finanzfibel ist ein unabhängiges Verbraucherportal. Wir finanzieren uns über Werbung.",
            "The Harbourline Gazette has been Plymouth's independent local newspaper since 1889.",
            "Der Rheinkurier ist die unabhängige Tageszeitung für Köln, Bonn und den Rhein-Sieg-Kreis.",
            "Le Vigilant alpin, le quotidien des Savoie depuis 1946.",
            "ZorgNieuws.nu is een onafhankelijk vakplatform voor professionals in de zorg.",
            "Papel y Tinta es una revista independiente de crítica literaria fundada en 2008.",
            "inFuga è una testata giornalistica indipendente dedicata al ciclismo.",
            "O Confere.aí é uma agência independente de checagem de fatos.",
            "PixelPraat is de onafhankelijke gamesite van Nederland en België.",
            "Le Courrier du Lez, quotidien indépendant d'information de l'Hérault, fondé en 1952.",
            // Not the outlet: a person and the paper, with no founding year.
            "Marco Bianchi, il direttore del giornale, ha confermato la chiusura della sede di Modena.",
            "Lea Hartung ist Physikerin und Wissenschaftsjournalistin. Sie schreibt über Astronomie.",
            "Marieke Vos schrijft voor ZorgNieuws.nu over eerstelijnszorg en regionale gezondheidszorg.",
        ];
        let mut want = vec![false, true, true, false, true, false, false, false, false];
        want.extend([
            false, false, false, false, false, false, false, false, false,
        ]);
        want.extend([true, false, false]);
        assert_eq!(keep(&page), want);
    }

    #[test]
    fn the_critics_rating_stays_the_readers_goes() {
        for r in [
            "Score: 4 out of 5",
            "Voto: 7,5/10",
            "Cijfer: 8,5",
            "★★★★☆",
            "Unsere Wertung: 4 von 5 Sternen",
            "Valoración: 4 sobre 5",
            "4 out of 5 stars",
        ] {
            assert_eq!(rating(r), Some(true), "{r}");
        }
        for r in [
            "Note des spectateurs : 3,6/5 (148 votes)",
            "★★★★★ (128 valoraciones)",
            "★★★★★ 4.9 from 212 reviews",
            "Valuta questa ricetta: ★★★★★",
            "Avaliação dos leitores: 4,8/5 (23 avaliações)",
        ] {
            assert_eq!(rating(r), Some(false), "{r}");
        }
        // A gallery's counter; a result; a sentence.
        for r in ["3 / 10", "Bayern – Dortmund 4:2", "Has acertado 0 de 10"] {
            assert_eq!(rating(r), None, "{r}");
        }
        let a = "The new phone has an excellent main camera and a battery that easily lasts two days of heavy use.";
        let b = "Overall it is the best phone under 500 euros that we have tested this year, despite its camera.";
        let page = [
            a,
            b,
            "Score: 4 out of 5",
            "Readers' rating: 4.2/5 (310 votes)",
        ];
        assert_eq!(keep(&page), [true, true, true, false]);
    }

    #[test]
    fn a_newsletter_pitch_above_the_outlets_self_description_goes() {
        let a = "Reizigers die door de storing vertraging oplopen, kunnen bij de vervoerder een deel van hun reiskosten terugvragen.";
        let b = "Vervoerder Vallei Vervoer laat weten extra bussen in te zetten in de middagspits tussen de twee stations.";
        let page = [
            a,
            b,
            "Elke werkdag om 17.00 uur het belangrijkste nieuws uit Amersfoort en omgeving in je mailbox.",
            "De Eemstad Courant is de onafhankelijke nieuwssite voor Amersfoort, Leusden, Soest en Baarn.",
        ];
        let kept: Vec<bool> = classify(&page, None, None, Some("nl"))
            .iter()
            .map(|v| v.keep)
            .collect();
        assert_eq!(kept, [true, true, false, false]);
    }

    #[test]
    fn comments_with_reply_buttons_go_even_alone() {
        for b in [
            "Antworten · 14 Gefällt mir",
            "Répondre · 3 J'aime",
            "Reageer · 4",
            "Responder · Gosto 11",
            "Reply",
            "14 February 2024 at 9:12 am  Reply",
        ] {
            assert!(reply_control(b), "{b}");
        }
        assert!(!reply_control("Reply to the consultation by 4 March"));
        let a = "The club won the derby in the last minute of stoppage time, its first win over the neighbours in six years.";
        let b = "The coach said after the game that his team had deserved the points for the second half alone.";
        // One signed comment and its button; one blog comment under its header.
        let page = [
            a,
            b,
            "Handballpapa_77: What a second half! Brandt was world class today.",
            "Reply · 7",
            "peterjw says:",
            "Beautiful match. The last minute had me in tears on the bus.",
            "15 February 2024 at 7:48 pm  Reply",
        ];
        assert_eq!(keep(&page), [true, true, false, false, false, false, false]);
        // A single "says:" with no button is a quote's lead-in.
        let quote = [
            a,
            "The minister says:",
            "We will not allow the club to leave the city without a fight, whatever it costs us.",
            b,
        ];
        assert_eq!(keep(&quote), [true; 4]);
    }

    #[test]
    fn one_line_comments_go_and_an_interview_or_a_timeline_stays() {
        let a = "The club won the derby in the last minute of stoppage time, its first win over the neighbours in six years.";
        let b = "The coach said after the game that his team had deserved the points for the second half alone.";
        let comments = [
            a,
            b,
            "FanBlock_Kocherau: Finally a derby win again! Vogt with the goal of the year.",
            "Neckarwiese77: We were clearly better in the second half, but that is football.",
            "Manuel F.: A voice we will never forget. Rest in peace.",
            "Sue and Geoff Tanner: So sorry to hear this, thinking of you all.",
            "Cévenol48 : Bravo to the kid from the valley, what a day for him.",
            "Bolzplatz_Kalle, 2 hours ago: Deserved! They have played the best football since the winter.",
        ];
        assert_eq!(
            keep(&comments),
            vec![true, true, false, false, false, false, false, false]
        );
        // A one-word signature counts beside one inline_comment accepts alone;
        // a forecast's regions do not make a thread.
        let pair = [
            a,
            b,
            "Schaatsmam: Wat een sfeer vanochtend, kippenvel!",
            "Klaas K.: Sterk gereden van Wiersma, maar die wind heeft de rest ook gesloopt.",
        ];
        assert_eq!(keep(&pair), vec![true, true, false, false]);
        let forecast = [
            a,
            b,
            "Nord: cielo sereno o poco nuvoloso, nebbie in pianura al mattino.",
            "Centro: soleggiato, qualche nube sulla dorsale appenninica nel pomeriggio.",
            "Sud e Isole: residui rovesci in Calabria al mattino, poi schiarite ovunque.",
        ];
        assert_eq!(keep(&forecast), vec![true; 5]);
        // Speakers introduced by the article, who come back: an interview.
        let interview = [
            "Anna Berger spoke to the harbour master Tom Fischer about the new ferry timetable and the fares.",
            "Anna Berger: Why does the first ferry leave so late now?",
            "Tom Fischer: Because the crews need eleven hours of rest, and we have one crew less than last year.",
            "Anna Berger: Will that change in the summer?",
            "Tom Fischer: We hope so, we are hiring four new deckhands in the spring.",
        ];
        assert_eq!(keep(&interview), vec![true; 5]);
        assert_eq!(
            inline_comment("1938 – Two brothers found the cannery in a warehouse by the port."),
            None
        );
    }

    #[test]
    fn results_after_a_removed_read_also_label_stay() {
        let paras = [
            "Caputi scored twice after the break and Russo added a third with a diagonal shot in the final minutes.",
            "We played with courage and the boys were perfect today, the coach said after the final whistle.",
            // "Read also" stood here; the rules removed it.
            "Portoverde, the director: no trial, the season is still long",
            "Transfer market: Valdarno ties Caputi down until 2027",
            "The results of the 31st round",
            "Valdarno-Portoverde 4-1",
            "Virtus Adriatica-Casale 2-0",
            "Lucania-Pescia 1-1",
            "The table",
            "Virtus Adriatica 59",
            "Portoverde 58",
            "Valdarno 55",
        ];
        let mut under = vec![false; paras.len()];
        under[2] = true;
        let kept: Vec<bool> = classify_with(
            &paras,
            Head {
                lang: Some("en"),
                ..Head::default()
            },
            None,
            &under,
            &[],
        )
        .into_iter()
        .map(|v| v.keep)
        .collect();
        assert!(!kept[2], "a link kept: {kept:?}");
        assert_eq!(kept[4..], [true; 8], "results lost: {kept:?}");
    }

    #[test]
    fn a_live_blogs_key_points_stay_however_long() {
        let blog = [
            "Ferries are cancelled and thousands of homes are without power as the storm moves east along the coast.",
            "Key points",
            "Amber wind warning in force for western Scotland and Northern Ireland until 9pm",
            "More than 62,000 homes without electricity across the region, according to the network operator",
            "All ferries from Oban and Ardrossan cancelled for the rest of the day",
            "15:47",
            "Northern Ireland's network operator says crews have restored supply to about 11,000 customers since midday.",
            "15:20",
            "Network Rail has closed the West Highland Line after a tree fell on the track near the station.",
            "14:58",
            "Police have closed the coastal road after a lorry overturned in the wind near the harbour.",
        ];
        let kept = keep(&blog);
        assert_eq!(kept[1..5], [true; 4], "key points lost: {kept:?}");
    }

    #[test]
    fn a_letters_page_keeps_its_signatures() {
        let page = [
            "For weeks I have been stuck in traffic every morning because the diversion is completely overloaded.",
            "Gisela Brandhorst, Kassel-Wilhelmshöhe",
            "Finally something is happening",
            "I cannot understand the fuss. For years everyone complained about the broken tracks and the potholes.",
            "Dr. Helmut Tjaden, Kassel",
            "The shops are left behind",
            "As the owner of a small shop on the avenue I notice the closure in the till every single day.",
            "Sabrina Okonkwo-Diehl, Kassel",
        ];
        let kept = keep(&page);
        assert!(kept[1] && kept[4] && kept[7], "signatures lost: {kept:?}");
    }

    #[test]
    fn twelve_hour_live_blog_stamps_stay() {
        let blog = [
            "Drivers walked out at dawn and only a handful of school services and the airport link are running today.",
            "4:47pm",
            "That's all from us for today, and thank you for following our coverage of the strike this week.",
            "12:40pm",
            "The union has confirmed it will meet the management on Friday at 10am to talk about the final offer.",
            "11:30am",
            "Several secondary schools say attendance is down by as much as 15% today, with pupils unable to get in.",
        ];
        let kept = keep(&blog);
        assert!(kept[1] && kept[3] && kept[5], "stamps lost: {kept:?}");
    }

    #[test]
    fn live_blog_stamps_stay_and_a_lone_duration_goes() {
        let blog = [
            "Storm Eunice has brought gusts of over 90mph to the west coast, and the Met Office has warned people to stay indoors.",
            "15:47",
            "More than 62,000 homes without electricity",
            "Engineers say they will not be able to reach some villages before tomorrow morning, the network operator said.",
            "15:20",
            "All ferries from Oban and Ardrossan were cancelled for the rest of the day, the operator said in a statement.",
            "14:58",
            "Police in Dumfries have closed the coastal road after a lorry overturned in the wind near the harbour.",
        ];
        let kept = keep(&blog);
        assert!(kept[1] && kept[4] && kept[6], "stamps lost: {kept:?}");
        assert!(kept[2], "an entry's heading lost: {kept:?}");
        // Out of order: not a blog's stamps.
        let mut shuffled = blog;
        shuffled.swap(1, 4);
        assert!(!keep(&shuffled)[1]);
        // One time alone is a player's duration.
        let video = [
            "The minister defended the plan in parliament on Tuesday, saying the country could not wait any longer.",
            "2:14",
            "Opposition leaders said the figures did not add up and called for an independent review of the costs.",
        ];
        assert!(!keep(&video)[1]);
    }

    #[test]
    fn repeated_names_and_marked_captions_go() {
        let gallery = [
            "The old harbour was rebuilt after the storm of 1953, and the quay walls were raised by two metres along the whole front.",
            "Fishing boats at the north quay on Tuesday morning.",
            "Marina Cid",
            "The market hall, which opened in 1898, now houses twelve traders and a café run by the town's rowing club.",
            "Marina Cid",
            "Councillors will vote next month on whether to close the quay to cars during the summer season.",
        ];
        let kept = keep(&gallery);
        assert!(
            !kept[2] && !kept[4],
            "a photographer's name repeated: {kept:?}"
        );
        // The byline's name again after the article: the author's box.
        let paras = [
            "Councillors voted on Tuesday to close the harbour road to cars every weekend from June to September.",
            "Traders said the change would bring more visitors to the quay, though some worried about deliveries.",
            "Harriet Lowe",
        ];
        let v = classify(&paras, None, Some("Harriet Lowe"), Some("en"));
        assert!(!v[2].keep);
        // Where people stand in the picture, or an archive picture: a caption.
        let captions = [
            "Sabine Krüger (Mitte) lässt sich im Rathaus von ihren Unterstützern feiern.",
            "Una patrulla de la Guardia Civil, en una imagen de archivo.",
            "Margaret Ellison pictured in 1998, the year the school returned to its own building.",
        ];
        for c in captions {
            assert!(photo_caption(c, c.split_whitespace().count()), "{c}");
        }
        assert!(!photo_caption(
            "The party, which sits on the left of the chamber, lost four seats in the vote.",
            15
        ));
    }

    #[test]
    fn a_review_speaking_to_the_reader_keeps_its_verdict() {
        let review = [
            "The Kestrel V7 Pro cleans edges better than any robot vacuum we have tested at this price, thanks to a swinging side brush that reaches into corners.",
            "In our standard test the robot picked up 97 per cent of the oats, rice and flour we scattered across hard floor and carpet, in a single pass.",
            "If you want a robot vacuum that cleans the edges of a room properly and you don't mind a noisy dock, the Kestrel V7 Pro is easy to recommend, and the edge brush is worth it.",
            "Get the best deals and reviews in your inbox every week: sign up to our newsletter.",
        ];
        let kept = keep(&review);
        assert!(
            kept[2],
            "the verdict, long and about the robot vacuum: {kept:?}"
        );
        assert!(!kept[3], "the newsletter prompt after it: {kept:?}");
    }

    #[test]
    fn labelled_lists_of_names_are_list_items() {
        assert!(label_list(
            "Interpretação: Sofia Arruda, Joana Vilar, Manuel Teixeira"
        ));
        assert!(label_list(
            "TV Lindenau: Albers, Pohl – Steiger (8), Meinhardt (6), Rosić (5/2), Franke (4)"
        ));
        // A sentence after a colon is no list.
        assert!(!label_list(
            "Driving the news: the council voted, the mayor resigned, and nobody knows why. Again."
        ));
        assert!(!label_list("Faktencheck: Wie gut wirkt die Impfung?"));
        // Line-ups with substitutions in brackets, positions between dashes or
        // semicolons, the coach at the end.
        assert!(label_list(
            "FC Blau-Gelb Wehlheiden: Rüdiger – Okafor, Brandt, Scholtysik, Wenzel (71. Aydın) – Kleinschmidt, Petrović – Hoffmeister (63. Krug), Demir"
        ));
        assert!(label_list(
            "Atlético Serrano: Wellington; Jean, Rodrigo Alves, Márcio e Pedrinho; Bruno César (Luan Pires), Kauã e Gabriel Souza; Matheusinho, Yuri (Talles) e Everaldo. Técnico: Cláudio Bastos"
        ));
        assert!(!label_list(
            "Fazit: gut gemacht, schnell geliefert, aber leider viel zu laut für die Wohnung."
        ));
        // The last name after a conjunction, minutes in brackets.
        assert!(label_list(
            "Gols: Diego Paixão (8' do 1º tempo), Kaíque (14' do 2º tempo) e Matheusinho (33' do 2º tempo)"
        ));
        assert!(label_list(
            "Scorers: Okafor (12), Brandt (40) and Wenzel (88 pen)"
        ));
    }

    #[test]
    fn table_rows_are_not_menus() {
        let lines = [
            "Las cifras del ejercicio",
            "Área | 2023 | 2024",
            "Deportes | 6,5 | 7,0",
            "Cultura y fiestas | 9,7 | 8,3",
            "Inicio | Noticias | Deportes",
        ];
        assert_eq!(table_rows(&lines), [false, true, true, true, false]);
        // Menus: bars between words, however many lines of them.
        assert_eq!(
            table_rows(&["Home | News | Sport", "Impressum | AGB | Kontakt"]),
            [false, false]
        );
        // One line with figures alone is no table ("Seite 1 | 2 | 3").
        assert_eq!(table_rows(&["Seite 1 | 2 | 3", "Weiter"]), [false, false]);
        let doc = [
            "El ayuntamiento aprobó ayer el presupuesto del año que viene con los votos del gobierno municipal.",
            "Área | 2023 | 2024",
            "Deportes | 6,5 | 7,0",
            "Cultura y fiestas | 9,7 | 8,3",
            "La oposición votó en contra y anunció que presentará alegaciones durante el mes de marzo.",
        ];
        let v = classify(&doc, None, None, Some("es"));
        assert!(v.iter().all(|v| v.keep), "{v:?}");
    }

    #[test]
    fn headings_between_article_text_stay_captions_and_menus_go() {
        let body = "The ministers met in Geneva on Friday and agreed that the talks on European security should continue next week.";
        let paras = [
            "Home › World › Europe",
            body,
            "Valdai Discussion Club: European Security Structure at stake",
            body,
            "ITV News Senior International Correspondent John Irvine reports on how sincere Russia's strategy seems amid the risks",
            "That could at least delay any imminent aggression.",
            body,
            "Most read",
            "Storm hits coast",
            "Markets fall again",
            "Election date set",
        ];
        assert_eq!(
            keep(&paras),
            vec![false, true, true, true, false, true, true, false, false, false, false]
        );
    }

    #[test]
    fn short_items_about_the_story_between_its_paragraphs_are_a_list() {
        let [a, b, c] = PHONE_REVIEW;
        // Pros and cons: most items share a word with the review.
        let mut review = vec![a, b];
        review.extend(PROS_AND_CONS);
        review.push(c);
        assert_eq!(keep(&review), vec![true; 9]);
        // A menu between the same paragraphs shares nothing with them.
        let menu = [a, b, "Politics", "Business", "Culture", "Travel", c];
        assert_eq!(
            keep(&menu),
            vec![true, true, false, false, false, false, true]
        );
    }

    #[test]
    fn a_labelled_list_of_key_points_between_paragraphs_stays() {
        let a = "The government approved the budget for next year late on Monday after a cabinet meeting of four hours.";
        let b = "The largest chapter confirms for another year the cut in payroll taxes for workers on lower incomes.";
        let c = "On pensions, the measure that caused most debate is the extension of early retirement for one more year.";
        let paras = [
            a,
            b,
            "The main measures",
            "Payroll tax cut confirmed for incomes up to 35,000 euros",
            "Two lowest income tax brackets merged at a rate of 23%",
            "Public sector contracts renewed with 5 billion set aside",
            "Three billion for hospitals, mostly for their staff",
            c,
        ];
        assert_eq!(keep(&paras), vec![true; 8]);
    }

    #[test]
    fn an_agency_sign_off_ends_a_sentence_a_time_zone_does_not() {
        assert!(agency_tail(
            "Los sindicatos valoraron positivamente los datos. EFE"
        ));
        assert!(agency_tail(
            "Die Ergebnisse wurden im Fachjournal veröffentlicht. (tep)"
        ));
        assert!(agency_tail("The talks resume on Friday. AFP/dpa"));
        assert!(!agency_tail("Axios on HBO — Sundays at 6 p.m. ET"));
        assert!(!agency_tail("Port Ellery Athletic 3 Castlebridge Rovers 2"));
    }

    #[test]
    fn a_fact_box_row_with_bars_stays_a_menu_and_page_numbers_go() {
        let body = "The company said on Tuesday that sales had fallen for a third year as orders from builders dried up.";
        let paras = [
            "Home | Business | Markets",
            body,
            "Revenue 2021: £212m | 2022: £171m | Operating profit 2022: -£3.1m",
            body,
            "1 | 2 | 3 | Next",
        ];
        assert_eq!(keep(&paras), [false, true, true, true, false]);
        assert!(fact_row("capaciteit 3 MW | looptijd 24 maanden"));
        assert!(!fact_row("1 | 2 | 3"));
        assert!(!fact_row("Sport | 12.03.2023"));
        assert!(fact_row(
            "Tempo di preparazione: 20 minuti · Cottura: 25 minuti · Difficoltà: facile"
        ));
        assert!(fact_row(
            "Montpellier – Antigone · Appartement 3 pièces · 68 m² · 249 000 €"
        ));
        assert!(!fact_row("Weer in Amersfoort: 6° · motregen · wind ZW 4"));
        assert!(!fact_row("Oviedo | 20·04·22 | 04:00"));
        assert!(!fact_row(
            "Reportagem: Ana Simões | Imagem: Rui Lopes | Edição: Paulo Gaspar"
        ));
        assert!(!fact_row("Chi siamo · Contatti · Pubblicità · Privacy"));
        // A recipe's box of times, with dots, over its ingredients: no menu.
        let recipe = [
            "Chi è cresciuto sulle rive del lago lo sa: la domenica in trattoria si ordinava il risotto con il pesce.",
            "Tempo di preparazione: 20 minuti · Cottura: 25 minuti · Dosi per 4 persone · Difficoltà: facile",
            "Ingredienti",
            "320 g di riso Carnaroli",
            "1 litro di brodo vegetale caldo",
            "1 cipolla bianca piccola",
            "80 g di burro",
            "2 uova",
            "Tritate finemente la cipolla e fatela appassire in una casseruola con il burro, poi aggiungete il riso.",
        ];
        assert!(keep(&recipe).iter().all(|k| *k), "{:?}", keep(&recipe));
    }

    #[test]
    fn a_photographers_bare_name_and_its_caption_go_a_title_case_subheading_stays() {
        let body = "The council approved the new harbour budget on Tuesday after a long and heated debate about rising costs.";
        let paras = [
            body,
            "Fishing boats moored in the harbour on Thursday morning.",
            "Chantal Dervey",
            body,
            "Work on the new quay should start in March and last two years.",
            "Rising Costs",
            "The costs of the works have risen by a third since the plans were first drawn up, the council said.",
            "The opposition wants an independent review before any contract is signed.",
            body,
        ];
        assert_eq!(
            keep(&paras),
            [true, false, false, true, true, true, true, true, true]
        );
    }

    #[test]
    fn key_points_leading_into_the_article_stay() {
        let paras = [
            "Duration: 1 minute 42 seconds",
            "Key points:",
            "The river is expected to peak at 11.6 metres on Thursday",
            "An evacuation order covers the town centre and the streets south of the bridge",
            "Evacuation centres are open at the showground and the high school",
            "Emergency services have ordered thousands of people in the town to leave their homes as the river rises again.",
            "The river peaked at a record 14.4 metres a month ago, flooding much of the town centre.",
        ];
        assert_eq!(keep(&paras), [false, true, true, true, true, true, true]);
    }

    #[test]
    fn teasers_and_site_notices_go_but_subheadings_stay() {
        let paras = [
            "The council approved the new harbour budget on Tuesday after a long and heated debate.",
            "Storm Eunice: what we know so far about the weekend",
            "The harbour works should start in March and last two years, the council said.",
            "What happens next",
            "Residents can comment on the harbour plans until the end of February at the town hall.",
            "Annuncio pubblicitario",
            "Copyright 2022 Eastgate Ledger. All rights reserved. No reproduction without permission.",
        ];
        assert_eq!(
            keep(&paras),
            vec![true, false, true, true, true, false, false]
        );
    }

    #[test]
    fn credits_captions_stamps_and_breadcrumbs_go_lists_stay() {
        let paras = [
            "Politik › Wahlen",
            "The regional election ended with a clear win for the governing party on Sunday night.",
            "The party's leader thanked voters in a short speech at the party headquarters.",
            "Supporters celebrate at the party headquarters",
            "MIGUEL FARIA/LUSA",
            "This is how the seats are shared out:",
            "Governing party: 31",
            "Opposition: 28",
            "Greens: 13",
            "07:58",
            "Turnout was around 63 per cent, lower than at the last regional election in 2018.",
            "Foto: Jan Zwiers",
            "The results:",
            "1. Stijn Verlinden (Bel) in 4u12'36\"",
            "2. Mathis Deprez (Fra) z.t.",
            "3. Jonas Van Laer (Bel) z.t.",
            "The race returns to the same course next spring, the organisers said on Sunday evening.",
        ];
        let v: Vec<(bool, &str)> = classify(&paras, None, None, Some("en"))
            .into_iter()
            .map(|v| (v.keep, v.reason))
            .collect();
        let keep: Vec<bool> = v.iter().map(|(k, _)| *k).collect();
        assert_eq!(
            keep,
            vec![
                false, true, true, false, false, true, true, true, true, false, true, false, true,
                true, true, true, true
            ],
            "{v:#?}"
        );
    }

    #[test]
    fn captions_signed_with_a_credit_at_the_end() {
        for caption in [
            "Les parents d'élèves devant l'école Jean-Moulin, lundi matin. Photo Le Courrier des Cévennes / É. G.",
            "Le front du glacier, en septembre 2023. Crédit : M. Kessler",
            "Osvaldo Terra no coreto da praça da Matriz, em 2015 - Foto: Arquivo/Jornal do Planalto",
            "Ada Ferri, «Balcone, Sesto», 1962. Courtesy Archivio Ada Ferri",
            "Vecinos y peñistas celebran el chupinazo en la plaza Mayor. / J. L.",
            "Photo Le Courrier des Vallées / Sylvie Arnaud",
            "Interview: Thijs van der Linden",
        ] {
            assert!(is_credit(caption), "{caption}");
        }
        // Prose that mentions a photo or a credit is no credit.
        for prose in [
            "The council said on Tuesday that the photo exhibition would open in May.",
            "Le crédit immobilier reste cher. Crédit agricole et BNP ont relevé leurs taux mardi, selon les courtiers.",
            "Os dados são de 2023 - foram recolhidos pela universidade ao longo de seis meses.",
            "Interview: what the new law means for tenants",
        ] {
            assert!(!is_credit(prose), "{prose}");
        }
    }

    #[test]
    fn a_bio_after_the_article_goes() {
        let paras = [
            "The council approved the new harbour budget on Tuesday after a long and heated debate.",
            "The harbour works should start in March and last two years, the council said.",
            "Lena Vogt is a senior reporter at the Ledger and writes about the city and its harbour.",
        ];
        let v: Vec<bool> = classify(&paras, None, Some("Lena Vogt"), Some("en"))
            .into_iter()
            .map(|v| v.keep)
            .collect();
        assert_eq!(v, vec![true, true, false]);
    }

    #[test]
    fn promotions_after_the_article_go_but_body_prose_stays() {
        let fr = [
            "Le conseil municipal a voté mardi le budget de la ville après un long débat.",
            "Le chantier doit se terminer à la fin du mois de février.",
            "Abonnez-vous à partir de 1 € par mois pour lire tous nos articles.",
            "Vous souhaitez réagir ? Les commentaires sont fermés pour cet article.",
        ];
        let v: Vec<bool> = classify(&fr, None, None, Some("fr"))
            .into_iter()
            .map(|v| v.keep)
            .collect();
        // "du" is French for "of the", not German "you": the body line stays.
        assert_eq!(v, vec![true, true, false, false]);
        let en = [
            "The council approved the city budget on Tuesday after a long debate.",
            "If you drive through the area, expect delays, the police said in a statement to residents.",
            "The project is expected to cost $18.6 million over two years, officials said.",
        ];
        assert!(
            classify(&en, None, None, Some("en")).iter().all(|v| v.keep),
            "a price or a 'you' inside the article is prose"
        );
    }

    #[test]
    fn nothing_is_judged_without_article_text() {
        assert_eq!(keep(&["Short note", "Another"]), vec![true, true]);
    }

    #[test]
    fn features_are_reported() {
        let v = classify(
            &["Follow @newsdesk and #breaking at https://x.example.com"],
            None,
            None,
            Some("en"),
        );
        assert!(v[0].features.link_density > 0.3);
        assert!(!v[0].keep || v.len() == 1);
    }
}
