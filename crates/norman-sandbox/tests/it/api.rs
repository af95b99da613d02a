//! Black-box tests of the fake Norman API over real HTTP.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use norman_sandbox::{DemoUser, Sandbox, SandboxConfig, SandboxHandle};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{Api, USER1, USER2, login_with, results, start};

/// Logs in as the Python client does, with a `username` beside the e-mail.
async fn login(handle: &SandboxHandle, user: DemoUser) -> Api {
    let credentials = json!({
        "username": user.email.split('@').next(),
        "email": user.email,
        "password": user.password,
    });
    login_with(handle, user, credentials).await
}

impl Api {
    async fn post_empty(&self, path: &str) -> (StatusCode, Value) {
        self.send(self.request(Method::POST, path)).await
    }

    async fn delete(&self, path: &str) -> (StatusCode, Value) {
        self.send(self.request(Method::DELETE, path)).await
    }
}

fn claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("three parts");
    let bytes = URL_SAFE_NO_PAD.decode(payload).expect("base64url");
    serde_json::from_slice(&bytes).expect("json payload")
}

fn multipart(boundary: &str, fields: &[(&str, &str)], files: &[(&str, &str, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                .as_bytes(),
        );
    }
    for (name, filename, data) in files {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\n\r\n")
                .as_bytes(),
        );
        body.extend_from_slice(data);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    body
}

#[tokio::test]
async fn login_accepts_demo_users_and_refuses_bad_credentials() {
    let handle = start().await;
    let api = login(&handle, USER1).await;
    let access = claims(&api.access);
    assert_eq!(access["token_type"], "access");
    assert_eq!(access["user_id"], 1);
    assert!(access["jti"].as_str().is_some_and(|j| j.len() >= 16));
    let exp = access["exp"].as_u64().expect("exp");
    let iat = access["iat"].as_u64().expect("iat");
    assert!((3600..=3601).contains(&(exp - iat)), "exp - iat = {}", exp - iat);
    assert_eq!(claims(&api.refresh)["token_type"], "refresh");
    assert_eq!(claims(&login(&handle, USER2).await.access)["user_id"], 2);

    let url = handle.url.join("api/v1/auth/token/").expect("url");
    let http = reqwest::Client::new();
    for (body, status) in [
        (json!({"username": "demo", "email": USER1.email, "password": "wrong"}), 401),
        (json!({"email": "nobody@norman.finance", "password": USER1.password}), 401),
        (json!({"email": USER1.email, "password": USER2.password}), 401),
        (json!({"username": "second", "email": USER1.email, "password": USER1.password}), 401),
        (json!({"email": USER1.email}), 400),
        (json!([1, 2]), 400),
    ] {
        let response = http.post(url.clone()).json(&body).send().await.expect("send");
        assert_eq!(response.status().as_u16(), status, "{body}");
        let answer: Value = response.json().await.expect("json");
        if status == 401 {
            assert_eq!(answer["detail"], "No active account found with the given credentials");
        }
    }
    let response = http
        .post(url)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);

    let stats = handle.sandbox.stats();
    assert_eq!(stats.logins_ok, 2);
    assert_eq!(stats.logins_failed, 7);
    handle.shutdown().await;
}

#[tokio::test]
async fn refresh_rotates_and_spent_tokens_are_refused() {
    let handle = start().await;
    let api = login(&handle, USER1).await;
    let url = handle.url.join("api/v1/auth/token/refresh/").expect("url");
    let http = reqwest::Client::new();
    let refresh = |token: String| {
        let http = http.clone();
        let url = url.clone();
        async move {
            let response = http.post(url).json(&json!({ "refresh": token })).send().await.expect("send");
            let status = response.status();
            (status, response.json::<Value>().await.expect("json"))
        }
    };

    let (status, pair) = refresh(api.refresh.clone()).await;
    assert_eq!(status, StatusCode::OK);
    let new_access = pair["access"].as_str().expect("access").to_owned();
    let new_refresh = pair["refresh"].as_str().expect("refresh").to_owned();
    assert_ne!(new_refresh, api.refresh);

    // The spent token is refused, the old access token still works until it expires.
    let (status, body) = refresh(api.refresh.clone()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body, json!({"detail": "Token is invalid or expired", "code": "token_not_valid"}));
    assert_eq!(api.get("api/v1/companies/").await.0, StatusCode::OK);

    // An access token is not a refresh token; garbage neither.
    assert_eq!(refresh(new_access.clone()).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(refresh("a.b.c".into()).await.0, StatusCode::UNAUTHORIZED);

    let rotated = Api { access: new_access, ..api };
    assert_eq!(rotated.get("api/v1/companies/{cid}/").await.0, StatusCode::OK);
    assert_eq!(refresh(new_refresh.clone()).await.0, StatusCode::OK);
    assert_eq!(refresh(new_refresh).await.0, StatusCode::UNAUTHORIZED);

    let stats = handle.sandbox.stats();
    assert_eq!(stats.refreshes_ok, 2);
    assert_eq!(stats.refreshes_rejected, 4);
    handle.shutdown().await;
}

#[tokio::test]
async fn access_tokens_expire() {
    let handle =
        Sandbox::spawn(SandboxConfig { access_ttl: Duration::from_secs(1), ..SandboxConfig::default() })
            .await
            .expect("spawn");
    let api = login(&handle, USER1).await;
    assert_eq!(api.get("api/v1/companies/").await.0, StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let (status, body) = api.get("api/v1/companies/").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        body,
        json!({"detail": "Given token not valid for any token type", "code": "token_not_valid"})
    );
    // The refresh token outlives the access token.
    let response = api
        .http
        .post(api.url("api/v1/auth/token/refresh/"))
        .json(&json!({ "refresh": api.refresh }))
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), StatusCode::OK);
    handle.shutdown().await;
}

#[tokio::test]
async fn expire_access_tokens_of_revokes_only_that_users_tokens() {
    let handle = start().await;
    let first = login(&handle, USER1).await;
    let second = login(&handle, USER2).await;
    handle.sandbox.expire_access_tokens_of(USER1.email);
    assert_eq!(first.get("api/v1/companies/").await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(second.get("api/v1/companies/").await.0, StatusCode::OK);
    // A token issued afterwards works again.
    let again = login(&handle, USER1).await;
    assert_eq!(again.get("api/v1/companies/").await.0, StatusCode::OK);
    handle.shutdown().await;
}

#[tokio::test]
async fn missing_or_bad_bearer_is_401_and_counted() {
    let handle = start().await;
    let api = login(&handle, USER1).await;
    let url = api.url("api/v1/companies/");
    let http = reqwest::Client::new();
    let none = http.get(url.clone()).send().await.expect("send");
    assert_eq!(none.status(), StatusCode::UNAUTHORIZED);
    for header in ["Bearer nope", "Basic abc", "Bearer", &format!("Token {}", api.access)] {
        let response = http.get(url.clone()).header("authorization", header).send().await.expect("send");
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{header}");
    }
    // A forged signature.
    let mut forged = api.access.clone();
    forged.truncate(forged.len() - 2);
    forged.push_str("AA");
    assert_eq!(
        http.get(url.clone()).bearer_auth(forged).send().await.expect("send").status(),
        StatusCode::UNAUTHORIZED
    );
    // Another sandbox's token is forged too.
    let other = start().await;
    let stranger = login(&other, USER1).await;
    assert_eq!(
        http.get(url).bearer_auth(&stranger.access).send().await.expect("send").status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(api.get("api/v1/companies/").await.0, StatusCode::OK);

    let stats = handle.sandbox.stats();
    assert_eq!(stats.unauthorized, 7);
    assert_eq!(stats.api_calls, 1);
    other.shutdown().await;
    handle.shutdown().await;
}

#[tokio::test]
async fn each_user_sees_only_their_company() {
    let handle = start().await;
    let first = login(&handle, USER1).await;
    let second = login(&handle, USER2).await;

    let companies = first.ok("api/v1/companies/").await;
    assert_eq!(companies["count"], 1);
    assert_eq!(results(&companies)[0]["publicId"], USER1.company_id);
    assert_eq!(results(&companies)[0]["name"], USER1.company_name);
    let companies = second.ok("api/v1/companies/").await;
    assert_eq!(results(&companies)[0]["publicId"], USER2.company_id);

    // Every company-scoped path with the other user's company id is 404.
    let foreign = format!("api/v1/companies/{}/", USER2.company_id);
    for path in [
        "",
        "balance/",
        "company-tax-statistic/",
        "vat-next-report-amount/",
        "clients/",
        "invoices/",
        "invoices/next-invoice-number/",
        "accounting/transactions/",
        "attachments/",
    ] {
        let (status, body) = first.get(&format!("{foreign}{path}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(body, json!({"detail": "Not found."}));
    }
    let (status, _) = first.post(&format!("{foreign}clients/"), json!({"name": "Eindringling"})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Global paths: a foreign companyId is 404, the own one is fine.
    let path = format!("api/v1/taxes/reports/?companyId={}", USER2.company_id);
    assert_eq!(first.get(&path).await.0, StatusCode::NOT_FOUND);
    let own = first.ok(&format!("api/v1/taxes/reports/?companyId={}", USER1.company_id)).await;
    assert!(results(&own).iter().all(|r| r["company"] == USER1.company_id));

    // The other company's objects are unknown ids under one's own company.
    let theirs = second.ok("api/v1/companies/{cid}/clients/").await;
    let their_client = results(&theirs)[0]["publicId"].as_str().expect("id");
    let (status, _) = first.get(&format!("api/v1/companies/{{cid}}/clients/{their_client}/")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let their_reports = second.ok("api/v1/taxes/reports/").await;
    let their_report = results(&their_reports)[0]["publicId"].as_str().expect("id");
    let (status, _) = first.get(&format!("api/v1/taxes/reports/{their_report}/")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Seeded data is distinct.
    let mine = first.ok("api/v1/companies/{cid}/clients/").await;
    assert!(results(&mine).iter().all(|c| c["company"] == USER1.company_id));
    assert!(results(&mine).iter().all(|c| results(&theirs).iter().all(|t| t["name"] != c["name"])));
    handle.shutdown().await;
}

#[tokio::test]
async fn clients_crud() {
    let handle = start().await;
    let api = login(&handle, USER1).await;
    let list = api.ok("api/v1/companies/{cid}/clients/").await;
    let before = list["count"].as_u64().expect("count");
    assert!(before >= 3);
    assert!(list["next"].is_null());

    let (status, created) = api
        .post(
            "api/v1/companies/{cid}/clients/",
            json!({"name": "Café Kranich", "clientType": "business", "email": "hallo@cafe-kranich.de", "city": "Leipzig", "country": "de"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["publicId"].as_str().expect("id").to_owned();
    assert_eq!(created["company"], USER1.company_id);
    assert_eq!(created["country"], "DE");

    let path = format!("api/v1/companies/{{cid}}/clients/{id}/");
    assert_eq!(api.ok(&path).await["name"], "Café Kranich");
    let (status, patched) = api.patch(&path, json!({"phone": "+49 341 123"})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(patched["phone"], "+49 341 123");
    assert_eq!(patched["name"], "Café Kranich");
    let list = api.ok("api/v1/companies/{cid}/clients/?name=kranich").await;
    assert_eq!(list["count"], 1);

    let (status, errors) = api
        .post("api/v1/companies/{cid}/clients/", json!({"clientType": "alien", "email": "not-an-email"}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(errors["name"], json!(["This field is required."]));
    assert!(errors["clientType"][0].as_str().is_some_and(|m| m.contains("not a valid choice")));
    assert_eq!(errors["email"], json!(["Enter a valid email address."]));
    let (status, errors) = api.patch(&path, json!({"name": null})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{errors}");

    assert_eq!(api.delete(&path).await.0, StatusCode::NO_CONTENT);
    assert_eq!(api.get(&path).await.0, StatusCode::NOT_FOUND);
    assert_eq!(api.delete(&path).await.0, StatusCode::NOT_FOUND);
    let list = api.ok("api/v1/companies/{cid}/clients/").await;
    assert_eq!(list["count"].as_u64(), Some(before));

    // Pagination.
    let page = api.ok("api/v1/companies/{cid}/clients/?pageSize=2").await;
    assert_eq!(results(&page).len(), 2);
    let next = page["next"].as_str().expect("next link");
    let response = api.http.get(next).bearer_auth(&api.access).send().await.expect("send");
    let second: Value = response.json().await.expect("json");
    assert!(second["previous"].is_string());
    assert_ne!(results(&second)[0]["publicId"], results(&page)[0]["publicId"]);
    assert_eq!(api.get("api/v1/companies/{cid}/clients/?page=99").await.0, StatusCode::NOT_FOUND);
    handle.shutdown().await;
}

#[tokio::test]
async fn company_details_figures_and_update() {
    let handle = start().await;
    let api = login(&handle, USER1).await;
    let company = api.ok("api/v1/companies/{cid}/").await;
    for field in [
        "publicId",
        "name",
        "accountType",
        "isSme",
        "chartOfAccounts",
        "activityStart",
        "vatNumber",
        "taxNumber",
        "vatId",
        "taxId",
        "taxState",
        "profession",
        "datevAdvisorNumber",
        "datevClientNumber",
        "address",
        "zipCode",
        "city",
        "country",
        "countryName",
        "phoneNumber",
    ] {
        assert!(company.get(field).is_some(), "missing {field}");
    }
    assert_eq!(company["chartOfAccounts"]["code"], "skr04");

    let (status, updated) = api
        .patch(
            "api/v1/companies/{cid}/",
            json!({"vatNumber": "DE999888777", "chartOfAccounts": "skr03", "activityStart": "2021-04-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(updated["vatId"], "DE999888777");
    assert_eq!(updated["chartOfAccounts"], json!({"code": "skr03", "name": "SKR 03"}));
    assert_eq!(updated["activityStart"], "2021-04-01");
    let (status, _) = api.patch("api/v1/companies/{cid}/", json!({"chartOfAccounts": "skr99"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let balance = api.ok("api/v1/companies/{cid}/balance/").await;
    assert_eq!(balance["companyId"], USER1.company_id);
    let before = balance["balance"].as_f64().expect("balance");
    let (status, _) = api
        .post(
            "api/v1/companies/{cid}/accounting/transactions/",
            json!({"amount": 100.0, "description": "Barverkauf", "cashflowType": "INCOME", "supplierCountry": "DE", "vatRate": 19}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let after = api.ok("api/v1/companies/{cid}/balance/").await["balance"].as_f64().expect("balance");
    assert!((after - before - 100.0).abs() < 0.001);

    let stats = api.ok("api/v1/companies/{cid}/company-tax-statistic/").await;
    assert_eq!(stats["companyId"], USER1.company_id);
    assert!(stats["revenue"].as_f64().is_some_and(|r| r > 0.0));
    let next = api.ok("api/v1/companies/{cid}/vat-next-report-amount/").await;
    assert_eq!(next["period"], "2026-Q2");
    assert!(next["amount"].as_f64().is_some());
    handle.shutdown().await;
}

#[tokio::test]
async fn invoices_read_create_send_and_download() {
    let handle = start().await;
    let api = login(&handle, USER1).await;
    let list = api.ok("api/v1/companies/{cid}/invoices/?limit=100").await;
    let invoices = results(&list);
    assert!(invoices.len() >= 3);
    assert!(invoices.iter().all(|i| i["type"] == "invoice" && i.get("totalGross").is_some()));
    assert!(invoices.iter().any(|i| i["reportUrl"].is_null()));
    let quotes = api.ok("api/v1/companies/{cid}/invoices/?type=quote").await;
    assert!(results(&quotes).iter().all(|q| q["type"] == "quote"));
    let overdue = api.ok("api/v1/companies/{cid}/invoices/?status=overdue").await;
    assert_eq!(overdue["count"], 1);
    let sent_in_may = api.ok("api/v1/companies/{cid}/invoices/?dateFrom=2026-05-01&dateTo=2026-05-31").await;
    assert_eq!(sent_in_may["count"], 1);
    assert_eq!(api.get("api/v1/companies/{cid}/invoices/?dateFrom=May").await.0, StatusCode::BAD_REQUEST);

    let next = api.ok("api/v1/companies/{cid}/invoices/next-invoice-number/").await;
    let number = next["nextInvoiceNumber"].as_str().expect("number").to_owned();
    let clients = api.ok("api/v1/companies/{cid}/clients/").await;
    let client = results(&clients)[0]["publicId"].as_str().expect("client").to_owned();
    let body = json!({
        "client": client,
        "invoiceNumber": number,
        "invoicedItems": [
            {"name": "Workshop", "quantity": 2, "rate": 50000, "vatRate": 19, "total": 100000},
            {"name": "Fahrtkosten", "quantity": 1, "rate": 4500, "vatRate": 19, "total": 4500}
        ],
        "issued": "2026-07-01",
        "dueTo": "2026-07-31",
        "currency": "EUR",
        "language": "de",
        "invoiceType": "SERVICES",
        "isVatIncluded": false,
        "type": "invoice",
        "companyId": USER1.company_id,
        "companyEmail": USER1.email,
        "settingsOnOverdue": {"isToAutosendNotification": false},
    });
    let (status, invoice) = api.post("api/v1/companies/{cid}/invoices/", body.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{invoice}");
    assert_eq!(invoice["totalGross"], "1243.55");
    assert_eq!(invoice["company"], USER1.company_id);
    let id = invoice["publicId"].as_str().expect("id").to_owned();
    assert!(invoice["reportUrl"].as_str().is_some_and(|u| !u.is_empty()));
    let (status, duplicate) = api.post("api/v1/companies/{cid}/invoices/", body).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(duplicate.get("invoiceNumber").is_some());
    let next_after = api.ok("api/v1/companies/{cid}/invoices/next-invoice-number/").await;
    assert_ne!(next_after["nextInvoiceNumber"], number.as_str());

    let (status, errors) = api
        .post(
            "api/v1/companies/{cid}/invoices/",
            json!({"client": "cli_doesnotexist", "invoicedItems": [{"name": "x", "quantity": 1, "rate": "abc"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(errors["client"][0].as_str().is_some_and(|m| m.contains("does not exist")));
    assert!(errors["invoicedItems"][0]["rate"].is_array(), "{errors}");

    let pdf = api.ok(&format!("api/v1/companies/{{cid}}/invoices/{id}/pdf/")).await;
    let url = pdf["url"].as_str().expect("url");
    assert!(url.starts_with(handle.url.as_str()) && url.contains("/files/"));
    // Presigned: no bearer needed.
    let download = reqwest::get(url).await.expect("download");
    assert_eq!(download.status(), StatusCode::OK);
    assert_eq!(download.headers()["content-type"], "application/pdf");
    assert!(download.bytes().await.expect("bytes").starts_with(b"%PDF"));
    assert_eq!(
        reqwest::get(handle.url.join("files/nope").expect("url")).await.expect("get").status(),
        StatusCode::NOT_FOUND
    );

    let response = api
        .request(Method::GET, &format!("api/v1/companies/{{cid}}/invoices/{id}/xml/"))
        .send()
        .await
        .expect("xml");
    assert_eq!(response.status(), StatusCode::OK);
    let xml = response.text().await.expect("text");
    assert!(xml.contains(&number) && xml.contains(USER1.company_id));

    let preview = api.ok(&format!("api/v1/companies/{{cid}}/invoices/{id}/preview/")).await;
    let image = STANDARD.decode(preview["previewImage"].as_str().expect("image")).expect("base64");
    assert!(image.starts_with(b"\x89PNG"));

    let (status, sent) = api
        .post(
            &format!("api/v1/companies/{{cid}}/invoices/{id}/send/"),
            json!({"subject": "Ihre Rechnung", "body": "Anbei.", "additionalEmails": ["chef@example.de"], "isSendToCompany": false}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{sent}");
    assert_eq!(sent["status"], "sent");
    assert_eq!(sent["recipients"].as_array().map(Vec::len), Some(2));
    let (status, _) = api.post(&format!("api/v1/companies/{{cid}}/invoices/{id}/send/"), json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, reminder) = api
        .post(
            &format!("api/v1/companies/{{cid}}/invoices/{id}/send-on-overdue/"),
            json!({"subject": "Erinnerung", "body": "Bitte zahlen."}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{reminder}");

    let (status, tx) = api
        .post(
            "api/v1/companies/{cid}/accounting/transactions/",
            json!({"amount": 1243.55, "description": "Zahlungseingang Workshop", "cashflowType": "INCOME", "supplierCountry": "DE", "vatRate": 19}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, linked) = api
        .post(
            &format!("api/v1/companies/{{cid}}/invoices/{id}/link-transaction/"),
            json!({"transaction": tx["publicId"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{linked}");
    assert_eq!(linked["status"], "paid");
    let detail = api.ok(&format!("api/v1/companies/{{cid}}/invoices/{id}/")).await;
    assert_eq!(detail["status"], "paid");

    let (status, recurring) = api
        .post(
            "api/v1/companies/{cid}/recurring-invoices/",
            json!({"client": client, "invoicedItems": [{"name": "Hosting", "quantity": 1, "rate": 2500, "vatRate": 19}], "frequencyType": "monthly", "frequencyUnit": 1, "startsFromDate": "2026-08-01", "isRecurring": true}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{recurring}");
    assert_eq!(recurring["isRecurring"], true);
    assert_eq!(recurring["endsOnInvoiceCount"], 3);
    let (status, _) = api
        .post(
            "api/v1/companies/{cid}/recurring-invoices/",
            json!({"client": client, "invoicedItems": [{"name": "Hosting", "quantity": 1, "rate": 2500}]}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let quote_id = results(&quotes)[0]["publicId"].as_str().expect("quote").to_owned();
    let (status, converted) =
        api.post_empty(&format!("api/v1/companies/{{cid}}/invoices/{quote_id}/convert-to-invoice/")).await;
    assert_eq!(status, StatusCode::CREATED, "{converted}");
    assert_eq!(converted["type"], "invoice");
    assert_eq!(
        api.get(&format!("api/v1/companies/{{cid}}/invoices/{quote_id}/")).await.0,
        StatusCode::NOT_FOUND
    );
    handle.shutdown().await;
}

#[tokio::test]
async fn transactions_search_create_update_verify() {
    let handle = start().await;
    let api = login(&handle, USER2).await;
    let all = api.ok("api/v1/companies/{cid}/accounting/transactions/").await;
    let total = all["count"].as_u64().expect("count");
    assert!(total >= 6);
    assert!(results(&all).iter().all(|t| t["company"] == USER2.company_id));

    let unverified = api
        .ok("api/v1/companies/{cid}/accounting/transactions/?status=UNVERIFIED&cashflowType=EXPENSE")
        .await;
    assert!(
        results(&unverified).iter().all(|t| t["status"] == "UNVERIFIED" && t["cashflowType"] == "EXPENSE")
    );
    let no_receipt =
        api.ok("api/v1/companies/{cid}/accounting/transactions/?noAttachment=True&noInvoice=True").await;
    assert!(results(&no_receipt).iter().all(|t| t["hasAttachment"] == false && t["invoice"].is_null()));
    let big = api
        .ok("api/v1/companies/{cid}/accounting/transactions/?minAmount=1000&dateFrom=2026-01-01&dateTo=2026-01-31")
        .await;
    assert_eq!(big["count"], 1);
    let wood = api.ok("api/v1/companies/{cid}/accounting/transactions/?description=holz&limit=1").await;
    assert_eq!(results(&wood).len(), 1);
    assert_eq!(
        api.get("api/v1/companies/{cid}/accounting/transactions/?noInvoice=maybe").await.0,
        StatusCode::BAD_REQUEST
    );

    let categories = api.ok("api/v1/accounting/categories/?cashflowType=EXPENSE").await;
    let category = results(&categories)[0]["publicId"].as_str().expect("category").to_owned();
    let (status, tx) = api
        .post(
            "api/v1/companies/{cid}/accounting/transactions/",
            json!({"amount": -35.7, "description": "Leim und Schrauben", "cashflowType": "EXPENSE", "supplierCountry": "DE", "category_id": category, "vatRate": 19, "saleType": "", "valueDate": "2026-06-30", "company": USER2.company_id}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{tx}");
    assert_eq!(tx["status"], "UNVERIFIED");
    assert_eq!(tx["category"], category.as_str());
    let id = tx["publicId"].as_str().expect("id").to_owned();
    let after = api.ok("api/v1/companies/{cid}/accounting/transactions/").await;
    assert_eq!(after["count"].as_u64(), Some(total + 1));
    assert_eq!(results(&after)[0]["publicId"], id.as_str());

    let (status, errors) = api
        .post(
            "api/v1/companies/{cid}/accounting/transactions/",
            json!({"amount": "viel", "cashflowType": "SIDEWAYS", "vatRate": 16, "category_id": "cat_nope"}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    for field in ["amount", "description", "cashflowType", "vatRate", "category_id"] {
        assert!(errors.get(field).is_some(), "{field} in {errors}");
    }

    let path = format!("api/v1/companies/{{cid}}/accounting/transactions/{id}/");
    let (status, updated) = api.patch(&path, json!({"description": "Leim, Schrauben", "vatRate": 7})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(updated["vatRate"], 7);
    let (status, unchanged) = api.patch(&path, json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(unchanged["description"], "Leim, Schrauben");
    let (status, verified) = api.post_empty(&format!("{path}verify/")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(verified["status"], "VERIFIED");
    let (status, unverified) = api.post_empty(&format!("{path}unverify/")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(unverified["status"], "UNVERIFIED");
    assert_eq!(
        api.patch("api/v1/companies/{cid}/accounting/transactions/trx_nope/", json!({})).await.0,
        StatusCode::NOT_FOUND
    );

    let (status, suggestion) = api
        .post(
            "api/v1/assistant/detect-category/",
            json!({"transaction_amount": 64.2, "transaction_description": "Aral Tankstelle Diesel", "transaction_type": "expense"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(suggestion["category"]["nameDe"], "Laufende Kfz-Betriebskosten");
    assert_eq!(suggestion["chartOfAccounts"], "skr03");
    assert_eq!(suggestion["companyId"], USER2.company_id);
    let (status, _) = api.post("api/v1/assistant/detect-category/", json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    handle.shutdown().await;
}

#[tokio::test]
async fn attachments_upload_link_download_delete() {
    let handle = start().await;
    let api = login(&handle, USER1).await;
    let list = api.ok("api/v1/companies/{cid}/attachments/").await;
    let seeded = list["count"].as_u64().expect("count");
    assert!(
        results(&list)
            .iter()
            .all(|a| a["publicId"].is_string() && a["file"].is_string() && a["fileName"].is_string())
    );
    let receipts = api.ok("api/v1/companies/{cid}/attachments/?has_type=receipt&linked=True").await;
    assert!(results(&receipts).iter().all(|a| a["attachmentType"] == "receipt" && a["linked"] == true));

    let txs =
        api.ok("api/v1/companies/{cid}/accounting/transactions/?noAttachment=True&status=UNVERIFIED").await;
    let tx = results(&txs)[0]["publicId"].as_str().expect("tx").to_owned();
    let content: &[u8] = b"%PDF-1.4 Bahn receipt";
    let boundary = "----sandbox-test-boundary";
    let body = multipart(
        boundary,
        &[
            ("attachment_type", "receipt"),
            ("amount", "89.90"),
            ("vat_rate", "7"),
            ("transactions", &tx),
            ("currency", "EUR"),
            ("brand_name", "DB"),
            ("value_date", "2026-02-12"),
        ],
        &[("file", "bahn-ticket.pdf", content)],
    );
    let (status, created) = api
        .send(
            api.request(Method::POST, "api/v1/companies/{cid}/attachments/")
                .header("content-type", format!("multipart/form-data; boundary={boundary}"))
                .body(body),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["fileName"], "bahn-ticket.pdf");
    assert_eq!(created["amount"], 89.9);
    assert_eq!(created["transactions"], json!([tx]));
    assert_eq!(created["company"], USER1.company_id);
    let id = created["publicId"].as_str().expect("id").to_owned();
    let tx_after = api.ok(&format!("api/v1/companies/{{cid}}/accounting/transactions/{tx}/")).await;
    assert_eq!(tx_after["hasAttachment"], true);

    let download = api.ok(&format!("api/v1/companies/{{cid}}/attachments/{id}/download/")).await;
    let bytes = reqwest::get(download["url"].as_str().expect("url"))
        .await
        .expect("get")
        .bytes()
        .await
        .expect("bytes");
    assert_eq!(&bytes[..], content);

    // JSON with base64 content works too; a missing file does not.
    let (status, json_created) = api
        .post(
            "api/v1/companies/{cid}/attachments/",
            json!({"file_name": "quittung.png", "content": format!("data:image/png;base64,{}", STANDARD.encode(b"\x89PNG fake")), "attachment_type": "receipt"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{json_created}");
    assert_eq!(json_created["contentType"], "image/png");
    let (status, errors) =
        api.post("api/v1/companies/{cid}/attachments/", json!({"attachment_type": "selfie"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(errors.get("file").is_some() && errors.get("attachment_type").is_some());

    // Link the JSON upload to a transaction.
    let json_id = json_created["publicId"].as_str().expect("id").to_owned();
    let (status, linked) = api
        .post(
            &format!("api/v1/companies/{{cid}}/attachments/{json_id}/link-transaction/"),
            json!({"transaction": tx}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(linked["linked"], true);
    let (status, _) = api
        .post(
            &format!("api/v1/companies/{{cid}}/attachments/{json_id}/link-transaction/"),
            json!({"transaction": "trx_unknown"}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // Documents of booked transactions are retained unless confirmed.
    let booked = api.ok("api/v1/companies/{cid}/attachments/?file_name=adobe").await;
    let booked_id = results(&booked)[0]["publicId"].as_str().expect("id").to_owned();
    let path = format!("api/v1/companies/{{cid}}/attachments/{booked_id}/");
    let (status, conflict) = api.delete(&path).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(conflict["requiresConfirmation"], true);
    assert!(conflict["retentionUntil"].is_string());
    assert_eq!(api.delete(&format!("{path}?confirmed=true")).await.0, StatusCode::NO_CONTENT);
    assert_eq!(api.get(&path).await.0, StatusCode::NOT_FOUND);
    assert_eq!(
        api.delete(&format!("api/v1/companies/{{cid}}/attachments/{id}/")).await.0,
        StatusCode::NO_CONTENT
    );

    let boundary = "bulk";
    let body = multipart(
        boundary,
        &[("cashflow_type", "EXPENSE")],
        &[("files", "a.pdf", b"%PDF a"), ("files", "b.png", b"\x89PNG b")],
    );
    let (status, bulk) = api
        .send(
            api.request(Method::POST, "api/v1/accounting/transactions/upload-documents/")
                .header("content-type", format!("multipart/form-data; boundary={boundary}"))
                .body(body),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{bulk}");
    assert_eq!(bulk["count"], 2);
    let (status, _) = api
        .send(
            api.request(Method::POST, "api/v1/accounting/transactions/upload-documents/")
                .header("content-type", "multipart/form-data; boundary=x")
                .body("--x\r\nContent-Disposition: form-data; name=\"cashflow_type\"\r\n\r\nEXPENSE\r\n--x--\r\n"),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = api
        .send(
            api.request(Method::POST, "api/v1/companies/{cid}/attachments/")
                .header("content-type", "multipart/form-data; boundary=x")
                .body("garbage"),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let list = api.ok("api/v1/companies/{cid}/attachments/").await;
    assert_eq!(list["count"].as_u64(), Some(seeded + 1 - 1 + 2));
    handle.shutdown().await;
}

#[tokio::test]
async fn taxes_reports_settings_and_checks() {
    let handle = start().await;
    let first = login(&handle, USER1).await;
    let second = login(&handle, USER2).await;

    let reports = first.ok("api/v1/taxes/reports/").await;
    for report in results(&reports) {
        for field in ["publicId", "type", "period", "status", "dueDate", "amount"] {
            assert!(report.get(field).is_some(), "{field}");
        }
    }
    let draft = results(&reports)
        .iter()
        .find(|r| r["status"] == "draft" && r["type"] == "sales")
        .expect("draft VAT return");
    let draft_id = draft["publicId"].as_str().expect("id").to_owned();
    let submitted = results(&reports).iter().find(|r| r["status"] == "submitted").expect("filed return");
    let submitted_id = submitted["publicId"].as_str().expect("id");

    let detail = first.ok(&format!("api/v1/taxes/reports/{submitted_id}/")).await;
    assert!(detail["reportFile"].is_string());
    let download = first.ok(&format!("api/v1/taxes/reports/{submitted_id}/download/")).await;
    assert!(download["url"].as_str().is_some_and(|u| u.contains("/files/")));
    assert_eq!(
        first.get(&format!("api/v1/taxes/reports/{draft_id}/download/")).await.0,
        StatusCode::NOT_FOUND
    );

    let (status, preview) =
        first.post_empty(&format!("api/v1/taxes/reports/{draft_id}/generate-preview-url/")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(preview["downloadUrl"].is_string() && preview["previewImage"].is_string());
    let response = first
        .request(Method::POST, &format!("api/v1/taxes/reports/{draft_id}/generate-preview/"))
        .send()
        .await
        .expect("send");
    assert_eq!(response.headers()["content-type"], "application/pdf");

    let (status, filed) = first.post_empty(&format!("api/v1/taxes/reports/{draft_id}/submit-report/")).await;
    assert_eq!(status, StatusCode::OK, "{filed}");
    assert_eq!(filed["status"], "submitted");
    assert!(filed["reportFile"].is_string());
    assert_eq!(
        first.post_empty(&format!("api/v1/taxes/reports/{draft_id}/submit-report/")).await.0,
        StatusCode::BAD_REQUEST
    );
    let next = first.ok("api/v1/companies/{cid}/vat-next-report-amount/").await;
    assert!(next["reportId"].is_null() || next["reportId"] != draft_id.as_str());

    // The second company has no paid plan.
    let theirs = second.ok("api/v1/taxes/reports/?status=draft").await;
    let their_draft = results(&theirs)[0]["publicId"].as_str().expect("id");
    assert_eq!(
        second.post_empty(&format!("api/v1/taxes/reports/{their_draft}/submit-report/")).await.0,
        StatusCode::FORBIDDEN
    );

    let (status, check) = first
        .post("api/v1/taxes/check-tax-number/", json!({"tax_number": "37/123/45678", "region_code": "BE"}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(check["isValid"], true);
    let (_, bad) =
        first.post("api/v1/taxes/check-tax-number/", json!({"tax_number": "12", "region_code": "BY"})).await;
    assert_eq!(bad["isValid"], false);
    let (status, errors) = first
        .post("api/v1/taxes/check-tax-number/", json!({"tax_number": "1234567890", "region_code": "XX"}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(errors.get("region_code").is_some());

    let states = first.ok("api/v1/taxes/states/").await;
    assert_eq!(states["count"], 16);

    let settings = first.ok("api/v1/taxes/tax-settings/").await;
    let sales = results(&settings).iter().find(|s| s["taxType"] == "sales").expect("sales setting");
    let id = sales["publicId"].as_str().expect("id");
    let path = format!("api/v1/taxes/tax-settings/{id}/");
    let (status, updated) =
        first.patch(&path, json!({"reportingFrequency": "monthly", "vatPercent": 7.0})).await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(updated["reportingFrequency"], "monthly");
    let again = first.ok("api/v1/taxes/tax-settings/").await;
    assert!(results(&again).iter().any(|s| s["publicId"] == id && s["reportingFrequency"] == "monthly"));
    let (status, errors) =
        first.patch(&path, json!({"reportingFrequency": "hourly", "vatPercent": 16})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(errors.get("reportingFrequency").is_some() && errors.get("vatPercent").is_some());
    assert_eq!(second.patch(&path, json!({"reportingFrequency": "yearly"})).await.0, StatusCode::NOT_FOUND);
    handle.shutdown().await;
}

#[tokio::test]
async fn unknown_paths_methods_and_media_types() {
    let handle = start().await;
    let api = login(&handle, USER1).await;
    let (status, body) = api.get("api/v1/nothing-here/").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body, json!({"detail": "Not found."}));
    let (status, body) = api.send(api.request(Method::PUT, "api/v1/companies/{cid}/clients/")).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(body["detail"], "Method \"PUT\" not allowed.");
    let (status, _) = api
        .send(
            api.request(Method::POST, "api/v1/companies/{cid}/clients/")
                .header("content-type", "text/plain")
                .body("name=x"),
        )
        .await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    // Form bodies work like JSON.
    let (status, created) = api
        .send(
            api.request(Method::POST, "api/v1/companies/{cid}/clients/")
                .form(&[("name", "Formular GmbH"), ("clientType", "business")]),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    handle.shutdown().await;
}

#[tokio::test]
async fn stats_count_calls() {
    let handle = start().await;
    let api = login(&handle, USER1).await;
    for _ in 0..5 {
        api.ok("api/v1/companies/{cid}/clients/").await;
    }
    assert_eq!(api.get("api/v1/companies/{cid}/clients/nope/").await.0, StatusCode::NOT_FOUND);
    let stats = handle.sandbox.stats();
    assert_eq!(stats.logins_ok, 1);
    assert_eq!(stats.api_calls, 6);
    assert_eq!(stats.unauthorized, 0);
    assert_eq!(stats.refreshes_ok + stats.refreshes_rejected + stats.logins_failed, 0);
    handle.shutdown().await;
}

#[tokio::test]
async fn shutdown_and_drop_close_the_listener() {
    let handle = start().await;
    let url = handle.url.join("api/v1/companies/").expect("url");
    let http = reqwest::Client::new();
    assert_eq!(http.get(url.clone()).send().await.expect("up").status(), StatusCode::UNAUTHORIZED);
    handle.shutdown().await;
    assert!(reqwest::Client::new().get(url).send().await.is_err());

    let dropped = start().await;
    let url = dropped.url.join("api/v1/companies/").expect("url");
    drop(dropped);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(reqwest::Client::new().get(url).send().await.is_err());
}

#[tokio::test]
async fn state_is_per_sandbox_and_seeded_deterministically() {
    let one = start().await;
    let two = start().await;
    let a = login(&one, USER1).await;
    let b = login(&two, USER1).await;
    let list_a = a.ok("api/v1/companies/{cid}/invoices/").await;
    let list_b = b.ok("api/v1/companies/{cid}/invoices/").await;
    let ids = |v: &Value| results(v).iter().map(|i| i["publicId"].clone()).collect::<Vec<_>>();
    assert_eq!(ids(&list_a), ids(&list_b));
    let (status, _) = a.post("api/v1/companies/{cid}/clients/", json!({"name": "Nur in Sandbox eins"})).await;
    assert_eq!(status, StatusCode::CREATED);
    let count_a = a.ok("api/v1/companies/{cid}/clients/").await["count"].clone();
    let count_b = b.ok("api/v1/companies/{cid}/clients/").await["count"].clone();
    assert_ne!(count_a, count_b);
    one.shutdown().await;
    two.shutdown().await;
}

mod fuzz {
    //! Whatever arrives, the sandbox answers with a 4xx or 2xx, never a 5xx or a panic.

    use super::*;
    use proptest::prelude::*;
    use tower::ServiceExt as _;

    const WRITES: &[(&str, &str)] = &[
        ("POST", "api/v1/auth/token/"),
        ("POST", "api/v1/auth/token/refresh/"),
        ("POST", "api/v1/companies/{cid}/clients/"),
        ("PATCH", "api/v1/companies/{cid}/"),
        ("POST", "api/v1/companies/{cid}/invoices/"),
        ("POST", "api/v1/companies/{cid}/recurring-invoices/"),
        ("POST", "api/v1/companies/{cid}/accounting/transactions/"),
        ("POST", "api/v1/companies/{cid}/attachments/"),
        ("POST", "api/v1/accounting/transactions/upload-documents/"),
        ("POST", "api/v1/assistant/detect-category/"),
        ("POST", "api/v1/taxes/check-tax-number/"),
    ];
    const CONTENT_TYPES: &[&str] = &[
        "application/json",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=b",
        "multipart/form-data",
        "text/plain",
        "",
    ];

    fn body_strategy() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..300),
            "[a-z{}\\[\\]\":,0-9. -]{0,200}".prop_map(String::into_bytes),
            (
                "[a-zA-Z_]{1,20}",
                prop_oneof![
                    Just(json!(null)),
                    any::<i64>().prop_map(|n| json!(n)),
                    any::<f64>().prop_map(|f| json!(f)),
                    ".{0,40}".prop_map(|s| json!(s)),
                    Just(json!([{"name": "x", "quantity": 1e300, "rate": i64::MAX}])),
                    Just(json!({"nested": [1, {"a": null}]})),
                ],
            )
                .prop_map(|(k, v)| serde_json::to_vec(&json!({ k: v })).unwrap_or_default()),
            ".{0,100}".prop_map(|s| format!("--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{s}\"\r\n\r\n{s}\r\n--b--\r\n").into_bytes()),
        ]
    }

    #[test]
    fn no_input_causes_a_server_error() {
        let runtime = tokio::runtime::Runtime::new().expect("runtime");
        let (handle, api) = runtime.block_on(async {
            let handle = start().await;
            let api = login(&handle, USER1).await;
            (handle, api)
        });
        let app = handle.sandbox.router();
        let bearer = format!("Bearer {}", api.access);
        proptest!(ProptestConfig::with_cases(400), |(
            endpoint in 0..WRITES.len(),
            content_type in 0..CONTENT_TYPES.len(),
            body in body_strategy(),
            id in "[a-zA-Z0-9_%.-]{0,30}",
        )| {
            let (method, path) = WRITES[endpoint];
            let path = format!("/{}", path.replace("{cid}", USER1.company_id));
            let mut request = axum::http::Request::builder()
                .method(method)
                .uri(&path)
                .header("authorization", &bearer);
            if !CONTENT_TYPES[content_type].is_empty() {
                request = request.header("content-type", CONTENT_TYPES[content_type]);
            }
            let request = request.body(axum::body::Body::from(body.clone())).expect("request");
            let status = runtime.block_on(app.clone().oneshot(request)).expect("infallible").status();
            prop_assert!(status.as_u16() < 500, "{method} {path}: {status}");

            // Random ids and tokens in paths and headers.
            let uri = format!("/api/v1/companies/{}/invoices/{id}/pdf/?companyId={id}", USER1.company_id);
            if let Ok(request) = axum::http::Request::get(uri)
                .header("authorization", format!("Bearer {}", String::from_utf8_lossy(&body).replace(['\r', '\n'], "")))
                .body(axum::body::Body::empty())
            {
                let status = runtime.block_on(app.clone().oneshot(request)).expect("infallible").status();
                prop_assert!(status.as_u16() < 500);
            }
        });
        runtime.block_on(handle.shutdown());
    }
}
