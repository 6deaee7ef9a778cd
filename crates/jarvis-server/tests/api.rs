//! The router, called in-process with `oneshot`, over a real profile.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::api;
use serde_json::{Value, json};

#[tokio::test]
async fn health_is_public_and_hides_paths_the_detailed_one_does_not() {
    let api = api().await;
    let request = Request::get("/health")
        .header(header::HOST, "localhost:7878")
        .body(Body::empty())
        .unwrap();
    let (status, _, body) = api.send(request).await;
    assert_eq!(status, StatusCode::OK);
    let health: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(health["database"]["status"], "ok");
    assert_eq!(
        health["database"]["schema_version"],
        health["database"]["latest_schema_version"]
    );
    assert_eq!(health["keychain"]["backend"], "os_keychain");
    assert_eq!(health["keychain"]["status"], "ok");
    assert_eq!(health["providers"]["status"], "not_configured");
    assert!(health["database"]["path"].is_null());

    let (status, detailed) = api.get("/api/v1/health").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        detailed["database"]["path"]
            .as_str()
            .unwrap()
            .ends_with("jarvis.db")
    );
}

#[tokio::test]
async fn every_api_route_needs_the_owner_token() {
    let api = api().await;
    for (method, uri) in [
        ("GET", "/api/v1/providers"),
        ("POST", "/api/v1/providers"),
        ("DELETE", "/api/v1/providers/x"),
        ("GET", "/api/v1/health"),
        ("GET", "/api/v1/settings/server"),
        ("GET", "/api/v1/events"),
        ("GET", "/api/v1/no-such-route"),
    ] {
        for auth in [None, Some("Bearer wrong"), Some("Basic abc")] {
            let mut request = Request::builder()
                .method(method)
                .uri(uri)
                .header(header::HOST, "127.0.0.1");
            if let Some(auth) = auth {
                request = request.header(header::AUTHORIZATION, auth);
            }
            let (status, headers, body) = api.send(request.body(Body::empty()).unwrap()).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {uri} {auth:?}");
            assert_eq!(headers[header::WWW_AUTHENTICATE], "Bearer");
            let problem: Value = serde_json::from_slice(&body).unwrap();
            assert_eq!(problem["code"], "unauthorized");
        }
    }
}

#[tokio::test]
async fn a_foreign_host_header_is_refused_even_with_the_token() {
    let api = api().await;
    let request = Request::get("/api/v1/providers")
        .header(header::HOST, "attacker.example:7878")
        .header(header::AUTHORIZATION, format!("Bearer {}", api.token))
        .body(Body::empty())
        .unwrap();
    let (status, _, _) = api.send(request).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn providers_round_trip_and_never_return_the_key() {
    let api = api().await;
    let key = "AIza-test-key-0123456789-abcdEFGH";
    let (status, created) = api
        .json(
            "POST",
            "/api/v1/providers",
            json!({"name": "Gemini", "kind": "gemini", "base_url": "https://generativelanguage.googleapis.com", "model": "gemini-2.5-flash", "api_key": key}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert!(!created.to_string().contains(key));
    assert_eq!(created["key_hint"], "EFGH");
    let id = created["id"].as_str().unwrap().to_owned();

    let (status, list) = api.get("/api/v1/providers").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert!(!list.to_string().contains(key));

    let (status, patched) = api
        .json(
            "PATCH",
            &format!("/api/v1/providers/{id}"),
            json!({"model": "gemini-2.5-pro"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    assert_eq!(patched["model"], "gemini-2.5-pro");
    assert_eq!(patched["name"], "Gemini");

    let status = api.delete(&format!("/api/v1/providers/{id}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, problem) = api
        .json(
            "PATCH",
            &format!("/api/v1/providers/{id}"),
            json!({"model": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(problem["code"], "not_found");
}

#[tokio::test]
async fn bad_bodies_get_4xx_with_the_field_never_500() {
    let api = api().await;
    let cases = [
        (
            json!({"name": "a", "kind": "openai", "base_url": "http://h", "model": "m", "colour": "red"}),
            422,
            "unknown_field",
            Some("colour"),
        ),
        (
            json!({"name": "a", "kind": "openai", "base_url": "http://h"}),
            422,
            "missing_field",
            Some("model"),
        ),
        (
            json!({"name": "a", "kind": "mistral", "base_url": "http://h", "model": "m"}),
            422,
            "invalid_field",
            Some("kind"),
        ),
        (
            json!({"name": 5, "kind": "openai", "base_url": "http://h", "model": "m"}),
            422,
            "invalid_field",
            Some("name"),
        ),
        (
            json!({"name": "a", "kind": "openai", "base_url": "javascript:alert(1)", "model": "m"}),
            422,
            "invalid_field",
            Some("base_url"),
        ),
        (
            json!({"name": " ", "kind": "openai", "base_url": "http://h", "model": "m"}),
            422,
            "invalid_field",
            Some("name"),
        ),
        (json!(["not", "an", "object"]), 400, "invalid_body", None),
        (json!("text"), 400, "invalid_body", None),
    ];
    for (body, status, code, field) in cases {
        let (got, problem) = api.json("POST", "/api/v1/providers", body.clone()).await;
        assert_eq!(got.as_u16(), status, "{body} → {problem}");
        assert_eq!(problem["code"], code, "{body} → {problem}");
        assert_eq!(problem["field"].as_str(), field, "{body} → {problem}");
        assert!(problem["message"].as_str().is_some_and(|m| !m.is_empty()));
    }

    let broken = api
        .request("POST", "/api/v1/providers")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from("{\"name\": "))
        .unwrap();
    let (status, _, body) = api.send(broken).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        serde_json::from_slice::<Value>(&body).unwrap()["code"],
        "invalid_json"
    );

    let not_json = api
        .request("POST", "/api/v1/providers")
        .header(header::CONTENT_TYPE, "text/plain")
        .body(Body::from("hello"))
        .unwrap();
    assert_eq!(
        api.send(not_json).await.0,
        StatusCode::UNSUPPORTED_MEDIA_TYPE
    );

    let huge = api
        .request("POST", "/api/v1/providers")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(format!(
            "{{\"name\":\"{}\"}}",
            "x".repeat(200_000)
        )))
        .unwrap();
    let (status, _, body) = api.send(huge).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        serde_json::from_slice::<Value>(&body).unwrap()["code"],
        "body_too_large"
    );
}

#[tokio::test]
async fn jarvisd_cannot_turn_its_own_server_off() {
    let api = api().await;
    let (status, problem) = api
        .json(
            "PUT",
            "/api/v1/settings/server",
            json!({"enabled": false, "listen": "127.0.0.1:7878"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(problem["code"], "not_supported");
    let (status, view) = api.get("/api/v1/settings/server").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(view["status"]["managed_by"], "jarvisd");
}

#[tokio::test]
async fn the_ui_is_served_with_client_routes_falling_back_to_index() {
    let api = api().await;
    for uri in ["/", "/settings", "/index.html"] {
        let request = Request::get(uri)
            .header(header::HOST, "localhost")
            .body(Body::empty())
            .unwrap();
        let (status, headers, body) = api.send(request).await;
        assert_eq!(status, StatusCode::OK, "{uri}");
        assert!(
            headers[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        assert!(headers.contains_key(header::CONTENT_SECURITY_POLICY));
        assert!(String::from_utf8_lossy(&body).contains("<div id=\"root\">"));
    }
    let (status, problem) = api.get("/api/v1/nothing-here").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(problem["code"], "not_found");
}

#[tokio::test]
async fn local_server_detection_and_model_lists_answer_over_the_api() {
    let api = api().await;
    let (status, found) = api.get("/api/v1/providers/detect").await;
    assert_eq!(status, StatusCode::OK);
    assert!(found.is_array(), "{found}");
    let (status, problem) = api.get("/api/v1/providers/no-such-id/models").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{problem}");
    assert_eq!(problem["code"], "not_found");
}

/// Daily bars as CSV: a zig-zag so SMA(3, 5) crosses both ways.
fn zigzag_csv(days: usize) -> String {
    let mut csv = String::from("timestamp,Open,High,Low,Close,Volume\n");
    for day in 0..days {
        let phase = (day % 20) as i64;
        let close = 100
            + if phase < 10 {
                phase * 2
            } else {
                (20 - phase) * 2
            };
        let date =
            chrono::NaiveDate::from_ymd_opt(2020, 1, 1).unwrap() + chrono::Days::new(day as u64);
        csv.push_str(&format!(
            "{date},{close},{},{},{close},100000\n",
            close + 1,
            close - 1
        ));
    }
    csv
}

#[tokio::test]
async fn trading_orders_refusals_kill_switch_and_audit_over_http() {
    let api = api().await;
    // No price yet: refused, naming the field.
    let order = json!({"symbol": "AAPL", "side": "buy", "qty": "5", "type": "market"});
    let (status, body) = api.json("POST", "/api/v1/orders", order.clone()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["field"], "symbol");

    // A replay at full speed gives AAPL a price.
    let (status, body) = api
        .json(
            "POST",
            "/api/v1/market/replays",
            json!({"symbol": "AAPL", "csv": zigzag_csv(30), "speed": 0.0}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    for _ in 0..100 {
        let (_, quotes) = api.get("/api/v1/market/quotes").await;
        if quotes.as_array().is_some_and(|q| !q.is_empty()) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let (status, body) = api.json("POST", "/api/v1/orders", order.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["state"], "filled");
    let (_, positions) = api.get("/api/v1/positions").await;
    assert_eq!(positions[0]["qty"], "5");
    let (_, bars) = api.get("/api/v1/market/bars?symbol=AAPL").await;
    assert!(!bars.as_array().unwrap().is_empty());

    // Bad input names the field.
    let (status, body) = api
        .json(
            "POST",
            "/api/v1/orders",
            json!({"symbol": "AAPL", "side": "buy", "qty": "-1", "type": "market"}),
        )
        .await;
    assert_eq!(
        (status, body["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("qty"))
    );
    let (status, _) = api
        .json(
            "POST",
            "/api/v1/orders",
            json!({"symbol": "AAPL", "side": "hold", "qty": "1", "type": "market"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // The kill switch blocks the next order and names itself.
    let (status, account) = api
        .json("POST", "/api/v1/risk/kill-switch", json!({"engaged": true}))
        .await;
    assert_eq!(
        (status, account["kill_switch"].as_bool()),
        (StatusCode::OK, Some(true))
    );
    let (status, body) = api.json("POST", "/api/v1/orders", order).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        (body["code"].as_str(), body["field"].as_str()),
        (Some("risk_rejected"), Some("kill_switch"))
    );

    let (status, verified) = api.json("POST", "/api/v1/audit/verify", json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(verified["ok"], true);
    let (_, entries) = api.get("/api/v1/audit?limit=3").await;
    assert_eq!(entries[0]["kind"], "order_refused");
    let (_, account) = api.get("/api/v1/account").await;
    assert_eq!(account["broker"], "paper");
}

#[tokio::test]
async fn backtests_take_large_csv_bodies_and_name_bad_lines() {
    let api = api().await;
    let csv = zigzag_csv(3_000); // well over the 64 KiB default body limit
    assert!(csv.len() > 64 * 1024);
    let request = json!({
        "strategy": "sma-cross", "params": {"fast": "3", "slow": "5"},
        "cash": "10000", "commission": "0.002", "exclusive_orders": true, "csv": csv,
    });
    let (status, report) = api.json("POST", "/api/v1/backtests", request.clone()).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert!(report["stats"]["trades"].as_u64().unwrap() > 10);
    let curve = report["equity_curve"].as_array().unwrap();
    assert!(curve.len() <= 501 && curve.len() > 100);
    assert!(report.get("refused").is_none() && report.get("risk_checked").is_none());

    // With the account's risk limits, as live orders meet them: a 1,000
    // order limit refuses every all-equity entry of a 10,000 account.
    let (status, _) = api
        .json(
            "PUT",
            "/api/v1/risk/limits",
            json!({"max_position_value": "50000", "max_order_value": "1000",
                   "max_open_orders": 20, "max_orders_per_minute": 30, "daily_loss_limit": "5000"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let mut checked = request.clone();
    checked["apply_risk_limits"] = json!(true);
    let (status, report) = api.json("POST", "/api/v1/backtests", checked).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["risk_checked"], true);
    assert_eq!(report["stats"]["trades"], 0);
    let refused = report["refused"].as_array().unwrap();
    assert!(refused.len() > 10);
    assert_eq!(refused[0]["check"], "max_order_value");

    // Filled like the paper broker: the report says so; a made-up fill
    // model is refused by its field.
    let mut paper = request.clone();
    paper["fills"] = json!("paper");
    let (status, report) = api.json("POST", "/api/v1/backtests", paper).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["fills"], "paper");
    assert!(report["stats"]["trades"].as_u64().unwrap() > 10);
    let mut unknown = request.clone();
    unknown["fills"] = json!("live");
    let (status, body) = api.json("POST", "/api/v1/backtests", unknown).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.to_string().contains("fills"), "{body}");

    let bad = "Date,Open,High,Low,Close,Volume\n2024-01-01,1,2,1,1,5\n2024-01-02,1,2,1,oops,5\n";
    let (status, body) = api
        .json(
            "POST",
            "/api/v1/backtests",
            json!({"strategy": "sma-cross", "cash": "1000", "commission": "0", "csv": bad}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["field"], "csv");
    assert!(
        body["message"].as_str().unwrap().contains("line 3"),
        "{body}"
    );
    let (_, strategies) = api.get("/api/v1/backtests/strategies").await;
    assert_eq!(strategies[0]["name"], "sma-cross");

    // Other routes keep the small limit.
    let big = json!({"symbol": "AAPL", "side": "buy", "qty": "1", "type": "market", "client_order_id": "x".repeat(70_000)});
    let (status, _) = api.json("POST", "/api/v1/orders", big).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn the_built_in_model_is_offered_once_and_a_removal_is_respected() {
    let profile = common::profile();
    let app = &profile.app;
    assert!(
        !app.offer_builtin_model().await.unwrap(),
        "no model file, nothing offered"
    );

    let models = profile.dir.path().join("models");
    std::fs::create_dir_all(&models).unwrap();
    std::fs::write(
        models.join(jarvis_app::BUILTIN_MODEL_FILE),
        b"GGUF\x03\x00\x00\x00",
    )
    .unwrap();
    assert!(app.offer_builtin_model().await.unwrap());
    let providers = app.providers.list().await.unwrap();
    assert_eq!(providers.len(), 1);
    assert_eq!(providers[0].kind, jarvis_ai::ProviderKind::Local);
    assert!(
        providers[0]
            .base_url
            .ends_with(jarvis_app::BUILTIN_MODEL_FILE)
    );

    app.providers.remove(&providers[0].id).await.unwrap();
    assert!(
        !app.offer_builtin_model().await.unwrap(),
        "removed by the user: not offered again"
    );
    assert!(app.providers.list().await.unwrap().is_empty());

    // A file that is not a model is refused with the field named.
    let api = api().await;
    let not_a_model = profile.dir.path().join("notes.txt");
    std::fs::write(&not_a_model, "hello").unwrap();
    let (status, body) = api
        .json(
            "POST",
            "/api/v1/providers",
            json!({"name": "Mine", "kind": "local", "base_url": not_a_model, "model": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["field"], "base_url");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("not a GGUF model file"),
        "{body}"
    );
}

#[tokio::test]
async fn a_voice_trade_waits_for_confirmation_and_meets_the_kill_switch() {
    let api = api().await;
    let (status, _) = api
        .json(
            "POST",
            "/api/v1/market/replays",
            json!({"symbol": "AAPL", "csv": zigzag_csv(5), "speed": 0.0}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    for _ in 0..100 {
        let (_, quotes) = api.get("/api/v1/market/quotes").await;
        if quotes.as_array().is_some_and(|q| !q.is_empty()) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }

    // Heard, parsed, not executed.
    let (status, outcome) = api
        .json(
            "POST",
            "/api/v1/voice/command",
            json!({"text": "By ten shares of Apple."}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{outcome}");
    assert_eq!(outcome["status"], "needs_confirmation");
    assert_eq!(outcome["intent"]["symbol"], "AAPL");
    let (_, orders) = api.get("/api/v1/orders").await;
    assert!(
        orders.as_array().unwrap().is_empty(),
        "nothing runs on voice alone"
    );

    // A spoken "confirm" places it through the pipeline, source voice.
    let (_, done) = api
        .json("POST", "/api/v1/voice/command", json!({"text": "Confirm."}))
        .await;
    assert_eq!(done["status"], "done", "{done}");
    assert_eq!(done["order"]["source"], "voice");
    assert_eq!(done["order"]["state"], "filled");

    // With the kill switch engaged (by voice: a brake needs no confirmation),
    // the next confirmed voice order is refused by the risk check.
    let (_, engaged) = api
        .json(
            "POST",
            "/api/v1/voice/command",
            json!({"text": "activate the kill switch"}),
        )
        .await;
    assert_eq!(engaged["status"], "done");
    let (_, asked) = api
        .json(
            "POST",
            "/api/v1/voice/command",
            json!({"text": "sell five shares of apple"}),
        )
        .await;
    let id = asked["confirmation_id"].as_str().unwrap().to_owned();
    let (_, refused) = api
        .json("POST", &format!("/api/v1/voice/confirm/{id}"), json!({}))
        .await;
    assert_eq!(refused["status"], "refused");
    assert!(
        refused["message"].as_str().unwrap().contains("kill_switch"),
        "{refused}"
    );

    // Refusals as heard, queries, navigation, chat.
    let (_, minus) = api
        .json(
            "POST",
            "/api/v1/voice/command",
            json!({"text": "buy minus five shares of apple"}),
        )
        .await;
    assert_eq!(minus["status"], "refused");
    let (_, pnl) = api
        .json(
            "POST",
            "/api/v1/voice/command",
            json!({"text": "what is my profit and loss today"}),
        )
        .await;
    assert_eq!(pnl["status"], "done");
    assert!(pnl["message"].as_str().unwrap().contains("profit and loss"));
    let (_, nav) = api
        .json(
            "POST",
            "/api/v1/voice/command",
            json!({"text": "open the trading screen"}),
        )
        .await;
    assert_eq!(
        (nav["status"].as_str(), nav["screen"].as_str()),
        (Some("navigate"), Some("trading"))
    );
    let (_, chat) = api
        .json(
            "POST",
            "/api/v1/voice/command",
            json!({"text": "how far away is mars from the earth"}),
        )
        .await;
    assert_eq!(chat["status"], "for_chat");
    let (status, body) = api
        .json("POST", "/api/v1/voice/confirm/nope", json!({}))
        .await;
    assert_eq!(
        (status, body["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("id"))
    );
}

#[tokio::test]
async fn facts_are_remembered_listed_and_deleted_by_api_and_by_voice() {
    let api = api().await;
    let (status, fact) = api
        .json(
            "POST",
            "/api/v1/memory/facts",
            json!({"text": "I take my coffee black"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{fact}");
    assert_eq!(fact["source"], "api");
    let (status, problem) = api
        .json("POST", "/api/v1/memory/facts", json!({"text": ""}))
        .await;
    assert_eq!(
        (status, problem["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("text"))
    );

    let (status, outcome) = api
        .json(
            "POST",
            "/api/v1/voice/command",
            json!({"text": "Remember that my dentist appointment is on Friday."}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{outcome}");
    assert_eq!(outcome["status"], "done");
    assert!(
        outcome["message"]
            .as_str()
            .unwrap()
            .contains("dentist appointment is on Friday")
    );

    let (_, facts) = api.get("/api/v1/memory/facts").await;
    let texts: Vec<&str> = facts
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["text"].as_str().unwrap())
        .collect();
    assert_eq!(
        texts,
        [
            "my dentist appointment is on Friday",
            "I take my coffee black"
        ]
    );
    assert_eq!(facts[0]["source"], "voice");

    let id = fact["id"].as_str().unwrap();
    let status = api.delete(&format!("/api/v1/memory/facts/{id}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let status = api.delete(&format!("/api/v1/memory/facts/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn api_keys_open_the_api_but_only_the_owner_manages_them() {
    let api = api().await;
    let (status, created) = api
        .json("POST", "/api/v1/api-keys", json!({"name": "my script"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let key = created["key"].as_str().unwrap().to_owned();
    assert!(key.starts_with("jv_") && key.len() > 40);
    let (status, problem) = api
        .json("POST", "/api/v1/api-keys", json!({"name": "My Script"}))
        .await;
    assert_eq!(
        (status, problem["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("name"))
    );
    let (status, problem) = api
        .json("POST", "/api/v1/api-keys", json!({"name": "  "}))
        .await;
    assert_eq!(
        (status, problem["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("name"))
    );

    let with_key = |method: &str, uri: &str| {
        Request::builder()
            .method(method)
            .uri(uri)
            .header(header::HOST, "127.0.0.1:7878")
            .header(header::AUTHORIZATION, format!("Bearer {key}"))
    };
    let (status, _, _) = api
        .send(with_key("GET", "/v1/models").body(Body::empty()).unwrap())
        .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "an API key opens the OpenAI-compatible API"
    );
    let (status, _, _) = api
        .send(
            with_key("GET", "/api/v1/conversations")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "and the rest of the API");
    let (status, _, body) = api
        .send(
            with_key("GET", "/api/v1/api-keys")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "{}",
        String::from_utf8_lossy(&body)
    );

    let (_, keys) = api.get("/api/v1/api-keys").await;
    assert_eq!(keys[0]["name"], "my script");
    assert!(key.starts_with(keys[0]["prefix"].as_str().unwrap()));
    assert!(
        !keys.to_string().contains(&key),
        "the list never shows the key"
    );
    let db = std::fs::read(api.profile.dir.path().join("jarvis.db")).unwrap();
    let wal = std::fs::read(api.profile.dir.path().join("jarvis.db-wal")).unwrap_or_default();
    for bytes in [&db, &wal] {
        assert!(
            !bytes.windows(key.len()).any(|w| w == key.as_bytes()),
            "only its hash is stored"
        );
    }

    let id = keys[0]["id"].as_str().unwrap();
    let status = api.delete(&format!("/api/v1/api-keys/{id}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _, _) = api
        .send(with_key("GET", "/v1/models").body(Body::empty()).unwrap())
        .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "a revoked key opens nothing"
    );
}

#[tokio::test]
async fn conversations_import_over_http_all_or_nothing() {
    let api = api().await;
    let chatgpt = json!([{
        "id": "conv-1",
        "title": "Trip to Lisbon",
        "create_time": 1700000000.0,
        "update_time": 1700000100.0,
        "current_node": "n3",
        "mapping": {
            "n1": {"id": "n1", "message": null, "parent": null, "children": ["n2"]},
            "n2": {"id": "n2", "parent": "n1", "children": ["n3"], "message": {"id": "n2", "author": {"role": "user"}, "create_time": 1700000000.0, "content": {"content_type": "text", "parts": ["Where should I eat in Lisbon?"]}}},
            "n3": {"id": "n3", "parent": "n2", "children": [], "message": {"id": "n3", "author": {"role": "assistant"}, "create_time": 1700000050.0, "content": {"content_type": "text", "parts": ["Try a pastelaria in Belém."]}}}
        }
    }]);
    let post = |body: String| {
        api.request("POST", "/api/v1/import")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body))
            .unwrap()
    };
    let (status, _, body) = api.send(post(chatgpt.to_string())).await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    let report: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        (
            report["conversations_imported"].as_u64(),
            report["messages_imported"].as_u64()
        ),
        (Some(1), Some(2)),
        "{report}"
    );
    let (_, _, body) = api.send(post(chatgpt.to_string())).await;
    let again: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        (
            again["conversations_imported"].as_u64(),
            again["conversations_skipped"].as_u64()
        ),
        (Some(0), Some(1))
    );

    let (status, _, body) = api.send(post("[{\"mapping\": 5}]".into())).await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        String::from_utf8_lossy(&body)
    );
    let problem: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(problem["code"], "invalid_import");
    let (_, conversations) = api.get("/api/v1/conversations").await;
    assert_eq!(
        conversations.as_array().unwrap().len(),
        1,
        "nothing half-written"
    );
}

#[tokio::test]
async fn a_live_strategy_trades_through_the_pipeline_and_meets_the_kill_switch() {
    let api = api().await;
    // SMA(2, 4) crosses up at the rise and down at the fall.
    let closes = [10, 10, 10, 9, 8, 9, 10, 11, 12, 13, 12, 11, 10, 9, 8];
    let mut csv = String::from("timestamp,Open,High,Low,Close,Volume\n");
    for (i, c) in closes.iter().enumerate() {
        csv.push_str(&format!(
            "2026-01-05T14:{i:02}:00Z,{c},{c},{c},{c},1000000\n"
        ));
    }
    let start = json!({"symbol": "AAPL", "strategy": "sma-cross", "params": {"fast": "2", "slow": "4"}, "qty": "10"});
    let (status, problem) = api
        .json(
            "POST",
            "/api/v1/strategies/runs",
            json!({"symbol": "AAPL", "strategy": "moon", "qty": "10"}),
        )
        .await;
    assert_eq!(
        (status, problem["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("strategy"))
    );
    let (status, problem) = api
        .json(
            "POST",
            "/api/v1/strategies/runs",
            json!({"symbol": "AAPL", "strategy": "sma-cross", "qty": "0"}),
        )
        .await;
    assert_eq!(
        (status, problem["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("qty"))
    );
    let (status, run) = api
        .json("POST", "/api/v1/strategies/runs", start.clone())
        .await;
    assert_eq!(status, StatusCode::CREATED, "{run}");

    let play = |csv: &str| json!({"symbol": "AAPL", "csv": csv, "speed": 0});
    let (status, _) = api.json("POST", "/api/v1/market/replays", play(&csv)).await;
    assert_eq!(status, StatusCode::CREATED);
    let runs = wait_for_bars(&api, closes.len() as u64).await;
    assert_eq!(runs[0]["signals"], 2, "{runs}");
    assert_eq!(runs[0]["orders_placed"], 2, "{runs}");
    let (_, orders) = api.get("/api/v1/orders").await;
    let mine: Vec<&Value> = orders
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["source"] == "strategy")
        .collect();
    assert_eq!(mine.len(), 2, "{orders}");
    assert_eq!(
        (mine[1]["side"].as_str(), mine[1]["state"].as_str()),
        (Some("buy"), Some("filled"))
    );
    assert_eq!(
        (mine[0]["side"].as_str(), mine[0]["qty"].as_str()),
        (Some("sell"), Some("10"))
    );

    // With the kill switch on, the strategy's next order is refused.
    api.json("POST", "/api/v1/risk/kill-switch", json!({"engaged": true}))
        .await;
    api.json("POST", "/api/v1/strategies/runs", start).await;
    let later = csv.replace("2026-01-05", "2026-01-06");
    api.json("POST", "/api/v1/market/replays", play(&later))
        .await;
    let runs = wait_for_bars(&api, closes.len() as u64).await;
    assert_eq!(runs[0]["orders_placed"], 0, "{runs}");
    assert!(
        runs[0]["last_error"].as_str().unwrap().contains("kill"),
        "{runs}"
    );

    let status = api.delete("/api/v1/strategies/runs/AAPL").await;
    assert_eq!(status, StatusCode::NO_CONTENT);
}

/// Waits until the strategy on AAPL has seen `bars` bars.
async fn wait_for_bars(api: &common::Api, bars: u64) -> Value {
    for _ in 0..200 {
        let (_, runs) = api.get("/api/v1/strategies/runs").await;
        if runs[0]["bars_seen"].as_u64() >= Some(bars) {
            return runs;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("the strategy did not see {bars} bars");
}
