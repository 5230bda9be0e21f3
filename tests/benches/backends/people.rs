//! A deterministic generator of plausible users: the same seed and index
//! always give the same person, so every backend and every run seeds the
//! same data.

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde_json::json;
use usergraph_core::PasswordAlgorithm;
use usergraph_core::service::{CreateUser, Patch, ProfileInput};

// Whitespace-separated, so that the lists stay compact.
const FIRST: &str = "\
    Ada Alan Grace Linus Margaret Dennis Barbara Ken Frances Edsger Radia Tim Katherine \
    Donald Hedy John Mary James Patricia Robert Jennifer Michael Linda David Elizabeth \
    William Susan Richard Jessica Joseph Sarah Thomas Karen Charles Nancy Daniel Lisa Matthew \
    Sophie José Zoë Søren Łukasz Chloé Mateo Yuki Wei Aarav Fatima Olusegun Ingrid Priya \
    Hiroshi Amara Noah Émilie Björn Lucía Kofi Mei";

const LAST: &str = "\
    Lovelace Turing Hopper Torvalds Hamilton Ritchie Liskov Thompson Allen Dijkstra Perlman \
    Berners-Lee Johnson Knuth Lamarr Smith Brown Garcia Miller Davis Rodriguez Martinez \
    Wilson Anderson Taylor Moore Jackson Martin Lee Thompson White Harris Clark Lewis Walker \
    Young Müller Schmidt Nowak Kowalski Rossi Bianchi Dubois Lefèvre Jensen Nielsen Sato \
    Tanaka Wang Zhang Patel Sharma Okafor Mensah Silva Santos Hernández López Andersson \
    Ødegaard";

// The search benchmark's larger pool: the names above plus names built
// from common stems and endings, so that 3- and 5-letter pieces of names
// match a realistic share of users rather than one name in sixty.
const FIRST_STARTS: &str = "\
    Al An Ar Be Ca Da El Em Fe Ga Ha Is Ja Jo Ka La Le Li Ma Mi Na Ni Ol Pa Ra Ro Sa Se Ta Vi";
const FIRST_ENDS: &str =
    "na ra lia ron vin mon ssa der nie tan rick lyn dra mir ko ela ias ny ette iel";
const LAST_STEMS: &str = "\
    Ander Berg Brook Carl Dal Eck Fair Gold Hall Hart Holm Kirk Lind Mar Nord Ols Pe Ro Sand \
    Stein Strom West Wood Whit Ash Black Bren Cor Fitz Gal Har Iver Jans Kel Lan Mor Ness Quin \
    Ried Tor";
const LAST_ENDS: &str = "\
    son sen berg mann ley ton field wood ford ström ez ini ova ski er well by dale hurst ridge \
    ak ić es o ard";

const DOMAINS: &[&str] = &[
    "example.com",
    "example.org",
    "mail.example.net",
    "corp.example.com",
    "users.example.io",
];

const PLANS: &[&str] = &["free", "free", "free", "pro", "pro", "enterprise"];
const SOURCES: &[&str] = &["web", "ios", "android", "import", "invite"];
const LOCALES: &[&str] = &[
    "en-US", "en-GB", "de-DE", "fr-FR", "es-ES", "ja-JP", "pt-BR",
];

/// Makes the `index`-th person of a data set.
#[derive(Debug)]
pub struct People {
    seed: u64,
    first: Vec<String>,
    last: Vec<String>,
    /// Whether common names come up more often than rare ones (the large
    /// pool), rather than every name equally often.
    skewed: bool,
    /// The one imported Argon2id digest every user with a password shares,
    /// so that seeding does not spend its time hashing.
    digest: String,
}

/// A seeded person, as handed to the service.
#[derive(Debug)]
pub struct Person {
    pub input: CreateUser,
    /// The unique-key form of the email, when the person has one.
    pub email_key: Option<String>,
}

impl People {
    pub fn new(seed: u64, digest: String) -> Self {
        People {
            seed,
            first: words(FIRST),
            last: words(LAST),
            skewed: false,
            digest,
        }
    }

    /// The search benchmark's people: about 660 first and 1,060 last names
    /// (the real ones above first), drawn with a skew so that the first
    /// names of each list are the common ones, as in real populations.
    pub fn with_large_pool(seed: u64, digest: String) -> Self {
        let mut first = words(FIRST);
        first.extend(combine(FIRST_STARTS, FIRST_ENDS));
        let mut last = words(LAST);
        last.extend(combine(LAST_STEMS, LAST_ENDS));
        People {
            seed,
            first,
            last,
            skewed: true,
            digest,
        }
    }

    fn name<'a>(&self, rng: &mut StdRng, list: &'a [String]) -> &'a str {
        if !self.skewed {
            return pick(rng, list);
        }
        // Squaring a uniform draw favours low indexes: the first tenth of
        // the list gets about a third of the people.
        let u: f64 = rng.r#gen();
        let index = (u * u * list.len() as f64) as usize;
        list.get(index.min(list.len().saturating_sub(1)))
            .map_or("x", String::as_str)
    }

    /// The person at `index`: identifiers embed the index, so they are
    /// unique across the whole set.
    pub fn person(&self, index: u64, with_password: bool) -> Person {
        let mut rng = StdRng::seed_from_u64(self.seed ^ index.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let first = self.name(&mut rng, &self.first);
        let last = self.name(&mut rng, &self.last);
        let (f, l) = (ascii_fold(first), ascii_fold(last));
        let username = match rng.gen_range(0..3) {
            0 => format!("{f}_{l}_{index}"),
            1 => format!("{f}{l}{index}"),
            _ => format!("{}{l}{index}", f.chars().next().unwrap_or('u')),
        };
        let email = format!("{f}.{l}.{index}@{}", pick(&mut rng, DOMAINS));
        let email = if rng.gen_bool(0.5) {
            capitalize_local(&email)
        } else {
            email
        };
        // Ten digits from the index keep phones unique; the formatting
        // varies the way people type them.
        let digits = format!("{:010}", 2_010_000_000 + index);
        let phone = format!(
            "+1 ({}) {}-{}",
            &digits[0..3],
            &digits[3..6],
            &digits[6..10]
        );

        let has_email = rng.gen_bool(0.95);
        let email_key = has_email.then(|| email.to_lowercase());
        let input = CreateUser {
            id: None,
            username: rng.gen_bool(0.9).then_some(username),
            primary_email: has_email.then_some(email),
            primary_phone: rng.gen_bool(0.6).then_some(phone),
            name: rng.gen_bool(0.98).then(|| format!("{first} {last}")),
            avatar: rng
                .gen_bool(0.3)
                .then(|| format!("https://avatars.example.com/{index}.png")),
            profile: rng.gen_bool(0.8).then(|| ProfileInput {
                given_name: Patch::Value(first.to_owned()),
                family_name: Patch::Value(last.to_owned()),
                locale: Patch::Value(pick(&mut rng, LOCALES).to_owned()),
                ..ProfileInput::default()
            }),
            custom_data: rng.gen_bool(0.9).then(|| {
                json!({
                    "plan": pick(&mut rng, PLANS),
                    "seats": rng.gen_range(1..250),
                    "signupSource": pick(&mut rng, SOURCES),
                    "marketingOptIn": rng.gen_bool(0.4),
                })
            }),
            password: None,
            password_digest: (with_password && rng.gen_bool(0.7)).then(|| self.digest.clone()),
            password_algorithm: None,
        };
        let input = CreateUser {
            password_algorithm: input
                .password_digest
                .as_ref()
                .map(|_| PasswordAlgorithm::Argon2id),
            ..input
        };
        Person { input, email_key }
    }

    /// A search term of common letters: a four-letter piece of a last name.
    pub fn common_term(&self, rng: &mut StdRng) -> String {
        let last = ascii_fold(pick(rng, &self.last));
        last.chars().take(4).collect()
    }
}

fn pick<'a, S: AsRef<str>>(rng: &mut StdRng, list: &'a [S]) -> &'a str {
    list.choose(rng).map_or("x", AsRef::as_ref)
}

fn words(list: &str) -> Vec<String> {
    list.split_whitespace().map(str::to_owned).collect()
}

/// Every start joined with every ending: `Ander` + `son` = `Anderson`.
fn combine(starts: &str, ends: &str) -> Vec<String> {
    let ends: Vec<&str> = ends.split_whitespace().collect();
    starts
        .split_whitespace()
        .flat_map(|start| ends.iter().map(move |end| format!("{start}{end}")))
        .collect()
}

/// Lower-case ASCII letters of a name, accents dropped, for identifiers.
fn ascii_fold(name: &str) -> String {
    name.to_lowercase()
        .chars()
        .filter_map(|c| match c {
            'a'..='z' => Some(c),
            'á' | 'à' | 'ä' => Some('a'),
            'é' | 'è' | 'ë' => Some('e'),
            'í' => Some('i'),
            'ó' | 'ö' | 'ø' => Some('o'),
            'ú' | 'ü' => Some('u'),
            'ł' => Some('l'),
            'ñ' => Some('n'),
            'ć' | 'č' => Some('c'),
            _ => None,
        })
        .collect()
}

/// `Ada.Lovelace.7@example.com`: the case emails often arrive in.
fn capitalize_local(email: &str) -> String {
    let Some((local, domain)) = email.split_once('@') else {
        return email.to_owned();
    };
    let local: Vec<String> = local
        .split('.')
        .map(|part| {
            let mut chars = part.chars();
            match chars.next() {
                Some(c) => c.to_ascii_uppercase().to_string() + chars.as_str(),
                None => String::new(),
            }
        })
        .collect();
    format!("{}@{domain}", local.join("."))
}
