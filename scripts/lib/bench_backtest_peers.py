"""The peers of `cargo bench --bench backtest`, on the same CSV.

Usage: python bench_backtest_peers.py FILE.csv
Times backtesting.py 0.6.6 and vectorbt on an SMA(10, 20) crossover with
commission 0.002 (loading the CSV reported separately), and writes a
random-walk CSV first when FILE.csv does not exist.
"""

import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

warnings.filterwarnings("ignore")


def write_random_walk(path: Path, count: int) -> None:
    rng = np.random.default_rng(7)
    cents = 10_000 + np.cumsum(rng.integers(-20, 21, count))
    cents = np.maximum(cents, 100)
    opens = np.concatenate([[10_000], cents[:-1]])
    highs = np.maximum(opens, cents) + rng.integers(0, 10, count)
    lows = np.maximum(np.minimum(opens, cents) - rng.integers(0, 10, count), 1)
    index = pd.date_range("2020-01-01", periods=count, freq="min", tz=None)
    frame = pd.DataFrame(
        {"Open": opens / 100, "High": highs / 100, "Low": lows / 100, "Close": cents / 100,
         "Volume": rng.integers(100, 1100, count)},
        index=index,
    )
    frame.index.name = "timestamp"
    frame.to_csv(path, float_format="%.2f")


def main() -> None:
    path = Path(sys.argv[1])
    if not path.exists():
        write_random_walk(path, int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000)
    started = time.perf_counter()
    data = pd.read_csv(path, index_col=0, parse_dates=True)
    print(f"pandas read_csv: {len(data)} bars in {(time.perf_counter() - started) * 1e3:.0f} ms")

    from backtesting import Backtest, Strategy
    from backtesting.lib import crossover
    from backtesting.test import SMA

    class SmaCross(Strategy):
        def init(self):
            self.fast = self.I(SMA, self.data.Close, 10)
            self.slow = self.I(SMA, self.data.Close, 20)

        def next(self):
            if crossover(self.fast, self.slow):
                self.buy()
            elif crossover(self.slow, self.fast):
                self.sell()

    started = time.perf_counter()
    stats = Backtest(data, SmaCross, cash=10_000, commission=0.002, exclusive_orders=True).run()
    took = time.perf_counter() - started
    print(f"backtesting.py: {len(data)} bars, {stats['# Trades']} trades, {took * 1e3:.0f} ms = "
          f"{len(data) / took / 1e6:.3f} M bars/s")

    try:
        import vectorbt as vbt
    except ImportError:
        print("vectorbt: not installed")
        return
    close = data["Close"]

    def run_vbt(fees):
        fast = vbt.MA.run(close, 10)
        slow = vbt.MA.run(close, 20)
        entries = fast.ma_crossed_above(slow)
        exits = fast.ma_crossed_below(slow)
        return vbt.Portfolio.from_signals(close, entries, exits, short_entries=exits,
                                          short_exits=entries, fees=fees, init_cash=10_000)

    # As the Jarvis benchmark: commission 0.002, then 0 (in the market at
    # every bar).
    for fees, label in ((0.002, ""), (0.0, ", commission 0")):
        run_vbt(fees)  # compile numba kernels first: report it warm, as it is best
        best = float("inf")
        for _ in range(3):
            started = time.perf_counter()
            pf = run_vbt(fees)
            best = min(best, time.perf_counter() - started)
        print(f"vectorbt (warm){label}: {len(close)} bars, {pf.trades.count()} trades, best of 3 "
              f"{best * 1e3:.0f} ms = {len(close) / best / 1e6:.2f} M bars/s")


if __name__ == "__main__":
    main()
