//! The short fixed commands: kill switch, cancel all, navigation, account queries.

use super::model::{Intent, QueryTarget, Screen};
use super::words::{PREAMBLE, SELF, command_start, find_phrase};

/// How whisper writes "kill switch", including a common mishearing.
const KILL_SWITCH: &[(&str, ())] = &[("kill switch", ()), ("kills which", ()), ("kill swish", ())];

/// Words that release the switch; anything else that commands it engages it.
const RELEASE: &[&str] = &[
    "clear",
    "deactivate",
    "disable",
    "disarm",
    "disengage",
    "lift",
    "off",
    "rearm",
    "release",
    "reset",
    "unlock",
];

/// First words of a kill-switch command ("hit the kill switch", "kill switch off").
const KILL_VERBS: &[&str] = &[
    "activate",
    "arm",
    "clear",
    "deactivate",
    "disable",
    "disarm",
    "disengage",
    "enable",
    "engage",
    "flip",
    "hit",
    "kill",
    "kills",
    "killswitch",
    "lift",
    "press",
    "pull",
    "re",
    "rearm",
    "release",
    "reset",
    "set",
    "switch",
    "throw",
    "trigger",
    "turn",
    "unlock",
];

/// "activate the kill switch" → engaged; "re-arm", "turn it off" → released.
pub(super) fn kill_switch(words: &[&str]) -> Option<Intent> {
    find_phrase(words, KILL_SWITCH)?;
    let first = words.get(command_start(words, &[]))?;
    // "what does the kill switch do" is a question for chat.
    if !KILL_VERBS.contains(first) {
        return None;
    }
    let re_arm = words.windows(2).any(|pair| pair == ["re", "arm"]);
    let released = re_arm || words.iter().any(|w| RELEASE.contains(w));
    Some(Intent::KillSwitch { engaged: !released })
}

const CANCEL_VERBS: &[&str] = &["cancel", "kill", "pull"];

/// The only words "cancel all open orders" may contain: "cancel my apple
/// order" names one order, which this intent cannot express, so it is chat.
const CANCEL_WORDS: &[&str] = &[
    "active",
    "all",
    "cancel",
    "every",
    "everything",
    "kill",
    "live",
    "my",
    "now",
    "of",
    "open",
    "order",
    "orders",
    "outstanding",
    "pending",
    "please",
    "pull",
    "resting",
    "the",
    "working",
];

pub(super) fn cancel_all(words: &[&str]) -> Option<Intent> {
    let rest = words.get(command_start(words, &[])..)?;
    let (first, others) = rest.split_first()?;
    let everything = others
        .iter()
        .any(|w| matches!(*w, "all" | "every" | "everything" | "orders"));
    let only_orders = others.iter().all(|w| CANCEL_WORDS.contains(w));
    (CANCEL_VERBS.contains(first) && everything && only_orders).then_some(Intent::CancelAll)
}

const NAV_VERBS: &[&str] = &[
    "bring", "display", "go", "jump", "navigate", "open", "pull", "show", "switch", "take", "view",
];

/// Words that may sit around a screen name: "take me to the settings page".
const NAV_FILLER: &[&str] = &[
    "app", "back", "me", "mode", "my", "over", "page", "panel", "please", "screen", "section",
    "tab", "the", "to", "up", "view", "window",
];

fn screen(word: &str) -> Option<Screen> {
    match word {
        "dashboard" | "home" | "main" | "overview" => Some(Screen::Dashboard),
        "chat" | "chats" | "conversation" | "conversations" | "messages" => Some(Screen::Chat),
        "trading" | "trade" | "trades" | "orders" | "broker" => Some(Screen::Trading),
        "voice" | "microphone" | "mic" | "speech" | "dictation" => Some(Screen::Voice),
        "settings" | "setting" | "preferences" | "options" | "config" | "configuration" => {
            Some(Screen::Settings)
        }
        _ => None,
    }
}

/// "open the trading screen", "go to settings": a verb, one screen, filler.
pub(super) fn navigate(words: &[&str]) -> Option<Intent> {
    let rest = words.get(command_start(words, &[])..)?;
    let (first, others) = rest.split_first()?;
    if !NAV_VERBS.contains(first) {
        return None;
    }
    let mut target = None;
    for word in others {
        match screen(word) {
            Some(found) if target.is_none_or(|t| t == found) => target = Some(found),
            Some(_) => return None,
            // "open a chat with mom" asks for more than a screen.
            None if !NAV_FILLER.contains(word) => return None,
            None => {}
        }
    }
    target.map(|screen| Intent::Navigate { screen })
}

const QUERIES: &[(&str, QueryTarget)] = &[
    ("profit and loss", QueryTarget::Pnl),
    ("profits and losses", QueryTarget::Pnl),
    ("profit loss", QueryTarget::Pnl),
    ("p and l", QueryTarget::Pnl),
    ("pnl", QueryTarget::Pnl),
    ("pl", QueryTarget::Pnl),
    ("profit", QueryTarget::Pnl),
    ("profits", QueryTarget::Pnl),
    ("gains", QueryTarget::Pnl),
    ("how much did i make", QueryTarget::Pnl),
    ("how much have i made", QueryTarget::Pnl),
    ("how much money did i make", QueryTarget::Pnl),
    ("how much money have i made", QueryTarget::Pnl),
    ("positions", QueryTarget::Positions),
    ("my position", QueryTarget::Positions),
    ("holdings", QueryTarget::Positions),
    ("portfolio", QueryTarget::Positions),
    ("what do i own", QueryTarget::Positions),
    ("cash", QueryTarget::Cash),
    ("buying power", QueryTarget::Cash),
    ("purchasing power", QueryTarget::Cash),
    ("balance", QueryTarget::Cash),
];

/// Words a bare account question may have besides its subject: "show
/// positions", "current buying power".
const QUERY_FILLER: &[&str] = &[
    "account", "check", "current", "daily", "open", "show", "the", "today", "todays", "total",
    "whats",
];

/// Longest sentence still read as an account question.
const MAX_QUERY_WORDS: usize = 12;

/// "what is my profit and loss today", "show my open positions", "buying power".
pub(super) fn query(words: &[&str]) -> Option<Intent> {
    if words.len() > MAX_QUERY_WORDS {
        return None;
    }
    let (at, len, what) = find_phrase(words, QUERIES)?;
    // "what is the cash flow of apple" is about the world, not the account:
    // a query speaks of the user, or says nothing but its subject.
    let about_user = words.iter().any(|w| SELF.contains(w));
    let bare = words
        .iter()
        .enumerate()
        .filter(|(i, _)| !(at..at + len).contains(i))
        .all(|(_, w)| QUERY_FILLER.contains(w) || PREAMBLE.contains(w));
    (about_user || bare).then_some(Intent::Query { what })
}
