//! Company names people say, by ticker: the S&P 100 and a few recent leavers.
//!
//! Aliases are written as the normaliser leaves them (lowercase, "&" as
//! "and", no apostrophes, possessive "'s" dropped); spaces inside them do not
//! matter when matching, so "micro soft" finds "microsoft".

/// One listed company.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Company {
    pub symbol: &'static str,
    /// How a person would write it, for whisper's prompt.
    pub name: &'static str,
    pub aliases: &'static [&'static str],
}

const fn co(symbol: &'static str, name: &'static str, aliases: &'static [&'static str]) -> Company {
    Company {
        symbol,
        name,
        aliases,
    }
}

pub(crate) static COMPANIES: &[Company] = &[
    co("AAPL", "Apple", &["apple", "apple inc", "apple computer"]),
    co("ABBV", "AbbVie", &["abbvie", "abbie v"]),
    co(
        "ABT",
        "Abbott",
        &["abbott", "abbot", "abbott labs", "abbott laboratories"],
    ),
    co("ACN", "Accenture", &["accenture"]),
    co("ADBE", "Adobe", &["adobe"]),
    co("AIG", "AIG", &["american international group"]),
    co("AMD", "AMD", &["advanced micro devices"]),
    co("AMGN", "Amgen", &["amgen"]),
    co("AMT", "American Tower", &["american tower"]),
    co(
        "AMZN",
        "Amazon",
        &["amazon", "amazon com", "amazon dot com"],
    ),
    co("AVGO", "Broadcom", &["broadcom"]),
    co("AXP", "American Express", &["american express", "amex"]),
    co("BA", "Boeing", &["boeing"]),
    co("BAC", "Bank of America", &["bank of america", "bofa"]),
    co(
        "BK",
        "BNY Mellon",
        &[
            "bny mellon",
            "bny",
            "bank of new york",
            "bank of new york mellon",
        ],
    ),
    co(
        "BKNG",
        "Booking Holdings",
        &["booking holdings", "booking", "booking com", "priceline"],
    ),
    co("BLK", "BlackRock", &["blackrock"]),
    co(
        "BMY",
        "Bristol-Myers Squibb",
        &["bristol myers squibb", "bristol myers"],
    ),
    co(
        "BRK.B",
        "Berkshire Hathaway",
        &["berkshire hathaway", "berkshire"],
    ),
    co(
        "C",
        "Citigroup",
        &["citigroup", "citi", "citibank", "city group"],
    ),
    co("CAT", "Caterpillar", &["caterpillar"]),
    co(
        "CHTR",
        "Charter Communications",
        &["charter communications", "charter"],
    ),
    co("CL", "Colgate-Palmolive", &["colgate palmolive", "colgate"]),
    co("CMCSA", "Comcast", &["comcast"]),
    co("COF", "Capital One", &["capital one"]),
    co("COP", "ConocoPhillips", &["conocophillips", "conoco"]),
    co("COST", "Costco", &["costco"]),
    co("CRM", "Salesforce", &["salesforce"]),
    co("CSCO", "Cisco", &["cisco", "cisco systems"]),
    co("CVS", "CVS Health", &["cvs health"]),
    co("CVX", "Chevron", &["chevron"]),
    co("DE", "Deere", &["deere", "john deere", "deere and company"]),
    co("DHR", "Danaher", &["danaher"]),
    co("DIS", "Disney", &["disney", "walt disney"]),
    co("DOW", "Dow", &["dow", "dow chemical", "dow inc"]),
    co("DUK", "Duke Energy", &["duke energy"]),
    co("EMR", "Emerson Electric", &["emerson electric", "emerson"]),
    co("F", "Ford", &["ford", "ford motor", "ford motor company"]),
    co("FDX", "FedEx", &["fedex", "federal express"]),
    co("GD", "General Dynamics", &["general dynamics"]),
    co("GE", "GE Aerospace", &["general electric", "ge aerospace"]),
    co("GEV", "GE Vernova", &["ge vernova", "vernova"]),
    co("GILD", "Gilead", &["gilead", "gilead sciences"]),
    co("GM", "General Motors", &["general motors"]),
    co(
        "GOOG",
        "Google",
        &["google", "alphabet", "alphabet class c", "google class c"],
    ),
    co(
        "GOOGL",
        "Alphabet Class A",
        &["alphabet class a", "google class a"],
    ),
    co(
        "GS",
        "Goldman Sachs",
        &["goldman sachs", "goldman", "goldman sacks"],
    ),
    co("HD", "Home Depot", &["home depot"]),
    co("HON", "Honeywell", &["honeywell"]),
    co("IBM", "IBM", &["international business machines"]),
    co("INTC", "Intel", &["intel"]),
    co("INTU", "Intuit", &["intuit"]),
    co("ISRG", "Intuitive Surgical", &["intuitive surgical"]),
    co(
        "JNJ",
        "Johnson & Johnson",
        &["johnson and johnson", "j and j"],
    ),
    co("JPM", "JPMorgan", &["jpmorgan", "jpmorgan chase", "chase"]),
    co("KHC", "Kraft Heinz", &["kraft heinz", "kraft"]),
    co("KO", "Coca-Cola", &["coca cola", "coke"]),
    co("LIN", "Linde", &["linde"]),
    co("LLY", "Eli Lilly", &["eli lilly", "lilly", "eli lily"]),
    co("LMT", "Lockheed Martin", &["lockheed martin", "lockheed"]),
    co("LOW", "Lowe's", &["lowes", "lowe"]),
    co("MA", "Mastercard", &["mastercard"]),
    co("MCD", "McDonald's", &["mcdonalds", "mcdonald"]),
    co("MDLZ", "Mondelez", &["mondelez", "mondelez international"]),
    co("MDT", "Medtronic", &["medtronic"]),
    co("MET", "MetLife", &["metlife"]),
    co("META", "Meta", &["meta", "meta platforms", "facebook"]),
    co("MMM", "3M", &["3m", "three m"]),
    co("MO", "Altria", &["altria"]),
    co("MRK", "Merck", &["merck"]),
    co("MS", "Morgan Stanley", &["morgan stanley"]),
    co("MSFT", "Microsoft", &["microsoft"]),
    co("NEE", "NextEra Energy", &["nextera", "nextera energy"]),
    co("NFLX", "Netflix", &["netflix"]),
    co("NKE", "Nike", &["nike"]),
    co("NOW", "ServiceNow", &["servicenow"]),
    // "Nvidia" is often heard as "in video".
    co(
        "NVDA",
        "Nvidia",
        &["nvidia", "in video", "n video", "envidia"],
    ),
    co("ORCL", "Oracle", &["oracle"]),
    co("PEP", "PepsiCo", &["pepsico", "pepsi"]),
    co("PFE", "Pfizer", &["pfizer"]),
    co(
        "PG",
        "Procter & Gamble",
        &["procter and gamble", "proctor and gamble", "p and g"],
    ),
    co("PLTR", "Palantir", &["palantir"]),
    co(
        "PM",
        "Philip Morris",
        &[
            "philip morris",
            "phillip morris",
            "philip morris international",
        ],
    ),
    co("PYPL", "PayPal", &["paypal"]),
    co("QCOM", "Qualcomm", &["qualcomm", "qualcom"]),
    co("RTX", "RTX", &["raytheon", "raytheon technologies"]),
    co("SBUX", "Starbucks", &["starbucks", "starbuck"]),
    co("SCHW", "Charles Schwab", &["charles schwab", "schwab"]),
    co(
        "SO",
        "Southern Company",
        &["southern company", "southern co"],
    ),
    co(
        "SPG",
        "Simon Property Group",
        &["simon property group", "simon property"],
    ),
    co("T", "AT&T", &["at and t", "att"]),
    co("TGT", "Target", &["target"]),
    co(
        "TMO",
        "Thermo Fisher",
        &["thermo fisher", "thermo fisher scientific"],
    ),
    co("TMUS", "T-Mobile", &["t mobile"]),
    co("TSLA", "Tesla", &["tesla"]),
    co("TXN", "Texas Instruments", &["texas instruments"]),
    co("UBER", "Uber", &["uber"]),
    co(
        "UNH",
        "UnitedHealth",
        &["unitedhealth", "unitedhealth group"],
    ),
    co("UNP", "Union Pacific", &["union pacific"]),
    co("UPS", "UPS", &["united parcel service"]),
    co("USB", "U.S. Bancorp", &["us bancorp", "us bank"]),
    co("V", "Visa", &["visa"]),
    co("VZ", "Verizon", &["verizon"]),
    co("WFC", "Wells Fargo", &["wells fargo"]),
    co("WMT", "Walmart", &["walmart"]),
    co("XOM", "ExxonMobil", &["exxonmobil", "exxon"]),
];

/// Tickers that are also everyday words ("now", "low", "so", "t"): said
/// alone they are far more likely the word, so only the company name counts.
pub(crate) const WORD_TICKERS: &[&str] = &[
    "a", "all", "an", "c", "cat", "cost", "de", "dis", "f", "go", "hon", "it", "key", "lin", "low",
    "ma", "met", "mo", "ms", "now", "on", "pm", "so", "t", "v",
];

/// The built-in entry for a ticker.
pub(crate) fn by_symbol(symbol: &str) -> Option<&'static Company> {
    COMPANIES
        .iter()
        .find(|c| c.symbol.eq_ignore_ascii_case(symbol))
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn covers_the_sp_100() {
        assert!(COMPANIES.len() >= 100, "only {} companies", COMPANIES.len());
    }

    #[test]
    fn symbols_are_unique_and_uppercase() {
        let mut seen = HashSet::new();
        for company in COMPANIES {
            assert!(seen.insert(company.symbol), "{} twice", company.symbol);
            assert_eq!(company.symbol, company.symbol.to_uppercase());
        }
    }

    #[test]
    fn aliases_are_normalised_and_unambiguous() {
        let mut seen = HashSet::new();
        for company in COMPANIES {
            for alias in company.aliases {
                let key: String = alias.split(' ').collect();
                assert!(seen.insert(key), "alias {alias:?} used twice");
                let clean = alias
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == ' ');
                assert!(clean, "alias {alias:?} is not normalised");
            }
        }
    }

    #[test]
    fn finds_by_symbol() {
        assert_eq!(
            by_symbol("brk.b").map(|c| c.name),
            Some("Berkshire Hathaway")
        );
        assert_eq!(by_symbol("ZZZZ"), None);
    }
}
