//! The tools beyond the 34 of the first catalogue (vendors, bills, offers, invoice preview,
//! transaction verification, attachment delete and preview, company categories, SKR accounts,
//! DATEV export, the tax-advisor tools), over `/mcp` with tokens from the real OAuth flow,
//! against the sandbox: listed with their schemas, hints and tool sets as the prompt checker's
//! table has them, every one called with valid arguments (its answer checked) and with invalid
//! ones, every write refused for a read-only token, the tax-advisor tools for the advisor and
//! refused for others, and Norman's refusals passed on in words the model can act on.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use crate::support::tls::{Reply, TlsServer};
use crate::support::tool_examples::{ADVISOR_CLIENT, advisor_examples, examples, id};
use crate::support::tool_names::NEW_TOOLS;
use crate::support::*;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use norman_mcp::mcp::catalogue::{Caller, Catalogue};
use norman_mcp::mcp::upload::UploadPolicy;
use norman_mcp::norman::NormanClient;
use norman_mcp::scope::Scope;
use norman_mcp::tokens::NormanToken;
use norman_sandbox::{DEMO_USERS, DemoUser, MULTI_COMPANY_USER, TAX_ADVISOR, TAX_ADVISOR_CLIENTS, seeded_id};
use rmcp::model::CallToolResult;
use serde_json::{Value, json};
use tokio_rustls::rustls::pki_types::CertificateDer;

const RICHTER: &str = TAX_ADVISOR_CLIENTS[1].company_id;

/// An access token for any demo login (`support::full_flow` knows the first two only).
async fn token_as(server: &TestServer, scope: &str, user: DemoUser) -> String {
    let client_id = server.register_public(REDIRECT).await;
    let pkce = pkce();
    let page = server
        .authorize(&[
            ("response_type", "code"),
            ("client_id", &client_id),
            ("redirect_uri", REDIRECT),
            ("state", "s"),
            ("code_challenge", &pkce.challenge),
            ("code_challenge_method", "S256"),
            ("scope", scope),
            ("resource", &server.mcp_url()),
        ])
        .await;
    assert_eq!(page.status(), 200);
    let envelope = login_request_of(&page.text().await.unwrap());
    let login = server
        .http
        .post(server.url("/authorize"))
        .form(&[
            ("login_request", envelope.as_str()),
            ("email", user.email),
            ("password", user.password),
            ("action", "login"),
            // A login with more than one company answers the company choice with the form.
            ("company_id", user.company_id),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 303, "{}", user.email);
    let (_, params) = location_params(login.headers());
    let tokens = server
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", &params["code"]),
            ("redirect_uri", REDIRECT),
            ("client_id", &client_id),
            ("code_verifier", &pkce.verifier),
            ("resource", &server.mcp_url()),
        ])
        .await;
    assert_eq!(tokens.status(), 200);
    tokens.json::<Value>().await.unwrap()["access_token"].as_str().unwrap().to_owned()
}

/// One login's `/mcp` client.
struct Mcp<'a> {
    server: &'a TestServer,
    token: String,
}

impl<'a> Mcp<'a> {
    /// The first demo user, signed in with both scopes through the real OAuth flow.
    async fn first_user(server: &'a TestServer) -> Mcp<'a> {
        let (_, tokens) = full_flow(server, "norman.read norman.write", 0).await;
        Mcp { server, token: tokens["access_token"].as_str().unwrap().to_owned() }
    }

    /// The JSON-RPC `result` of a `tools/call`.
    async fn result(&self, name: &str, arguments: Value) -> Value {
        let response = mcp_call(self.server, &self.token, name, arguments).await;
        assert!(response.get("error").is_none(), "{name}: {response}");
        response["result"].clone()
    }

    /// A call that must succeed: its last text block as JSON, and the whole result.
    async fn ok_with_result(&self, name: &str, arguments: Value) -> (Value, Value) {
        let result = self.result(name, arguments).await;
        assert_eq!(result["isError"], false, "{name}: {result}");
        (last_json(&result), result)
    }

    async fn ok(&self, name: &str, arguments: Value) -> Value {
        self.ok_with_result(name, arguments).await.0
    }

    /// A call that must be a tool error: its JSON.
    async fn fails(&self, name: &str, arguments: Value) -> Value {
        let result = self.result(name, arguments).await;
        assert_eq!(result["isError"], true, "{name} should fail: {result}");
        last_json(&result)
    }
}

/// The last text block of a tool result, parsed (image results put their text last).
fn last_json(result: &Value) -> Value {
    let text = result["content"]
        .as_array()
        .and_then(|blocks| blocks.iter().rev().find_map(|b| b["text"].as_str()))
        .expect("a text block");
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// The image block of a tool result, decoded, with its MIME type.
fn image_of(result: &Value) -> (String, Vec<u8>) {
    let block = result["content"]
        .as_array()
        .and_then(|blocks| blocks.iter().find(|b| b["type"] == "image"))
        .unwrap_or_else(|| panic!("an image block: {result}"));
    let data = STANDARD.decode(block["data"].as_str().unwrap()).expect("base64");
    (block["mimeType"].as_str().unwrap().to_owned(), data)
}

fn results(list: &Value) -> &Vec<Value> {
    list["results"].as_array().unwrap_or_else(|| panic!("a results list: {list}"))
}

fn error_text(error: &Value) -> &str {
    error["error"].as_str().unwrap_or_else(|| panic!("an error message: {error}"))
}

/// The prompt checker's table of the earlier server's tools: name → (tool set, writes, params).
fn earlier_tools() -> BTreeMap<String, (String, bool, BTreeSet<String>)> {
    let source = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/mcp/prompts/check.py"))
        .expect("the prompt checker");
    let table = source.split("TOOLS = {").nth(1).expect("a TOOLS table");
    let table = &table[..table.find("\n}").expect("the table's end")];
    let mut tools = BTreeMap::new();
    for line in table.lines().map(str::trim).filter(|l| l.starts_with('"')) {
        let parts: Vec<&str> = line.split('"').collect();
        // "name": ("set", READS, "params"),
        let (name, set, params) = (parts[1], parts[3], parts[5]);
        let writes = line.contains("WRITES");
        let params = params.split_whitespace().map(str::to_owned).collect();
        tools.insert(name.to_owned(), (set.to_owned(), writes, params));
    }
    tools
}

#[tokio::test]
async fn the_catalogue_matches_the_earlier_servers_tools_sets_and_parameters() {
    let catalogue = Catalogue::default();
    let earlier = earlier_tools();
    assert!(earlier.len() > 100, "the table was read: {} tools", earlier.len());
    // A link carries the person's Norman credential to upload with: a write tool here, though
    // the earlier server's link only pointed at its own file store.
    let writes_here = ["request_file_upload"];
    let mut expected = BTreeSet::new();
    for (name, (set, writes, params)) in &earlier {
        expected.insert(name.clone());
        let tool = catalogue.tool(name).unwrap_or_else(|| panic!("{name} is missing"));
        assert_eq!(catalogue.toolset(name).map(|s| s.name()), Some(set.as_str()), "{name}'s tool set");
        let read_only = tool.annotations.as_ref().and_then(|a| a.read_only_hint).expect("readOnlyHint");
        let writes = *writes || writes_here.contains(&name.as_str());
        assert_eq!(!read_only, writes, "{name}: changes data");
        assert_eq!(catalogue.scope(name), Some(if writes { Scope::Write } else { Scope::Read }), "{name}");
        let schema = tool.schema_as_json_value();
        let accepted: BTreeSet<String> = schema["properties"].as_object().unwrap().keys().cloned().collect();
        let missing: Vec<&String> = params.difference(&accepted).collect();
        assert!(missing.is_empty(), "{name} does not accept the earlier arguments {missing:?}");
    }
    let listed: BTreeSet<String> = catalogue.tools().iter().map(|t| t.name.to_string()).collect();
    assert_eq!(listed, expected);
    assert_eq!(listed.len(), 105);
    for name in NEW_TOOLS {
        assert!(listed.contains(name), "{name}");
    }
}

#[tokio::test]
async fn the_new_tools_are_listed_with_titles_choices_and_hints_over_mcp() {
    let server = TestServer::start().await;
    let (_, tokens) = full_flow(&server, "norman.read norman.write", 0).await;
    let token = tokens["access_token"].as_str().unwrap();
    let list =
        mcp_post(&server, Some(token), &json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"})).await;
    assert_eq!(list.status(), 200);
    let list: Value = list.json().await.unwrap();
    let tools: BTreeMap<&str, &Value> = list["result"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["name"].as_str().unwrap(), t))
        .collect();
    for name in NEW_TOOLS {
        let tool = tools.get(name).unwrap_or_else(|| panic!("{name} is listed"));
        assert!(tool["title"].as_str().is_some_and(|t| !t.is_empty()), "{name} has a title");
        assert!(tool["description"].as_str().is_some_and(|d| d.len() > 60), "{name} says what it does");
        assert_eq!(tool["inputSchema"]["additionalProperties"], false, "{name}");
        for hint in ["readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint"] {
            assert!(tool["annotations"][hint].is_boolean(), "{name}: {hint}");
        }
    }
    let hints = |name: &str| {
        let a = &tools[name]["annotations"];
        (
            a["readOnlyHint"] == true,
            a["destructiveHint"] == true,
            a["idempotentHint"] == true,
            a["openWorldHint"] == true,
        )
    };
    // Paying moves money out of the company, every call again; pinging e-mails the client.
    assert_eq!(hints("pay_bill"), (false, true, false, true));
    assert_eq!(hints("ping_client_for_documents"), (false, false, false, true));
    assert_eq!(hints("send_offer"), (false, false, false, true));
    assert_eq!(hints("convert_offer_to_invoice"), (false, true, false, false));
    assert_eq!(hints("change_transaction_verification"), (false, false, true, false));
    for deletes in ["delete_vendor", "delete_bill", "delete_attachment"] {
        assert_eq!(hints(deletes), (false, true, true, false), "{deletes}");
    }
    for name in ["update_vendor", "update_bill", "mark_bill_paid"] {
        assert_eq!(hints(name), (false, true, true, false), "{name}");
    }
    for name in ["create_vendor", "create_company_category"] {
        assert_eq!(hints(name), (false, false, false, false), "{name}");
    }
    // The export only reads the books, as the earlier server declared it.
    for name in ["trigger_datev_export", "get_client_overview", "suggest_skr_category", "list_offers"] {
        assert_eq!(hints(name), (true, false, true, false), "{name}");
    }
    let property = |tool: &str, param: &str| tools[tool]["inputSchema"]["properties"][param].clone();
    assert_eq!(property("list_bills", "status")["enum"], json!(["OPEN", "PENDING", "PAID"]));
    assert_eq!(
        property("list_offers", "status")["enum"],
        json!(["draft", "pending", "saved", "sent", "approved"])
    );
    assert_eq!(property("create_company_category", "cashflow_type")["enum"], json!(["INCOME", "EXPENSE"]));
    assert_eq!(property("trigger_datev_export", "date_from")["format"], "date");
    assert_eq!(property("trigger_datev_export", "include_documents")["default"], true);
    assert_eq!(property("ping_client_for_documents", "transaction_ids")["type"], "array");
    assert_eq!(property("change_transaction_verification", "verify")["type"], "boolean");
    assert_eq!(property("create_offer", "valid_until")["format"], "date");
    assert!(
        property("create_attachment", "file_ref")["description"]
            .as_str()
            .unwrap()
            .contains("request_file_upload")
    );
    let required = |tool: &str| tools[tool]["inputSchema"]["required"].clone();
    assert_eq!(required("pay_bill"), json!(["bill_id", "account_id"]));
    assert_eq!(required("create_offer"), json!(["client_id", "items"]));
    assert_eq!(required("ping_client_for_documents"), json!(["company_id", "transaction_ids"]));
    assert_eq!(required("create_company_category"), json!(["code", "name", "cashflow_type"]));
    server.stop().await;
}

/// Every example of a new tool over `/mcp`, in the examples' order, each answer checked for
/// what the call did; then the deletions and the conversion are read back.
#[tokio::test]
async fn every_new_tool_does_its_work_for_the_first_demo_user() {
    let server = TestServer::start().await;
    let mcp = Mcp::first_user(&server).await;
    let company = DEMO_USERS[0].company_id;
    let mut checked = BTreeSet::new();
    for (name, arguments) in examples() {
        let (answer, result) = mcp.ok_with_result(name, arguments).await;
        if !NEW_TOOLS.contains(&name) {
            continue;
        }
        match name {
            "get_invoice_preview" => {
                let (mime, data) = image_of(&result);
                assert_eq!(mime, "image/png");
                assert!(data.starts_with(b"\x89PNG"), "a real PNG");
                assert_eq!(answer["invoiceId"], id("inv", 3));
                assert_eq!(answer["pageCount"], 1);
                assert!(answer.get("previewImage").is_none(), "the image is not repeated as text");
            }
            "list_offers" => {
                assert!(!results(&answer).is_empty());
                assert!(
                    results(&answer).iter().all(|q| q["type"] == "quote" && q["status"] == "sent"),
                    "{answer}"
                );
            }
            "get_offer" => {
                assert_eq!(answer["publicId"], id("quo", 4));
                assert_eq!(answer["type"], "quote");
                assert!(answer["downloadUrl"].as_str().is_some_and(|u| u.contains("/files/")), "{answer}");
            }
            "create_offer" => {
                assert_eq!(answer["type"], "quote");
                assert!(
                    answer["invoiceNumber"].as_str().unwrap().starts_with("AN-"),
                    "the quote series: {answer}"
                );
                assert_eq!(answer["dueTo"], "2026-12-31", "valid_until is Norman's dueTo");
                assert_eq!(answer["issued"], today());
                assert_eq!(answer["client"], id("cli", 1));
                assert!(answer.get("settingsOnOverdue").is_none(), "quotes have no reminders");
                assert!(answer["downloadUrl"].is_string());
            }
            "send_offer" => {
                assert_eq!(answer["detail"], "Quote sent.");
                assert_eq!(answer["status"], "sent");
            }
            "change_transaction_verification" => {
                assert_eq!(answer["publicId"], id("trx", 8));
                assert_eq!(answer["status"], "VERIFIED");
            }
            "list_vendors" => {
                let names: Vec<&str> = results(&answer).iter().map(|v| v["name"].as_str().unwrap()).collect();
                assert_eq!(names.len(), 4);
                assert!(names.contains(&"Telekom Deutschland GmbH"), "{names:?}");
            }
            "get_vendor" => {
                assert_eq!(answer["publicId"], id("ven", 1));
                assert_eq!(answer["name"], "Coworking Spreeufer GmbH");
            }
            "create_vendor" => {
                assert_eq!(answer["name"], "Papierwerk Hansen OHG");
                assert_eq!(answer["iban"], "DE89370400440532013000");
                assert_eq!(answer["zipCode"], "22299");
                assert_eq!(answer["vatNumber"], "DE276543210");
            }
            "update_vendor" => {
                assert_eq!(answer["email"], "buchhaltung@druckerei-lindemann.de");
                assert_eq!(answer["name"], "Druckerei Lindemann & Söhne KG", "untouched fields stay");
            }
            "list_bills" => {
                assert_eq!(results(&answer).len(), 3, "{answer}");
                assert!(results(&answer).iter().all(|b| b["status"] == "OPEN"));
            }
            "get_bill" => {
                assert_eq!(answer["publicId"], id("bill", 0));
                assert_eq!(answer["billNumber"], "MR-2026-06-4471208");
            }
            "update_bill" => assert_eq!(answer["status"], "OPEN"),
            "mark_bill_paid" => {
                assert_eq!(answer["status"], "PAID");
                assert_eq!(answer["paidAt"], today());
            }
            "list_company_categories" => {
                assert!(results(&answer).len() > 5);
                assert!(results(&answer).iter().all(|c| c["cashflowType"] == "EXPENSE"));
            }
            "list_coa_templates" => {
                let codes: Vec<&str> = results(&answer).iter().map(|t| t["code"].as_str().unwrap()).collect();
                assert_eq!(codes, ["skr03", "skr04"]);
            }
            "search_skr_by_code" => {
                let accounts = answer.as_array().expect("a bare list");
                assert!(accounts.iter().all(|a| a["accountNumber"].as_str().unwrap().starts_with("68")));
                assert!(accounts.iter().any(|a| a["accountNumber"] == "6805" && a["nameDe"] == "Telefon"));
            }
            "suggest_skr_category" => {
                let accounts = answer.as_array().expect("a bare list");
                assert!(!accounts.is_empty() && accounts.len() <= 5);
                assert_eq!(accounts[0]["accountNumber"], "6670", "travel costs in SKR 04: {answer}");
            }
            "create_company_category" => {
                assert_eq!(answer["code"], "6816");
                assert_eq!(answer["nameDe"], "Druckerzubehör");
                assert_eq!(answer["cashflowType"], "EXPENSE");
            }
            "trigger_datev_export" => {
                assert_eq!(answer["status"], "completed");
                assert_eq!(answer["companyId"], company);
                assert!(answer["transactionCount"].as_u64().unwrap() > 0);
                let csv = reqwest::get(answer["downloadUrl"].as_str().unwrap())
                    .await
                    .unwrap()
                    .text()
                    .await
                    .unwrap();
                assert!(csv.starts_with("\"EXTF\""), "a DATEV booking batch: {csv:.60}");
            }
            "get_attachment_preview" => {
                let (mime, data) = image_of(&result);
                assert_eq!(mime, "image/png");
                assert!(data.starts_with(b"\x89PNG"));
                assert_eq!(answer["attachmentId"], id("att", 2));
                assert_eq!(answer["fileName"], "apple-macbook-rechnung.png");
                assert!(answer["downloadUrl"].is_string());
            }
            "convert_offer_to_invoice" => {
                assert_eq!(answer["type"], "invoice");
                assert_eq!(answer["status"], "draft");
                assert_eq!(answer["convertedFrom"], id("quo", 5));
                assert!(answer["invoiceNumber"].as_str().unwrap().starts_with("RE-"), "{answer}");
                assert!(answer["downloadUrl"].is_string());
            }
            "pay_bill" => {
                assert!(answer["paymentOrderId"].is_string(), "{answer}");
                assert!(answer["webformUrl"].is_string());
                assert_eq!(answer["status"], "PENDING");
            }
            "delete_bill" | "delete_vendor" => assert_eq!(answer["success"], true, "{name}: {answer}"),
            "delete_attachment" => {
                assert_eq!(answer["success"], true);
                assert_eq!(answer["attachmentId"], id("att", 2));
            }
            "request_file_upload" => {
                assert!(answer["upload_url"].as_str().unwrap().contains("/upload/nmf_"), "{answer}");
                assert_eq!(answer["expires_in_seconds"], 900);
            }
            other => panic!("{other} has no check here"),
        }
        checked.insert(name);
    }
    let advisor: BTreeSet<&str> = advisor_examples().into_iter().map(|(name, _)| name).collect();
    let demo_tools: BTreeSet<&str> = NEW_TOOLS.iter().copied().filter(|n| !advisor.contains(n)).collect();
    assert_eq!(checked, demo_tools, "every new tool of the first user was checked");

    // What the writes did is what Norman now holds.
    for (name, arguments) in [
        ("get_bill", json!({ "bill_id": id("bill", 2) })),
        ("get_vendor", json!({ "vendor_id": id("ven", 3) })),
        ("get_offer", json!({ "offer_id": id("quo", 5) })),
        ("get_attachment_preview", json!({ "attachment_id": id("att", 2) })),
    ] {
        let gone = mcp.fails(name, arguments).await;
        assert_eq!(gone["status"], 404, "{name}: {gone}");
    }
    let pending = mcp.ok("list_bills", json!({ "status": "PENDING" })).await;
    assert!(
        results(&pending).iter().any(|b| b["publicId"] == id("bill", 3)),
        "the paid bill waits for the bank"
    );
    let categories = mcp.ok("list_company_categories", json!({})).await;
    assert!(results(&categories).iter().any(|c| c["code"] == "6816"));
    let verified =
        mcp.ok("search_transactions", json!({ "status": "VERIFIED", "description": "Staples" })).await;
    assert_eq!(results(&verified).len(), 1);
    server.stop().await;
}

#[tokio::test]
async fn the_tax_advisor_tools_summarise_the_advisors_clients() {
    let server = TestServer::start().await;
    let advisor =
        Mcp { server: &server, token: token_as(&server, "norman.read norman.write", TAX_ADVISOR).await };
    let mut checked = BTreeSet::new();
    for (name, arguments) in advisor_examples() {
        let answer = advisor.ok(name, arguments).await;
        match name {
            "list_tax_advisor_clients" => {
                assert_eq!(answer["count"], 2);
                let ids: BTreeSet<&str> = answer["clients"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|c| c["public_id"].as_str().unwrap())
                    .collect();
                assert_eq!(ids, TAX_ADVISOR_CLIENTS.iter().map(|c| c.company_id).collect());
                assert_eq!(answer["activeCompanyId"], TAX_ADVISOR.company_id);
            }
            "get_client_overview" => {
                assert_eq!(answer["companyId"], ADVISOR_CLIENT);
                assert_eq!(answer["company"]["name"], "Café Morgenrot GmbH");
                assert_eq!(answer["company"]["taxId"], "232/110/12345");
                assert_eq!(answer["transactionStats"]["company_id"], ADVISOR_CLIENT);
                assert_eq!(answer["transactionStats"]["missing_docs_count"], 6);
                assert_eq!(answer["balance"]["companyId"], ADVISOR_CLIENT, "{answer}");
                assert_eq!(answer["taxStatistics"]["companyId"], ADVISOR_CLIENT);
                // The client's reports, not the advisor's own.
                assert_eq!(answer["taxReports"]["total"], 2, "{answer}");
                assert_eq!(answer["taxReports"]["pending"], 1);
                assert_eq!(answer["taxReports"]["pendingReports"][0]["period"], "2026-Q2");
                assert!(answer["outstandingInvoices"]["count"].is_u64(), "{answer}");
            }
            "get_missing_documents_summary" => {
                assert_eq!(answer["companyId"], ADVISOR_CLIENT);
                assert_eq!(answer["totalTransactions"], 8);
                assert_eq!(answer["totalMissing"], 6);
                let months: Vec<&str> = answer["byMonth"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|m| m["month"].as_str().unwrap())
                    .collect();
                assert_eq!(months, ["2026-03", "2026-04", "2026-05", "2026-06"]);
                // The card payments of March have no document yet, the largest sum.
                let top = &answer["topMissingByAmount"][0];
                assert_eq!(top["amount"].as_f64(), Some(4210.6), "{answer}");
                assert_eq!(top["id"], seeded_id("trx", ADVISOR_CLIENT, 2));
                assert_eq!(top["date"], "2026-03-31");
                assert!(answer.get("truncated").is_none());
            }
            "get_tax_compliance_status" => {
                assert_eq!(answer["companyId"], RICHTER);
                assert_eq!(answer["reports"]["total"], 1);
                assert_eq!(answer["reports"]["unfiled"], 1);
                assert_eq!(answer["registration"]["hasTaxId"], true);
                assert_eq!(answer["registration"]["hasVatId"], false);
                assert_eq!(answer["registration"]["taxState"], "HH");
                let items: Vec<&str> =
                    answer["actionItems"].as_array().unwrap().iter().map(|i| i.as_str().unwrap()).collect();
                let overdue = "2026-07-31" < today().as_str();
                assert_eq!(items[0].starts_with("Overdue"), overdue, "{items:?}");
                assert!(items.iter().any(|i| i.contains("VAT ID")), "{items:?}");
                assert!(answer["taxSettings"].as_array().is_some_and(|s| s.len() == 2), "{answer}");
            }
            "ping_client_for_documents" => {
                assert_eq!(answer["totalRequested"], 2);
                assert_eq!(answer["succeeded"], 2);
                assert_eq!(answer["failed"], 0);
                let detail = answer["details"]["succeeded"][0]["detail"].as_str().unwrap();
                assert!(detail.contains("Café Morgenrot GmbH was asked"), "{detail}");
            }
            other => panic!("{other} has no check here"),
        }
        checked.insert(name);
    }
    assert_eq!(checked.len(), 5);

    // Refused pings count as failed, with Norman's reason; repeats are asked once.
    let has_document = seeded_id("trx", ADVISOR_CLIENT, 0);
    let open = seeded_id("trx", ADVISOR_CLIENT, 4);
    let mixed = advisor
        .ok(
            "ping_client_for_documents",
            json!({ "company_id": ADVISOR_CLIENT, "transaction_ids": [has_document, "trx_unknown", open, open] }),
        )
        .await;
    assert_eq!(mixed["totalRequested"], 3);
    assert_eq!((mixed["succeeded"].clone(), mixed["failed"].clone()), (json!(1), json!(2)), "{mixed}");
    let failed = mixed["details"]["failed"].as_array().unwrap();
    assert_eq!(failed[0]["transactionId"], has_document.as_str());
    assert_eq!(failed[0]["status"], 400);
    assert!(failed[0]["detail"].to_string().contains("already has a document"), "{mixed}");
    assert_eq!(failed[1]["status"], 404);
    let none = advisor
        .fails(
            "ping_client_for_documents",
            json!({ "company_id": ADVISOR_CLIENT, "transaction_ids": [has_document] }),
        )
        .await;
    assert_eq!(none["succeeded"], 0);
    assert!(error_text(&none).contains("No request was sent"), "{none}");

    // A company the advisor does not look after (their own firm, another user's company).
    for company in [TAX_ADVISOR.company_id, DEMO_USERS[0].company_id] {
        for name in ["get_client_overview", "get_missing_documents_summary"] {
            let error = advisor.fails(name, json!({ "company_id": company })).await;
            assert!(error_text(&error).contains("`company_id`"), "{name} {company}: {error}");
        }
    }
    let foreign =
        advisor.fails("get_tax_compliance_status", json!({ "company_id": DEMO_USERS[0].company_id })).await;
    // Refused before Norman is asked: not among the advisor's own companies and clients.
    assert!(error_text(&foreign).contains("not a company this login may act on"), "{foreign}");
    server.stop().await;
}

#[tokio::test]
async fn the_tax_advisor_tools_are_refused_to_other_logins() {
    let server = TestServer::start().await;
    let owner = Mcp::first_user(&server).await;
    let refused = owner.fails("list_tax_advisor_clients", json!({})).await;
    assert_eq!(refused["status"], 403);
    assert!(error_text(&refused).contains("not a tax advisor"), "{refused}");
    for name in ["get_client_overview", "get_missing_documents_summary", "get_tax_compliance_status"] {
        let error = owner.fails(name, json!({ "company_id": ADVISOR_CLIENT })).await;
        assert!(error_text(&error).contains("`company_id`"), "{name}: {error}");
    }
    let ping = owner
        .fails(
            "ping_client_for_documents",
            json!({ "company_id": ADVISOR_CLIENT, "transaction_ids": [seeded_id("trx", ADVISOR_CLIENT, 1)] }),
        )
        .await;
    assert!(error_text(&ping).contains("not a company this login may act on"), "{ping}");
    // Nothing was asked of the client on the owner's behalf.
    let advisor = Mcp { server: &server, token: token_as(&server, "norman.read", TAX_ADVISOR).await };
    let summary = advisor.ok("get_missing_documents_summary", json!({ "company_id": ADVISOR_CLIENT })).await;
    assert_eq!(summary["totalMissing"], 6);
    let sandbox = &server.sandbox.as_ref().unwrap().url;
    let http = reqwest::Client::new();
    let login: Value = json_of(
        http.post(sandbox.join("api/v1/auth/token/").unwrap())
            .json(&json!({ "email": TAX_ADVISOR.email, "password": TAX_ADVISOR.password })),
    )
    .await;
    let list: Value = json_of(
        http.get(
            sandbox.join(&format!("api/v1/tax-advisor/clients/{ADVISOR_CLIENT}/transactions/")).unwrap(),
        )
        .bearer_auth(login["access"].as_str().unwrap()),
    )
    .await;
    assert!(results(&list).iter().all(|t| t["document_requested_at"].is_null()), "no ping was sent: {list}");
    server.stop().await;
}

#[tokio::test]
async fn invalid_arguments_are_tool_errors_naming_the_argument() {
    let server = TestServer::start().await;
    let mcp = Mcp::first_user(&server).await;
    // The pings name a client company: the tax advisor's, whose companies are known already
    // (a company this login may not act on would be refused before its arguments are read).
    let advisor =
        Mcp { server: &server, token: token_as(&server, "norman.read norman.write", TAX_ADVISOR).await };
    advisor.ok("list_companies", json!({})).await;
    let before = server.sandbox.as_ref().unwrap().sandbox.stats().api_calls;
    let bill = id("bill", 0);
    let cases = [
        ("list_vendors", json!({ "name": "Telekom" }), "unknown argument `name`"),
        ("request_file_upload", json!({ "document_type": "photo" }), "`document_type` must be one of"),
        ("get_vendor", json!({}), "`vendor_id` is required"),
        ("create_vendor", json!({ "iban": "DE89370400440532013000" }), "`name` is required"),
        ("update_vendor", json!({ "vendor_id": "../bills" }), "`vendor_id` must be an id"),
        ("delete_vendor", json!({ "vendor_id": 1.5 }), "`vendor_id` must be an id"),
        ("list_bills", json!({ "status": "UNPAID" }), "`status` must be one of OPEN, PENDING, PAID"),
        ("get_bill", json!({ "bill_id": "" }), "`bill_id` must be an id"),
        ("update_bill", json!({ "bill_id": bill, "status": "DONE" }), "`status` must be one of"),
        ("mark_bill_paid", json!({}), "`bill_id` is required"),
        ("pay_bill", json!({ "bill_id": bill }), "`account_id` is required"),
        (
            "pay_bill",
            json!({ "bill_id": bill, "account_id": "a", "execution_date": "morgen" }),
            "`execution_date`",
        ),
        ("delete_bill", json!({ "bill_id": "a/b" }), "`bill_id` must be an id"),
        ("get_invoice_preview", json!({}), "`invoice_id` is required"),
        ("create_offer", json!({ "client_id": id("cli", 0), "items": [] }), "`items`"),
        (
            "list_offers",
            json!({ "status": "paid" }),
            "`status` must be one of draft, pending, saved, sent, approved",
        ),
        ("get_offer", json!({ "offer_id": "quo 4" }), "`offer_id` must be an id"),
        ("send_offer", json!({ "offer_id": id("quo", 4) }), "`subject` is required"),
        ("convert_offer_to_invoice", json!({}), "`offer_id` is required"),
        (
            "change_transaction_verification",
            json!({ "transaction_id": id("trx", 4), "verify": "yes" }),
            "`verify` must be true or false",
        ),
        (
            "change_transaction_verification",
            json!({ "transaction_id": id("trx", 4) }),
            "`verify` is required",
        ),
        (
            "delete_attachment",
            json!({ "attachment_id": id("att", 0), "confirm": 1 }),
            "`confirm` must be true or false",
        ),
        ("get_attachment_preview", json!({}), "`attachment_id` is required"),
        (
            "list_company_categories",
            json!({ "cashflow_type": "OUT" }),
            "`cashflow_type` must be one of INCOME, EXPENSE",
        ),
        ("list_coa_templates", json!({ "chart": "skr03" }), "unknown argument `chart`"),
        (
            "trigger_datev_export",
            json!({ "date_from": "01.01.2026", "date_to": "2026-06-30" }),
            "`date_from` must be a date written YYYY-MM-DD",
        ),
        ("trigger_datev_export", json!({ "date_from": "2026-01-01" }), "`date_to` is required"),
        ("search_skr_by_code", json!({}), "`code` is required"),
        ("suggest_skr_category", json!({ "query": " " }), "`query` must not be empty"),
        (
            "create_company_category",
            json!({ "code": "6816", "name": "x", "cashflow_type": "COST" }),
            "`cashflow_type` must be one of INCOME, EXPENSE",
        ),
        (
            "list_tax_advisor_clients",
            json!({ "company_id": ADVISOR_CLIENT }),
            "unknown argument `company_id`",
        ),
        ("get_client_overview", json!({}), "`company_id` is required"),
        (
            "get_missing_documents_summary",
            json!({ "company_id": ADVISOR_CLIENT, "date_to": "June" }),
            "`date_to` must be a date",
        ),
        ("get_tax_compliance_status", json!({ "company_id": "../.." }), "`company_id` must be an id"),
        (
            "ping_client_for_documents",
            json!({ "company_id": ADVISOR_CLIENT, "transaction_ids": [] }),
            "`transaction_ids` must name at least one",
        ),
        (
            "ping_client_for_documents",
            json!({ "company_id": ADVISOR_CLIENT, "transaction_ids": ["trx_1", "../x"] }),
            "`transaction_ids[1]` must be an id",
        ),
        (
            "ping_client_for_documents",
            json!({ "company_id": ADVISOR_CLIENT, "transaction_ids": (0..51).map(|n| format!("trx_{n}")).collect::<Vec<_>>() }),
            "at most 50 per call",
        ),
        (
            "ping_client_for_documents",
            json!({ "company_id": ADVISOR_CLIENT }),
            "`transaction_ids` is required",
        ),
    ];
    let covered: BTreeSet<&str> = cases.iter().map(|(name, _, _)| *name).collect();
    assert_eq!(covered, NEW_TOOLS.into_iter().collect(), "one bad call of every new tool at least");
    for (name, arguments, expected) in cases {
        let caller = if name == "ping_client_for_documents" { &advisor } else { &mcp };
        let error = caller.fails(name, arguments).await;
        assert!(
            error_text(&error).contains(expected),
            "{name}: `{}` should say `{expected}`",
            error_text(&error)
        );
    }
    // A file_ref that is no Norman id, or that comes with data a stored document cannot take,
    // is refused before anything reaches Norman.
    let single = mcp.fails("create_attachment", json!({ "file_ref": "ref abc/123" })).await;
    let message = error_text(&single);
    assert!(message.contains("file_ref") && message.contains("not a Norman document id"), "{message}");
    let with_data = mcp.fails("create_attachment", json!({ "file_ref": "att_1", "amount": 12.5 })).await;
    let message = error_text(&with_data);
    assert!(message.contains("`amount`") && message.contains("file_content_base64"), "{message}");
    let bulk = mcp.fails("upload_bulk_attachments", json!({ "file_refs": ["../x"] })).await;
    let message = error_text(&bulk);
    assert!(message.contains("file_refs[0]") && message.contains("not a Norman document id"), "{message}");
    let after = server.sandbox.as_ref().unwrap().sandbox.stats().api_calls;
    assert_eq!(after, before, "no invalid call reached Norman");
    server.stop().await;
}

#[tokio::test]
async fn a_read_only_token_may_read_but_not_write_with_the_new_tools() {
    let server = TestServer::start().await;
    let (_, read_only) = full_flow(&server, "norman.read", 0).await;
    let token = read_only["access_token"].as_str().unwrap().to_owned();
    let advisor_read_only = token_as(&server, "norman.read", TAX_ADVISOR).await;
    let catalogue = Catalogue::default();
    let all_examples: Vec<(&str, Value, &str)> = examples()
        .into_iter()
        .map(|(n, a)| (n, a, token.as_str()))
        .chain(advisor_examples().into_iter().map(|(n, a)| (n, a, advisor_read_only.as_str())))
        .filter(|(n, _, _)| NEW_TOOLS.contains(n))
        .collect();
    let sandbox = &server.sandbox.as_ref().unwrap().sandbox;
    let mut refused = BTreeSet::new();
    for (name, arguments, token) in &all_examples {
        let call = json!({"jsonrpc": "2.0", "id": 7, "method": "tools/call",
            "params": { "name": name, "arguments": arguments }});
        let calls_before = sandbox.stats().api_calls;
        let response = mcp_post(&server, Some(token), &call).await;
        if catalogue.scope(name) == Some(Scope::Write) {
            assert_eq!(response.status(), 403, "{name} is refused");
            let challenge = response.headers()["www-authenticate"].to_str().unwrap().to_owned();
            assert!(challenge.contains(r#"error="insufficient_scope""#), "{name}: {challenge}");
            assert_eq!(sandbox.stats().api_calls, calls_before, "{name} reached Norman");
            refused.insert(*name);
        } else {
            assert_eq!(response.status(), 200, "{name}");
            let body: Value = response.json().await.unwrap();
            assert_eq!(body["result"]["isError"], false, "{name} reads with a read-only token: {body}");
        }
    }
    let writes: BTreeSet<&str> = [
        "create_offer",
        "send_offer",
        "convert_offer_to_invoice",
        "change_transaction_verification",
        "delete_attachment",
        "create_vendor",
        "update_vendor",
        "delete_vendor",
        "update_bill",
        "mark_bill_paid",
        "pay_bill",
        "delete_bill",
        "create_company_category",
        "ping_client_for_documents",
        "request_file_upload",
    ]
    .into_iter()
    .collect();
    assert_eq!(refused, writes);
    server.stop().await;
}

#[tokio::test]
async fn norman_refusals_reach_the_model_with_what_to_do() {
    let server = TestServer::start().await;
    let owner = Mcp::first_user(&server).await;

    // A document of a booked transaction is kept unless the user confirms.
    let booked = id("att", 0);
    let kept = owner.fails("delete_attachment", json!({ "attachment_id": booked })).await;
    assert_eq!(kept["status"], 409);
    assert!(error_text(&kept).contains("confirm=true") && error_text(&kept).contains("retention"), "{kept}");
    assert!(kept["detail"]["retentionUntil"].is_string(), "{kept}");
    owner.ok("get_attachment_preview", json!({ "attachment_id": booked })).await;
    let deleted = owner.ok("delete_attachment", json!({ "attachment_id": booked, "confirm": true })).await;
    assert_eq!(deleted["success"], true);
    assert_eq!(
        owner.fails("get_attachment_preview", json!({ "attachment_id": booked })).await["status"],
        404
    );

    // A PDF is not shown as an image; its link is there.
    let (pdf, result) =
        owner.ok_with_result("get_attachment_preview", json!({ "attachment_id": id("att", 1) })).await;
    assert!(result["content"].as_array().unwrap().iter().all(|b| b["type"] == "text"));
    assert!(pdf["note"].as_str().unwrap().contains("Not an image"), "{pdf}");
    assert!(pdf["downloadUrl"].is_string());

    // An empty file_refs (models often send every list) is no reference at all.
    let pdf = STANDARD.encode(tool_examples::SMALL_PDF);
    let uploaded = owner
        .ok(
            "upload_bulk_attachments",
            json!({ "file_refs": [], "files_base64": [{ "file_name": "kassenbon.pdf", "content": pdf }] }),
        )
        .await;
    assert_eq!(uploaded["count"], 1, "{uploaded}");

    // Verification goes both ways.
    let open = owner
        .ok("change_transaction_verification", json!({ "transaction_id": id("trx", 0), "verify": false }))
        .await;
    assert_eq!(open["status"], "UNVERIFIED");

    // Paying a bill that is not open, a payment dated in the past, an account of nobody.
    let paid =
        owner.fails("pay_bill", json!({ "bill_id": id("bill", 2), "account_id": id("bacc", 0) })).await;
    assert_eq!(paid["status"], 400);
    assert!(paid["detail"].to_string().contains("Only open bills"), "{paid}");
    let late = owner
        .fails(
            "pay_bill",
            json!({ "bill_id": id("bill", 0), "account_id": id("bacc", 0), "execution_date": "2020-01-01" }),
        )
        .await;
    assert!(late["detail"]["executionDate"].is_array(), "{late}");
    let planned = owner
        .ok(
            "pay_bill",
            json!({ "bill_id": id("bill", 0), "account_id": id("bacc", 0), "execution_date": in_days(3), "purpose": "Telekom Juni" }),
        )
        .await;
    assert_eq!(planned["executionDate"], in_days(3), "{planned}");

    // A duplicate category code, an export spanning two years.
    let duplicate = owner
        .fails(
            "create_company_category",
            json!({ "code": "6805", "name": "Telefon", "cashflow_type": "EXPENSE" }),
        )
        .await;
    assert_eq!(duplicate["status"], 400);
    assert!(duplicate["detail"]["code"].is_array(), "{duplicate}");
    let span = owner
        .fails("trigger_datev_export", json!({ "date_from": "2025-12-01", "date_to": "2026-01-31" }))
        .await;
    assert!(span["detail"]["dateTo"].to_string().contains("one fiscal year"), "{span}");

    // Quotes: converting an invoice is refused; an offer with its own number.
    let not_quote = owner.fails("convert_offer_to_invoice", json!({ "offer_id": id("inv", 0) })).await;
    assert_eq!(not_quote["status"], 400);
    let numbered = owner
        .ok(
            "create_offer",
            json!({ "client_id": id("cli", 0), "items": [{ "name": "Logo", "quantity": 1, "rate": 50000 }], "offer_number": "AN-2026-9001", "invoice_type": "GOODS" }),
        )
        .await;
    assert_eq!(numbered["invoiceNumber"], "AN-2026-9001");
    assert_eq!(numbered["deliveryDate"], today());
    assert_eq!(numbered["dueTo"], in_days(30));
    let drafts = owner.ok("list_offers", json!({ "status": "draft", "name": "AN-2026-9001" })).await;
    assert_eq!(results(&drafts).len(), 1, "{drafts}");
    let invoices = owner.ok("list_invoices", json!({ "name": "AN-2026-9001" })).await;
    assert!(results(&invoices).is_empty(), "a quote is not an invoice");

    // A vendor update with nothing to change shows the vendor; a bad IBAN is Norman's 400.
    let unchanged = owner.ok("update_vendor", json!({ "vendor_id": id("ven", 0) })).await;
    assert_eq!(unchanged["current"]["name"], "Telekom Deutschland GmbH");
    let bad_iban = owner.fails("create_vendor", json!({ "name": "X", "iban": "DE00123" })).await;
    assert!(bad_iban["detail"]["iban"].is_array(), "{bad_iban}");

    // The second user's objects are not the first user's: Norman's 404.
    let (_, second) = full_flow(&server, "norman.read norman.write", 1).await;
    let second = Mcp { server: &server, token: second["access_token"].as_str().unwrap().to_owned() };
    for (name, arguments) in [
        ("get_vendor", json!({ "vendor_id": id("ven", 0) })),
        ("get_bill", json!({ "bill_id": id("bill", 1) })),
        ("mark_bill_paid", json!({ "bill_id": id("bill", 1) })),
        ("delete_vendor", json!({ "vendor_id": id("ven", 1) })),
        ("get_offer", json!({ "offer_id": id("quo", 4) })),
        ("convert_offer_to_invoice", json!({ "offer_id": id("quo", 4) })),
        ("get_invoice_preview", json!({ "invoice_id": id("inv", 0) })),
        ("change_transaction_verification", json!({ "transaction_id": id("trx", 4), "verify": true })),
        ("delete_attachment", json!({ "attachment_id": id("att", 3), "confirm": true })),
        ("get_attachment_preview", json!({ "attachment_id": id("att", 3) })),
    ] {
        let error = second.fails(name, arguments).await;
        assert_eq!(error["status"], 404, "{name}: {error}");
    }
    let theirs = second.ok("list_vendors", json!({})).await;
    assert!(results(&theirs).iter().all(|v| v["company"] == DEMO_USERS[1].company_id), "{theirs}");
    owner.ok("get_vendor", json!({ "vendor_id": id("ven", 1) })).await;
    owner.ok("get_offer", json!({ "offer_id": id("quo", 4) })).await;

    // A company that is not an SME keeps no own categories: refused with the reason, and
    // without a DATEV advisor number there is no export.
    let freelancer = Mcp {
        server: &server,
        token: token_as(&server, "norman.read norman.write", MULTI_COMPANY_USER).await,
    };
    for (name, arguments) in [
        ("search_skr_by_code", json!({ "code": "4400" })),
        ("suggest_skr_category", json!({ "query": "Miete" })),
        ("create_company_category", json!({ "code": "6816", "name": "x", "cashflow_type": "EXPENSE" })),
    ] {
        let error = freelancer.fails(name, arguments).await;
        assert!(error_text(&error).contains("SME companies only"), "{name}: {error}");
    }
    let no_datev = freelancer
        .fails("trigger_datev_export", json!({ "date_from": "2026-01-01", "date_to": "2026-03-31" }))
        .await;
    assert!(no_datev["detail"].to_string().contains("datevAdvisorNumber"), "{no_datev}");
    let nothing = owner.ok("search_skr_by_code", json!({ "code": "99999" })).await;
    assert_eq!(nothing["results"], json!([]));
    server.stop().await;
}

// ---- an image in object storage, away from Norman's origin ----

/// The start of a JPEG file (SOI and a JFIF APP0 segment).
const JPEG: &[u8] = b"\xFF\xD8\xFF\xE0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xFF\xD9";

async fn preview(
    catalogue: &Catalogue,
    norman: &NormanClient,
    caller: &Caller<'_>,
    attachment: &str,
) -> CallToolResult {
    let arguments = json!({ "attachment_id": attachment }).as_object().cloned();
    catalogue.call(norman, caller, "get_attachment_preview", arguments).await.unwrap()
}

/// Production hands out object-storage links on another host: the image is fetched there by
/// the guarded fetcher (https, address checks), and the user's Norman token never goes along.
#[tokio::test]
async fn an_image_in_object_storage_is_fetched_without_the_norman_token() {
    let reply = |status, kind, body: Vec<u8>| Reply::new(status, body).header("Content-Type", kind);
    let storage = TlsServer::start(move |_: &str, path: &str| match path {
        "/bucket/foto.jpg?sig=1" => reply(200, "image/jpeg", JPEG.to_vec()),
        "/bucket/broken.png?sig=1" => reply(200, "text/html", b"<html>AccessDenied</html>".to_vec()),
        _ => reply(404, "text/plain", b"no such key".to_vec()),
    })
    .await;
    let bucket = storage.base.clone();
    let norman = TlsServer::start(move |_: &str, path: &str| {
        let path = path.split('?').next().unwrap_or_default();
        let (id, file) = match path.split('/').nth(6) {
            Some("att_1") => ("att_1", "foto.jpg"),
            Some("att_2") => ("att_2", "broken.png"),
            _ => return reply(404, "application/json", br#"{"detail":"Not found."}"#.to_vec()),
        };
        let body = if path.ends_with("/download/") {
            json!({ "url": format!("{bucket}/bucket/{file}?sig=1") })
        } else {
            json!({ "publicId": id, "file": format!("attachments/cmp_x/{id}/{file}"), "fileName": file })
        };
        reply(200, "application/json", body.to_string().into_bytes())
    })
    .await;
    let client = NormanClient::with_root_certificates(
        url::Url::parse(&format!("{}/", norman.base)).unwrap(),
        Duration::from_secs(5),
        vec![CertificateDer::from(norman.certificate.clone())],
    )
    .unwrap();
    let secret = "norman-access-token-for-the-bucket-test";
    let token = NormanToken::new(secret.to_owned());
    let caller = Caller { norman_access: &token, company_id: "cmp_x", grant: None };
    let policy = |allow_private_addresses| UploadPolicy {
        allow_private_addresses,
        extra_root_certificates: vec![storage.certificate.clone()],
        ..UploadPolicy::default()
    };
    let catalogue = Catalogue::try_new(policy(true)).unwrap();

    let shown = preview(&catalogue, &client, &caller, "att_1").await;
    assert_eq!(shown.is_error, Some(false));
    let image = shown.content.iter().find_map(|c| c.as_image()).expect("an image block");
    assert_eq!(image.mime_type, "image/jpeg");
    assert_eq!(STANDARD.decode(&image.data).unwrap(), JPEG);
    let text = shown.content.iter().rev().find_map(|c| c.as_text()).expect("a text block");
    let fields: Value = serde_json::from_str(&text.text).unwrap();
    assert_eq!(fields["downloadUrl"], format!("{}/bucket/foto.jpg?sig=1", storage.base));
    assert_eq!(fields["attachmentId"], "att_1");

    // Not what its name says: the link only, and why.
    let broken = preview(&catalogue, &client, &caller, "att_2").await;
    assert!(broken.content.iter().all(|c| c.as_image().is_none()));
    let text = broken.content.iter().rev().find_map(|c| c.as_text()).unwrap();
    assert!(text.text.contains("not a readable image/png"), "{}", text.text);

    // Storage on a private address is not fetched unless allowed.
    let strict = Catalogue::try_new(policy(false)).unwrap();
    let refused = preview(&strict, &client, &caller, "att_1").await;
    assert!(refused.content.iter().all(|c| c.as_image().is_none()));
    let text = refused.content.iter().rev().find_map(|c| c.as_text()).unwrap();
    assert!(text.text.contains("private or reserved"), "{}", text.text);

    let storage_heads = storage.heads();
    assert_eq!(storage_heads.len(), 2, "the two allowed fetches reached the bucket");
    for head in &storage_heads {
        assert!(!head.to_ascii_lowercase().contains("authorization") && !head.contains(secret), "{head}");
    }
    assert!(norman.heads().iter().all(|head| head.contains(secret)), "Norman itself gets the token");
}

/// Every tool of the whole catalogue, called over `/mcp` with an argument it does not take:
/// a tool error that names the argument, and Norman is never asked.
#[tokio::test]
async fn every_tool_names_an_argument_it_does_not_take() {
    let server = TestServer::start().await;
    let mcp = Mcp::first_user(&server).await;
    let before = server.sandbox.as_ref().unwrap().sandbox.stats().api_calls;
    let names: Vec<String> = Catalogue::default().tools().iter().map(|tool| tool.name.to_string()).collect();
    assert_eq!(names.len(), 105);
    for name in &names {
        let error = mcp.fails(name, json!({ "no_such_argument": 1 })).await;
        assert!(error_text(&error).contains("unknown argument `no_such_argument`"), "{name}: {error}");
    }
    assert_eq!(server.sandbox.as_ref().unwrap().sandbox.stats().api_calls, before, "Norman was asked");
}

/// Every write tool of the whole catalogue (the core ones, the founding ones, the new ones),
/// called with a read-only token: 403 `insufficient_scope`, before Norman is asked.
#[tokio::test]
async fn every_write_tool_of_the_catalogue_refuses_a_read_only_token() {
    let server = TestServer::start().await;
    let (_, read_only) = full_flow(&server, "norman.read", 0).await;
    let token = read_only["access_token"].as_str().unwrap().to_owned();
    let catalogue = Catalogue::default();
    let writes: Vec<String> = catalogue
        .tools()
        .iter()
        .map(|tool| tool.name.to_string())
        .filter(|name| catalogue.scope(name) == Some(Scope::Write))
        .collect();
    assert!(writes.len() > 40, "{} write tools", writes.len());
    let sandbox = &server.sandbox.as_ref().unwrap().sandbox;
    let before = sandbox.stats().api_calls;
    for name in &writes {
        let call = json!({"jsonrpc": "2.0", "id": 9, "method": "tools/call",
            "params": { "name": name, "arguments": {} }});
        let response = mcp_post(&server, Some(&token), &call).await;
        assert_eq!(response.status(), 403, "{name} is refused");
        let challenge = response.headers()["www-authenticate"].to_str().unwrap().to_owned();
        assert!(challenge.contains(r#"error="insufficient_scope""#), "{name}: {challenge}");
    }
    assert_eq!(sandbox.stats().api_calls, before, "a write tool reached Norman");
}
