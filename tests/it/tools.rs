//! The tool catalogue over real HTTP against the sandbox Norman API: every tool called with
//! realistic arguments for two users in two companies, writes read back, Norman's errors,
//! bad arguments, an expired upstream token, and uploads by base64 and by https URL (a local
//! TLS server with a self-signed certificate).

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use norman_mcp::keyring::{KeyFile, Keyring, SharedKeyring};
use norman_mcp::mcp::catalogue::{Caller, Catalogue, ToolError};
use norman_mcp::mcp::upload::UploadPolicy;
use norman_mcp::mcp::upload_link::UploadLinks;
use norman_mcp::norman::NormanClient;
use norman_mcp::scope::Scope;
use norman_mcp::tokens::NormanToken;
use norman_sandbox::{DEMO_USERS, Sandbox, SandboxConfig, SandboxHandle, seeded_id};
use rmcp::model::CallToolResult;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio_rustls::rustls::pki_types::CertificateDer;

use crate::support::tls::{Reply, TlsServer};
use crate::support::tool_examples::{SMALL_PDF, examples, id};
use crate::support::tool_names::{COMPANY_TOOLS, FIRST_TOOLS, NEW_TOOLS, founding_tools};
use crate::support::{in_days, today};

/// A sandbox, a Norman client and a catalogue, with both demo users logged in.
struct Env {
    sandbox: SandboxHandle,
    norman: NormanClient,
    catalogue: Catalogue,
    /// Per demo user: the Norman access token and the company id, as the bearer layer has them.
    users: Vec<(NormanToken, String)>,
}

impl Env {
    async fn start() -> Env {
        Env::with_policy(UploadPolicy::default()).await
    }

    async fn with_policy(policy: UploadPolicy) -> Env {
        let sandbox = Sandbox::spawn(SandboxConfig::default()).await.expect("sandbox starts");
        let norman = NormanClient::new(sandbox.url.clone(), Duration::from_secs(10)).unwrap();
        let mut users = Vec::new();
        for user in DEMO_USERS {
            let tokens = norman.login(user.email, user.password).await.expect("demo login");
            let company = norman.first_company(&tokens.access).await.unwrap().expect("a company");
            assert_eq!(company, user.company_id);
            users.push((tokens.access, company));
        }
        // Links to pages no server serves here: the tool only seals them.
        let keys = KeyFile::generate(time::OffsetDateTime::now_utc() - time::Duration::minutes(1)).unwrap();
        let issuer = "http://127.0.0.1:9";
        let keyring = Arc::new(SharedKeyring::fixed(Keyring::from_file(&keys).bound_to(issuer)));
        let links = Arc::new(UploadLinks::new(
            keyring,
            Arc::new(norman_mcp::guard::MemoryGuard::new()),
            issuer,
            &policy,
        ));
        let catalogue = Catalogue::try_new(policy).expect("catalogue").with_upload_links(links);
        Env { sandbox, norman, catalogue, users }
    }

    async fn try_call(&self, user: usize, name: &str, arguments: Value) -> Result<CallToolResult, ToolError> {
        let (token, company) = &self.users[user];
        let caller = Caller { norman_access: token, company_id: company, grant: None };
        let arguments = match arguments {
            Value::Object(map) => Some(map),
            _ => None,
        };
        self.catalogue.call(&self.norman, &caller, name, arguments).await
    }

    /// A call that must give a tool result (successful or not).
    async fn call(&self, user: usize, name: &str, arguments: Value) -> CallToolResult {
        self.try_call(user, name, arguments).await.unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    /// A call that must succeed; its text parsed as JSON.
    async fn ok(&self, user: usize, name: &str, arguments: Value) -> Value {
        let result = self.call(user, name, arguments).await;
        assert_eq!(result.is_error, Some(false), "{name} failed: {}", text(&result));
        serde_json::from_str(text(&result))
            .unwrap_or_else(|e| panic!("{name}: not JSON ({e}): {}", text(&result)))
    }

    /// A call that must fail as a tool result; its error JSON.
    async fn fails(&self, user: usize, name: &str, arguments: Value) -> Value {
        let result = self.call(user, name, arguments).await;
        assert_eq!(result.is_error, Some(true), "{name} should fail: {}", text(&result));
        serde_json::from_str(text(&result)).expect("error JSON")
    }
}

/// The last text block of a result.
fn text(result: &CallToolResult) -> &str {
    result.content.iter().rev().find_map(|c| c.as_text().map(|t| t.text.as_str())).unwrap_or_default()
}

fn results(list: &Value) -> &Vec<Value> {
    list["results"].as_array().expect("a results list")
}

#[tokio::test]
async fn the_catalogue_has_the_34_core_tools_described_annotated_and_scoped() {
    let catalogue = Catalogue::default();
    let names: BTreeSet<String> = catalogue.tools().iter().map(|t| t.name.to_string()).collect();
    let expected: BTreeSet<String> =
        FIRST_TOOLS.iter().chain(&NEW_TOOLS).chain(&COMPANY_TOOLS).map(|s| s.to_string()).collect();
    // The founding tools have no example: their drafts' ids exist only once created, so
    // tests/founding_tools.rs runs each workflow instead.
    let founding: BTreeSet<String> = founding_tools().map(str::to_owned).collect();
    assert_eq!(names, expected.union(&founding).cloned().collect());
    for tool in catalogue.tools() {
        let name = tool.name.as_ref();
        assert!(tool.description.as_deref().is_some_and(|d| d.len() > 30), "{name} has a description");
        let schema = tool.schema_as_json_value();
        assert_eq!(schema["type"], "object", "{name}");
        assert_eq!(schema["additionalProperties"], false, "{name}");
        for (param, property) in schema["properties"].as_object().unwrap() {
            assert!(property["description"].as_str().is_some_and(|d| !d.is_empty()), "{name}.{param}");
            assert!(property.get("type").is_some(), "{name}.{param}");
        }
        for required in schema["required"].as_array().into_iter().flatten() {
            assert!(schema["properties"].get(required.as_str().unwrap()).is_some(), "{name}: {required}");
        }
        let a = tool.annotations.as_ref().unwrap_or_else(|| panic!("{name} has annotations"));
        let (read_only, destructive, idempotent, open_world) = (
            a.read_only_hint.expect("readOnlyHint"),
            a.destructive_hint.expect("destructiveHint"),
            a.idempotent_hint.expect("idempotentHint"),
            a.open_world_hint.expect("openWorldHint"),
        );
        let scope = catalogue.scope(name).expect("a scope");
        assert_eq!(scope, if read_only { Scope::Read } else { Scope::Write }, "{name}");
        if read_only {
            assert!(!destructive && idempotent, "{name}: a read is neither destructive nor repeated harm");
        }
        assert!(catalogue.tool(name).is_some());
        let _ = open_world;
    }
    let hints = |name: &str| {
        let a = catalogue.tool(name).unwrap().annotations.clone().unwrap();
        (
            a.read_only_hint.unwrap(),
            a.destructive_hint.unwrap(),
            a.idempotent_hint.unwrap(),
            a.open_world_hint.unwrap(),
        )
    };
    // POST endpoints that only compute: read-only.
    for name in ["validate_tax_number", "categorize_transaction", "generate_finanzamt_preview"] {
        assert_eq!(catalogue.scope(name), Some(Scope::Read), "{name}");
    }
    assert_eq!(hints("submit_tax_report"), (false, true, false, true));
    assert_eq!(hints("delete_client"), (false, true, true, false));
    assert_eq!(hints("send_invoice"), (false, false, false, true));
    assert_eq!(hints("create_client"), (false, false, false, false));
    assert_eq!(hints("link_transaction"), (false, false, true, false));
    assert_eq!(hints("update_client"), (false, true, true, false));
    assert_eq!(hints("get_company_details"), (true, false, true, false));
    assert!(catalogue.tool("no_such_tool").is_none() && catalogue.scope("no_such_tool").is_none());
    // The upload limit is stated where the model reads it.
    let upload = catalogue.tool("create_attachment").unwrap().description.clone().unwrap();
    assert!(upload.contains("10 MiB"), "{upload}");
    // Every tool has an example, and only real tools do.
    let example_names: BTreeSet<String> = examples()
        .iter()
        .chain(&crate::support::tool_examples::advisor_examples())
        .map(|(n, _)| n.to_string())
        .collect();
    assert_eq!(example_names, expected);
}

#[tokio::test]
async fn every_example_succeeds_and_no_result_carries_the_norman_token() {
    let env = Env::start().await;
    let token = env.users[0].0.expose().to_owned();
    for (name, arguments) in examples() {
        let result = env.call(0, name, arguments).await;
        let body = text(&result);
        assert_eq!(result.is_error, Some(false), "{name}: {body}");
        assert!(!body.contains(&token), "{name} leaks the Norman token");
        assert!(serde_json::from_str::<Value>(body).is_ok(), "{name} answers JSON: {body}");
    }
    env.sandbox.shutdown().await;
}

#[tokio::test]
async fn each_user_sees_only_their_own_company() {
    let env = Env::start().await;
    for (user, demo) in DEMO_USERS.iter().enumerate() {
        let company = env.ok(user, "get_company_details", json!({})).await;
        assert_eq!(company["publicId"], demo.company_id);
        assert_eq!(company["name"], demo.company_name);
        let clients = env.ok(user, "list_clients", json!({})).await;
        assert!(results(&clients).iter().all(|c| c["company"] == demo.company_id));
        let balance = env.ok(user, "get_company_balance", json!({})).await;
        assert_eq!(balance["companyId"], demo.company_id);
        let reports = env.ok(user, "list_tax_reports", json!({})).await;
        assert!(results(&reports).iter().all(|r| r["company"] == demo.company_id));
    }
    // The first company's objects do not exist for the second user: Norman's 404 comes back.
    let foreign = [
        ("get_client", json!({ "client_id": id("cli", 0) })),
        ("get_invoice", json!({ "invoice_id": id("inv", 0) })),
        ("get_tax_report", json!({ "report_id": id("txr", 0) })),
        ("update_client", json!({ "client_id": id("cli", 0), "name": "Hijacked" })),
        ("delete_client", json!({ "client_id": id("cli", 0) })),
        ("update_transaction", json!({ "transaction_id": id("trx", 0), "description": "x" })),
    ];
    for (name, arguments) in foreign {
        let error = env.fails(1, name, arguments).await;
        assert_eq!(error["status"], 404, "{name}: {error}");
        assert!(error["error"].as_str().unwrap().contains("404"), "{error}");
        assert_eq!(error["detail"]["detail"], "Not found.");
    }
    // ... and are untouched.
    let client = env.ok(0, "get_client", json!({ "client_id": id("cli", 0) })).await;
    assert_eq!(client["name"], "Bäckerei Sonnenschein GmbH");
    env.sandbox.shutdown().await;
}

#[tokio::test]
async fn client_writes_are_visible_in_later_reads() {
    let env = Env::start().await;
    let created = env
        .ok(
            1,
            "create_client",
            json!({ "name": "Café Holzwurm", "client_type": "PRIVATE", "email": "", "city": "München" }),
        )
        .await;
    let new_id = created["publicId"].as_str().unwrap().to_owned();
    assert_eq!(created["clientType"], "private", "choices are normalised");
    assert_eq!(created["city"], "München");
    let list = env.ok(1, "list_clients", json!({})).await;
    assert!(results(&list).iter().any(|c| c["publicId"] == new_id.as_str()));

    let updated = env.ok(1, "update_client", json!({ "client_id": new_id, "zip_code": "80331" })).await;
    assert_eq!(updated["zipCode"], "80331");
    assert_eq!(updated["name"], "Café Holzwurm", "untouched fields stay");
    let unchanged = env.ok(1, "update_client", json!({ "client_id": new_id })).await;
    assert_eq!(unchanged["current"]["zipCode"], "80331");
    assert!(unchanged["message"].as_str().unwrap().contains("nothing was changed"));

    let deleted = env.ok(1, "delete_client", json!({ "client_id": new_id })).await;
    assert_eq!(deleted["success"], true);
    let gone = env.fails(1, "get_client", json!({ "client_id": new_id })).await;
    assert_eq!(gone["status"], 404);
    // The first user's clients are not affected by any of this.
    let first = env.ok(0, "list_clients", json!({})).await;
    assert_eq!(results(&first).len(), 4);
    env.sandbox.shutdown().await;
}

#[tokio::test]
async fn company_and_tax_setting_updates_are_visible() {
    let env = Env::start().await;
    let updated = env
        .ok(
            0,
            "update_company_details",
            json!({ "vat_id": "DE399999999", "phone": "+49 30 1111111", "chart_of_accounts": "skr03", "datev_advisor_number": "7654321" }),
        )
        .await;
    assert_eq!(updated["vatNumber"], "DE399999999");
    let company = env.ok(0, "get_company_details", json!({})).await;
    assert_eq!(company["vatNumber"], "DE399999999");
    assert_eq!(company["phoneNumber"], "+49 30 1111111");
    assert_eq!(company["chartOfAccounts"]["code"], "skr03");
    assert_eq!(company["datevAdvisorNumber"], "7654321");
    let other = env.ok(1, "get_company_details", json!({})).await;
    assert_ne!(other["vatNumber"], "DE399999999");

    let setting = seeded_id("tset", DEMO_USERS[0].company_id, 0);
    env.ok(
        0,
        "update_tax_setting",
        json!({ "setting_id": setting, "reporting_frequency": "monthly", "vat_percent": 19 }),
    )
    .await;
    let settings = env.ok(0, "list_tax_settings", json!({})).await;
    let stored = results(&settings).iter().find(|s| s["publicId"] == setting.as_str()).unwrap();
    assert_eq!(stored["reportingFrequency"], "monthly");
    let refused =
        env.fails(0, "update_tax_setting", json!({ "setting_id": setting, "vat_percent": 16 })).await;
    assert_eq!(refused["status"], 400);
    assert!(refused["detail"]["vatPercent"].is_array(), "{refused}");
    env.sandbox.shutdown().await;
}

#[tokio::test]
async fn transactions_are_signed_by_direction_and_searchable() {
    let env = Env::start().await;
    let expense = env
        .ok(
            0,
            "create_transaction",
            json!({ "amount": 42.0, "description": "Werkzeugkoffer Baumarkt", "cashflow_type": "expense", "supplier_country": "DE" }),
        )
        .await;
    assert_eq!(expense["amount"].as_f64(), Some(-42.0), "an expense is stored negative");
    assert_eq!(expense["valueDate"], today());
    assert_eq!(expense["cashflowType"], "EXPENSE");
    let tx = expense["publicId"].as_str().unwrap().to_owned();

    let found = env.ok(0, "search_transactions", json!({ "description": "Werkzeugkoffer" })).await;
    assert_eq!(results(&found).len(), 1);
    assert_eq!(results(&found)[0]["publicId"], tx.as_str());
    let open = env.ok(0, "search_transactions", json!({ "no_receipt": true, "status": "UNVERIFIED" })).await;
    assert!(results(&open).iter().any(|t| t["publicId"] == tx.as_str()));

    // A positive amount on an expense stays an expense: the direction is asked from Norman.
    let updated = env.ok(0, "update_transaction", json!({ "transaction_id": tx, "amount": 50 })).await;
    assert_eq!(updated["amount"].as_f64(), Some(-50.0));
    let income = env
        .ok(
            0,
            "update_transaction",
            json!({ "transaction_id": tx, "amount": -50, "cashflow_type": "INCOME" }),
        )
        .await;
    assert_eq!(income["amount"].as_f64(), Some(50.0));

    let suggestion = env
        .ok(
            0,
            "categorize_transaction",
            json!({ "transaction_amount": 1200, "transaction_description": "Miete Büro März", "transaction_type": "EXPENSE" }),
        )
        .await;
    assert_eq!(suggestion["category"]["nameDe"], "Miete");
    // The second user does not see the first user's transaction.
    let theirs = env.ok(1, "search_transactions", json!({ "description": "Werkzeugkoffer" })).await;
    assert!(results(&theirs).is_empty());
    env.sandbox.shutdown().await;
}

#[tokio::test]
async fn invoices_get_defaults_links_mail_and_xml() {
    let env = Env::start().await;
    let client = seeded_id("cli", DEMO_USERS[1].company_id, 0);
    let invoice = env
        .ok(1, "create_invoice", json!({ "client_id": client, "items": [{ "name": "Eichentisch", "quantity": 1, "rate": 189000 }], "invoice_type": "GOODS" }))
        .await;
    assert_eq!(invoice["issued"], today());
    assert_eq!(invoice["dueTo"], in_days(30));
    assert_eq!(invoice["deliveryDate"], today());
    assert!(invoice.get("serviceStartDate").is_none(), "no service period for goods");
    assert_eq!(invoice["totalGross"], "2249.10", "cents in, euros out");
    assert!(invoice["invoiceNumber"].as_str().unwrap().starts_with("WR-"), "the next number: {invoice}");
    assert!(invoice["downloadUrl"].as_str().unwrap().starts_with(env.sandbox.url.as_str()));
    let id = invoice["publicId"].as_str().unwrap().to_owned();

    let fetched = env.ok(1, "get_invoice", json!({ "invoice_id": id })).await;
    assert_eq!(fetched["invoiceNumber"], invoice["invoiceNumber"]);
    assert!(fetched["downloadUrl"].is_string());
    let drafts = env.ok(1, "list_invoices", json!({ "status": "draft", "limit": 5 })).await;
    assert!(results(&drafts).iter().any(|i| i["publicId"] == id.as_str()));

    env.ok(
        1,
        "send_invoice",
        json!({ "invoice_id": id, "subject": "Rechnung", "body": "Anbei die Rechnung." }),
    )
    .await;
    let sent = env.ok(1, "get_invoice", json!({ "invoice_id": id })).await;
    assert_eq!(sent["status"], "sent");
    let reminded = env
        .ok(
            1,
            "send_invoice_overdue_reminder",
            json!({ "invoice_id": id, "subject": "Erinnerung", "body": "Bitte zahlen." }),
        )
        .await;
    assert!(reminded.is_object());

    let xml = env.ok(1, "get_einvoice_xml", json!({ "invoice_id": id })).await;
    let xml = xml["xml_content"].as_str().unwrap();
    assert!(xml.starts_with("<?xml") && xml.contains(invoice["invoiceNumber"].as_str().unwrap()), "{xml}");

    let recurring = env
        .ok(
            1,
            "create_recurring_invoice",
            json!({ "client_id": client, "items": [{ "name": "Pflege", "quantity": 1, "rate": 5000 }], "frequency_type": "weekly", "frequency_unit": 2, "starts_from_date": "2026-09-01" }),
        )
        .await;
    assert_eq!(recurring["issued"], "2026-09-01");
    assert_eq!(recurring["dueTo"], "2026-10-01");
    assert_eq!(recurring["endsOnInvoiceCount"], 3);
    assert_eq!(recurring["recurringNumber"], recurring["invoiceNumber"]);

    let unknown_client = env
        .fails(1, "create_invoice", json!({ "client_id": id_of_first_company_client(), "items": [{ "name": "x", "quantity": 1, "rate": 1 }] }))
        .await;
    assert_eq!(unknown_client["status"], 400);
    assert!(unknown_client["detail"]["client"].is_array(), "{unknown_client}");
    env.sandbox.shutdown().await;
}

fn id_of_first_company_client() -> String {
    id("cli", 0)
}

#[tokio::test]
async fn tax_reports_preview_and_filing() {
    let env = Env::start().await;
    let report = id("txr", 1);
    let preview = env.call(0, "generate_finanzamt_preview", json!({ "report_id": report })).await;
    assert_eq!(preview.is_error, Some(false));
    let image = preview.content.iter().find_map(|c| c.as_image()).expect("an image block");
    assert_eq!(image.mime_type, "image/png");
    assert!(STANDARD.decode(&image.data).unwrap().starts_with(b"\x89PNG"));
    let fields: Value = serde_json::from_str(text(&preview)).unwrap();
    assert!(fields["downloadUrl"].is_string() && fields.get("previewImage").is_none());
    assert_eq!(fields["reportId"], report.as_str());

    let draft = env.ok(0, "get_tax_report", json!({ "report_id": report })).await;
    assert_eq!(draft["status"], "draft");
    assert!(draft.get("downloadUrl").is_none(), "nothing filed, no file");
    let filed = env.ok(0, "submit_tax_report", json!({ "report_id": report })).await;
    assert_eq!(filed["status"], "submitted");
    assert!(filed["downloadUrl"].is_string(), "{filed}");
    let again = env.fails(0, "submit_tax_report", json!({ "report_id": report })).await;
    assert_eq!(again["status"], 400);

    // The second company is on the free plan: Norman answers 403, shown with its reason.
    let theirs = seeded_id("txr", DEMO_USERS[1].company_id, 0);
    let refused = env.fails(1, "submit_tax_report", json!({ "report_id": theirs })).await;
    assert_eq!(refused["status"], 403);
    assert!(refused["detail"]["detail"].as_str().unwrap().contains("subscription"));

    let valid =
        env.ok(0, "validate_tax_number", json!({ "tax_number": "143/234/56789", "region_code": "BY" })).await;
    assert_eq!(valid["isValid"], true);
    let invalid = env.ok(0, "validate_tax_number", json!({ "tax_number": "12", "region_code": "BY" })).await;
    assert_eq!(invalid["isValid"], false);
    let states = env.ok(0, "list_tax_states", json!({})).await;
    assert_eq!(results(&states).len(), 16);
    let vat = env.ok(0, "get_vat_next_report", json!({})).await;
    assert_eq!(vat["companyId"], DEMO_USERS[0].company_id);
    let stats = env.ok(1, "get_company_tax_statistics", json!({})).await;
    assert_eq!(stats["companyId"], DEMO_USERS[1].company_id);
    env.sandbox.shutdown().await;
}

#[tokio::test]
async fn bad_arguments_are_tool_errors_that_name_the_problem() {
    let env = Env::start().await;
    let cases = [
        ("get_client", json!({}), "`client_id` is required"),
        ("get_client", json!({ "client_id": "../../companies" }), "`client_id` must be an id"),
        ("get_client", json!({ "client_id": "a/b" }), "`client_id` must be an id"),
        (
            "create_client",
            json!({ "name": "X", "client_type": "company" }),
            "must be one of business, private",
        ),
        ("create_client", json!({ "name": "" }), "`name` must not be empty"),
        (
            "create_transaction",
            json!({ "amount": "12 EUR", "description": "x", "cashflow_type": "EXPENSE", "supplier_country": "DE" }),
            "`amount` must be a number",
        ),
        (
            "create_transaction",
            json!({ "amount": 1, "description": "x", "cashflow_type": "EXPENSE", "supplier_country": "US" }),
            "must be one of DE, INSIDE_EU, OUTSIDE_EU",
        ),
        ("search_transactions", json!({ "from_date": "01.02.2026" }), "YYYY-MM-DD"),
        ("list_invoices", json!({ "limit": 2.5 }), "`limit` must be a whole number"),
        ("list_clients", json!({ "companyId": DEMO_USERS[1].company_id }), "unknown argument `companyId`"),
        (
            "create_invoice",
            json!({ "client_id": "c", "items": [{ "name": "x", "quantity": 1, "rate": 12.5 }] }),
            "rate must be a whole number of cents",
        ),
        ("create_invoice", json!({ "client_id": "c", "items": [] }), "non-empty list"),
        ("create_attachment", json!({ "file_content_base64": "aGk=" }), "`file_name` is required"),
        ("create_attachment", json!({}), "a file is required"),
        ("upload_bulk_attachments", json!({ "cashflow_type": "EXPENSE" }), "at least one file"),
        (
            "upload_bulk_attachments",
            json!({ "file_paths": ["/home/me/receipt.pdf"] }),
            "cannot read local files",
        ),
        (
            "create_attachment",
            json!({ "file_name": "a.pdf", "file_content_base64": "***" }),
            "not valid base64",
        ),
    ];
    for (name, arguments, expected) in cases {
        let error = env.fails(0, name, arguments).await;
        let message = error["error"].as_str().unwrap();
        assert!(message.contains(expected), "{name}: `{message}` should say `{expected}`");
    }
    // Several problems are reported together.
    let error = env.fails(0, "create_client", json!({ "client_type": 3, "bogus": 1 })).await;
    let message = error["error"].as_str().unwrap();
    assert!(
        message.contains("`name` is required")
            && message.contains("bogus")
            && message.contains("client_type")
    );
    // Nothing reached Norman for these: the company is unchanged.
    let clients = env.ok(0, "list_clients", json!({})).await;
    assert_eq!(results(&clients).len(), 4);
    // An unknown tool is a protocol error, not a tool result.
    assert!(
        matches!(env.try_call(0, "drop_tables", json!({})).await, Err(ToolError::UnknownTool(n)) if n == "drop_tables")
    );
    env.sandbox.shutdown().await;
}

#[tokio::test]
async fn an_expired_upstream_token_is_unauthorized_not_a_tool_result() {
    let env = Env::start().await;
    env.ok(0, "get_company_details", json!({})).await;
    env.sandbox.sandbox.expire_access_tokens_of(DEMO_USERS[0].email);
    for (name, arguments) in [
        ("get_company_details", json!({})),
        ("create_client", json!({ "name": "Nobody" })),
        (
            "create_invoice",
            json!({ "client_id": id("cli", 0), "items": [{ "name": "x", "quantity": 1, "rate": 100 }] }),
        ),
    ] {
        let outcome = env.try_call(0, name, arguments).await;
        assert!(matches!(outcome, Err(ToolError::UpstreamUnauthorized)), "{name}: {outcome:?}");
    }
    // The other user is unaffected.
    env.ok(1, "get_company_details", json!({})).await;
    env.sandbox.shutdown().await;
}

#[tokio::test]
async fn unreachable_norman_is_a_tool_error() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = url::Url::parse(&format!("http://{}/", listener.local_addr().unwrap())).unwrap();
    drop(listener);
    let norman = NormanClient::new(url, Duration::from_secs(2)).unwrap();
    let token = NormanToken::new("not-a-real-token".to_owned());
    let caller = Caller { norman_access: &token, company_id: "cmp_x", grant: None };
    let result = Catalogue::default().call(&norman, &caller, "get_company_details", None).await.unwrap();
    assert_eq!(result.is_error, Some(true));
    assert!(text(&result).contains("could not be reached"), "{}", text(&result));
    assert!(!text(&result).contains("not-a-real-token"));
}

/// The Norman API over HTTPS (production is https): the answer arrives through TLS when the
/// server's certificate chains to a trusted root, and only then.
#[tokio::test]
async fn norman_over_https_needs_a_trusted_certificate() {
    let server = TlsServer::start(|_, path| {
        assert!(path.starts_with("/api/v1/companies/cmp_x/"), "{path}");
        Reply::json(&json!({ "publicId": "cmp_x", "name": "Über Zweirad GmbH" }))
    })
    .await;
    let base = url::Url::parse(&server.url("/")).unwrap();
    let token = NormanToken::new("a-token-for-https".to_owned());
    let caller = Caller { norman_access: &token, company_id: "cmp_x", grant: None };

    let trusting = NormanClient::with_root_certificates(
        base.clone(),
        Duration::from_secs(5),
        vec![CertificateDer::from(server.certificate.clone())],
    )
    .unwrap();
    let result = Catalogue::default().call(&trusting, &caller, "get_company_details", None).await.unwrap();
    assert_eq!(result.is_error, Some(false), "{}", text(&result));
    assert_eq!(serde_json::from_str::<Value>(text(&result)).unwrap()["name"], "Über Zweirad GmbH");

    let platform_roots_only = NormanClient::new(base, Duration::from_secs(5)).unwrap();
    let result =
        Catalogue::default().call(&platform_roots_only, &caller, "get_company_details", None).await.unwrap();
    assert_eq!(result.is_error, Some(true));
    assert!(text(&result).contains("could not be reached"), "{}", text(&result));
}

/// `list_clients` against `server` playing Norman over HTTPS.
async fn list_clients_at(server: &TlsServer) -> CallToolResult {
    let norman = NormanClient::with_root_certificates(
        url::Url::parse(&server.url("/")).unwrap(),
        Duration::from_secs(10),
        vec![CertificateDer::from(server.certificate.clone())],
    )
    .unwrap();
    let token = NormanToken::new("a-token".to_owned());
    let caller = Caller { norman_access: &token, company_id: "cmp_x", grant: None };
    Catalogue::default().call(&norman, &caller, "list_clients", None).await.unwrap()
}

/// An answer beyond the 32 MiB cap is not read to the end, and the call says so.
#[tokio::test]
async fn an_oversized_norman_answer_is_refused() {
    let server = TlsServer::start(|_, _| {
        let mut body = b"[\"".to_vec();
        body.resize(33 * 1024 * 1024, b'x');
        body.extend_from_slice(b"\"]");
        Reply::new(200, body).header("Content-Type", "application/json")
    })
    .await;
    let result = list_clients_at(&server).await;
    assert_eq!(result.is_error, Some(true));
    assert!(text(&result).contains("not understood"), "{}", text(&result));
}

/// A huge JSON error body reaches the model shortened, with Norman's status.
#[tokio::test]
async fn a_huge_norman_error_is_quoted_shortened() {
    let server = TlsServer::start(|_, _| Reply {
        status: 400,
        ..Reply::json(&json!({ "detail": "y".repeat(1024 * 1024) }))
    })
    .await;
    let result = list_clients_at(&server).await;
    assert_eq!(result.is_error, Some(true));
    let answer: Value = serde_json::from_str(text(&result)).unwrap();
    assert_eq!(answer["status"], 400);
    let detail = answer["detail"].as_str().expect("the detail as text");
    assert!(detail.starts_with(r#"{"detail":"yyy"#), "{detail:.40}");
    assert!(detail.chars().count() <= 2000, "{} characters quoted", detail.chars().count());
}

// ---- uploads ----

/// The upload policy of a catalogue that trusts `server`'s certificate and may fetch from
/// loopback, with files of at most `max_file_bytes`.
fn policy(server: &TlsServer, max_file_bytes: usize) -> UploadPolicy {
    UploadPolicy {
        max_file_bytes,
        allow_private_addresses: true,
        extra_root_certificates: vec![server.certificate.clone()],
        ..UploadPolicy::default()
    }
}

/// The files an upload may name.
fn file(_: &str, path: &str) -> Reply {
    match path {
        "/receipts/tankbeleg.pdf" => Reply::new(200, SMALL_PDF).header("Content-Type", "application/pdf"),
        "/download?id=7" => Reply::new(200, SMALL_PDF)
            .header("Content-Disposition", "attachment; filename=\"Rechnung 2026-07.pdf\""),
        "/big.pdf" => Reply::new(200, vec![b'x'; 4096]),
        "/moved" => Reply::new(302, Vec::new()).header("Location", "/receipts/tankbeleg.pdf"),
        "/to-http" => {
            Reply::new(302, Vec::new()).header("Location", "http://localhost/receipts/tankbeleg.pdf")
        }
        _ => Reply::new(404, "not here"),
    }
}

#[tokio::test]
async fn uploads_by_base64_and_by_https_url_are_stored_for_the_caller() {
    let server = TlsServer::start(file).await;
    let env = Env::with_policy(policy(&server, 1024)).await;

    let by_url = env
        .ok(
            1,
            "create_attachment",
            json!({ "file_url": server.url("/receipts/tankbeleg.pdf"), "attachment_type": "receipt", "amount": 61.2, "description": "Tankbeleg" }),
        )
        .await;
    assert_eq!(by_url["fileName"], "tankbeleg.pdf");
    assert_eq!(by_url["fileSize"], SMALL_PDF.len());
    assert_eq!(by_url["company"], DEMO_USERS[1].company_id);
    assert_eq!(by_url["amount"].as_f64(), Some(61.2));
    let link = by_url["downloadUrl"].as_str().expect("a download link").to_owned();
    let stored = reqwest::get(&link).await.unwrap().bytes().await.unwrap();
    assert_eq!(stored.as_ref(), SMALL_PDF, "Norman holds exactly the fetched bytes");

    let named = env.ok(1, "create_attachment", json!({ "file_url": server.url("/download?id=7") })).await;
    assert_eq!(named["fileName"], "Rechnung 2026-07.pdf", "the name comes from Content-Disposition");
    let redirected = env.ok(1, "create_attachment", json!({ "file_url": server.url("/moved") })).await;
    assert_eq!(redirected["fileName"], "tankbeleg.pdf", "an https redirect is followed");

    let tx = seeded_id("trx", DEMO_USERS[1].company_id, 0);
    let by_base64 = env
        .ok(
            1,
            "create_attachment",
            json!({ "file_content_base64": STANDARD.encode(SMALL_PDF), "file_name": "beleg.pdf", "transactions": [tx], "vat_rate": 19 }),
        )
        .await;
    assert_eq!(by_base64["fileName"], "beleg.pdf");
    assert_eq!(by_base64["transactions"], json!([tx]));
    assert_eq!(by_base64["linked"], true);

    let listed = env.ok(1, "list_attachments", json!({ "linked": true })).await;
    let mine = results(&listed).iter().find(|a| a["publicId"] == by_base64["publicId"]).expect("listed");
    assert!(mine["downloadUrl"].is_string());
    let others = env.ok(0, "list_attachments", json!({ "file_name": "tankbeleg" })).await;
    assert!(results(&others).is_empty(), "the other company sees none of it");

    let bulk = env
        .ok(
            1,
            "upload_bulk_attachments",
            json!({
                "file_urls": [server.url("/receipts/tankbeleg.pdf")],
                "files_base64": [{ "file_name": "kassenbon.pdf", "content": STANDARD.encode(SMALL_PDF) }],
                "cashflow_type": "EXPENSE",
            }),
        )
        .await;
    assert_eq!(bulk["count"], 2);
    let names: BTreeSet<&str> = results(&bulk).iter().map(|a| a["fileName"].as_str().unwrap()).collect();
    assert_eq!(names, BTreeSet::from(["kassenbon.pdf", "tankbeleg.pdf"]));

    // Refusals: too large (by URL and by base64), a missing file, a redirect to http, too many.
    for (arguments, expected) in [
        (json!({ "file_url": server.url("/big.pdf") }), "larger than the limit of 1024 bytes"),
        (
            json!({ "file_name": "big.pdf", "file_content_base64": STANDARD.encode(vec![0u8; 2048]) }),
            "larger than the limit",
        ),
        (json!({ "file_url": server.url("/nothing.pdf") }), "HTTP status 404"),
        (json!({ "file_url": server.url("/to-http") }), "HTTP status 302"),
        (json!({ "file_url": server.url("/a.pdf").replace("https://", "http://") }), "https://"),
    ] {
        let error = env.fails(1, "create_attachment", arguments).await;
        assert!(error["error"].as_str().unwrap().contains(expected), "{error} should say {expected}");
    }
    let many: Vec<Value> = (0..11)
        .map(|n| json!({ "file_name": format!("{n}.pdf"), "content": STANDARD.encode(SMALL_PDF) }))
        .collect();
    let error = env.fails(1, "upload_bulk_attachments", json!({ "files_base64": many })).await;
    assert!(error["error"].as_str().unwrap().contains("at most 10 files"), "{error}");
    env.sandbox.shutdown().await;
}

#[tokio::test]
async fn a_bulk_upload_over_the_total_limit_is_refused_and_stores_nothing() {
    let server = TlsServer::start(file).await;
    let max_total_bytes = SMALL_PDF.len() * 2;
    let env = Env::with_policy(UploadPolicy { max_total_bytes, ..policy(&server, 1024) }).await;
    let before = results(&env.ok(0, "list_attachments", json!({})).await).len();
    let encoded = json!({ "file_name": "kassenbon.pdf", "content": STANDARD.encode(SMALL_PDF) });
    let url = server.url("/receipts/tankbeleg.pdf");

    let expected = format!("the files together are larger than the limit of {max_total_bytes} bytes");
    for arguments in [
        json!({ "files_base64": [encoded, encoded, encoded] }),
        json!({ "files_base64": [encoded], "file_urls": [url, url] }),
        json!({ "file_urls": [url, url, url, url] }),
    ] {
        let error = env.fails(0, "upload_bulk_attachments", arguments).await;
        assert!(error["error"].as_str().unwrap().contains(&expected), "{error} should say {expected}");
    }
    assert_eq!(results(&env.ok(0, "list_attachments", json!({})).await).len(), before, "nothing was stored");

    let within =
        env.ok(0, "upload_bulk_attachments", json!({ "files_base64": [encoded], "file_urls": [url] })).await;
    assert_eq!(within["count"], 2, "exactly the limit is accepted");
    let bulk = env.catalogue.tool("upload_bulk_attachments").expect("listed");
    let description = bulk.description.as_deref().unwrap_or_default();
    assert!(description.contains("at most 0 MiB each and 0 MiB together"), "{description}");
    env.sandbox.shutdown().await;
}

#[tokio::test]
async fn private_addresses_are_refused_unless_allowed() {
    let server = TlsServer::start(file).await;
    // Trusts the certificate but keeps the address check on.
    let policy = UploadPolicy { allow_private_addresses: false, ..policy(&server, 1024) };
    let env = Env::with_policy(policy).await;
    let port = server.base.rsplit(':').next().unwrap();
    for url in [
        server.url("/receipts/tankbeleg.pdf"),
        format!("https://127.0.0.1:{port}/receipts/tankbeleg.pdf"),
        "https://169.254.169.254/latest/meta-data/".to_owned(),
        "https://[::1]/x.pdf".to_owned(),
    ] {
        let error = env.fails(0, "create_attachment", json!({ "file_url": url })).await;
        assert!(error["error"].as_str().unwrap().contains("private or reserved"), "{url}: {error}");
        let error = env.fails(0, "upload_bulk_attachments", json!({ "file_urls": [url] })).await;
        assert!(error["error"].as_str().unwrap().contains("private or reserved"), "{error}");
    }
    let attachments = env.ok(0, "list_attachments", json!({})).await;
    assert_eq!(results(&attachments).len(), 4, "nothing was uploaded");
    env.sandbox.shutdown().await;
}
