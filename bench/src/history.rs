//! The seeded generator of a realistic designation history.
//!
//! Designations across four authorities and several regimes each; about ten events per
//! designation: the designation, amendments (RFC 7396 patches of names and aliases, addresses,
//! measures, reasons, sources), delistings, relistings, backdated amendments and retractions of
//! amendments. Every history is one the ledger accepts: each key is planned as a valid lifecycle
//! in legal-effect order, and events are appended in the order they become known (the day they
//! are recorded), so every prefix of the history is valid too.
//!
//! The same seed and size give the same bytes, on any machine.

use std::collections::BTreeMap;

use ledger_core::event::InputEvent;
use ledger_core::input::parse_value;
use serde_json::{Map, Value, json};

/// Days from 1970-01-01 to 2000-01-01: the first day a designation may take effect.
const FIRST_DAY: i64 = 10_957;
/// Designations start within this many days of [`FIRST_DAY`] (about 22 years), so that their
/// lifecycles (up to about 5 years) end by the late 2020s.
const START_SPAN: i64 = 8_000;

/// A generated history: input events in append order (event `i` becomes seq `i + 1`).
pub struct History {
    /// The canonical JSON (RFC 8785) of each input event, in append order.
    pub events: Vec<Vec<u8>>,
    /// For each event, the day (since 1970-01-01) it became known: the ledger's clock is set
    /// from it, batch by batch, so that recorded time moves forward with the history.
    pub recorded_day: Vec<i64>,
    /// How many distinct designation keys the history holds.
    pub designations: usize,
    /// Events by type (and relistings, backdated amendments among them).
    pub mix: BTreeMap<String, usize>,
    /// The last legal-effect day of any event: queries are made at the end of this day.
    pub last_effective_day: i64,
    /// The key queried by `show` and `history` (a full lifecycle: amended, delisted, relisted,
    /// a backdated amendment and a retraction; in force at the end).
    pub query_key: String,
    /// The query key's primary name, searched for by `search`.
    pub search_name: String,
}

impl History {
    /// The bytes of all events' canonical JSON.
    pub fn raw_bytes(&self) -> u64 {
        self.events.iter().map(|e| e.len() as u64).sum()
    }

    /// Smallest, median and largest event, in bytes.
    pub fn size_spread(&self) -> (usize, usize, usize) {
        let mut sizes: Vec<usize> = self.events.iter().map(Vec::len).collect();
        sizes.sort_unstable();
        match (sizes.first(), sizes.get(sizes.len() / 2), sizes.last()) {
            (Some(a), Some(b), Some(c)) => (*a, *b, *c),
            _ => (0, 0, 0),
        }
    }
}

/// SplitMix64: small, fast, and the same everywhere.
#[derive(Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed and a stream number (so that each key draws its own stream).
    pub fn new(seed: u64, stream: u64) -> Rng {
        let mut r = Rng(seed ^ stream.wrapping_mul(0xA076_1D64_78BD_642F));
        r.bits();
        r
    }

    /// The next 64 random bits.
    pub fn bits(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.bits()) * u128::from(n.max(1))) >> 64) as u64
    }

    /// A number in `lo..=hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1).max(1) as u64) as i64
    }

    /// True with probability `p` percent.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// One item of a non-empty slice.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// `YYYY-MM-DD` of a day number (days since 1970-01-01), proleptic Gregorian.
pub fn date(days: i64) -> String {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Microseconds since the epoch at the start of a day.
pub fn day_micros(days: i64) -> i64 {
    days * 86_400_000_000
}

struct RegimeDef {
    code: &'static str,
    name: &'static str,
    prefix: &'static str,
    measures: &'static [&'static str],
}

struct AuthorityDef {
    code: &'static str,
    url: &'static str,
    regimes: &'static [RegimeDef],
}

const AUTHORITIES: &[AuthorityDef] = &[
    AuthorityDef {
        code: "UK",
        url: "https://www.gov.uk/sanctions-notice",
        regimes: &[
            RegimeDef {
                code: "RUS",
                name: "The Russia (Sanctions) (EU Exit) Regulations 2019",
                prefix: "RUS",
                measures: &["asset_freeze", "travel_ban", "director_disqualification", "trust_services"],
            },
            RegimeDef {
                code: "GHR",
                name: "The Global Human Rights Sanctions Regulations 2020",
                prefix: "GHR",
                measures: &["asset_freeze", "travel_ban"],
            },
            RegimeDef {
                code: "CYB",
                name: "The Cyber (Sanctions) (EU Exit) Regulations 2020",
                prefix: "CYB",
                measures: &["asset_freeze", "travel_ban"],
            },
            RegimeDef {
                code: "GIM",
                name: "The Global Irregular Migration and Trafficking in Persons Sanctions Regulations 2025",
                prefix: "GIM",
                measures: &["asset_freeze", "travel_ban", "director_disqualification"],
            },
        ],
    },
    AuthorityDef {
        code: "UN",
        url: "https://press.un.org/en/sc",
        regimes: &[
            RegimeDef {
                code: "ISIL-AQ",
                name: "ISIL (Da'esh) and Al-Qaida Sanctions Committee (resolution 1267)",
                prefix: "QDi.",
                measures: &["asset_freeze", "travel_ban", "arms_embargo"],
            },
            RegimeDef {
                code: "DPRK",
                name: "Democratic People's Republic of Korea (resolution 1718)",
                prefix: "KPi.",
                measures: &["asset_freeze", "travel_ban", "arms_embargo"],
            },
            RegimeDef {
                code: "LBY",
                name: "Libya Sanctions Committee (resolution 1970)",
                prefix: "LYi.",
                measures: &["asset_freeze", "travel_ban"],
            },
        ],
    },
    AuthorityDef {
        code: "EU",
        url: "https://eur-lex.europa.eu/eli/reg_impl",
        regimes: &[
            RegimeDef {
                code: "RUS",
                name: "Council Regulation (EU) No 269/2014",
                prefix: "EU.RUS.",
                measures: &["asset_freeze", "travel_ban"],
            },
            RegimeDef {
                code: "BLR",
                name: "Council Regulation (EC) No 765/2006",
                prefix: "EU.BLR.",
                measures: &["asset_freeze", "travel_ban", "trade"],
            },
            RegimeDef {
                code: "IRN",
                name: "Council Regulation (EU) No 267/2012",
                prefix: "EU.IRN.",
                measures: &["asset_freeze", "travel_ban", "financial"],
            },
        ],
    },
    AuthorityDef {
        code: "OFAC",
        url: "https://ofac.treasury.gov/recent-actions",
        regimes: &[
            RegimeDef {
                code: "SDGT",
                name: "Executive Order 13224 (Specially Designated Global Terrorists)",
                prefix: "SDN-",
                measures: &["asset_freeze", "financial"],
            },
            RegimeDef {
                code: "RUSSIA-EO14024",
                name: "Executive Order 14024 (Russian Harmful Foreign Activities)",
                prefix: "SDN-",
                measures: &["asset_freeze", "financial", "trade"],
            },
            RegimeDef {
                code: "GLOMAG",
                name: "Global Magnitsky Human Rights Accountability Act",
                prefix: "SDN-",
                measures: &["asset_freeze", "travel_ban"],
            },
        ],
    },
];

const GIVEN: &[&str] = &[
    "Nusret",
    "Đorđe",
    "Łukasz",
    "Ivan",
    "Aleksandr",
    "Mohammed",
    "Ahmad",
    "Yusuf",
    "Omar",
    "Khalid",
    "Dmitry",
    "Sergei",
    "Olga",
    "Tatiana",
    "Kim",
    "Ri",
    "Pak",
    "Hassan",
    "Ali",
    "Fatima",
    "Amina",
    "José",
    "María",
    "François",
    "Zoltán",
    "Goran",
    "Dalibor",
    "Vuk",
    "Nikola",
    "Milan",
    "Yevgeny",
    "Arkady",
    "Boris",
    "Igor",
    "Natalia",
    "Irina",
    "Abdul",
    "Rahman",
    "Salim",
    "Tariq",
    "Jamal",
    "Samir",
    "Youssef",
    "Karim",
    "Hamid",
    "Reza",
    "Mehdi",
    "Javad",
    "Ebrahim",
    "Hossein",
    "Chol",
    "Song",
    "Jong",
    "Myong",
    "Andrés",
    "Søren",
    "Björn",
    "Jürgen",
    "Gökhan",
    "Çağrı",
];

const MIDDLE: &[&str] = &[
    "Petrovich",
    "Ivanovna",
    "Abdullah",
    "Hassan",
    "Mahmoud",
    "Sergeyevich",
    "Nikolaevich",
    "Ali",
    "Ibrahim",
    "Yong",
    "Il",
    "Hyok",
    "Antonio",
    "Luis",
    "Assad",
    "Karimovich",
    "Viktorovich",
    "Mikhailovna",
    "bin Laden",
    "Rashid",
    "Saleh",
    "Nasser",
    "Hamdan",
    "Farouk",
    "Tahir",
    "Walid",
    "Aziz",
    "Jamil",
    "Kamal",
    "Latif",
];

const FAMILY: &[&str] = &[
    "SEFEROVIĆ",
    "JALAL",
    "CURLIK",
    "SOKOLOV",
    "IVANOVA",
    "AL-RASHIDI",
    "AL-MASRI",
    "O'BRIEN",
    "MÜLLER",
    "KOVAČEVIĆ",
    "PETROV",
    "SMIRNOV",
    "KUZNETSOV",
    "POPOV",
    "VASILIEV",
    "NOVIKOV",
    "MOROZOV",
    "VOLKOV",
    "AL-TIKRITI",
    "HAQQANI",
    "YUSUFZAI",
    "KHAN",
    "RAHIMI",
    "KARIMI",
    "HOSSEINI",
    "MOUSAVI",
    "TEHRANI",
    "KIM",
    "PAK",
    "CHOE",
    "RI",
    "JANG",
    "HAN",
    "GARCÍA",
    "FERNÁNDEZ",
    "LÓPEZ",
    "MARTÍNEZ",
    "SÁNCHEZ",
    "DUBOIS",
    "LEFÈVRE",
    "NAGY",
    "HORVÁTH",
    "WÓJCIK",
    "KOWALSKI",
    "NOWAK",
    "DĄBROWSKI",
    "ØSTERGAARD",
    "LARSEN",
    "SCHMIDT",
    "WEBER",
    "ÖZTÜRK",
    "YILMAZ",
    "ÇELIK",
    "DEMIR",
    "ŞAHIN",
    "ABDULLAEV",
    "ALIYEV",
    "MAMEDOV",
    "HASANOV",
    "GULIYEV",
    "NAZAROV",
    "RAKHIMOV",
    "TURSUNOV",
    "USMANOV",
    "FRIDMAN",
    "DERIPASKA",
    "ROTENBERG",
    "TIMCHENKO",
    "KOVALCHUK",
    "SECHIN",
    "MILLER",
    "ABRAMOV",
    "POTANIN",
    "MELNICHENKO",
    "AVEN",
    "KHAN",
    "BAGHDADI",
    "ZAWAHIRI",
    "QURAISHI",
    "HASHIMI",
    "SHISHANI",
    "TUNISI",
    "LIBI",
    "MAGHRIBI",
    "AL-ZINTANI",
    "GADDAFI",
    "AL-SENUSSI",
    "DBEIBAH",
    "HAFTAR",
    "BASHAGHA",
    "MAITEEQ",
    "KARA",
    "OSMAN",
    "BEGOVIĆ",
    "HADŽIĆ",
    "DELIĆ",
];

const ENTITY_WORDS: &[&str] = &[
    "Northern",
    "Star",
    "Baltic",
    "Caspian",
    "Golden",
    "Crescent",
    "Eastern",
    "Pacific",
    "Atlas",
    "Orion",
    "Falcon",
    "Delta",
    "Meridian",
    "Sapphire",
    "Granite",
    "Horizon",
    "Phoenix",
    "Cedar",
    "Silk",
    "Road",
    "Arctic",
    "Volga",
    "Ural",
    "Amur",
    "Neva",
    "Tigris",
    "Euphrates",
    "Sahara",
    "Sinai",
    "Levant",
    "Kestrel",
    "Onyx",
    "Cobalt",
    "Titan",
    "Vega",
    "Polaris",
    "Aurora",
    "Zenith",
    "Equinox",
    "Summit",
];

const ENTITY_TRADES: &[&str] = &[
    "Trading",
    "Shipping",
    "Logistics",
    "Petroleum",
    "Holdings",
    "Industries",
    "Engineering",
    "Technologies",
    "Investments",
    "Maritime",
    "Aviation",
    "Minerals",
    "Chemicals",
    "Defence Systems",
    "Finance",
];

const ENTITY_FORMS: &[&str] = &["LLC", "FZCO", "JSC", "Ltd", "GmbH", "SA", "OOO", "AO", "PJSC", "Co. Ltd"];

const COUNTRIES: &[(&str, &[&str])] = &[
    ("Russia", &["Moscow", "Saint Petersburg", "Novosibirsk", "Yekaterinburg", "Kazan"]),
    ("Iran", &["Tehran", "Isfahan", "Mashhad", "Tabriz"]),
    ("North Korea", &["Pyongyang", "Nampo", "Chongjin"]),
    ("Syria", &["Damascus", "Aleppo", "Latakia"]),
    ("Libya", &["Tripoli", "Benghazi", "Misrata"]),
    ("United Arab Emirates", &["Dubai", "Sharjah", "Abu Dhabi"]),
    ("Türkiye", &["Istanbul", "Ankara", "Mersin"]),
    ("Belarus", &["Minsk", "Brest", "Gomel"]),
    ("Serbia", &["Belgrade", "Novi Sad"]),
    ("Bosnia and Herzegovina", &["Sarajevo", "Tuzla"]),
    ("Afghanistan", &["Kabul", "Kandahar"]),
    ("Pakistan", &["Karachi", "Peshawar", "Quetta"]),
];

const STREETS: &[&str] = &[
    "Tverskaya Street",
    "Leninsky Prospekt",
    "Valiasr Avenue",
    "Sheikh Zayed Road",
    "Al Maktoum Street",
    "Istiklal Caddesi",
    "Nezavisimosti Avenue",
    "Knez Mihailova",
    "Omar Al Mukhtar Street",
    "Port Road",
    "Industrial Zone 4",
    "Jebel Ali Free Zone",
    "Sungri Street",
    "Ferhadija",
];

const POSITIONS: &[&str] = &[
    "Director of a designated entity",
    "Former Deputy Minister of Defence",
    "Member of the State Duma",
    "Senior commander of a designated group",
    "Financier and facilitator",
    "Chief executive of a state-owned company",
    "Head of procurement network",
    "Businessman with close ties to the government",
];

const REASONS: &[&str] = &[
    "carries on business in a sector of strategic significance to the Government of Russia",
    "responsible for or involved in serious human rights violations",
    "involved in relevant cyber activity, including providing technology for it",
    "participated in the financing or planning of acts of a listed group",
    "involved in the smuggling of migrants and in laundering its proceeds",
    "arranged ship-to-ship transfers of oil products to evade sanctions",
    "procured dual-use goods for a prohibited weapons programme",
];

const AMEND_REASONS: &[&str] = &[
    "variation: alias added following new information",
    "variation: address updated",
    "variation: statement of reasons revised",
    "variation: identifying details corrected",
    "variation: measures extended",
    "variation: publication reference updated",
];

const DELIST_REASONS: &[&str] = &[
    "revoked following a ministerial review: the criteria for designation are no longer met, and the asset freeze ends",
    "removed by the committee following a delisting request through the Office of the Ombudsperson; all measures lifted",
    "revoked following a successful court challenge to the designation; frozen funds may be released from this date",
    "removed: the subject is deceased and the estate is not owned or controlled by a designated person",
    "revoked following an administrative review of the evidence supporting the designation; measures lifted",
];

const RETRACT_REASONS: &[&str] = &[
    "recorded in error: the amendment was entered against the wrong designation, and the notice it was keyed from concerned another subject with a similar name",
    "recorded in error: the amendment duplicated a variation already recorded from an earlier notice, which the authority had republished without change",
    "recorded in error: keyed in from a draft notice that the authority withdrew before publication; the published notice made no change to this designation",
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Individual,
    Entity,
    Ship,
}

/// What is fixed about one designation key: its identity and the names, dates and places its
/// events draw from.
struct Identity {
    authority: usize,
    regime: usize,
    id: String,
    kind: Kind,
    primary: String,
    variation: String,
    aliases: Vec<String>,
    dob: String,
    country: usize,
    town: usize,
    street: usize,
    number: u64,
    identifier: String,
    position: usize,
    group: u64,
}

fn identity(seed: u64, key_no: usize) -> Identity {
    let mut r = Rng::new(seed, key_no as u64 * 2 + 1);
    let authority = key_no % AUTHORITIES.len();
    let a = &AUTHORITIES[authority];
    let regime = r.below(a.regimes.len() as u64) as usize;
    let reg = &a.regimes[regime];
    // Unique per authority: the key number alone would do; the prefix makes it look like the
    // authority's own references.
    let id = format!("{}{:06}", reg.prefix, key_no);
    let kind = match r.below(10) {
        0..=5 => Kind::Individual,
        6..=8 => Kind::Entity,
        _ => Kind::Ship,
    };
    let (primary, variation, aliases) = match kind {
        Kind::Individual => {
            let (g, m, f) = (r.pick(GIVEN), r.pick(MIDDLE), r.pick(FAMILY));
            let g2 = r.pick(GIVEN);
            (
                format!("{g} {m} {f}"),
                format!("{g} {}", f.replace('Ć', "C").replace('Š', "S").replace("AL-", "EL ")),
                vec![format!("{g2} {f}"), format!("Abu {}", r.pick(MIDDLE))],
            )
        }
        Kind::Entity => {
            let (w1, w2) = (r.pick(ENTITY_WORDS), r.pick(ENTITY_WORDS));
            let (t, f) = (r.pick(ENTITY_TRADES), r.pick(ENTITY_FORMS));
            (
                format!("{w1} {w2} {t} {f}"),
                format!("{w1}-{w2} {t}"),
                vec![format!("{} {t}", r.pick(ENTITY_WORDS)), format!("{w1} {w2} Group")],
            )
        }
        Kind::Ship => {
            let (w1, w2) = (r.pick(ENTITY_WORDS), r.pick(ENTITY_WORDS));
            (
                format!("{} {}", w1.to_uppercase(), w2.to_uppercase()),
                format!("{}{}", w1.to_uppercase(), w2.to_uppercase()),
                vec![format!("{} {}", r.pick(ENTITY_WORDS).to_uppercase(), r.range(1, 99))],
            )
        }
    };
    let year = r.range(1940, 1995);
    let dob = match r.below(4) {
        0 => format!("{year}"),
        1 => format!("{year}-{:02}", r.range(1, 12)),
        _ => format!("{year}-{:02}-{:02}", r.range(1, 12), r.range(1, 28)),
    };
    let country = r.below(COUNTRIES.len() as u64) as usize;
    let town = r.below(COUNTRIES[country].1.len() as u64) as usize;
    let identifier = match kind {
        Kind::Individual => format!("{}{:07}", r.range(10, 99), r.below(10_000_000)),
        Kind::Entity => format!("{:013}", r.below(10_000_000_000_000)),
        Kind::Ship => format!("{}", r.range(7_000_000, 9_999_999)),
    };
    Identity {
        authority,
        regime,
        id,
        kind,
        primary,
        variation,
        aliases,
        dob,
        country,
        town,
        street: r.below(STREETS.len() as u64) as usize,
        number: r.range(1, 250) as u64,
        identifier,
        position: r.below(POSITIONS.len() as u64) as usize,
        group: r.range(10_000, 99_999) as u64,
    }
}

impl Identity {
    fn authority(&self) -> &'static AuthorityDef {
        &AUTHORITIES[self.authority]
    }

    fn regime(&self) -> &'static RegimeDef {
        &self.authority().regimes[self.regime]
    }

    fn kind_str(&self) -> &'static str {
        match self.kind {
            Kind::Individual => "individual",
            Kind::Entity => "entity",
            Kind::Ship => "ship",
        }
    }

    /// The primary name and, with aliases, its variation and the first `aliases` aliases.
    fn names(&self, aliases: usize) -> Value {
        let mut names = vec![json!({"name": self.primary, "type": "primary"})];
        if aliases > 0 {
            names.push(json!({"name": self.variation, "type": "variation"}));
        }
        for (i, a) in self.aliases.iter().take(aliases).enumerate() {
            names.push(json!({"name": a, "type": "alias", "quality": if i == 0 { "good" } else { "low" }}));
        }
        Value::Array(names)
    }

    fn address(&self, r: &mut Rng) -> Value {
        let (country, towns) = COUNTRIES[self.country];
        let town = towns[(self.town + r.below(2) as usize) % towns.len()];
        json!([{"lines": [format!("{} {}", self.number + r.below(3), STREETS[self.street])], "town": town, "country": country}])
    }

    fn measures(&self, r: &mut Rng, extended: bool) -> Value {
        let all = self.regime().measures;
        let n = if extended { all.len() } else { 1 + r.below(all.len() as u64) as usize };
        Value::Array(all.iter().take(n).map(|m| Value::from(*m)).collect())
    }

    fn source(&self, day: i64, r: &mut Rng) -> Value {
        json!({
            "url": format!("{}/{}-{}", self.authority().url, date(day), r.range(1000, 9999)),
            "published": date(day),
        })
    }

    fn subject(&self, r: &mut Rng) -> Value {
        let mut s = Map::new();
        s.insert("kind".into(), Value::from(self.kind_str()));
        s.insert("names".into(), self.names(r.below(2) as usize));
        match self.kind {
            Kind::Individual => {
                s.insert("dates_of_birth".into(), json!([{"date": self.dob}]));
                s.insert("nationalities".into(), json!([COUNTRIES[self.country].0]));
                if r.chance(30) {
                    s.insert("position".into(), Value::from(POSITIONS[self.position]));
                }
                if r.chance(50) {
                    s.insert("identifiers".into(), json!([{"kind": "passport", "value": self.identifier}]));
                }
            }
            Kind::Entity => {
                s.insert("addresses".into(), self.address(r));
                s.insert("identifiers".into(), json!([{"kind": "registration", "value": self.identifier}]));
            }
            Kind::Ship => {
                s.insert("identifiers".into(), json!([{"kind": "imo", "value": self.identifier}]));
            }
        }
        Value::Object(s)
    }

    fn designation(&self, day: i64, r: &mut Rng) -> Value {
        let reg = self.regime();
        json!({
            "type": "designation",
            "authority": self.authority().code,
            "id": self.id,
            "effective": date(day),
            "regime": {"code": reg.code, "name": reg.name},
            "subject": self.subject(r),
            "measures": self.measures(r, false),
            "reason": REASONS[r.below(REASONS.len() as u64) as usize],
            "source": self.source(day, r),
        })
    }

    fn amendment(&self, day: i64, n: usize, r: &mut Rng) -> Value {
        let mut patch = Map::new();
        let which = r.below(6);
        let mut subject = Map::new();
        match which {
            0 | 1 => {
                subject.insert("names".into(), self.names(1 + (n % 2)));
            }
            2 => {
                if self.kind == Kind::Individual {
                    subject.insert("position".into(), Value::from(POSITIONS[r.below(POSITIONS.len() as u64) as usize]));
                } else {
                    subject.insert("addresses".into(), self.address(r));
                }
            }
            3 => {
                patch.insert("measures".into(), self.measures(r, true));
            }
            _ => {
                patch.insert("reason".into(), Value::from(REASONS[r.below(REASONS.len() as u64) as usize]));
            }
        }
        if !subject.is_empty() {
            patch.insert("subject".into(), Value::Object(subject));
        }
        patch.insert("source".into(), self.source(day, r));
        patch.insert("other".into(), json!({"group_id": self.group.to_string(), "last_updated": date(day)}));
        json!({
            "type": "amendment",
            "authority": self.authority().code,
            "id": self.id,
            "effective": date(day),
            "patch": patch,
            "reason": AMEND_REASONS[which as usize],
            "published": date(day),
        })
    }

    fn delisting(&self, day: i64, r: &mut Rng) -> Value {
        json!({
            "type": "delisting",
            "authority": self.authority().code,
            "id": self.id,
            "effective": date(day),
            "reason": DELIST_REASONS[r.below(DELIST_REASONS.len() as u64) as usize],
            "published": date(day),
            "note": format!("notice {}/{}-{}", self.authority().url, date(day), r.range(1000, 9999)),
        })
    }
}

/// One planned event of a key.
#[derive(Clone, Copy)]
enum Act {
    Designation,
    Amendment,
    Delisting,
    /// A retraction of the key's planned event at this index.
    Retraction(usize),
}

#[derive(Clone, Copy)]
struct Planned {
    act: Act,
    effective: i64,
    recorded: i64,
    backdated: bool,
    relisting: bool,
}

/// Plans one key's lifecycle, valid in legal-effect order and in every prefix of recording
/// order. `rich` forces every feature (the key that the single-key queries read).
fn plan(r: &mut Rng, rich: bool) -> Vec<Planned> {
    let ev = |act, effective, recorded| Planned { act, effective, recorded, backdated: false, relisting: false };
    let mut p = Vec::new();
    let start = FIRST_DAY + r.range(0, START_SPAN);
    let mut day = start;
    p.push(ev(Act::Designation, day, day));
    let mut amendments = Vec::new();
    for _ in 0..r.range(4, 10) {
        // At least three days apart, so that a backdated amendment fits between two events.
        day += r.range(3, 95);
        amendments.push(p.len());
        p.push(ev(Act::Amendment, day, day));
    }
    if rich || r.chance(40) {
        day += r.range(30, 400);
        p.push(ev(Act::Delisting, day, day));
        if rich || r.chance(55) {
            day += r.range(30, 400);
            p.push(Planned { relisting: true, ..ev(Act::Designation, day, day) });
            for _ in 0..r.range(1, 3) {
                day += r.range(3, 95);
                amendments.push(p.len());
                p.push(ev(Act::Amendment, day, day));
            }
        }
    }
    if rich || r.chance(40) {
        // Effective the day after the designation, before the key's next event; known only
        // after the key's third event was recorded.
        let recorded = p[p.len().min(3) - 1].recorded + r.range(1, 20);
        p.push(Planned { backdated: true, ..ev(Act::Amendment, start + 1, recorded) });
    }
    if rich || r.chance(50) {
        let target = amendments[r.below(amendments.len() as u64) as usize];
        let recorded = p[target].recorded + r.range(1, 60);
        p.push(ev(Act::Retraction(target), p[target].effective, recorded));
    }
    p
}

/// Generates `events` input events (about `events / 10` designations) from `seed`.
///
/// Fails only if the ledger's own input checks refuse a generated event (a bug here).
pub fn generate(events: usize, seed: u64) -> Result<History, String> {
    let rich_key = (events / 10) / 2;
    // (recorded day, key, index in the key's plan)
    let mut order: Vec<(i64, u32, u8)> = Vec::with_capacity(events + 16);
    let mut plans: Vec<Vec<Planned>> = Vec::new();
    let mut total = 0usize;
    while total < events {
        let key_no = plans.len();
        let mut r = Rng::new(seed, key_no as u64 * 2);
        let p = plan(&mut r, key_no == rich_key);
        // Recording order within the key; a prefix of it is a valid history.
        let mut idx: Vec<usize> = (0..p.len()).collect();
        idx.sort_by_key(|&i| (p[i].recorded, i));
        // The last key may be cut short to make the count exact: a retraction is recorded after
        // its target, so a prefix never names an event it lacks.
        let keep = (events - total).min(p.len());
        for &i in idx.iter().take(keep) {
            order.push((p[i].recorded, key_no as u32, i as u8));
        }
        total += keep;
        plans.push(p);
    }
    order.sort_unstable();

    // Seq of each emitted (key, index): needed by retractions.
    let mut seq_of: Vec<Vec<u64>> = plans.iter().map(|p| vec![0; p.len()]).collect();
    for (i, &(_, k, j)) in order.iter().enumerate() {
        seq_of[k as usize][j as usize] = i as u64 + 1;
    }

    let mut out = History {
        events: Vec::with_capacity(order.len()),
        recorded_day: Vec::with_capacity(order.len()),
        designations: plans.len(),
        mix: BTreeMap::new(),
        last_effective_day: 0,
        query_key: String::new(),
        search_name: String::new(),
    };
    let mut identities: Vec<Option<Identity>> = (0..plans.len()).map(|_| None).collect();
    let mut amended: Vec<u32> = vec![0; plans.len()];
    for (i, &(recorded, k, j)) in order.iter().enumerate() {
        let k = k as usize;
        let id = identities[k].get_or_insert_with(|| identity(seed, k));
        let planned = plans[k][j as usize];
        let mut r = Rng::new(seed ^ 0x5EED, (k as u64) << 8 | u64::from(j));
        let (value, label) = match planned.act {
            Act::Designation => {
                (id.designation(planned.effective, &mut r), if planned.relisting { "relisting" } else { "designation" })
            }
            Act::Amendment => {
                amended[k] += 1;
                (
                    id.amendment(planned.effective, amended[k] as usize, &mut r),
                    if planned.backdated { "amendment (backdated)" } else { "amendment" },
                )
            }
            Act::Delisting => (id.delisting(planned.effective, &mut r), "delisting"),
            Act::Retraction(t) => {
                let target = seq_of[k][t];
                let reason = RETRACT_REASONS[r.below(RETRACT_REASONS.len() as u64) as usize];
                (
                    json!({"type": "retraction", "target": target, "reason": reason, "published": date(recorded),
                           "note": format!("correction of event {target} ({}/{})", id.authority().code, id.id)}),
                    "retraction",
                )
            }
        };
        if !matches!(planned.act, Act::Retraction(_)) {
            out.last_effective_day = out.last_effective_day.max(planned.effective);
        }
        let event: InputEvent = parse_value(i + 1, value).map_err(|e| format!("generated event {}: {e}", i + 1))?;
        let value = serde_json::to_value(&event).map_err(|e| e.to_string())?;
        let bytes = ledger_core::canonical::to_vec(&value).map_err(|e| e.to_string())?;
        out.events.push(bytes);
        out.recorded_day.push(recorded);
        *out.mix.entry(label.to_owned()).or_default() += 1;
        if k == rich_key.min(plans.len() - 1) && out.query_key.is_empty() {
            out.query_key = format!("{}/{}", id.authority().code, id.id);
            out.search_name = id.primary.clone();
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(date(0), "1970-01-01");
        assert_eq!(date(FIRST_DAY), "2000-01-01");
        assert_eq!(date(20_383), "2025-10-22");
        assert_eq!(date(11_016), "2000-02-29");
    }

    #[test]
    fn deterministic_and_sized() {
        let a = generate(2_000, 7).unwrap();
        let b = generate(2_000, 7).unwrap();
        assert_eq!(a.events.len(), 2_000);
        assert_eq!(a.events, b.events);
        assert!(!a.query_key.is_empty());
        let (lo, mid, hi) = a.size_spread();
        assert!(lo > 100 && mid > 250 && hi < 1_000, "{lo} {mid} {hi}");
        assert_ne!(generate(2_000, 8).unwrap().events, a.events);
    }
}
