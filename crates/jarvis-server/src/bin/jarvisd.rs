//! `jarvisd`: Jarvis's local server, and the command line for scripting.

use std::collections::BTreeMap;
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};
use jarvis_app::{App, AppConfig, SecretsConfig, default_data_dir};
use jarvis_server::{HostPolicy, JarvisdRuntime, serve};
use jarvis_trading::report::BacktestReport;
use secrecy::ExposeSecret;
use tokio::net::TcpListener;

#[derive(Parser)]
#[command(
    name = "jarvisd",
    version,
    about = "Jarvis's local server: the UI, a REST API and live events"
)]
struct Cli {
    #[command(flatten)]
    profile: ProfileArgs,
    /// Address to listen on.
    #[arg(long, default_value = jarvis_core::server::DEFAULT_LISTEN)]
    listen: SocketAddr,
    /// Allow listening on a non-loopback address (other machines can connect).
    #[arg(long)]
    allow_remote: bool,
    /// Another host name clients may use to reach this server (repeatable).
    #[arg(long = "allowed-host", value_name = "NAME")]
    allowed_hosts: Vec<String>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Args)]
struct ProfileArgs {
    /// The profile's folder (database, logs). Default: the XDG data dir.
    #[arg(long, global = true, env = "JARVIS_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Where secrets live: keychain (default), env (JARVIS_SECRET_* variables,
    /// read-only) or files:DIR (one file per secret, read-only).
    #[arg(
        long,
        global = true,
        env = "JARVIS_SECRETS",
        default_value = "keychain"
    )]
    secrets: SecretsConfig,
}

#[derive(Subcommand)]
enum Command {
    /// Print the owner access token (creating it on first use).
    Token,
    /// Import conversations: ChatGPT's conversations.json or a Jarvis export.
    /// All or nothing; importing the same file again adds nothing.
    Import {
        /// The file to import.
        file: PathBuf,
    },
    /// Print every conversation as Jarvis JSON (to import elsewhere).
    Export,
    /// Run a strategy over OHLCV bars from a CSV file and print its trades
    /// and statistics.
    Backtest(BacktestArgs),
    /// Transcribe a WAV file on this machine and find the spoken command.
    Transcribe(TranscribeArgs),
    /// The trading audit trail.
    Audit {
        #[command(subcommand)]
        action: AuditAction,
    },
}

#[derive(Args)]
struct TranscribeArgs {
    /// The recording (any rate, mono or stereo, 16-bit or float WAV).
    file: PathBuf,
    /// A whisper.cpp ggml model. Default: $JARVIS_WHISPER_MODEL, else
    /// ggml-tiny.en.bin in Jarvis's models folder.
    #[arg(long, value_name = "PATH")]
    model: Option<PathBuf>,
    /// Print {"text", "intent", "ms"} as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Subcommand)]
enum AuditAction {
    /// Check the hash chain: exit 0 with the entry count when intact, exit 1
    /// naming the first bad entry when not.
    Verify,
}

#[derive(Args)]
struct BacktestArgs {
    /// CSV with a timestamp column and Open, High, Low, Close, Volume.
    #[arg(long, value_name = "FILE.csv")]
    data: PathBuf,
    /// sma-cross, rsi-reversion or breakout.
    #[arg(long)]
    strategy: String,
    /// A strategy parameter as name=value (repeatable), e.g. fast=10.
    #[arg(long = "param", value_name = "NAME=VALUE", value_parser = parse_param)]
    params: Vec<(String, String)>,
    /// Starting cash.
    #[arg(long, default_value = "10000")]
    cash: rust_decimal::Decimal,
    /// Commission per leg as a fraction of the traded value (0.002 = 0.2 %).
    #[arg(long, default_value = "0")]
    commission: rust_decimal::Decimal,
    /// Each new order first closes the open position and cancels pending orders.
    #[arg(long)]
    exclusive_orders: bool,
    /// How orders fill: `backtesting.py` (its rules, the default) or `paper`
    /// (the live paper broker's slippage and volume share, with the
    /// commission as its fee).
    #[arg(long, default_value = "backtesting.py", value_parser = str::parse::<jarvis_trading::report::FillsName>)]
    fills: jarvis_trading::report::FillsName,
    /// Check every order against risk limits as live trading does: `default`
    /// for Jarvis's defaults, or a JSON file shaped like the `limits` of
    /// `GET /api/v1/account`. Refused orders are listed.
    #[arg(long, value_name = "default|FILE.json")]
    risk_limits: Option<String>,
    /// Print JSON: trades (ISO 8601 times, decimal strings) and statistics.
    #[arg(long)]
    json: bool,
}

fn parse_param(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((name, value)) if !name.is_empty() && !value.is_empty() => {
            Ok((name.trim().to_string(), value.trim().to_string()))
        }
        _ => Err(format!("expected NAME=VALUE, got {text:?}")),
    }
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,tower_http=info".into()),
        )
        .init();
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(run(cli))
}

async fn run(cli: Cli) -> Result<()> {
    if let Some(Command::Backtest(args)) = &cli.command {
        return backtest(args);
    }
    if let Some(Command::Transcribe(args)) = &cli.command {
        return transcribe(args);
    }
    let data_dir = match cli.profile.data_dir {
        Some(dir) => dir,
        None => {
            default_data_dir("default").context("cannot find a home directory; pass --data-dir")?
        }
    };
    let config = AppConfig {
        data_dir,
        secrets: cli.profile.secrets,
    };
    let server_runtime = Arc::new(JarvisdRuntime::default());
    let app = App::open(&config, server_runtime.clone())?;

    match cli.command {
        Some(Command::Token) => {
            let token = app.owner_token().await?;
            println!("{}", token.expose_secret());
            return Ok(());
        }
        Some(Command::Import { file }) => {
            let bytes =
                std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let report = app
                .memory
                .import(bytes)
                .await
                .with_context(|| format!("nothing was imported from {}", file.display()))?;
            // Leave the search index up to date (a running Jarvis that holds
            // the index picks the messages up itself).
            app.memory
                .wait_indexed(std::time::Duration::from_secs(300))
                .await;
            println!(
                "imported {} conversations ({} messages) from {} ({} format); skipped {} already imported",
                report.conversations_imported,
                report.messages_imported,
                file.display(),
                report.format,
                report.conversations_skipped
            );
            return Ok(());
        }
        Some(Command::Export) => {
            let export = app.memory.export().await?;
            println!("{}", serde_json::to_string_pretty(&export)?);
            return Ok(());
        }
        Some(Command::Audit {
            action: AuditAction::Verify,
        }) => {
            let result = app.trading.verify_audit().await?;
            match result.first_bad {
                None => println!("audit chain intact: {} entries", result.entries),
                Some(bad) => {
                    println!("audit chain broken at entry {}: {}", bad.seq, bad.reason);
                    std::process::exit(1);
                }
            }
            return Ok(());
        }
        Some(Command::Backtest(_)) | Some(Command::Transcribe(_)) | None => {}
    }

    if !cli.listen.ip().is_loopback() && !cli.allow_remote {
        bail!(
            "refusing to listen on {}: it is not a loopback address; pass --allow-remote to let other machines connect",
            cli.listen
        );
    }
    if app.offer_builtin_model().await? {
        tracing::info!("the built-in model was added as a provider");
    }
    // A saved real broker: reconcile its orders now, then keep in step.
    app.start_broker_sync();
    if let Err(e) = app.warm_voice_model().await {
        tracing::warn!(error = %e, "speech model not warmed");
    }
    let listener = TcpListener::bind(cli.listen)
        .await
        .with_context(|| format!("cannot listen on {}", cli.listen))?;
    let hosts = HostPolicy::for_listen(cli.listen, &cli.allowed_hosts);
    let server = serve(app, listener, hosts).await?;
    server_runtime.set_url(server.url());
    println!("listening on {}", server.url());
    std::io::stdout().flush()?;

    let shutdown = server.shutdown_handle();
    tokio::spawn(async move {
        wait_for_signal().await;
        tracing::info!("shutting down");
        let _ = shutdown.send(true);
    });
    server.wait().await.context("the server failed")
}

fn transcribe(args: &TranscribeArgs) -> Result<()> {
    let model = match args.model.clone().or_else(jarvis_voice::default_model_path) {
        Some(path) if path.is_file() => path,
        Some(path) => bail!(
            "no speech model at {}: pass --model PATH to a whisper.cpp ggml model (e.g. ggml-tiny.en.bin) or set JARVIS_WHISPER_MODEL",
            path.display()
        ),
        None => bail!("no speech model: pass --model PATH or set JARVIS_WHISPER_MODEL"),
    };
    let report =
        jarvis_voice::transcribe_file(&args.file, &model, &jarvis_voice::SttOptions::default())?;
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        println!("{}", report.text);
        match (&report.intent, &report.error) {
            (Some(intent), _) => eprintln!("intent: {}", serde_json::to_string(intent)?),
            (None, Some(error)) => eprintln!("not a command Jarvis can carry out: {error}"),
            (None, None) => {}
        }
    }
    Ok(())
}

fn backtest(args: &BacktestArgs) -> Result<()> {
    let params: BTreeMap<String, String> = args.params.iter().cloned().collect();
    let mut strategy = jarvis_trading::strategy::build(&args.strategy, &params)?;
    let bars = jarvis_trading::load_csv(&args.data)
        .with_context(|| format!("cannot use {}", args.data.display()))?;
    let risk = match args.risk_limits.as_deref() {
        None => None,
        Some("default") => Some(jarvis_trading::risk::RiskLimits::default()),
        Some(file) => {
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("--risk-limits: cannot read {file}"))?;
            let limits: jarvis_trading::risk::RiskLimits = serde_json::from_str(&text)
                .with_context(|| format!("--risk-limits: {file} is not a set of risk limits"))?;
            if let Err((field, reason)) = limits.validate() {
                anyhow::bail!("--risk-limits: {field}: {reason}");
            }
            Some(limits)
        }
    };
    let config = jarvis_trading::BacktestConfig {
        cash: args.cash,
        commission: args.commission,
        fills: args.fills.model(args.commission),
        exclusive_orders: args.exclusive_orders,
        curve_points: 0,
        risk,
    };
    let result = jarvis_trading::run(&bars, strategy.as_mut(), &config)?;
    let report = BacktestReport::new(&args.strategy, params, &config, &bars, result, false);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    let s = &report.stats;
    let fills = match report.fills {
        jarvis_trading::report::FillsName::BacktestingPy => "backtesting.py's rules",
        jarvis_trading::report::FillsName::Paper => "the paper broker's model",
    };
    println!(
        "{} over {} bars, {} → {}, filled by {fills}",
        report.strategy, s.bars, s.start, s.end
    );
    println!(
        "{:>5} {:>12} {:>8} {:>8} {:>14} {:>14} {:>14}",
        "#", "size", "entry", "exit", "entry price", "exit price", "P&L"
    );
    for (n, t) in report.trades.iter().enumerate() {
        println!(
            "{:>5} {:>12} {:>8} {:>8} {:>14} {:>14} {:>14}",
            n + 1,
            t.size,
            t.entry_bar,
            t.exit_bar,
            t.entry_price,
            t.exit_price,
            t.pnl.round_dp(2)
        );
    }
    if report.unfilled_orders > 0 {
        println!(
            "{} order(s) had not filled by the last bar",
            report.unfilled_orders
        );
    }
    for r in &report.refused {
        println!(
            "refused at bar {} ({}): {} — {}",
            r.bar, r.time, r.check, r.reason
        );
    }
    let pct = |v: Option<f64>| v.map_or("n/a".to_string(), |v| format!("{v:.2}"));
    println!("final equity   {}", s.equity_final.round_dp(2));
    println!(
        "return %       {:.2}   (buy and hold {:.2})",
        s.return_pct, s.buy_and_hold_return_pct
    );
    println!("CAGR %         {}", pct(s.cagr_pct));
    println!(
        "Sharpe         {}   Sortino {}",
        pct(s.sharpe),
        pct(s.sortino)
    );
    println!("max drawdown % {:.2}", s.max_drawdown_pct);
    println!(
        "trades         {}   win rate % {}   profit factor {}",
        s.trades,
        pct(s.win_rate_pct),
        pct(s.profit_factor)
    );
    println!(
        "exposure %     {:.2}   open at the end {}",
        s.exposure_pct, report.open_position
    );
    Ok(())
}

async fn wait_for_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                .expect("SIGTERM handler");
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
}
