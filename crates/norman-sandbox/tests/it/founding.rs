//! The founding workflows of the fake Norman API over real HTTP: incorporation, trade-office
//! registration and corporate tax questionnaire, each from the draft to its last step, the
//! validation errors naming their fields, and ownership (another person's draft is 404).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use norman_sandbox::{DemoUser, SandboxHandle};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};

use crate::support::{self, Api, USER1, USER2, start};

/// A logged-in caller that sends `companyId` on every call, as the Python client does; its
/// paths are below `api/v1/`.
async fn login(handle: &SandboxHandle, user: DemoUser) -> Api {
    let api = support::login(handle, user).await;
    Api { path: |path, cid| format!("api/v1/{path}?companyId={cid}"), ..api }
}

impl Api {
    /// A call that must answer `expected`; returns the body.
    async fn expect(&self, method: Method, path: &str, body: Option<Value>, expected: StatusCode) -> Value {
        let (status, answer) = self.call(method.clone(), path, body).await;
        assert_eq!(status, expected, "{method} {path}: {answer}");
        answer
    }

    async fn ok_post(&self, path: &str, body: Value) -> Value {
        self.expect(Method::POST, path, Some(body), StatusCode::OK).await
    }

    async fn ok_patch(&self, path: &str, body: Value) -> Value {
        self.expect(Method::PATCH, path, Some(body), StatusCode::OK).await
    }

    /// Downloads a presigned link without authentication.
    async fn download(&self, url: &str) -> (String, Vec<u8>) {
        let response = self.http.get(url).send().await.expect("download");
        assert_eq!(response.status(), StatusCode::OK, "{url}");
        let kind = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        (kind, response.bytes().await.expect("bytes").to_vec())
    }
}

/// A 400 whose body names `field`.
fn assert_names(status: StatusCode, body: &Value, field: &str) {
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.get(field).is_some(), "expected an error on {field}: {body}");
}

fn date_in(days: i64) -> String {
    let date = OffsetDateTime::now_utc().date() + Duration::days(days);
    format!("{:04}-{:02}-{:02}", date.year(), u8::from(date.month()), date.day())
}

fn missing(body: &Value, section: &str) -> Vec<String> {
    body["sections"][section]["missing"]
        .as_array()
        .map(|m| m.iter().filter_map(Value::as_str).map(str::to_owned).collect())
        .unwrap_or_default()
}

/// How the PDFs write text beyond ASCII: a hex string of its WinAnsi bytes (Latin-1, € and
/// the en dash).
fn pdf_hex(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '€' => "80".to_owned(),
            '–' => "96".to_owned(),
            c => format!("{:02X}", u32::from(c)),
        })
        .collect()
}

/// Fetches a document's PDF and checks it is one that says `says`.
async fn assert_pdf(api: &Api, document: &Value, says: &str) {
    let url = document["downloadUrl"].as_str().expect("downloadUrl");
    let (kind, bytes) = api.download(url).await;
    assert_eq!(kind, "application/pdf");
    assert!(bytes.starts_with(b"%PDF-") && bytes.trim_ascii_end().ends_with(b"%%EOF"));
    assert!(bytes.len() < 16 * 1024, "a small PDF: {} bytes", bytes.len());
    let text = String::from_utf8_lossy(&bytes);
    let wanted = if says.is_ascii() { format!("({says})") } else { format!("<{}>", pdf_hex(says)) };
    assert!(text.contains(&wanted), "{} does not say {says:?}", document["type"]);
    let preview = STANDARD.decode(document["previewImage"].as_str().expect("previewImage")).expect("base64");
    assert!(preview.starts_with(&[0xFF, 0xD8, 0xFF]), "a JPEG preview");
    assert_eq!(document["previewMimeType"], "image/jpeg");
}

fn natural_person(first: &str, amount: &str, director: bool) -> Value {
    json!({
        "shareholderType": "natural_person", "firstName": first, "lastName": "Beispiel",
        "dob": "1988-04-12", "nationality": "DE", "street": "Invalidenstraße", "houseNumber": "12",
        "postalCode": "10115", "city": "Berlin", "country": "DE",
        "shareNominalAmount": amount, "isManagingDirector": director,
    })
}

/// Creates an incorporation whose company, capital, shareholders and agreement are complete.
async fn complete_incorporation(api: &Api, form: &str, capital: &str) -> Value {
    let created = api
        .expect(Method::POST, "incorporations/", Some(json!({ "legalForm": form })), StatusCode::CREATED)
        .await;
    let id = created["publicId"].as_str().expect("publicId").to_owned();
    api.ok_patch(
        &format!("incorporations/{id}/"),
        json!({
            "companyName": "Kaffeerösterei Spree", "businessPurpose": "die Röstung und der Vertrieb von Kaffee",
            "registeredOfficeCity": "Berlin", "registeredOfficeStreet": "Torstraße",
            "registeredOfficeHouseNumber": "118", "registeredOfficePostalCode": "10119",
            "shareCapital": capital,
        }),
    )
    .await;
    api.expect(
        Method::POST,
        &format!("incorporations/{id}/shareholders/"),
        Some(natural_person("Anna", capital, true)),
        StatusCode::CREATED,
    )
    .await;
    api.ok_patch(&format!("incorporations/{id}/"), json!({ "agreementType": "musterprotokoll" })).await
}

async fn incorporation_from_draft_to_completed(api: &Api, form: &str, capital: i64) {
    let (status, _) = api.get("incorporations/my/").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "no incorporation yet");

    let created = api
        .expect(
            Method::POST,
            "incorporations/",
            Some(json!({ "legalForm": form, "locale": "de", "source": "norman_agent" })),
            StatusCode::CREATED,
        )
        .await;
    let id = created["publicId"].as_str().expect("publicId").to_owned();
    let path = |rest: &str| format!("incorporations/{id}/{rest}");
    assert_eq!(created["status"], "data_collection");
    assert_eq!(created["source"], "norman_agent");
    assert_eq!(created["roadmap"].as_array().map(Vec::len), Some(7));
    assert_eq!(
        created["roadmap"][0],
        json!({ "step": "notary", "label": "Notartermin wahrnehmen", "done": false, "active": false, "doneAt": null })
    );
    let (status, again) = api.post("incorporations/", json!({ "legalForm": form })).await;
    assert_names(status, &again, "non_field_errors");
    assert_eq!(
        api.expect(Method::GET, "incorporations/my/", None, StatusCode::OK).await["publicId"],
        id.as_str()
    );

    // Company: the legal form's suffix is appended to the name.
    let record = api
        .ok_patch(
            &path(""),
            json!({
                "companyName": "Kaffeerösterei Spree", "registeredOfficeCity": "Berlin",
                "registeredOfficeStreet": "Torstraße", "registeredOfficeHouseNumber": "118",
                "registeredOfficePostalCode": "10119", "businessAddressCity": "Berlin",
            }),
        )
        .await;
    let suffix = if form == "ug" { "UG (haftungsbeschränkt)" } else { "GmbH" };
    assert_eq!(record["companyName"], format!("Kaffeerösterei Spree {suffix}"));
    assert_eq!(missing(&record, "company"), ["businessPurpose"]);
    let suggestion =
        api.ok_post(&path("suggest-purpose/"), json!({ "draft": "Röstung und Vertrieb von Kaffee" })).await;
    let purpose = suggestion["suggestion"].as_str().expect("suggestion").to_owned();
    assert!(purpose.contains("Röstung und Vertrieb von Kaffee"), "{purpose}");
    let record = api.ok_patch(&path(""), json!({ "businessPurpose": purpose })).await;
    assert_eq!(record["sections"]["company"], json!({ "complete": true, "missing": [] }));

    // The name check, by default of the draft's name, and of a taken one.
    let check = api.ok_post(&path("check-name/"), json!({})).await;
    assert_eq!(check["status"], "ok");
    assert_eq!(check["searched"], format!("Kaffeerösterei Spree {suffix}"));
    let taken = api.ok_post(&path("check-name/"), json!({ "name": "Nordlicht Software UG" })).await;
    assert_eq!(taken["status"], "unavailable");
    assert!(
        taken["matches"]
            .as_array()
            .is_some_and(|m| m.iter().any(|m| m["register"].as_str().is_some_and(|r| r.contains("HRB"))))
    );

    // Capital and shareholders: three, then one leaves and the rest are renumbered.
    let half = (capital / 2).to_string();
    api.ok_patch(&path(""), json!({ "shareCapital": capital.to_string() })).await;
    let record = api
        .expect(
            Method::POST,
            &path("shareholders/"),
            Some(natural_person("Anna", &half, true)),
            StatusCode::CREATED,
        )
        .await;
    assert_eq!(missing(&record, "capital"), ["shareNominalSum"]);
    let record = api
        .expect(
            Method::POST,
            &path("shareholders/"),
            Some(json!({ "firstName": "Ben" })),
            StatusCode::CREATED,
        )
        .await;
    let ben = record["shareholders"][1]["publicId"].as_str().expect("ben").to_owned();
    assert_eq!(record["shareholders"][1]["number"], 2);
    assert!(missing(&record, "shareholders").contains(&"shareholders[1].dob".to_owned()));
    let record = api
        .expect(
            Method::POST,
            &path("shareholders/"),
            Some(json!({ "shareholderType": "legal_entity", "entityName": "Beteiligungs GmbH" })),
            StatusCode::CREATED,
        )
        .await;
    let third = record["shareholders"][2]["publicId"].as_str().expect("third").to_owned();
    let record = api
        .ok_patch(&path(&format!("shareholders/{ben}/")), {
            let mut ben = natural_person("Ben", &(capital - capital / 2).to_string(), true);
            ben["email"] = json!("ben@example.com");
            ben
        })
        .await;
    assert_eq!(record["shareholders"][0]["isManagingDirector"], false, "one managing director");
    assert_eq!(record["shareholders"][1]["isManagingDirector"], true);
    let record = api.ok_post(&path(&format!("shareholders/{ben}/invite/")), json!({})).await;
    assert_eq!(record["shareholders"][1]["invitation"]["email"], "ben@example.com");
    assert_eq!(record["shareholders"][1]["invitation"]["expiresOn"], date_in(30));
    let record =
        api.expect(Method::DELETE, &path(&format!("shareholders/{third}/")), None, StatusCode::OK).await;
    assert_eq!(record["shareholders"].as_array().map(Vec::len), Some(2));
    assert_eq!(record["shareholders"][1]["number"], 2);
    assert_eq!(record["sections"]["shareholders"]["complete"], true, "{}", record["sections"]);
    assert_eq!(record["sections"]["capital"]["complete"], true, "{}", record["sections"]);
    assert_eq!(record["musterprotokoll"], json!({ "eligible": true, "reasons": [] }));

    // Agreement and notary preferences: the data are complete.
    let record = api.ok_patch(&path(""), json!({ "agreementType": "musterprotokoll" })).await;
    assert_eq!(record["status"], "data_complete");
    let record = api
        .ok_patch(&path(""), json!({ "notaryCity": "Berlin", "notarizationType": "in_person", "notarizationTimeframe": "within_2_weeks" }))
        .await;
    assert_eq!(record["sections"]["notary"]["complete"], true);

    // Documents: the Musterprotokoll and the shareholder list, as PDFs with previews.
    let (status, none) = api.get(&path("documents/")).await;
    assert_eq!((status, &none["documents"]), (StatusCode::OK, &json!([])));
    let generated = api.expect(Method::POST, &path("documents/"), Some(json!({})), StatusCode::CREATED).await;
    let documents = generated["documents"].as_array().expect("documents");
    let types: Vec<&str> = documents.iter().filter_map(|d| d["type"].as_str()).collect();
    assert_eq!(types, ["musterprotokoll", "gesellschafterliste"]);
    assert_pdf(
        api,
        &documents[0],
        &format!(
            "3. Das Stammkapital der Gesellschaft beträgt {} und wird wie folgt übernommen:",
            euro(capital)
        ),
    )
    .await;
    assert_pdf(api, &documents[1], &format!("Summe der Nennbeträge: {}", euro(capital))).await;
    let listed = api.expect(Method::GET, &path("documents/"), None, StatusCode::OK).await;
    assert_eq!(listed["documents"][1]["downloadUrl"], documents[1]["downloadUrl"]);
    let record = api.expect(Method::GET, &path(""), None, StatusCode::OK).await;
    assert_eq!(record["status"], "documents_generated");
    assert_eq!(record["documentsStale"], false);
    assert!(
        record["documents"][0].get("previewImage").is_none(),
        "the record lists documents without previews"
    );

    // Notaries: at most three, in Berlin; first Norman is asked to find one, then one is chosen.
    let (status, matches) = api.get(&path("notary-matches/")).await;
    assert_eq!(status, StatusCode::OK);
    let matches = matches.as_array().expect("a bare list");
    assert!(!matches.is_empty() && matches.len() <= 3);
    assert!(
        matches.iter().all(|n| n["city"] == "Berlin" && n["earliestAppointmentDays"].as_u64() <= Some(14))
    );
    let record = api.ok_post(&path("request-notary/"), json!({ "message": "Bitte vormittags." })).await;
    assert_eq!(record["status"], "notary_requested");
    let (status, locked) = api.patch(&path(""), json!({ "companyName": "Anders" })).await;
    assert_names(status, &locked, "non_field_errors");
    let record =
        api.ok_post(&path("request-notary/"), json!({ "notaryPublicId": matches[0]["publicId"] })).await;
    assert_eq!(record["status"], "handed_off");
    assert_eq!(record["notary"]["publicId"], matches[0]["publicId"]);
    assert_eq!(record["notaryMessage"], "Bitte vormittags.");
    assert_eq!(record["roadmap"][0]["active"], true);

    // The roadmap after the hand-off, to the end.
    let steps = [
        ("notary", json!({}), "notarized"),
        ("bank_account", json!({}), "notarized"),
        ("deposit", json!({}), "capital_deposited"),
        (
            "hrb",
            json!({ "registerNumber": "HRB 260001 B", "registerCourt": "Amtsgericht Charlottenburg" }),
            "registered",
        ),
        ("finanzamt", json!({}), "registered"),
        ("gewerbeamt", json!({}), "registered"),
        ("transparency", json!({}), "completed"),
    ];
    for (step, extra, expected) in steps {
        let mut body = json!({ "step": step, "done": true });
        body.as_object_mut().expect("object").extend(extra.as_object().cloned().unwrap_or_default());
        let record = api.ok_post(&path("formation-step/"), body).await;
        assert_eq!(record["status"], expected, "after {step}");
    }
    let record = api.expect(Method::GET, "incorporations/my/", None, StatusCode::OK).await;
    assert_eq!(record["registerNumber"], "HRB 260001 B");
    assert!(
        record["roadmap"]
            .as_array()
            .is_some_and(|r| r.iter().all(|s| s["done"] == true && s["active"] == false))
    );
}

fn euro(n: i64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    format!("{out} €")
}

#[tokio::test]
async fn incorporation_runs_from_draft_to_completed_for_every_demo_user() {
    let handle = start().await;
    let first = login(&handle, USER1).await;
    let second = login(&handle, USER2).await;
    incorporation_from_draft_to_completed(&first, "ug", 1_000).await;
    incorporation_from_draft_to_completed(&second, "gmbh", 25_000).await;
    handle.shutdown().await;
}

#[tokio::test]
async fn incorporation_validation_errors_name_the_field() {
    let handle = start().await;
    let api = login(&handle, USER1).await;
    let created = api.expect(Method::POST, "incorporations/", Some(json!({})), StatusCode::CREATED).await;
    let id = created["publicId"].as_str().expect("publicId").to_owned();
    let path = |rest: &str| format!("incorporations/{id}/{rest}");

    // Nothing yet: the documents name everything missing, the shareholder first among them.
    assert_eq!(missing(&created, "shareholders"), ["shareholders"]);
    let (status, refused) = api.post(&path("documents/"), json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let listed: Vec<&str> =
        refused["missing"].as_array().expect("missing").iter().filter_map(Value::as_str).collect();
    for field in ["legalForm", "companyName", "shareholders", "shareCapital", "agreementType"] {
        assert!(listed.contains(&field), "{field} in {listed:?}");
    }

    // Values outside the choices, and capital below the legal form's minimum.
    for (body, field) in [
        (json!({ "legalForm": "ag" }), "legalForm"),
        (json!({ "agreementType": "handschlag" }), "agreementType"),
        (json!({ "notarizationType": "video" }), "notarizationType"),
        (json!({ "notarizationTimeframe": "tomorrow" }), "notarizationTimeframe"),
        (json!({ "registeredOfficePostalCode": "1011" }), "registeredOfficePostalCode"),
        (json!({ "shareCapital": "25.000" }), "shareCapital"),
        (json!({ "legalForm": "gmbh", "shareCapital": "24999" }), "shareCapital"),
        (json!({ "legalForm": "ug", "shareCapital": "25000" }), "shareCapital"),
        (json!({ "legalForm": "ug", "shareCapital": "0" }), "shareCapital"),
    ] {
        let (status, answer) = api.patch(&path(""), body.clone()).await;
        assert_names(status, &answer, field);
    }
    let record = api.ok_patch(&path(""), json!({ "legalForm": "gmbh", "shareCapital": "25000" })).await;
    assert_eq!(record["legalForm"], "gmbh", "a refused PATCH changed nothing before");
    let (status, answer) = api.patch(&path(""), json!({ "shareCapital": "12500" })).await;
    assert_names(status, &answer, "shareCapital");
    assert!(answer["shareCapital"][0].as_str().is_some_and(|m| m.contains("25000")), "{answer}");
    // Switching to a UG leaves the capital above its maximum: the section says so.
    let record = api.ok_patch(&path(""), json!({ "legalForm": "ug" })).await;
    assert_eq!(missing(&record, "capital"), ["shareCapital"]);
    let record = api.ok_patch(&path(""), json!({ "shareCapital": "1000" })).await;
    assert_eq!(record["sections"]["capital"]["complete"], true);

    // Shareholders: the nominal amounts must add up to the capital.
    for (body, field) in [
        (json!({ "shareholderType": "robot" }), "shareholderType"),
        (json!({ "dob": date_in(1) }), "dob"),
        (json!({ "nationality": "Deutsch" }), "nationality"),
        (json!({ "shareNominalAmount": "0" }), "shareNominalAmount"),
        (json!({ "email": "not-an-email" }), "email"),
        (json!({ "shareholderType": "legal_entity", "isManagingDirector": true }), "isManagingDirector"),
    ] {
        let (status, answer) = api.post(&path("shareholders/"), body).await;
        assert_names(status, &answer, field);
    }
    let record = api
        .expect(
            Method::POST,
            &path("shareholders/"),
            Some(natural_person("Anna", "600", true)),
            StatusCode::CREATED,
        )
        .await;
    assert_eq!(missing(&record, "capital"), ["shareNominalSum"]);
    let anna = record["shareholders"][0]["publicId"].as_str().expect("anna").to_owned();
    let record =
        api.ok_patch(&path(&format!("shareholders/{anna}/")), json!({ "shareNominalAmount": "1000" })).await;
    assert_eq!(record["sections"]["capital"]["complete"], true);

    // Invitations: natural persons only, and only with an address.
    let record = api
        .expect(
            Method::POST,
            &path("shareholders/"),
            Some(json!({ "shareholderType": "legal_entity" })),
            StatusCode::CREATED,
        )
        .await;
    let entity = record["shareholders"][1]["publicId"].as_str().expect("entity").to_owned();
    let (status, answer) =
        api.post(&path(&format!("shareholders/{entity}/invite/")), json!({ "email": "x@example.com" })).await;
    assert_names(status, &answer, "shareholderType");
    let (status, answer) = api.post(&path(&format!("shareholders/{anna}/invite/")), json!({})).await;
    assert_names(status, &answer, "email");

    // The Musterprotokoll: at most three shareholders.
    for name in ["Ben", "Cem"] {
        api.expect(
            Method::POST,
            &path("shareholders/"),
            Some(json!({ "firstName": name })),
            StatusCode::CREATED,
        )
        .await;
    }
    let (status, answer) = api.patch(&path(""), json!({ "agreementType": "musterprotokoll" })).await;
    assert_names(status, &answer, "agreementType");
    let record = api.expect(Method::GET, &path(""), None, StatusCode::OK).await;
    assert_eq!(record["musterprotokoll"], json!({ "eligible": false, "reasons": ["too_many_shareholders"] }));
    let record =
        api.expect(Method::DELETE, &path(&format!("shareholders/{entity}/")), None, StatusCode::OK).await;
    assert_eq!(record["musterprotokoll"]["eligible"], true);
    api.ok_patch(&path(""), json!({ "agreementType": "musterprotokoll" })).await;
    let record = api
        .expect(
            Method::POST,
            &path("shareholders/"),
            Some(json!({ "firstName": "Dana" })),
            StatusCode::CREATED,
        )
        .await;
    assert!(missing(&record, "agreement").contains(&"agreementType".to_owned()), "no longer eligible");

    // A name to check is needed, and a draft to suggest from.
    let (status, answer) = api.post(&path("check-name/"), json!({})).await;
    assert_names(status, &answer, "name");
    let (status, answer) = api.post(&path("suggest-purpose/"), json!({ "draft": " " })).await;
    assert_names(status, &answer, "draft");
    handle.shutdown().await;
}

#[tokio::test]
async fn the_notary_and_the_formation_steps_keep_their_order() {
    let handle = start().await;
    let api = login(&handle, USER2).await;
    let record = complete_incorporation(&api, "gmbh", "25000").await;
    assert_eq!(record["status"], "data_complete", "{}", record["sections"]);
    let id = record["publicId"].as_str().expect("publicId").to_owned();
    let path = |rest: &str| format!("incorporations/{id}/{rest}");

    // No notary before documents; stale documents must be generated again.
    let (status, answer) = api.post(&path("request-notary/"), json!({})).await;
    assert_names(status, &answer, "non_field_errors");
    api.expect(Method::POST, &path("documents/"), Some(json!({})), StatusCode::CREATED).await;
    let record = api.ok_patch(&path(""), json!({ "businessPurpose": "der Handel mit Kaffee" })).await;
    assert_eq!((&record["documentsStale"], &record["status"]), (&json!(true), &json!("data_complete")));
    let (status, answer) = api.post(&path("request-notary/"), json!({ "notaryPublicId": "x" })).await;
    assert_names(status, &answer, "non_field_errors");
    let (status, regenerated) = api.post(&path("documents/"), json!({})).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(regenerated["documentsStale"], false);

    // Notary not chosen: no notaryPublicId and no preferences.
    let (status, answer) = api.post(&path("request-notary/"), json!({})).await;
    assert_names(status, &answer, "notaryPublicId");
    let (status, answer) =
        api.post(&path("request-notary/"), json!({ "notaryPublicId": "ntr_nobody" })).await;
    assert_names(status, &answer, "notaryPublicId");
    let (status, answer) = api.post(&path("formation-step/"), json!({ "step": "notary" })).await;
    assert_names(status, &answer, "step");

    api.ok_patch(&path(""), json!({ "notarizationType": "online", "notarizationTimeframe": "flexible" }))
        .await;
    let (_, matches) = api.get(&path("notary-matches/")).await;
    assert!(
        matches.as_array().is_some_and(|m| !m.is_empty()
            && m.len() <= 3
            && m.iter().all(|n| n["onlineNotarization"] == true))
    );
    let record =
        api.ok_post(&path("request-notary/"), json!({ "notaryPublicId": matches[0]["publicId"] })).await;
    assert_eq!(record["status"], "handed_off");
    let (status, answer) = api.patch(&path(""), json!({ "notaryCity": "Köln" })).await;
    assert_names(status, &answer, "non_field_errors");
    let (status, answer) =
        api.post(&path("request-notary/"), json!({ "notaryPublicId": matches[0]["publicId"] })).await;
    assert_names(status, &answer, "non_field_errors");

    // Formation steps: a known step, in order, the register only with hrb.
    for (body, field) in [
        (json!({}), "step"),
        (json!({ "step": "moon" }), "step"),
        (json!({ "step": "deposit" }), "step"),
        (json!({ "step": "notary", "registerNumber": "HRB 1" }), "registerNumber"),
    ] {
        let (status, answer) = api.post(&path("formation-step/"), body).await;
        assert_names(status, &answer, field);
    }
    api.ok_post(&path("formation-step/"), json!({ "step": "notary" })).await;
    api.ok_post(&path("formation-step/"), json!({ "step": "bank_account" })).await;
    let (status, answer) =
        api.post(&path("formation-step/"), json!({ "step": "notary", "done": false })).await;
    assert_names(status, &answer, "step");
    api.ok_post(&path("formation-step/"), json!({ "step": "deposit" })).await;
    let (status, answer) = api.post(&path("formation-step/"), json!({ "step": "hrb" })).await;
    assert_names(status, &answer, "registerNumber");
    assert_names(status, &answer, "registerCourt");
    let record = api.ok_post(&path("formation-step/"), json!({ "step": "deposit", "done": false })).await;
    assert_eq!(record["status"], "notarized", "the last step can be undone");
    handle.shutdown().await;
}

#[tokio::test]
async fn gewerbe_registration_runs_from_draft_to_the_generated_form() {
    let handle = start().await;
    let api = login(&handle, USER1).await;
    let (status, _) = api.get("gewerbe-registrations/my/").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // From the incorporation: the company is the business, its managing director the owner.
    let incorporation = complete_incorporation(&api, "ug", "1000").await;
    let created = api
        .expect(
            Method::POST,
            "gewerbe-registrations/",
            Some(json!({ "incorporation": incorporation["publicId"], "source": "norman_agent" })),
            StatusCode::CREATED,
        )
        .await;
    let id = created["publicId"].as_str().expect("publicId").to_owned();
    let path = |rest: &str| format!("gewerbe-registrations/{id}/{rest}");
    assert_eq!(created["status"], "data_collection");
    assert_eq!(created["legalForm"], "ug");
    assert_eq!(created["registeredName"], incorporation["companyName"]);
    assert_eq!(created["businessPostalCode"], "10119");
    assert_eq!(created["ownerFirstNames"], "Anna");
    assert_eq!(created["documents"], json!([]));
    let (status, again) = api.post("gewerbe-registrations/", json!({})).await;
    assert_names(status, &again, "non_field_errors");

    // The trade office by the business postcode.
    let office = api.expect(Method::GET, &path("trade-office/"), None, StatusCode::OK).await;
    assert_eq!(office["office"]["name"], "Bezirksamt Mitte von Berlin");
    assert_eq!(office["office"]["postalCode"], "10178");
    assert!(office["office"].get("servedPostalCodes").is_none());

    // The form is refused while a section is incomplete.
    let (status, refused) = api.post(&path("documents/"), json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let listed: Vec<&str> =
        refused["missing"].as_array().expect("missing").iter().filter_map(Value::as_str).collect();
    for field in ["activityStartDate", "businessType", "ownerGender", "ownerPlaceOfBirth"] {
        assert!(listed.contains(&field), "{field} in {listed:?}");
    }

    let suggestion =
        api.ok_post(&path("suggest-activity/"), json!({ "draft": "röstung und verkauf von kaffee" })).await;
    assert_eq!(
        suggestion["suggestion"],
        "Röstung und verkauf von kaffee (ohne erlaubnispflichtige Tätigkeiten)"
    );
    let record = api
        .ok_patch(&path(""), json!({ "activityStartDate": date_in(7), "establishmentType": "head_office" }))
        .await;
    assert_eq!(record["sections"]["basic"]["complete"], true);
    let record = api
        .ok_patch(
            &path(""),
            json!({
                "businessType": ["trade", "craft"], "activityDescription": suggestion["suggestion"],
                "businessEmail": "info@example.com", "licenseRequired": false, "hasEmployees": true,
                "employeesFullTime": 2, "employeesPartTime": 1, "publicSectorParticipation": false,
            }),
        )
        .await;
    assert_eq!(record["sections"]["business"]["complete"], true, "{}", record["sections"]);
    let record = api
        .ok_patch(
            &path(""),
            json!({
                "ownerPlaceOfBirth": "Hamburg", "ownerCountryOfBirth": "DE", "ownerGender": "female",
                "activityType": "main",
            }),
        )
        .await;
    assert_eq!(record["status"], "data_complete", "{}", record["sections"]);

    let generated = api.expect(Method::POST, &path("documents/"), Some(json!({})), StatusCode::CREATED).await;
    assert_eq!(generated["documents"].as_array().map(Vec::len), Some(1));
    assert_eq!(generated["documents"][0]["type"], "gewa1");
    assert_pdf(&api, &generated["documents"][0], "Beschäftigte: ja – Vollzeit: 2 – Teilzeit: 1").await;
    let record = api.expect(Method::GET, "gewerbe-registrations/my/", None, StatusCode::OK).await;
    assert_eq!(record["status"], "documents_generated");
    assert_eq!(record["documents"].as_array().map(Vec::len), Some(1), "a non-empty list: the form exists");
    let listed = api.expect(Method::GET, &path("documents/"), None, StatusCode::OK).await;
    assert!(listed["documents"][0]["previewImage"].as_str().is_some_and(|p| !p.is_empty()));

    // Other postcodes, other offices; an unknown one has none.
    for (code, city) in [("80331", json!("München")), ("20095", json!("Hamburg")), ("01067", Value::Null)] {
        let record = api.ok_patch(&path(""), json!({ "businessPostalCode": code })).await;
        assert_eq!(record["documentsStale"], true);
        let office = api.expect(Method::GET, &path("trade-office/"), None, StatusCode::OK).await;
        if city.is_null() {
            assert_eq!(office, json!({ "office": null }));
        } else {
            assert_eq!(office["office"]["city"], city);
        }
    }
    handle.shutdown().await;
}

#[tokio::test]
async fn gewerbe_validation_errors_name_the_field() {
    let handle = start().await;
    let api = login(&handle, USER2).await;
    let other = login(&handle, USER1).await;
    let foreign = complete_incorporation(&other, "ug", "1000").await;
    let (status, answer) =
        api.post("gewerbe-registrations/", json!({ "incorporation": foreign["publicId"] })).await;
    assert_names(status, &answer, "incorporation");
    let (status, _) = api.get("gewerbe-registrations/my/").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "the refused create made nothing");

    let created =
        api.expect(Method::POST, "gewerbe-registrations/", Some(json!({})), StatusCode::CREATED).await;
    assert_eq!(created["incorporation"], Value::Null);
    let path = format!("gewerbe-registrations/{}/", created["publicId"].as_str().expect("id"));
    for (body, field) in [
        (json!({ "activityStartDate": date_in(15) }), "activityStartDate"),
        (json!({ "activityStartDate": "15.01.2027" }), "activityStartDate"),
        (json!({ "establishmentType": "kiosk" }), "establishmentType"),
        (json!({ "legalForm": "limited" }), "legalForm"),
        (json!({ "businessType": ["trade", "farming"] }), "businessType"),
        (json!({ "businessType": "trade" }), "businessType"),
        (json!({ "businessPostalCode": "ABCDE" }), "businessPostalCode"),
        (json!({ "ownerGender": "x" }), "ownerGender"),
        (json!({ "activityType": "hobby" }), "activityType"),
        (json!({ "ownerResidenceType": "mars" }), "ownerResidenceType"),
        (
            json!({ "ownerResidenceType": "inland", "ownerResidencePostalCode": "SW1A 1AA" }),
            "ownerResidencePostalCode",
        ),
        (json!({ "employeesFullTime": -1 }), "employeesFullTime"),
        (json!({ "ownerDob": date_in(2) }), "ownerDob"),
        (json!({ "businessEmail": "nope" }), "businessEmail"),
    ] {
        let (status, answer) = api.patch(&path, body).await;
        assert_names(status, &answer, field);
    }
    let record = api.ok_patch(&path, json!({ "activityStartDate": date_in(14), "ownerResidenceType": "ausland", "ownerResidencePostalCode": "SW1A 1AA" })).await;
    assert_eq!(record["activityStartDate"], date_in(14));
    let record = api.ok_patch(&path, json!({ "licenseRequired": true, "legalForm": "gmbh" })).await;
    let business = missing(&record, "business");
    for field in ["registeredName", "licenseAuthority", "licenseIssueDate"] {
        assert!(business.contains(&field.to_owned()), "{field} in {business:?}");
    }
    let (status, answer) = api.post(&format!("{path}suggest-activity/"), json!({})).await;
    assert_names(status, &answer, "draft");
    handle.shutdown().await;
}

fn person(first: &str) -> Value {
    json!({
        "salutation": "2", "firstName": first, "lastName": "Beispiel", "dob": "1988-04-12",
        "taxId": "12345678901", "street": "Invalidenstraße", "houseNumber": "12",
        "postalCode": "10115", "city": "Berlin", "country": "DE",
    })
}

#[tokio::test]
async fn corporate_tax_registration_runs_to_data_complete_and_the_submission() {
    let handle = start().await;
    let api = login(&handle, USER1).await;
    let (status, _) = api.get("corporate-tax-registrations/my/").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // From the incorporation: company, capital, people.
    let incorporation = complete_incorporation(&api, "ug", "1000").await;
    let created = api
        .expect(
            Method::POST,
            "corporate-tax-registrations/",
            Some(json!({ "incorporation": incorporation["publicId"], "source": "norman_agent" })),
            StatusCode::CREATED,
        )
        .await;
    let id = created["publicId"].as_str().expect("publicId").to_owned();
    let path = format!("corporate-tax-registrations/{id}/");
    assert_eq!(created["status"], "data_collection");
    assert_eq!(created["reportUrl"], Value::Null);
    assert_eq!(created["companyName"], incorporation["companyName"]);
    assert_eq!(created["shareCapital"], "1000");
    assert_eq!(created["representatives"][0]["firstName"], "Anna");
    assert_eq!(created["shareholderEntries"][0]["sharePercent"], 100.0);
    assert_eq!(created["shareholderEntries"][0]["shareholderType"], "natural");
    let (status, again) = api.post("corporate-tax-registrations/", json!({})).await;
    assert_names(status, &again, "non_field_errors");

    let record = api
        .ok_patch(
            &path,
            json!({
                "managementAddressSame": true, "email": "info@example.com", "taxOffice": "1130",
                "notaryContractDate": date_in(-10), "hrApplicationFiled": true, "hrApplicationDate": date_in(-9),
                "hrRegistered": false,
            }),
        )
        .await;
    assert_eq!(record["sections"]["company"]["complete"], true, "{}", record["sections"]);
    assert_eq!(record["sections"]["registration"]["complete"], true, "{}", record["sections"]);
    let mut anna = person("Anna");
    anna["email"] = json!("anna@example.com");
    let mut share = person("Anna");
    share.as_object_mut().expect("object").extend(
        json!({ "shareholderType": "natural", "shareNominalAmount": "600", "sharePercent": 60 })
            .as_object()
            .cloned()
            .unwrap_or_default(),
    );
    let mut partner = person("Ben");
    partner["salutation"] = json!("1");
    partner.as_object_mut().expect("object").extend(
        json!({ "shareholderType": "natural", "shareNominalAmount": "400", "sharePercent": 40 })
            .as_object()
            .cloned()
            .unwrap_or_default(),
    );
    let record = api
        .ok_patch(&path, json!({ "representatives": [anna], "shareholderEntries": [share, partner] }))
        .await;
    assert_eq!(record["sections"]["representatives"]["complete"], true, "{}", record["sections"]);
    assert_eq!(record["sections"]["shareholders"]["complete"], true, "{}", record["sections"]);
    assert_eq!(record["shareholderEntries"].as_array().map(Vec::len), Some(2), "replace-all");
    let record = api
        .ok_patch(
            &path,
            json!({
                "businessStartDate": date_in(5), "divergentFiscalYear": false,
                "expectedProfitFoundingYear": -2000, "expectedProfitFollowingYear": 15000,
            }),
        )
        .await;
    assert_eq!(record["sections"]["financials"]["complete"], true, "{}", record["sections"]);
    let record = api
        .ok_patch(
            &path,
            json!({
                "expectedRevenueFoundingYear": 40000, "expectedRevenueFollowingYear": 90000,
                "isKleinunternehmer": false, "estimatedVatAmountFoundingYear": 3000, "taxationMethod": "ist",
                "requestVatId": true, "bankIban": "DE89 3704 0044 0532 0130 00", "bankAccountHolderRole": 1,
            }),
        )
        .await;
    assert_eq!(record["bankIban"], "DE89370400440532013000");
    assert_eq!(record["status"], "data_complete", "{}", record["sections"]);
    assert!(
        record["sections"]
            .as_object()
            .is_some_and(|s| s.len() == 6 && s.values().all(|s| s["missing"] == json!([])))
    );
    assert_eq!(record["reportUrl"], Value::Null);

    // The web app's submission: filed, the protocol behind reportUrl, no more changes.
    let record = api.ok_post(&format!("{path}submit/"), json!({})).await;
    assert_eq!(record["status"], "submitted");
    let url = record["reportUrl"].as_str().expect("reportUrl");
    let (kind, bytes) = api.download(url).await;
    assert_eq!(kind, "application/pdf");
    assert!(String::from_utf8_lossy(&bytes).contains("(Finanzamt (Bundesfinanzamtsnummer): 1130)"));
    let (status, answer) = api.patch(&path, json!({ "phone": "030 1234" })).await;
    assert_names(status, &answer, "non_field_errors");
    let (status, answer) = api.post(&format!("{path}submit/"), json!({})).await;
    assert_names(status, &answer, "non_field_errors");
    handle.shutdown().await;
}

#[tokio::test]
async fn corporate_tax_validation_errors_name_the_field() {
    let handle = start().await;
    let api = login(&handle, USER2).await;
    let created =
        api.expect(Method::POST, "corporate-tax-registrations/", Some(json!({})), StatusCode::CREATED).await;
    let path = format!("corporate-tax-registrations/{}/", created["publicId"].as_str().expect("id"));
    let (status, refused) = api.post(&format!("{path}submit/"), json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        refused["missing"].as_array().is_some_and(|m| m.contains(&json!("representatives"))),
        "{refused}"
    );

    let mut share = person("Anna");
    share.as_object_mut().expect("object").extend(
        json!({ "shareholderType": "natural", "shareNominalAmount": "500", "sharePercent": 50 })
            .as_object()
            .cloned()
            .unwrap_or_default(),
    );
    let mut bad_share = share.clone();
    bad_share["sharePercent"] = json!(40);
    let mut too_old = person("Ben");
    too_old["dob"] = json!(date_in(1));
    let many: Vec<Value> = (0..10).map(|n| person(&format!("P{n}"))).collect();
    for (body, field) in [
        (json!({ "legalForm": "ag" }), "legalForm"),
        (json!({ "legalForm": "gmbh", "shareCapital": "100" }), "shareCapital"),
        (json!({ "taxOffice": "12" }), "taxOffice"),
        (json!({ "businessPostalCode": "123" }), "businessPostalCode"),
        (json!({ "taxationMethod": "monthly" }), "taxationMethod"),
        (json!({ "bankIban": "DE89370400440532013001" }), "bankIban"),
        (json!({ "bankAccountHolderRole": 5 }), "bankAccountHolderRole"),
        (json!({ "isKleinunternehmer": true, "expectedRevenueFoundingYear": 50000 }), "isKleinunternehmer"),
        (json!({ "expectedRevenueFoundingYear": -1 }), "expectedRevenueFoundingYear"),
        (json!({ "shareholderEntries": [share.clone(), bad_share] }), "shareholderEntries"),
        (json!({ "representatives": many }), "representatives"),
        (json!({ "representatives": "Anna" }), "representatives"),
    ] {
        let (status, answer) = api.patch(&path, body.clone()).await;
        assert_names(status, &answer, field);
    }
    let (status, answer) = api.patch(&path, json!({ "representatives": [person("Anna"), too_old] })).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(answer["representatives"][0], json!({}));
    assert!(answer["representatives"][1]["dob"].is_array(), "the item's field is named: {answer}");

    // The small-business rule holds when the revenue changes later, too.
    api.ok_patch(&path, json!({ "isKleinunternehmer": true, "expectedRevenueFoundingYear": 20000 })).await;
    let (status, answer) = api.patch(&path, json!({ "expectedRevenueFoundingYear": 30000 })).await;
    assert_names(status, &answer, "isKleinunternehmer");
    let mut sole = share;
    sole["sharePercent"] = json!(100);
    let record = api.ok_patch(&path, json!({ "shareCapital": "1000", "shareholderEntries": [sole] })).await;
    assert!(missing(&record, "shareholders").contains(&"shareNominalSum".to_owned()), "500 of 1000");
    let record = api.ok_patch(&path, json!({ "legalForm": "gmbh" })).await;
    assert!(
        missing(&record, "financials").contains(&"shareCapital".to_owned()),
        "1000 € is too little for a GmbH"
    );
    handle.shutdown().await;
}

#[tokio::test]
async fn choices_are_bare_lists_with_german_labels() {
    let handle = start().await;
    let api = login(&handle, USER1).await;
    for (kind, values) in [
        ("legal-forms", &["gmbh", "ug"][..]),
        ("shareholder-types", &["natural_person", "legal_entity"]),
        ("agreement-types", &["musterprotokoll", "individual"]),
        ("notarization-types", &["online", "in_person"]),
        ("notarization-timeframes", &["within_7_days", "within_2_weeks", "flexible"]),
    ] {
        let list = api.expect(Method::GET, &format!("choices/{kind}/"), None, StatusCode::OK).await;
        let list = list.as_array().unwrap_or_else(|| panic!("{kind}: a bare list"));
        let got: Vec<&str> = list.iter().filter_map(|c| c["value"].as_str()).collect();
        assert_eq!(got, values, "{kind}");
        assert!(list.iter().all(|c| c.as_object().is_some_and(|c| c.len() == 2) && c["label"].is_string()));
    }
    let forms = api.expect(Method::GET, "choices/legal-forms/", None, StatusCode::OK).await;
    assert_eq!(forms[0]["label"], "Gesellschaft mit beschränkter Haftung (GmbH)");
    for unknown in ["genders", "formation-steps", "nope"] {
        let (status, _) = api.get(&format!("choices/{unknown}/")).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{unknown}");
    }
    handle.shutdown().await;
}

#[tokio::test]
async fn another_persons_drafts_are_not_found() {
    let handle = start().await;
    let owner = login(&handle, USER1).await;
    let stranger = login(&handle, USER2).await;
    let incorporation = complete_incorporation(&owner, "ug", "1000").await;
    let inc = incorporation["publicId"].as_str().expect("inc").to_owned();
    let sid = incorporation["shareholders"][0]["publicId"].as_str().expect("sid").to_owned();
    let gewerbe =
        owner.expect(Method::POST, "gewerbe-registrations/", Some(json!({})), StatusCode::CREATED).await;
    let gew = gewerbe["publicId"].as_str().expect("gew").to_owned();
    let tax = owner
        .expect(Method::POST, "corporate-tax-registrations/", Some(json!({})), StatusCode::CREATED)
        .await;
    let ctr = tax["publicId"].as_str().expect("ctr").to_owned();

    // Each person has their own my/.
    for kind in ["incorporations", "gewerbe-registrations", "corporate-tax-registrations"] {
        let (status, _) = stranger.get(&format!("{kind}/my/")).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{kind}/my/ of someone without one");
    }

    let body = Some(json!({ "step": "notary", "name": "X", "draft": "x", "companyName": "Gekapert" }));
    let paths = [
        (Method::GET, format!("incorporations/{inc}/")),
        (Method::PATCH, format!("incorporations/{inc}/")),
        (Method::POST, format!("incorporations/{inc}/shareholders/")),
        (Method::PATCH, format!("incorporations/{inc}/shareholders/{sid}/")),
        (Method::DELETE, format!("incorporations/{inc}/shareholders/{sid}/")),
        (Method::POST, format!("incorporations/{inc}/shareholders/{sid}/invite/")),
        (Method::GET, format!("incorporations/{inc}/documents/")),
        (Method::POST, format!("incorporations/{inc}/documents/")),
        (Method::GET, format!("incorporations/{inc}/notary-matches/")),
        (Method::POST, format!("incorporations/{inc}/request-notary/")),
        (Method::POST, format!("incorporations/{inc}/suggest-purpose/")),
        (Method::POST, format!("incorporations/{inc}/check-name/")),
        (Method::POST, format!("incorporations/{inc}/formation-step/")),
        (Method::GET, format!("gewerbe-registrations/{gew}/")),
        (Method::PATCH, format!("gewerbe-registrations/{gew}/")),
        (Method::POST, format!("gewerbe-registrations/{gew}/suggest-activity/")),
        (Method::GET, format!("gewerbe-registrations/{gew}/documents/")),
        (Method::POST, format!("gewerbe-registrations/{gew}/documents/")),
        (Method::GET, format!("gewerbe-registrations/{gew}/trade-office/")),
        (Method::GET, format!("corporate-tax-registrations/{ctr}/")),
        (Method::PATCH, format!("corporate-tax-registrations/{ctr}/")),
        (Method::POST, format!("corporate-tax-registrations/{ctr}/submit/")),
    ];
    for (method, path) in &paths {
        let (status, answer) = stranger.call(method.clone(), path, body.clone()).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}: {answer}");
        assert_eq!(answer, json!({ "detail": "Not found." }));
    }
    // Even the stranger's own drafts do not open the owner's by id.
    stranger.expect(Method::POST, "incorporations/", Some(json!({})), StatusCode::CREATED).await;
    let (status, _) = stranger.get(&format!("incorporations/{inc}/")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // A shareholder id of the owner under the stranger's own draft is not found either.
    let own = stranger.expect(Method::GET, "incorporations/my/", None, StatusCode::OK).await;
    let own = own["publicId"].as_str().expect("own");
    let (status, _) =
        stranger.call(Method::DELETE, &format!("incorporations/{own}/shareholders/{sid}/"), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The owner with a companyId that is not theirs, and anyone without a token.
    let foreign = Api { cid: USER2.company_id, ..login(&handle, USER1).await };
    let (status, _) = foreign.get(&format!("incorporations/{inc}/")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "a companyId of someone else's company");
    let anonymous = reqwest::Client::new();
    let response = anonymous
        .get(handle.url.join("api/v1/incorporations/my/").expect("url"))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);

    // And nothing changed for the owner.
    let record = owner.expect(Method::GET, &format!("incorporations/{inc}/"), None, StatusCode::OK).await;
    assert_eq!(record["shareholders"].as_array().map(Vec::len), Some(1));
    assert_eq!(record["companyName"], incorporation["companyName"]);
    handle.shutdown().await;
}

mod fuzz {
    //! Whatever a founding endpoint is sent, it answers with a 2xx or 4xx, never a 5xx or a
    //! panic.

    use proptest::prelude::*;
    use tower::ServiceExt as _;

    use super::*;

    /// The writable fields, so that generated bodies reach the rules behind them.
    const KEYS: &[&str] = &[
        "legalForm",
        "companyName",
        "shareCapital",
        "agreementType",
        "registeredOfficePostalCode",
        "notarizationType",
        "shareNominalAmount",
        "isManagingDirector",
        "dob",
        "email",
        "notaryPublicId",
        "step",
        "done",
        "registerNumber",
        "name",
        "draft",
        "activityStartDate",
        "businessType",
        "employeesFullTime",
        "ownerResidencePostalCode",
        "representatives",
        "shareholderEntries",
        "sharePercent",
        "bankIban",
        "bankAccountHolderRole",
        "isKleinunternehmer",
        "expectedRevenueFoundingYear",
        "incorporation",
        "taxOffice",
    ];

    fn value() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(json!(null)),
            any::<bool>().prop_map(|b| json!(b)),
            any::<i64>().prop_map(|n| json!(n)),
            any::<f64>().prop_map(|f| json!(f)),
            ".{0,40}".prop_map(|s| json!(s)),
            Just(json!("25000")),
            Just(json!(["trade", 1, null])),
            Just(json!([{ "sharePercent": 1e300, "dob": "9999-12-31", "salutation": 1 }, "x", []])),
            Just(json!({ "nested": [1, { "a": null }] })),
        ]
    }

    fn body() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..200),
            proptest::collection::btree_map(proptest::sample::select(KEYS), value(), 0..6)
                .prop_map(|map| serde_json::to_vec(&map).unwrap_or_default()),
        ]
    }

    #[test]
    fn no_input_causes_a_server_error() {
        let runtime = tokio::runtime::Runtime::new().expect("runtime");
        let (handle, api, inc, sid, gew, ctr) = runtime.block_on(async {
            let handle = start().await;
            let api = login(&handle, USER1).await;
            let inc = complete_incorporation(&api, "ug", "1000").await;
            let sid = inc["shareholders"][0]["publicId"].as_str().expect("sid").to_owned();
            let inc = inc["publicId"].as_str().expect("inc").to_owned();
            let gew = api
                .expect(Method::POST, "gewerbe-registrations/", Some(json!({})), StatusCode::CREATED)
                .await;
            let ctr = api
                .expect(Method::POST, "corporate-tax-registrations/", Some(json!({})), StatusCode::CREATED)
                .await;
            let id = |v: &Value| v["publicId"].as_str().expect("id").to_owned();
            (handle, api, inc, sid, id(&gew), id(&ctr))
        });
        let writes = [
            ("POST", "incorporations/".to_owned()),
            ("PATCH", format!("incorporations/{inc}/")),
            ("POST", format!("incorporations/{inc}/shareholders/")),
            ("PATCH", format!("incorporations/{inc}/shareholders/{sid}/")),
            ("POST", format!("incorporations/{inc}/shareholders/{sid}/invite/")),
            ("POST", format!("incorporations/{inc}/documents/")),
            ("POST", format!("incorporations/{inc}/request-notary/")),
            ("POST", format!("incorporations/{inc}/suggest-purpose/")),
            ("POST", format!("incorporations/{inc}/check-name/")),
            ("POST", format!("incorporations/{inc}/formation-step/")),
            ("POST", "gewerbe-registrations/".to_owned()),
            ("PATCH", format!("gewerbe-registrations/{gew}/")),
            ("POST", format!("gewerbe-registrations/{gew}/suggest-activity/")),
            ("POST", format!("gewerbe-registrations/{gew}/documents/")),
            ("POST", "corporate-tax-registrations/".to_owned()),
            ("PATCH", format!("corporate-tax-registrations/{ctr}/")),
            ("POST", format!("corporate-tax-registrations/{ctr}/submit/")),
        ];
        let app = handle.sandbox.router();
        let bearer = format!("Bearer {}", api.access);
        proptest!(ProptestConfig::with_cases(400), |(
            endpoint in 0..writes.len(),
            body in body(),
            id in "[a-zA-Z0-9_%.-]{0,30}",
        )| {
            let (method, path) = &writes[endpoint];
            let uri = format!("/api/v1/{path}?companyId={}", USER1.company_id);
            let request = axum::http::Request::builder()
                .method(*method)
                .uri(&uri)
                .header("authorization", &bearer)
                .header("content-type", "application/json")
                .body(axum::body::Body::from(body))
                .expect("request");
            let status = runtime.block_on(app.clone().oneshot(request)).expect("infallible").status();
            prop_assert!(status.as_u16() < 500, "{method} {path}: {status}");

            let uri = format!("/api/v1/incorporations/{id}/shareholders/{id}/?companyId={id}");
            if let Ok(request) = axum::http::Request::patch(uri).header("authorization", &bearer).body(axum::body::Body::empty()) {
                let status = runtime.block_on(app.clone().oneshot(request)).expect("infallible").status();
                prop_assert!(status.as_u16() < 500);
            }
        });
        runtime.block_on(handle.shutdown());
    }
}
