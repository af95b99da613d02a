//! The founding tools over `/mcp` with tokens from the real OAuth flow, against the sandbox's
//! founding workflows: incorporating a GmbH, registering a trade and the corporate tax
//! questionnaire, each from the draft to its last step; Norman's validation errors as tool
//! errors naming the field; the write tools refused to a read-only token; and another
//! person's drafts out of reach.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use axum::response::IntoResponse as _;

use crate::support::tool_names::founding_tools;
use crate::support::*;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use norman_mcp::mcp::catalogue::{Catalogue, Toolset};
use norman_mcp::scope::Scope;
use norman_sandbox::DEMO_USERS;
use serde_json::{Value, json};

/// A server with a sandbox, and an access token of demo user `user` with both scopes.
async fn signed_in(user: usize) -> (TestServer, String) {
    let server = TestServer::start().await;
    let (_, tokens) = full_flow(&server, "norman.read norman.write", user).await;
    let token = tokens["access_token"].as_str().expect("an access token").to_owned();
    (server, token)
}

/// A call that must succeed; its JSON.
async fn ok(server: &TestServer, token: &str, name: &str, arguments: Value) -> Value {
    let response = mcp_call(server, token, name, arguments).await;
    assert_eq!(response["result"]["isError"], false, "{name}: {response}");
    tool_json(&response)
}

/// A call that must fail as a tool result; its error JSON.
async fn refused(server: &TestServer, token: &str, name: &str, arguments: Value) -> Value {
    let response = mcp_call(server, token, name, arguments).await;
    assert_eq!(response["result"]["isError"], true, "{name} should fail: {response}");
    tool_json(&response)
}

/// Asserts a tool error is Norman's 400 and that its detail names `field`.
fn names_field(error: &Value, field: &str) {
    assert_eq!(error["status"], 400, "{error}");
    let detail = &error["detail"];
    let named = detail.get(field).is_some()
        || detail["missing"].as_array().into_iter().flatten().any(|m| m.as_str() == Some(field));
    assert!(named, "the error names {field}: {error}");
}

fn section_missing(record: &Value, section: &str) -> Vec<String> {
    record["sections"][section]["missing"]
        .as_array()
        .unwrap_or_else(|| panic!("a {section} section: {record}"))
        .iter()
        .filter_map(|m| m.as_str().map(str::to_owned))
        .collect()
}

/// A generated document's link serves a PDF.
async fn assert_pdf(server: &TestServer, url: &str) {
    let response = server.http.get(url).send().await.unwrap();
    assert_eq!(response.status(), 200, "{url}");
    assert!(response.bytes().await.unwrap().starts_with(b"%PDF-"), "{url} serves a PDF");
}

/// The preview result: a JPEG image and the document's other fields as JSON.
fn preview_parts(response: &Value) -> (Vec<u8>, Value) {
    let content = response["result"]["content"].as_array().expect("content");
    let image = content.iter().find(|c| c["type"] == "image").expect("an image block");
    assert_eq!(image["mimeType"], "image/jpeg");
    let bytes = STANDARD.decode(image["data"].as_str().unwrap()).expect("base64");
    let text = content.iter().find(|c| c["type"] == "text").expect("a text block");
    (bytes, serde_json::from_str(text["text"].as_str().unwrap()).unwrap())
}

#[tokio::test]
async fn the_founding_tools_are_listed_with_titles_annotations_and_schemas() {
    let catalogue = Catalogue::default();
    let founding: BTreeSet<&str> = catalogue
        .tools()
        .iter()
        .map(|t| t.name.as_ref())
        .filter(|name| catalogue.toolset(name) == Some(Toolset::Founding))
        .map(|name| {
            founding_tools().find(|n| *n == name).unwrap_or_else(|| panic!("{name} is a founding tool"))
        })
        .collect();
    assert_eq!(founding.len(), 37);

    let (server, token) = signed_in(0).await;
    let list =
        mcp_post(&server, Some(&token), &json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"})).await;
    let list: Value = list.json().await.unwrap();
    let tools = list["result"]["tools"].as_array().expect("tools");
    let tool = |name: &str| {
        tools.iter().find(|t| t["name"] == name).unwrap_or_else(|| panic!("{name} is listed")).clone()
    };
    for name in &founding {
        let t = tool(name);
        assert!(t["title"].as_str().is_some_and(|s| !s.is_empty()), "{name} has a title");
        assert!(t["description"].as_str().is_some_and(|s| s.len() > 40), "{name} says what it does");
        for (param, property) in t["inputSchema"]["properties"].as_object().unwrap() {
            assert!(property["description"].as_str().is_some_and(|d| !d.is_empty()), "{name}.{param}");
        }
        let a = &t["annotations"];
        let read_only = a["readOnlyHint"].as_bool().expect("readOnlyHint");
        assert_eq!(catalogue.scope(name), Some(if read_only { Scope::Read } else { Scope::Write }), "{name}");
    }
    let hints = |name: &str| {
        let a = tool(name)["annotations"].clone();
        [&a["readOnlyHint"], &a["destructiveHint"], &a["idempotentHint"], &a["openWorldHint"]]
            .map(|h| h.as_bool().unwrap_or_else(|| panic!("{name}: all four hints")))
    };
    for create in ["create_incorporation", "create_gewerbe_registration", "create_corporate_tax_registration"]
    {
        assert_eq!(hints(create), [false, false, false, false], "{create}: a new draft destroys nothing");
    }
    assert_eq!(hints("invite_incorporation_shareholder"), [false, false, false, true], "it e-mails");
    assert_eq!(hints("request_incorporation_notary"), [false, true, false, true], "hands over and locks");
    assert_eq!(hints("remove_incorporation_shareholder"), [false, true, true, false]);
    assert_eq!(hints("check_incorporation_name"), [true, false, true, true], "the commercial register");
    assert_eq!(hints("get_corporate_submission_link"), [true, false, true, false]);
    // Enums from the choice lists.
    let enum_of = |name: &str, param: &str| tool(name)["inputSchema"]["properties"][param]["enum"].clone();
    assert_eq!(enum_of("create_incorporation", "legal_form"), json!(["gmbh", "ug"]));
    assert_eq!(
        enum_of("get_incorporation_choices", "choice_type"),
        json!([
            "legal-forms",
            "shareholder-types",
            "agreement-types",
            "notarization-types",
            "notarization-timeframes"
        ])
    );
    assert_eq!(
        enum_of("update_incorporation_notary_preferences", "notarization_timeframe"),
        json!(["within_7_days", "within_2_weeks", "flexible"])
    );
    assert_eq!(enum_of("update_gewerbe_owner", "owner_gender"), json!(["male", "female", "diverse"]));
    assert_eq!(
        tool("update_gewerbe_business")["inputSchema"]["properties"]["business_type"]["items"]["enum"],
        json!(["industry", "trade", "craft", "other"])
    );
    assert_eq!(enum_of("update_corporate_vat_and_bank", "bank_account_holder_role"), json!([1, 99]));
    let people = &tool("set_corporate_people")["inputSchema"]["properties"]["shareholder_entries"];
    assert_eq!(people["maxItems"], 99);
    assert_eq!(people["items"]["properties"]["shareholderType"]["enum"], json!(["natural", "legal"]));
    assert_eq!(tool("add_incorporation_shareholder")["inputSchema"]["required"], json!(["public_id"]));
    server.stop().await;
}

#[tokio::test]
async fn a_gmbh_is_founded_from_the_draft_to_the_commercial_register() {
    let (server, token) = signed_in(0).await;
    let s = &server;
    let t = token.as_str();

    let none = ok(s, t, "get_incorporation", json!({})).await;
    assert_eq!(none["exists"], false, "{none}");
    assert!(none["message"].as_str().unwrap().contains("create_incorporation"));
    let forms = ok(s, t, "get_incorporation_choices", json!({ "choice_type": "legal-forms" })).await;
    let values: Vec<&str> =
        forms["choices"].as_array().unwrap().iter().filter_map(|c| c["value"].as_str()).collect();
    assert_eq!(values, ["gmbh", "ug"]);

    let draft = ok(s, t, "create_incorporation", json!({ "legal_form": "gmbh" })).await;
    assert_eq!(draft["status"], "data_collection");
    assert_eq!(draft["source"], "norman_agent");
    assert_eq!(draft["locale"], "de");
    let id = draft["publicId"].as_str().unwrap().to_owned();
    let again = refused(s, t, "create_incorporation", json!({ "legal_form": "ug" })).await;
    names_field(&again, "non_field_errors");
    assert_eq!(ok(s, t, "get_incorporation", json!({})).await["publicId"], id.as_str());

    // Nothing to generate yet: Norman names what is missing, the shareholders first of all.
    let early = refused(s, t, "generate_incorporation_documents", json!({ "public_id": id })).await;
    names_field(&early, "shareholders");
    let no_one = refused(
        s,
        t,
        "set_incorporation_agreement",
        json!({ "public_id": id, "agreement_type": "musterprotokoll" }),
    )
    .await;
    names_field(&no_one, "agreementType");
    assert!(no_one.to_string().contains("no_shareholders"), "{no_one}");

    // Company.
    let check =
        ok(s, t, "check_incorporation_name", json!({ "public_id": id, "name": "Kiezrösterei" })).await;
    assert_eq!(check["status"], "ok", "{check}");
    let purpose = ok(
        s,
        t,
        "suggest_incorporation_purpose",
        json!({ "public_id": id, "draft": "Kaffee rösten und verkaufen" }),
    )
    .await;
    let purpose = purpose["suggestion"].as_str().expect("a suggestion").to_owned();
    assert!(purpose.contains("Kaffee rösten und verkaufen"));
    let company = ok(
        s,
        t,
        "update_incorporation_company",
        json!({
            "public_id": id,
            "company_name": "Kiezrösterei",
            "business_purpose": purpose,
            "registered_office_city": "Berlin",
            "registered_office_street": "Torstraße",
            "registered_office_house_number": "1",
            "registered_office_postal_code": "10119",
        }),
    )
    .await;
    assert_eq!(company["companyName"], "Kiezrösterei GmbH", "Norman appends the suffix");
    assert!(section_missing(&company, "company").is_empty(), "{company}");

    // Shareholders: the founder as managing director, a co-founder invited and then removed.
    let founder = json!({
        "public_id": id, "first_name": "Anna", "last_name": "Muster", "dob": "1990-05-17",
        "nationality": "DE", "street": "Torstraße", "house_number": "1", "postal_code": "10119",
        "city": "Berlin", "country": "DE", "email": "anna@kiezroesterei.example",
        "share_nominal_amount": "25000", "is_managing_director": true,
    });
    let with_anna = ok(s, t, "add_incorporation_shareholder", founder).await;
    let anna = with_anna["shareholders"][0]["publicId"].as_str().unwrap().to_owned();
    assert_eq!(with_anna["shareholders"][0]["shareholderType"], "natural_person");
    let with_ben = ok(
        s,
        t,
        "add_incorporation_shareholder",
        json!({ "public_id": id, "first_name": "Ben", "last_name": "Beispiel", "share_nominal_amount": "5000" }),
    )
    .await;
    let ben = with_ben["shareholders"][1]["publicId"].as_str().unwrap().to_owned();
    let invited = ok(
        s,
        t,
        "invite_incorporation_shareholder",
        json!({ "public_id": id, "shareholder_public_id": ben, "email": "ben@example.org" }),
    )
    .await;
    assert_eq!(invited["shareholders"][1]["invitation"]["email"], "ben@example.org", "{invited}");
    let director = refused(
        s,
        t,
        "update_incorporation_shareholder",
        json!({ "public_id": id, "shareholder_public_id": ben, "dob": "2999-01-01" }),
    )
    .await;
    names_field(&director, "dob");
    let removed = ok(
        s,
        t,
        "remove_incorporation_shareholder",
        json!({ "public_id": id, "shareholder_public_id": ben }),
    )
    .await;
    assert_eq!(removed["shareholders"].as_array().map(Vec::len), Some(1));
    let unknown = refused(
        s,
        t,
        "update_incorporation_shareholder",
        json!({ "public_id": id, "shareholder_public_id": anna, "phone": "+49 30 1234567" }),
    )
    .await;
    assert!(unknown["error"].as_str().unwrap().contains("unknown argument `phone`"), "{unknown}");
    let moved = ok(
        s,
        t,
        "update_incorporation_shareholder",
        json!({ "public_id": id, "shareholder_public_id": anna, "house_number": "2" }),
    )
    .await;
    assert_eq!(moved["shareholders"][0]["houseNumber"], "2");

    // Capital below the legal minimum of a GmbH, then enough.
    let low =
        refused(s, t, "update_incorporation_capital", json!({ "public_id": id, "share_capital": "24999" }))
            .await;
    names_field(&low, "shareCapital");
    assert!(low.to_string().contains("25000"), "{low}");
    let capital =
        ok(s, t, "update_incorporation_capital", json!({ "public_id": id, "share_capital": 25000 })).await;
    assert!(section_missing(&capital, "capital").is_empty(), "{capital}");
    assert_eq!(capital["musterprotokoll"]["eligible"], true);

    // Agreement and documents.
    let agreed = ok(
        s,
        t,
        "set_incorporation_agreement",
        json!({ "public_id": id, "agreement_type": "musterprotokoll" }),
    )
    .await;
    assert_eq!(agreed["status"], "data_complete", "{agreed}");
    let none_yet = refused(s, t, "get_incorporation_document_preview", json!({ "public_id": id })).await;
    assert!(none_yet["error"].as_str().unwrap().contains("generate_incorporation_documents"), "{none_yet}");
    let generated = ok(s, t, "generate_incorporation_documents", json!({ "public_id": id })).await;
    let documents = generated["documents"].as_array().expect("documents");
    let types: Vec<&str> = documents.iter().filter_map(|d| d["type"].as_str()).collect();
    assert_eq!(types, ["musterprotokoll", "gesellschafterliste"]);
    assert!(documents.iter().all(|d| d.get("previewImage").is_none()), "no base64 in the answer");
    for document in documents {
        assert_pdf(s, document["downloadUrl"].as_str().unwrap()).await;
    }
    let preview = mcp_call(
        s,
        t,
        "get_incorporation_document_preview",
        json!({ "public_id": id, "document_type": "gesellschafterliste" }),
    )
    .await;
    let (jpeg, fields) = preview_parts(&preview);
    assert!(jpeg.starts_with(&[0xFF, 0xD8, 0xFF]), "a JPEG");
    assert_eq!(fields["type"], "gesellschafterliste");
    assert_eq!(fields["documentsStale"], false);
    assert_eq!(ok(s, t, "get_incorporation", json!({})).await["status"], "documents_generated");

    // Notary: not chosen and no preferences is refused, naming the field.
    let unchosen = refused(s, t, "request_incorporation_notary", json!({ "public_id": id })).await;
    names_field(&unchosen, "notaryPublicId");
    let bad_choice = refused(
        s,
        t,
        "update_incorporation_notary_preferences",
        json!({ "public_id": id, "notarization_type": "by_post" }),
    )
    .await;
    assert!(bad_choice["error"].as_str().unwrap().contains("online, in_person"), "{bad_choice}");
    let preferences = ok(
        s,
        t,
        "update_incorporation_notary_preferences",
        json!({ "public_id": id, "notarization_type": "in_person", "notary_city": "Berlin", "notarization_timeframe": "within_2_weeks" }),
    )
    .await;
    assert!(section_missing(&preferences, "notary").is_empty(), "{preferences}");
    let matches = ok(s, t, "match_incorporation_notaries", json!({ "public_id": id })).await;
    let notaries = matches["notaries"].as_array().expect("notaries");
    assert!(!notaries.is_empty() && notaries.len() <= 3, "{matches}");
    assert!(notaries.iter().all(|n| n["city"] == "Berlin"), "{matches}");
    let notary = notaries[0]["publicId"].as_str().unwrap().to_owned();
    let handed = ok(
        s,
        t,
        "request_incorporation_notary",
        json!({ "public_id": id, "notary_public_id": notary, "message": "Gern vormittags." }),
    )
    .await;
    assert_eq!(handed["status"], "handed_off", "{handed}");
    assert_eq!(handed["notaryMessage"], "Gern vormittags.");
    let locked =
        refused(s, t, "update_incorporation_capital", json!({ "public_id": id, "share_capital": "30000" }))
            .await;
    names_field(&locked, "non_field_errors");

    // The roadmap up to the register and beyond.
    let early_hrb =
        refused(s, t, "complete_incorporation_step", json!({ "public_id": id, "step": "hrb" })).await;
    names_field(&early_hrb, "step");
    let mut record = Value::Null;
    for step in ["notary", "bank_account", "deposit"] {
        record = ok(s, t, "complete_incorporation_step", json!({ "public_id": id, "step": step })).await;
    }
    assert_eq!(record["status"], "capital_deposited", "{record}");
    let no_number =
        refused(s, t, "complete_incorporation_step", json!({ "public_id": id, "step": "hrb" })).await;
    names_field(&no_number, "registerNumber");
    record = ok(
        s,
        t,
        "complete_incorporation_step",
        json!({ "public_id": id, "step": "hrb", "register_number": "HRB 234567 B", "register_court": "Amtsgericht Charlottenburg" }),
    )
    .await;
    assert_eq!(record["status"], "registered");
    assert_eq!(record["registerNumber"], "HRB 234567 B");
    for step in ["finanzamt", "gewerbeamt", "transparency"] {
        record =
            ok(s, t, "complete_incorporation_step", json!({ "public_id": id, "step": step, "done": true }))
                .await;
    }
    assert_eq!(record["status"], "completed", "{record}");
    assert_eq!(ok(s, t, "get_incorporation", json!({})).await["status"], "completed");
    server.stop().await;
}

#[tokio::test]
async fn a_trade_is_registered_from_the_draft_to_the_form() {
    let (server, token) = signed_in(1).await;
    let s = &server;
    let t = token.as_str();

    assert_eq!(ok(s, t, "get_gewerbe_registration", json!({})).await["exists"], false);
    let choices = ok(s, t, "get_gewerbe_registration_choices", json!({})).await;
    let forms: Vec<&str> =
        choices["legalForm"].as_array().unwrap().iter().filter_map(|c| c["value"].as_str()).collect();
    assert_eq!(forms.len(), 12);
    assert!(forms.contains(&"sole_proprietorship") && forms.contains(&"ug_co_kg"));
    assert!(choices["gender"].as_array().unwrap().iter().all(|c| c["label"].is_string()));

    let draft = ok(s, t, "create_gewerbe_registration", json!({})).await;
    assert_eq!(draft["status"], "data_collection");
    assert_eq!(draft["source"], "norman_agent");
    let id = draft["publicId"].as_str().unwrap().to_owned();
    let twice = refused(s, t, "create_gewerbe_registration", json!({})).await;
    names_field(&twice, "non_field_errors");

    let too_late =
        refused(s, t, "update_gewerbe_basic", json!({ "public_id": id, "activity_start_date": in_days(30) }))
            .await;
    names_field(&too_late, "activityStartDate");
    let basic = ok(
        s,
        t,
        "update_gewerbe_basic",
        json!({ "public_id": id, "activity_start_date": in_days(3), "establishment_type": "head_office" }),
    )
    .await;
    assert!(section_missing(&basic, "basic").is_empty(), "{basic}");
    let early = refused(s, t, "generate_gewerbe_document", json!({ "public_id": id })).await;
    names_field(&early, "legalForm");

    let activity = ok(
        s,
        t,
        "suggest_gewerbe_activity",
        json!({ "public_id": id, "draft": "Kaffee rösten und verkaufen" }),
    )
    .await;
    let activity = activity["suggestion"].as_str().expect("a suggestion").to_owned();
    let retail = refused(
        s,
        t,
        "update_gewerbe_business",
        json!({ "public_id": id, "business_type": ["trade", "retail"] }),
    )
    .await;
    assert!(retail["error"].as_str().unwrap().contains("business_type"), "{retail}");
    let business = ok(
        s,
        t,
        "update_gewerbe_business",
        json!({
            "public_id": id, "legal_form": "sole_proprietorship", "business_type": ["trade", "craft"],
            "business_street": "Torstraße", "business_house_number": "1", "business_postal_code": "10119",
            "business_city": "Berlin", "business_email": "hallo@kiezroesterei.example",
            "activity_description": activity, "license_required": false, "has_employees": true,
            "employees_part_time": 2,
        }),
    )
    .await;
    assert!(section_missing(&business, "business").is_empty(), "{business}");
    assert_eq!(business["businessType"], json!(["trade", "craft"]));
    let office = ok(s, t, "get_gewerbe_trade_office", json!({ "public_id": id })).await;
    assert_eq!(office["office"]["name"], "Bezirksamt Mitte von Berlin", "{office}");

    let owner = ok(
        s,
        t,
        "update_gewerbe_owner",
        json!({
            "public_id": id, "owner_first_names": "Anna Maria", "owner_last_name": "Muster",
            "owner_dob": "1990-05-17", "owner_place_of_birth": "Leipzig", "owner_nationality": "DE",
            "owner_gender": "female", "activity_type": "main", "owner_address_same_as_business": true,
        }),
    )
    .await;
    assert_eq!(owner["status"], "data_complete", "{owner}");

    let generated = ok(s, t, "generate_gewerbe_document", json!({ "public_id": id })).await;
    let form = &generated["documents"][0];
    assert_eq!(form["type"], "gewa1");
    assert!(form.get("previewImage").is_none(), "no base64 in the answer");
    assert_pdf(s, form["downloadUrl"].as_str().unwrap()).await;
    let preview = mcp_call(s, t, "get_gewerbe_document_preview", json!({ "public_id": id })).await;
    let (jpeg, fields) = preview_parts(&preview);
    assert!(jpeg.starts_with(&[0xFF, 0xD8, 0xFF]), "a JPEG");
    assert_eq!(fields["downloadUrl"], form["downloadUrl"]);
    let done = ok(s, t, "get_gewerbe_registration", json!({})).await;
    assert_eq!(done["status"], "documents_generated");
    assert_eq!(done["documents"].as_array().map(Vec::len), Some(1));
    server.stop().await;
}

/// Logs in to the sandbox directly, as Norman's web app would for the person.
async fn norman_access(server: &TestServer, user: usize) -> String {
    let sandbox = &server.sandbox.as_ref().expect("a sandbox").url;
    let login = server
        .http
        .post(sandbox.join("api/v1/auth/token/").unwrap())
        .json(&json!({ "email": DEMO_USERS[user].email, "password": DEMO_USERS[user].password }))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);
    login.json::<Value>().await.unwrap()["access"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn the_corporate_tax_questionnaire_is_filled_in_and_handed_to_the_web_app() {
    let (server, token) = signed_in(0).await;
    let s = &server;
    let t = token.as_str();

    assert_eq!(ok(s, t, "get_corporate_tax_registration", json!({})).await["exists"], false);
    let nothing = refused(s, t, "get_corporate_submission_link", json!({})).await;
    assert_eq!(nothing["status"], 404, "{nothing}");
    let choices = ok(s, t, "get_corporate_tax_registration_choices", json!({})).await;
    let roles: Vec<&str> = choices["bankAccountHolderRole"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["value"].as_str())
        .collect();
    assert_eq!(roles, ["1", "99"]);

    let draft = ok(s, t, "create_corporate_tax_registration", json!({})).await;
    assert_eq!(draft["status"], "data_collection");
    assert_eq!(draft["source"], "norman_agent");
    let id = draft["publicId"].as_str().unwrap().to_owned();

    let office =
        refused(s, t, "update_corporate_company", json!({ "public_id": id, "tax_office": "12" })).await;
    names_field(&office, "taxOffice");
    let company = ok(
        s,
        t,
        "update_corporate_company",
        json!({
            "public_id": id, "legal_form": "ug", "company_name": "Kiezrösterei UG (haftungsbeschränkt)",
            "seat_city": "Berlin", "business_street": "Torstraße", "business_house_number": "1",
            "business_postal_code": "10119", "business_city": "Berlin", "management_address_same": true,
            "email": "hallo@kiezroesterei.example", "activity_description": "Rösten und Verkauf von Kaffee",
            "tax_office": "1131",
        }),
    )
    .await;
    assert!(section_missing(&company, "company").is_empty(), "{company}");
    let registration = ok(
        s,
        t,
        "update_corporate_registration_details",
        json!({
            "public_id": id, "notary_contract_date": in_days(-20), "hr_application_filed": true,
            "hr_application_date": in_days(-18), "hr_registered": false,
        }),
    )
    .await;
    assert!(section_missing(&registration, "registration").is_empty(), "{registration}");

    let anna = json!({
        "salutation": "2", "firstName": "Anna", "lastName": "Muster", "dob": "1990-05-17",
        "street": "Torstraße", "houseNumber": "1", "postalCode": "10119", "city": "Berlin", "country": "DE",
    });
    let holder = |first: &str, amount: &str, percent: f64| {
        let mut entry = anna.clone();
        entry["firstName"] = json!(first);
        entry["shareholderType"] = json!("natural");
        entry["shareNominalAmount"] = json!(amount);
        entry["sharePercent"] = json!(percent);
        entry
    };
    let too_many = refused(
        s,
        t,
        "set_corporate_people",
        json!({ "public_id": id, "representatives": vec![anna.clone(); 10] }),
    )
    .await;
    assert!(too_many["error"].as_str().unwrap().contains("at most 9"), "{too_many}");
    let unknown = refused(
        s,
        t,
        "set_corporate_people",
        json!({ "public_id": id, "representatives": [{ "firstName": "Anna", "lastName": "Muster", "shoeSize": 38 }] }),
    )
    .await;
    assert!(unknown["error"].as_str().unwrap().contains("shoeSize"), "{unknown}");
    let uneven = refused(
        s,
        t,
        "set_corporate_people",
        json!({ "public_id": id, "shareholder_entries": [holder("Anna", "600", 60.0), holder("Ben", "400", 30.0)] }),
    )
    .await;
    names_field(&uneven, "shareholderEntries");
    let people = ok(
        s,
        t,
        "set_corporate_people",
        json!({
            "public_id": id,
            "representatives": [anna],
            "shareholder_entries": [holder("Anna", "600", 60.0), holder("Ben", "400", 40.0)],
        }),
    )
    .await;
    assert!(section_missing(&people, "representatives").is_empty(), "{people}");

    let over =
        refused(s, t, "update_corporate_financials", json!({ "public_id": id, "share_capital": "30000" }))
            .await;
    names_field(&over, "shareCapital");
    let financials = ok(
        s,
        t,
        "update_corporate_financials",
        json!({
            "public_id": id, "share_capital": "1000", "business_start_date": in_days(-10),
            "divergent_fiscal_year": false, "expected_profit_founding_year": 5000,
            "expected_profit_following_year": 20000,
        }),
    )
    .await;
    assert!(section_missing(&financials, "financials").is_empty(), "{financials}");
    assert!(section_missing(&financials, "shareholders").is_empty(), "the shares add up: {financials}");

    let pending = ok(s, t, "get_corporate_submission_link", json!({})).await;
    assert_eq!(pending["readyToSubmit"], false);
    assert!(pending["missing"].as_array().unwrap().contains(&json!("vatAndBank.bankIban")), "{pending}");
    let small = refused(
        s,
        t,
        "update_corporate_vat_and_bank",
        json!({ "public_id": id, "is_kleinunternehmer": true, "expected_revenue_founding_year": 40000 }),
    )
    .await;
    names_field(&small, "isKleinunternehmer");
    let iban = refused(
        s,
        t,
        "update_corporate_vat_and_bank",
        json!({ "public_id": id, "bank_iban": "DE00370400440532013000" }),
    )
    .await;
    names_field(&iban, "bankIban");
    let vat = ok(
        s,
        t,
        "update_corporate_vat_and_bank",
        json!({
            "public_id": id, "expected_revenue_founding_year": 40000, "expected_revenue_following_year": 90000,
            "is_kleinunternehmer": false, "taxation_method": "ist", "estimated_vat_amount_founding_year": 3000,
            "request_vat_id": true, "bank_iban": "DE89370400440532013000", "bank_account_holder_role": 1,
        }),
    )
    .await;
    assert_eq!(vat["bankAccountHolderRole"], 1, "sent as a number");
    assert_eq!(vat["status"], "data_complete", "{vat}");

    let link = ok(s, t, "get_corporate_submission_link", json!({})).await;
    assert_eq!(link["readyToSubmit"], true, "{link}");
    assert_eq!(link["missing"], json!([]));
    assert_eq!(link["status"], "data_complete");
    assert_eq!(
        link["url"], "https://dev.norman.finance/corporate-tax-registration",
        "not the production API"
    );

    // The person files it in the web app, which the sandbox stands in for.
    let sandbox = server.sandbox.as_ref().unwrap().url.clone();
    let filed = server
        .http
        .post(sandbox.join(&format!("api/v1/corporate-tax-registrations/{id}/submit/")).unwrap())
        .bearer_auth(norman_access(s, 0).await)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(filed.status(), 200);
    let submitted = ok(s, t, "get_corporate_tax_registration", json!({})).await;
    assert_eq!(submitted["status"], "submitted");
    assert_pdf(s, submitted["reportUrl"].as_str().expect("the transmission protocol")).await;
    let after = ok(s, t, "get_corporate_submission_link", json!({})).await;
    assert_eq!((&after["status"], &after["readyToSubmit"]), (&json!("submitted"), &json!(false)));
    assert_eq!(after["reportUrl"], submitted["reportUrl"]);
    let closed =
        refused(s, t, "update_corporate_company", json!({ "public_id": id, "website": "kiez.example" }))
            .await;
    names_field(&closed, "non_field_errors");
    server.stop().await;
}

#[tokio::test]
async fn every_founding_write_tool_is_refused_to_a_read_only_token() {
    let catalogue = Catalogue::default();
    let writes: BTreeSet<&str> =
        founding_tools().filter(|name| catalogue.scope(name) == Some(Scope::Write)).collect();
    let expected: BTreeSet<&str> = [
        "create_incorporation",
        "update_incorporation_company",
        "update_incorporation_capital",
        "add_incorporation_shareholder",
        "update_incorporation_shareholder",
        "invite_incorporation_shareholder",
        "remove_incorporation_shareholder",
        "set_incorporation_agreement",
        "update_incorporation_notary_preferences",
        "generate_incorporation_documents",
        "request_incorporation_notary",
        "complete_incorporation_step",
        "create_gewerbe_registration",
        "update_gewerbe_basic",
        "update_gewerbe_business",
        "update_gewerbe_owner",
        "generate_gewerbe_document",
        "create_corporate_tax_registration",
        "update_corporate_company",
        "update_corporate_registration_details",
        "set_corporate_people",
        "update_corporate_financials",
        "update_corporate_vat_and_bank",
    ]
    .into();
    assert_eq!(writes, expected);

    let server = TestServer::start().await;
    let (_, full) = full_flow(&server, "norman.read norman.write", 0).await;
    let full = full["access_token"].as_str().unwrap().to_owned();
    let draft = ok(&server, &full, "create_incorporation", json!({ "legal_form": "ug" })).await;
    let id = draft["publicId"].as_str().unwrap().to_owned();
    let (_, read_only) = full_flow(&server, "norman.read", 0).await;
    let read_only = read_only["access_token"].as_str().unwrap().to_owned();
    for (n, name) in writes.iter().enumerate() {
        let arguments = match *name {
            "create_incorporation" | "create_gewerbe_registration" | "create_corporate_tax_registration" => {
                json!({})
            }
            _ => json!({ "public_id": id, "share_capital": "1" }),
        };
        let call = json!({"jsonrpc": "2.0", "id": n, "method": "tools/call",
            "params": {"name": name, "arguments": arguments}});
        let response = mcp_post(&server, Some(&read_only), &call).await;
        assert_eq!(response.status(), 403, "{name}");
        let challenge = response.headers()["www-authenticate"].to_str().unwrap().to_owned();
        assert!(challenge.contains(r#"error="insufficient_scope""#), "{name}: {challenge}");
    }
    // Nothing was created or changed; reading still works with the read-only token.
    let unchanged = ok(&server, &read_only, "get_incorporation", json!({})).await;
    assert_eq!(unchanged["shareCapital"], Value::Null, "{unchanged}");
    assert_eq!(unchanged["updatedAt"], draft["updatedAt"]);
    assert_eq!(ok(&server, &read_only, "get_gewerbe_registration", json!({})).await["exists"], false);
    assert_eq!(ok(&server, &read_only, "get_corporate_tax_registration", json!({})).await["exists"], false);
    let name =
        ok(&server, &read_only, "check_incorporation_name", json!({ "public_id": id, "name": "Kiez" })).await;
    assert_eq!(name["searched"], "Kiez");
    server.stop().await;
}

#[tokio::test]
async fn another_persons_drafts_are_not_reachable() {
    let server = TestServer::start().await;
    let token = |tokens: Value| tokens["access_token"].as_str().unwrap().to_owned();
    let owner = token(full_flow(&server, "norman.read norman.write", 0).await.1);
    let other = token(full_flow(&server, "norman.read norman.write", 1).await.1);
    let s = &server;
    let incorporation = ok(s, &owner, "create_incorporation", json!({ "legal_form": "gmbh" })).await;
    let inc = incorporation["publicId"].as_str().unwrap().to_owned();
    let with_anna = ok(
        s,
        &owner,
        "add_incorporation_shareholder",
        json!({ "public_id": inc, "first_name": "Anna", "share_nominal_amount": "25000" }),
    )
    .await;
    let anna = with_anna["shareholders"][0]["publicId"].as_str().unwrap().to_owned();
    let gewerbe =
        ok(s, &owner, "create_gewerbe_registration", json!({ "incorporation_public_id": inc })).await;
    assert_eq!(gewerbe["incorporation"], inc.as_str(), "prefilled from the owner's incorporation");
    let gew = gewerbe["publicId"].as_str().unwrap().to_owned();
    let corporate = ok(s, &owner, "create_corporate_tax_registration", json!({})).await;
    let ctr = corporate["publicId"].as_str().unwrap().to_owned();

    let attempts = [
        ("update_incorporation_capital", json!({ "public_id": inc, "share_capital": "30000" })),
        ("add_incorporation_shareholder", json!({ "public_id": inc, "first_name": "Mallory" })),
        ("remove_incorporation_shareholder", json!({ "public_id": inc, "shareholder_public_id": anna })),
        (
            "invite_incorporation_shareholder",
            json!({ "public_id": inc, "shareholder_public_id": anna, "email": "m@example.org" }),
        ),
        ("match_incorporation_notaries", json!({ "public_id": inc })),
        ("get_incorporation_document_preview", json!({ "public_id": inc })),
        ("update_gewerbe_basic", json!({ "public_id": gew, "establishment_type": "branch" })),
        ("get_gewerbe_trade_office", json!({ "public_id": gew })),
        ("update_corporate_company", json!({ "public_id": ctr, "website": "mallory.example" })),
    ];
    for (name, arguments) in attempts {
        let error = refused(s, &other, name, arguments).await;
        assert_eq!(error["status"], 404, "{name}: {error}");
    }
    let borrowed =
        refused(s, &other, "create_gewerbe_registration", json!({ "incorporation_public_id": inc })).await;
    names_field(&borrowed, "incorporation");
    assert_eq!(ok(s, &other, "get_incorporation", json!({})).await["exists"], false);
    assert_eq!(ok(s, &other, "get_corporate_tax_registration", json!({})).await["exists"], false);

    let mine = ok(s, &owner, "get_incorporation", json!({})).await;
    assert_eq!(mine["updatedAt"], with_anna["updatedAt"], "untouched: {mine}");
    assert_eq!(mine["shareholders"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        ok(s, &owner, "get_gewerbe_registration", json!({})).await["establishmentType"],
        "head_office"
    );
    server.stop().await;
}

/// A Norman whose login has no company yet: `GET companies/` lists none, everything else is
/// forwarded to `upstream`. Records each forwarded path with its query.
async fn norman_without_company(
    upstream: url::Url,
) -> (url::Url, Arc<Mutex<Vec<String>>>, tokio::task::JoinHandle<()>) {
    use axum::body::Bytes;
    use axum::http::{HeaderMap, Method, Uri};
    let seen = Arc::new(Mutex::new(Vec::new()));
    let http = reqwest::Client::new();
    let record = Arc::clone(&seen);
    let handle = move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
        let (http, upstream, record) = (http.clone(), upstream.clone(), Arc::clone(&record));
        async move {
            if method == Method::GET && uri.path() == "/api/v1/companies/" {
                let none = json!({ "count": 0, "next": null, "previous": null, "results": [] });
                return axum::Json(none).into_response();
            }
            record.lock().unwrap().push(uri.path_and_query().map_or("/", |p| p.as_str()).to_owned());
            forward(&http, &upstream, method, &uri, &headers, body).await
        }
    };
    let (url, task) = serve_local(axum::Router::new().fallback(handle)).await;
    (url, seen, task)
}

#[tokio::test]
async fn a_founder_without_a_company_can_found_one() {
    let sandbox = norman_sandbox::Sandbox::spawn(norman_sandbox::SandboxConfig::default()).await.unwrap();
    let (url, seen, proxy) = norman_without_company(sandbox.url.clone()).await;
    let server = TestServer::start_with(Options { norman_api_url: Some(url), ..Options::default() }).await;
    let (_, tokens) = full_flow(&server, "norman.read norman.write", 0).await;
    let token = tokens["access_token"].as_str().unwrap();

    let company = refused(&server, token, "get_company_details", json!({})).await;
    assert!(company["error"].as_str().unwrap().contains("no company yet"), "{company}");
    assert_eq!(ok(&server, token, "get_incorporation", json!({})).await["exists"], false);
    let draft = ok(&server, token, "create_incorporation", json!({ "legal_form": "ug" })).await;
    let id = draft["publicId"].as_str().unwrap();
    let gewerbe =
        ok(&server, token, "create_gewerbe_registration", json!({ "incorporation_public_id": id })).await;
    assert_eq!(gewerbe["legalForm"], "ug", "prefilled: {gewerbe}");
    let choices = ok(&server, token, "get_gewerbe_registration_choices", json!({})).await;
    assert!(choices["gender"].is_array());

    let seen = seen.lock().unwrap().clone();
    // Besides the sign-in (login, and the company lookup's question for a tax advisor's clients).
    let founding: Vec<&String> =
        seen.iter().filter(|p| !p.contains("/auth/") && !p.contains("/tax-advisor/clients/")).collect();
    assert_eq!(founding.len(), 3, "{seen:?}");
    assert!(founding.iter().all(|p| !p.contains("companyId")), "no company named: {seen:?}");
    assert!(
        !seen.iter().any(|p| p.contains("/companies/")),
        "the company tool never reached Norman: {seen:?}"
    );
    server.stop().await;
    proxy.abort();
    sandbox.shutdown().await;
}
