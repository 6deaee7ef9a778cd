// Display helpers. Money and quantities arrive as decimal strings and are
// only ever rearranged as text here: no float arithmetic on amounts.

const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?$/;

interface Parts {
  negative: boolean;
  int: string;
  frac: string;
}

function parts(s: string): Parts | null {
  const m = DECIMAL.exec(s.trim());
  if (!m || (m[2] === "" && (m[3] ?? "") === "")) return null;
  return { negative: m[1] === "-", int: (m[2] ?? "").replace(/^0+(?=\d)/, "") || "0", frac: m[3] ?? "" };
}

/** 1234567 → 1,234,567 (the integer part only). */
export function groupDigits(int: string): string {
  return int.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

const isZero = (p: Parts) => /^0*$/.test(p.int) && /^0*$/.test(p.frac);

function join(p: Parts, frac: string): string {
  const zero = /^0*$/.test(p.int) && /^0*$/.test(frac);
  return `${p.negative && !zero ? "-" : ""}${groupDigits(p.int)}${frac ? `.${frac}` : ""}`;
}

/** Increment a string of digits by one ("199" → "200", "99" → "100"). */
function incrementDigits(digits: string): string {
  const out = digits.split("");
  for (let i = out.length - 1; i >= 0; i--) {
    if (out[i] === "9") out[i] = "0";
    else {
      out[i] = String(Number(out[i]) + 1);
      return out.join("");
    }
  }
  return `1${out.join("")}`;
}

/** Round a decimal string to `dp` places, half away from zero, with grouped digits. Unparseable text is returned as is. */
export function formatDecimal(s: string, dp = 2): string {
  const p = parts(s);
  if (!p) return s;
  const padded = p.frac.padEnd(dp + 1, "0");
  let kept = `${p.int}${padded.slice(0, dp)}`;
  if (Number(padded[dp]) >= 5) kept = incrementDigits(kept);
  const int = kept.slice(0, kept.length - dp) || "0";
  return join({ ...p, int: int.replace(/^0+(?=\d)/, "") }, kept.slice(kept.length - dp));
}

/** Money: two decimals, grouped. */
export const formatMoney = (s: string) => formatDecimal(s, 2);

/** Money with an explicit sign, for P&L ("+12.50", "-3.00", "0.00"). */
export function formatPnl(s: string): string {
  const text = formatMoney(s);
  return signOf(s) === "pos" ? `+${text}` : text;
}

/** A price as sent (no rounding), grouped, with at least two decimals. */
export function formatPrice(s: string): string {
  const p = parts(s);
  if (!p) return s;
  const frac = p.frac.replace(/0+$/, "");
  return join(p, frac.padEnd(2, "0"));
}

/** A quantity as sent, grouped, without trailing zeros. */
export function formatQty(s: string): string {
  const p = parts(s);
  if (!p) return s;
  return join(p, p.frac.replace(/0+$/, ""));
}

export type Sign = "pos" | "neg" | "zero";

/** The sign of a decimal string, read from its text. */
export function signOf(s: string): Sign {
  const p = parts(s);
  if (!p || isZero(p)) return "zero";
  return p.negative ? "neg" : "pos";
}

/** A ratio or percentage computed by the server (already a float), for display. */
export function formatNumber(n: number | null | undefined, dp = 2): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return "—";
  return n.toLocaleString("en-US", { minimumFractionDigits: dp, maximumFractionDigits: dp });
}

export function formatPct(n: number | null | undefined, dp = 2): string {
  const text = formatNumber(n, dp);
  return text === "—" ? text : `${text}%`;
}

/** A server timestamp (RFC 3339) in the user's locale; the text itself when unparseable. */
export function formatTime(iso: string): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  return new Date(t).toLocaleString(undefined, { dateStyle: "short", timeStyle: "medium" });
}

/** A bar timestamp in UTC: the date alone at midnight, else date and minutes. */
export function formatBarTime(iso: string): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  const d = new Date(t).toISOString();
  const day = d.slice(0, 10);
  const time = d.slice(11, 16);
  return time === "00:00" ? day : `${day} ${time}`;
}

/** Unix seconds from an RFC 3339 time; NaN when unparseable. */
export const unixSeconds = (iso: string) => Math.floor(Date.parse(iso) / 1000);

/** An order id's last 8 characters: order ids are UUIDv7, whose first ones
 * are the creation time (shared by every order within a minute) and whose
 * last ones are random. */
export const shortId = (id: string) => (id.length > 8 ? id.slice(-8) : id);
