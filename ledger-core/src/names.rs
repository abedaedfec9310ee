//! Name matching for search: case-, accent- and punctuation-insensitive, whole tokens in any order.
//!
//! ```
//! use ledger_core::names::{matches, tokens};
//! assert_eq!(tokens("Nusret Seferović"), ["nusret", "seferovic"]);
//! assert!(matches(&tokens("seferović nusret"), "Nusret SEFEROVIC"));
//! assert!(!matches(&tokens("Nusret Sefer"), "Nusret SEFEROVIC"));
//! // Invisible format characters are ignored: the name is found by its visible text.
//! assert!(matches(&tokens("Nusret"), "Nus\u{200b}ret SEFEROVIC"));
//! ```

use unicode_general_category::{GeneralCategory, get_general_category};
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Whether `c` is a format character (Unicode general category Cf): invisible in the text as
/// shown, such as U+200B ZERO WIDTH SPACE, U+00AD SOFT HYPHEN, U+200E/U+200F direction marks,
/// the bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069) and
/// U+FEFF. Two strings that differ only by them look the same.
pub fn is_format(c: char) -> bool {
    get_general_category(c) == GeneralCategory::Format
}

/// A character as an error message names it: its code point (`U+200B`), which shows even when
/// the character itself is invisible.
pub fn code_point(c: char) -> String {
    format!("U+{:04X}", u32::from(c))
}

/// The search tokens of a name: compatibility-decomposed, accents dropped, invisible format
/// characters dropped (a name published with a zero-width space or soft hyphen inside a word is
/// found by the word as it shows), letters that do not decompose folded to their usual Latin
/// spelling (đ → d, ß → ss, ø → o, ...), lowercased, and split on everything that is not a letter
/// or digit.
pub fn tokens(name: &str) -> Vec<String> {
    let mut folded = String::with_capacity(name.len());
    for c in name.nfkd().filter(|c| !is_combining_mark(*c) && !is_format(*c)) {
        match c {
            'đ' | 'Đ' => folded.push('d'),
            'ß' => folded.push_str("ss"),
            'ø' | 'Ø' => folded.push('o'),
            'ł' | 'Ł' => folded.push('l'),
            'æ' | 'Æ' => folded.push_str("ae"),
            'œ' | 'Œ' => folded.push_str("oe"),
            'þ' | 'Þ' => folded.push_str("th"),
            'ı' => folded.push('i'),
            // Apostrophes join: O'Brien and OBrien are one token.
            '\'' | '’' | 'ʼ' | '`' => {}
            c => folded.extend(c.to_lowercase()),
        }
    }
    folded.split(|c: char| !c.is_alphanumeric()).filter(|t| !t.is_empty()).map(str::to_owned).collect()
}

/// Whether every query token is a whole token of `name`.
pub fn matches(query: &[String], name: &str) -> bool {
    if query.is_empty() {
        return false;
    }
    let have = tokens(name);
    query.iter().all(|q| have.iter().any(|t| t == q))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding() {
        let cases = [
            ("Nusret SEFEROVIĆ", vec!["nusret", "seferovic"]),
            ("Yassine Al Maghribi Al-Kasaoui", vec!["yassine", "al", "maghribi", "al", "kasaoui"]),
            ("Đorđe Straße", vec!["dorde", "strasse"]),
            ("O’Brien, J.", vec!["obrien", "j"]),
            ("ＡＬＰＡ TRADING FZCO", vec!["alpa", "trading", "fzco"]),
            ("  ", vec![]),
            // Format characters inside a word do not split it.
            ("Nus\u{200b}ret SEFERO\u{ad}VIC", vec!["nusret", "seferovic"]),
            ("\u{feff}\u{202e}ALPA\u{202c} \u{2066}TRADING\u{2069}", vec!["alpa", "trading"]),
        ];
        for (name, want) in cases {
            assert_eq!(tokens(name), want, "{name}");
        }
    }

    #[test]
    fn whole_tokens_any_order() {
        let q = tokens("trading alpa");
        assert!(matches(&q, "ALPA TRADING FZCO"));
        assert!(!matches(&tokens("alp"), "ALPA TRADING FZCO"));
        assert!(!matches(&[], "ALPA"));
    }
}
