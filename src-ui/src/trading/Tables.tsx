import { useState } from "react";
import type { Fill } from "../bindings/Fill";
import type { Order } from "../bindings/Order";
import type { Position } from "../bindings/Position";
import { useBackend } from "../backend/context";
import { errorMessage } from "../backend/errors";
import type { Resource } from "../data/AppData";
import { brokerName } from "../labels";
import { formatMoney, formatPnl, formatPrice, formatQty, formatTime, shortId, signOf } from "./format";
import { isOpen, STATE_LABELS } from "./labels";

function LoadState<T>({ res, what }: { res: Resource<T>; what: string }) {
  if (res.error) {
    return (
      <p className="error-text" role="alert">
        Could not load {what}: {res.error}
      </p>
    );
  }
  if (res.loading) return <p className="loading">Loading {what}…</p>;
  return null;
}

const Pnl = ({ value, testId }: { value: string; testId?: string }) => (
  <td className={`num mono pnl pnl-${signOf(value)}`} data-testid={testId}>
    {formatPnl(value)}
  </td>
);

/** Where an order executes, shown only when that is a live broker. */
export function VenueBadge({ order }: { order: Pick<Order, "venue" | "broker_order_id"> }) {
  if (order.venue === "paper") return null;
  const name = brokerName(order.venue);
  return (
    <span
      className="badge badge-venue"
      data-testid="order-venue"
      title={order.broker_order_id ? `Sent to ${name} (its order id: ${order.broker_order_id})` : `Sent to ${name}, not acknowledged yet`}
    >
      {order.venue}
    </span>
  );
}

function OpenOrderRow({ order, onChanged }: { order: Order; onChanged(): void }) {
  const backend = useBackend();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const cancel = async () => {
    setBusy(true);
    setError(null);
    try {
      await backend.cancelOrder(order.id);
      onChanged();
    } catch (e) {
      setError(errorMessage(e));
      setBusy(false);
    }
  };
  return (
    <tr data-testid="open-order-row" data-order-id={order.id}>
      <td className="mono small" title={order.id}>
        {shortId(order.id)}
        <VenueBadge order={order} />
      </td>
      <th scope="row">{order.symbol}</th>
      <td className={`side side-${order.side}`}>{order.side}</td>
      <td>{order.type}</td>
      <td className="num mono">{formatQty(order.qty)}</td>
      <td className="num mono">{order.limit_price ? formatPrice(order.limit_price) : "—"}</td>
      <td className="num mono">{formatQty(order.filled_qty)}</td>
      <td data-testid="open-order-state">{STATE_LABELS[order.state]}</td>
      <td className="row-actions">
        <button type="button" className="small-button" data-testid="order-cancel" disabled={busy} onClick={() => void cancel()} aria-label={`Cancel order ${shortId(order.id)}`}>
          {busy ? "Cancelling…" : "Cancel"}
        </button>
        {error && (
          <p className="field-error" role="alert">
            {error}
          </p>
        )}
      </td>
    </tr>
  );
}

export function OpenOrders({ orders, onChanged }: { orders: Resource<Order[]>; onChanged(): void }) {
  const backend = useBackend();
  const [busy, setBusy] = useState(false);
  const [note, setNote] = useState<{ error: boolean; text: string } | null>(null);
  const open = (orders.data ?? []).filter((o) => isOpen(o.state));
  const last = (orders.data ?? []).find((o) => !isOpen(o.state));

  const cancelAll = async () => {
    setBusy(true);
    setNote(null);
    try {
      const { cancelled } = await backend.cancelAllOrders();
      setNote({ error: false, text: cancelled === 1 ? "1 order cancelled." : `${cancelled} orders cancelled.` });
      onChanged();
    } catch (e) {
      setNote({ error: true, text: errorMessage(e) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="panel" aria-labelledby="open-orders-title" data-testid="open-orders">
      <div className="section-header">
        <h2 id="open-orders-title">
          Open orders <span className="count">{open.length}</span>
        </h2>
        <button type="button" className="small-button" data-testid="cancel-all" disabled={busy || open.length === 0} onClick={() => void cancelAll()}>
          {busy ? "Cancelling…" : "Cancel all"}
        </button>
      </div>
      {note && (
        <p className={note.error ? "field-error" : "muted small"} role={note.error ? "alert" : "status"} data-testid="cancel-all-result">
          {note.text}
        </p>
      )}
      <LoadState res={orders} what="the orders" />
      {orders.data && open.length === 0 && (
        <p className="empty small" data-testid="open-orders-empty">
          No open order.
          {last && (
            <>
              {" "}
              Last: {last.side} {formatQty(last.qty)} {last.symbol}
              {last.venue !== "paper" ? ` at ${brokerName(last.venue)}` : ""}, {STATE_LABELS[last.state].toLowerCase()}
              {last.reason ? ` (${last.reason})` : ""}.
            </>
          )}
        </p>
      )}
      {open.length > 0 && (
        <div className="table-scroll">
          <table className="data-table">
            <thead>
              <tr>
                <th scope="col">Order</th>
                <th scope="col">Symbol</th>
                <th scope="col">Side</th>
                <th scope="col">Type</th>
                <th scope="col" className="num">
                  Qty
                </th>
                <th scope="col" className="num">
                  Limit
                </th>
                <th scope="col" className="num">
                  Filled
                </th>
                <th scope="col">State</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {open.map((o) => (
                <OpenOrderRow key={o.id} order={o} onChanged={onChanged} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

export function Positions({ positions }: { positions: Resource<Position[]> }) {
  const list = positions.data ?? [];
  return (
    <section className="panel" aria-labelledby="positions-title" data-testid="positions">
      <h2 id="positions-title">Positions &amp; P&amp;L</h2>
      <LoadState res={positions} what="the positions" />
      {positions.data && list.length === 0 && (
        <p className="empty small" data-testid="positions-empty">
          No position.
        </p>
      )}
      {list.length > 0 && (
        <div className="table-scroll">
          <table className="data-table">
            <thead>
              <tr>
                <th scope="col">Symbol</th>
                <th scope="col" className="num">
                  Qty
                </th>
                <th scope="col" className="num">
                  Avg price
                </th>
                <th scope="col" className="num">
                  Market
                </th>
                <th scope="col" className="num">
                  Value
                </th>
                <th scope="col" className="num">
                  Unrealized
                </th>
                <th scope="col" className="num">
                  Realized
                </th>
              </tr>
            </thead>
            <tbody>
              {list.map((p) => (
                <tr key={p.symbol} data-testid="position-row" data-symbol={p.symbol}>
                  <th scope="row">{p.symbol}</th>
                  <td className="num mono" data-testid="position-qty">
                    {formatQty(p.qty)}
                  </td>
                  <td className="num mono">{formatPrice(p.avg_price)}</td>
                  <td className="num mono">{formatPrice(p.market_price)}</td>
                  <td className="num mono">{formatMoney(p.market_value)}</td>
                  <Pnl value={p.unrealized_pnl} testId="position-unrealized" />
                  <Pnl value={p.realized_pnl} />
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

export function Fills({ fills }: { fills: Resource<Fill[]> }) {
  const list = fills.data ?? [];
  return (
    <section className="panel" aria-labelledby="fills-title" data-testid="fills">
      <h2 id="fills-title">Recent fills</h2>
      <LoadState res={fills} what="the fills" />
      {fills.data && list.length === 0 && (
        <p className="empty small" data-testid="fills-empty">
          No fill yet.
        </p>
      )}
      {list.length > 0 && (
        <div className="table-scroll table-scroll-tall">
          <table className="data-table">
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Symbol</th>
                <th scope="col">Side</th>
                <th scope="col" className="num">
                  Qty
                </th>
                <th scope="col" className="num">
                  Price
                </th>
                <th scope="col" className="num">
                  Fee
                </th>
                <th scope="col">Order</th>
              </tr>
            </thead>
            <tbody>
              {list.map((f, i) => (
                <tr key={`${f.order_id}-${f.time}-${i}`} data-testid="fill-row">
                  <td className="small">{formatTime(f.time)}</td>
                  <th scope="row">{f.symbol}</th>
                  <td className={`side side-${f.side}`}>{f.side}</td>
                  <td className="num mono">{formatQty(f.qty)}</td>
                  <td className="num mono">{formatPrice(f.price)}</td>
                  <td className="num mono">{formatMoney(f.fee)}</td>
                  <td className="mono small" title={f.order_id}>
                    {shortId(f.order_id)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
