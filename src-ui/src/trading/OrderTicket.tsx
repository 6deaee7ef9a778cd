import { useId, useState } from "react";
import type { FormEvent } from "react";
import type { Order } from "../bindings/Order";
import type { OrderRequest } from "../bindings/OrderRequest";
import type { OrderSide } from "../bindings/OrderSide";
import type { OrderType } from "../bindings/OrderType";
import type { QuoteView } from "../bindings/QuoteView";
import { useBackend } from "../backend/context";
import { DECIMAL_INPUT, FieldError, fieldProps, splitError } from "./fields";
import type { FieldErrors } from "./fields";
import { formatPrice, formatQty } from "./format";
import { STATE_LABELS } from "./labels";

type Field = "symbol" | "side" | "type" | "qty" | "limit_price";
const FIELDS: readonly Field[] = ["symbol", "side", "type", "qty", "limit_price"];

/** A decimal as typed: digits with at most one point (the server checks ticks and lots). */

type Refusal = { kind: "risk"; check: string; message: string } | { kind: "error"; message: string };

/** What the order became, in words. */
export function describeOrder(o: Order): string {
  const what = `${o.side === "buy" ? "Buy" : "Sell"} ${formatQty(o.qty)} ${o.symbol}`;
  const state = STATE_LABELS[o.state] ?? o.state;
  if (o.state === "filled" || o.state === "partially_filled") {
    const at = o.avg_fill_price ? ` at ${formatPrice(o.avg_fill_price)}` : "";
    return `${what}: ${state.toLowerCase()} (${formatQty(o.filled_qty)} of ${formatQty(o.qty)}${at})`;
  }
  if (o.state === "accepted") {
    return `${what}: accepted, waiting for ${o.type === "limit" && o.limit_price ? `the price to reach ${formatPrice(o.limit_price)}` : "a price"}`;
  }
  return `${what}: ${state.toLowerCase()}${o.reason ? ` (${o.reason})` : ""}`;
}

export function OrderTicket({
  quotes,
  killSwitch,
  onPlaced,
}: {
  quotes: QuoteView[];
  /** Engaged: say so before the order is sent (the server still decides). */
  killSwitch: boolean;
  onPlaced(o: Order): void;
}) {
  const backend = useBackend();
  const uid = useId();
  const [symbol, setSymbol] = useState("AAPL");
  const [side, setSide] = useState<OrderSide>("buy");
  const [type, setType] = useState<OrderType>("market");
  const [qty, setQty] = useState("");
  const [limitPrice, setLimitPrice] = useState("");
  const [errors, setErrors] = useState<FieldErrors<Field>>({});
  const [refusal, setRefusal] = useState<Refusal | null>(null);
  const [result, setResult] = useState<Order | null>(null);
  const [busy, setBusy] = useState(false);

  const clear = (f: Field) => setErrors(({ [f]: _gone, ...rest }) => rest);
  const quote = quotes.find((q) => q.symbol === symbol.trim().toUpperCase());

  const focus = (f: Field) => document.getElementById(`${uid}-${f}`)?.focus();

  const onSubmit = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    if (busy) return;
    setRefusal(null);
    setResult(null);
    const errs: FieldErrors<Field> = {};
    const sym = symbol.trim().toUpperCase();
    const q = qty.trim();
    const lp = limitPrice.trim();
    if (sym === "") errs.symbol = "Enter a symbol, e.g. AAPL.";
    if (q === "") errs.qty = "Enter a quantity.";
    else if (!DECIMAL_INPUT.test(q)) errs.qty = "Enter a positive number, e.g. 5 or 0.5.";
    if (type === "limit") {
      if (lp === "") errs.limit_price = "Enter the limit price.";
      else if (!DECIMAL_INPUT.test(lp)) errs.limit_price = "Enter a positive number, e.g. 101.25.";
    }
    setErrors(errs);
    const first = FIELDS.find((f) => errs[f]);
    if (first) {
      focus(first);
      return;
    }
    const request: OrderRequest = { symbol: sym, side, qty: q, type };
    if (type === "limit") request.limit_price = lp;
    setBusy(true);
    try {
      const placed = await backend.placeOrder(request);
      setResult(placed);
      onPlaced(placed);
    } catch (err) {
      const { field, rawField, message, code } = splitError(err, FIELDS);
      if (code === "risk_rejected") {
        setRefusal({ kind: "risk", check: rawField ?? "risk", message });
      } else if (field) {
        setErrors({ [field]: message });
        focus(field);
      } else {
        setRefusal({ kind: "error", message });
      }
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="panel order-ticket" aria-labelledby={`${uid}-title`} data-testid="order-ticket">
      <h2 id={`${uid}-title`}>Order ticket</h2>
      <form noValidate onSubmit={(e) => void onSubmit(e)} data-testid="order-form">
        {refusal && (
          <div className="form-error" role="alert" data-testid="order-error" data-check={refusal.kind === "risk" ? refusal.check : undefined}>
            {refusal.kind === "risk" ? (
              <>
                Refused by risk check <code>{refusal.check}</code>: {refusal.message}
              </>
            ) : (
              refusal.message
            )}
          </div>
        )}
        <div className="field-row">
          <div className="field">
            <label htmlFor={`${uid}-symbol`}>Symbol</label>
            <input
              {...fieldProps(uid, "symbol", errors)}
              type="text"
              autoComplete="off"
              spellCheck={false}
              list={`${uid}-symbols`}
              value={symbol}
              data-testid="order-symbol"
              onChange={(e) => {
                setSymbol(e.target.value);
                clear("symbol");
              }}
            />
            <datalist id={`${uid}-symbols`}>
              {quotes.map((q) => (
                <option key={q.symbol} value={q.symbol} />
              ))}
            </datalist>
            <FieldError uid={uid} field="symbol" errors={errors} prefix="order" />
          </div>
          <div className="field">
            <span className="field-label" id={`${uid}-last`}>
              Last price
            </span>
            <span className="mono last-price" aria-labelledby={`${uid}-last`} data-testid="order-last-price">
              {quote ? formatPrice(quote.price) : "—"}
            </span>
          </div>
        </div>

        <fieldset className="bare field">
          <legend className="field-label">Side</legend>
          <div className="segmented" role="radiogroup" aria-label="Side">
            {(["buy", "sell"] as const).map((s) => (
              <label key={s} className={`segment segment-${s}${side === s ? " segment-on" : ""}`}>
                <input type="radio" name="side" value={s} checked={side === s} onChange={() => setSide(s)} data-testid={`order-side-${s}`} />
                {s === "buy" ? "Buy" : "Sell"}
              </label>
            ))}
          </div>
          <FieldError uid={uid} field="side" errors={errors} prefix="order" />
        </fieldset>

        <div className="field-row">
          <div className="field">
            <label htmlFor={`${uid}-type`}>Type</label>
            <select
              {...fieldProps(uid, "type", errors)}
              value={type}
              data-testid="order-type"
              onChange={(e) => {
                setType(e.target.value as OrderType);
                clear("type");
                clear("limit_price");
              }}
            >
              <option value="market">Market</option>
              <option value="limit">Limit</option>
            </select>
            <FieldError uid={uid} field="type" errors={errors} prefix="order" />
          </div>
          <div className="field">
            <label htmlFor={`${uid}-qty`}>Quantity</label>
            <input
              {...fieldProps(uid, "qty", errors)}
              type="text"
              inputMode="decimal"
              autoComplete="off"
              value={qty}
              data-testid="order-qty"
              onChange={(e) => {
                setQty(e.target.value);
                clear("qty");
              }}
            />
            <FieldError uid={uid} field="qty" errors={errors} prefix="order" />
          </div>
        </div>

        {type === "limit" && (
          <div className="field">
            <label htmlFor={`${uid}-limit_price`}>Limit price</label>
            <input
              {...fieldProps(uid, "limit_price", errors)}
              type="text"
              inputMode="decimal"
              autoComplete="off"
              value={limitPrice}
              data-testid="order-limit-price"
              onChange={(e) => {
                setLimitPrice(e.target.value);
                clear("limit_price");
              }}
            />
            <FieldError uid={uid} field="limit_price" errors={errors} prefix="order" />
          </div>
        )}

        <div className="form-actions">
          <button type="submit" className={`primary submit-${side}`} data-testid="order-submit" disabled={busy}>
            {busy ? "Placing…" : `${side === "buy" ? "Buy" : "Sell"} ${symbol.trim().toUpperCase() || ""}`.trim()}
          </button>
        </div>
        {killSwitch && (
          <p className="ticket-warning" data-testid="order-kill-switch-note">
            The kill switch is engaged: new orders are refused.
          </p>
        )}
        {result && (
          <p className="order-result" role="status" data-testid="order-result" data-state={result.state}>
            {describeOrder(result)}
          </p>
        )}
      </form>
    </section>
  );
}
