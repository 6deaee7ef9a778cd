"""Jarvis's backtester against backtesting.py 0.6.6, trade by trade.

Runs backtesting.py's SmaCross(10, 20) on its bundled GOOG sample with
commission=0.002, exclusive_orders=True and cash 10,000; exports the same
sample to CSV; runs `jarvisd backtest --json` on it; compares every trade
(entry and exit bar, prices, size) and the final equity.

Usage: python parity_test.py JARVISD   (python: a venv with backtesting)
Ends with a line "N passed, N failed".
"""

import json
import subprocess
import sys
import tempfile
from decimal import Decimal
from pathlib import Path

import warnings

from backtesting import Backtest, Strategy
from backtesting.lib import crossover
from backtesting.test import GOOG, SMA

warnings.filterwarnings("ignore")  # "some trades remain open": expected


class SmaCross(Strategy):
    # backtesting.py's own example strategy, with the parameters under test.
    n1 = 10
    n2 = 20

    def init(self):
        self.sma1 = self.I(SMA, self.data.Close, self.n1)
        self.sma2 = self.I(SMA, self.data.Close, self.n2)

    def next(self):
        if crossover(self.sma1, self.sma2):
            self.buy()
        elif crossover(self.sma2, self.sma1):
            self.sell()


def as_decimal(value: float) -> Decimal:
    # repr gives the shortest text that round-trips: the CSV's own digits.
    return Decimal(repr(float(value)))


def main() -> int:
    jarvisd = sys.argv[1]
    passed, failed = 0, 0

    def check(name: str, ok: bool, detail: str = "") -> None:
        nonlocal passed, failed
        if ok:
            passed += 1
        else:
            failed += 1
            print(f"FAIL {name}: {detail}")

    stats = Backtest(
        GOOG, SmaCross, cash=10_000, commission=0.002, exclusive_orders=True
    ).run()
    theirs = stats["_trades"]

    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "goog.csv"
        GOOG.to_csv(csv)
        out = subprocess.run(
            [
                jarvisd, "backtest", "--data", str(csv), "--strategy", "sma-cross",
                "--param", "fast=10", "--param", "slow=20", "--cash", "10000",
                "--commission", "0.002", "--exclusive-orders", "--json",
            ],
            check=True, capture_output=True, text=True,
        )
    ours = json.loads(out.stdout)
    trades = ours["trades"]

    check("trade count", len(trades) == len(theirs),
          f"jarvis {len(trades)} vs backtesting.py {len(theirs)}")
    check("stats.trades", ours["stats"]["trades"] == len(theirs),
          f"{ours['stats']['trades']} vs {len(theirs)}")
    for n, (mine, row) in enumerate(zip(trades, theirs.itertuples(index=False)), 1):
        expected = {
            "entry_bar": int(row.EntryBar),
            "exit_bar": int(row.ExitBar),
            "size": Decimal(int(row.Size)),
            "entry_price": as_decimal(row.EntryPrice),
            "exit_price": as_decimal(row.ExitPrice),
            "entry_time": row.EntryTime.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "exit_time": row.ExitTime.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        got = {
            "entry_bar": mine["entry_bar"],
            "exit_bar": mine["exit_bar"],
            "size": Decimal(mine["size"]),
            "entry_price": Decimal(mine["entry_price"]),
            "exit_price": Decimal(mine["exit_price"]),
            "entry_time": mine["entry_time"],
            "exit_time": mine["exit_time"],
        }
        check(f"trade {n}", got == expected, f"jarvis {got} vs backtesting.py {expected}")
        pnl_gap = abs(Decimal(mine["pnl"]) - Decimal(repr(float(row.PnL))))
        check(f"trade {n} pnl", pnl_gap < Decimal("0.000001"),
              f"jarvis {mine['pnl']} vs backtesting.py {row.PnL}")

    final_theirs = Decimal(repr(float(stats["Equity Final [$]"])))
    final_ours = Decimal(ours["stats"]["equity_final"])
    # backtesting.py sums in binary floats; Jarvis is exact. A millionth of
    # a cent apart is the float's rounding, not a different trade.
    check("final equity", abs(final_ours - final_theirs) < Decimal("0.000001"),
          f"jarvis {final_ours} vs backtesting.py {final_theirs}")
    print(f"final equity: jarvis {final_ours} backtesting.py {final_theirs}; "
          f"{len(trades)} trades")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
