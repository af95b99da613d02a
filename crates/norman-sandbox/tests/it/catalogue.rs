//! Black-box tests over real HTTP of the endpoints behind the full tool catalogue (vendors,
//! bills, company categories, the SKR table, the DATEV export, the tax-advisor paths), and of
//! the two users beyond the original pair: a person with two companies and a tax advisor.

use norman_sandbox::{
    MULTI_COMPANY_USER, MULTI_COMPANY_USER_COMPANIES, TAX_ADVISOR, TAX_ADVISOR_CLIENTS, seeded_id,
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{Api, USER1, USER2, login, results, start};

const CAFE: &str = TAX_ADVISOR_CLIENTS[0].company_id;
const RICHTER: &str = TAX_ADVISOR_CLIENTS[1].company_id;
const LINDNER_IMMOBILIEN: &str = MULTI_COMPANY_USER_COMPANIES[1].company_id;

fn list(body: &Value) -> &Vec<Value> {
    body.as_array().unwrap_or_else(|| panic!("not a bare list: {body}"))
}

/// A 400 whose body names exactly `field` (among possibly others) with a message.
fn assert_names_field(status: StatusCode, body: &Value, field: &str) {
    assert_eq!(status, StatusCode::BAD_REQUEST, "{field}: {body}");
    assert!(body[field][0].as_str().is_some_and(|m| !m.is_empty()), "{field} not named in {body}");
}

fn names(items: &[Value], key: &str) -> Vec<String> {
    items.iter().map(|i| i[key].as_str().unwrap_or_default().to_owned()).collect()
}

#[tokio::test]
async fn the_new_users_log_in_with_their_own_ids() {
    let handle = start().await;
    let http = reqwest::Client::new();
    let url = handle.url.join("api/v1/auth/token/").expect("url");
    for (user, id) in [(MULTI_COMPANY_USER, 3), (TAX_ADVISOR, 4)] {
        let response =
            http.post(url.clone()).json(&json!({"email": user.email, "password": user.password})).send();
        let body: Value = response.await.expect("login").json().await.expect("json");
        let payload = body["access"].as_str().expect("access").split('.').nth(1).expect("payload");
        use base64::Engine as _;
        let claims: Value = serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).expect("base64"),
        )
        .expect("claims");
        assert_eq!(claims["user_id"], id, "{}", user.email);
        let wrong =
            http.post(url.clone()).json(&json!({"email": user.email, "password": USER1.password})).send();
        assert_eq!(wrong.await.expect("login").status(), StatusCode::UNAUTHORIZED);
    }
    handle.shutdown().await;
}

#[tokio::test]
async fn vendors_crud_and_validation() {
    let handle = start().await;
    let api = login(&handle, USER1).await;
    let vendors = api.ok("api/v1/accounting/vendors/").await;
    assert_eq!(vendors["count"], 4);
    assert_eq!(names(results(&vendors), "name")[0], "Telekom Deutschland GmbH");
    assert!(results(&vendors).iter().all(|v| v["company"] == USER1.company_id));
    let same = api.ok(&format!("api/v1/accounting/vendors/?companyId={}", USER1.company_id)).await;
    assert_eq!(same["count"], 4);
    assert_eq!(api.ok("api/v1/accounting/vendors/?name=druckerei").await["count"], 1);

    let (status, errors) = api
        .post(
            "api/v1/accounting/vendors/?companyId={cid}",
            json!({"iban": "DE00 1234", "bic": "XYZ", "email": "nope", "country": "Deutschland"}),
        )
        .await;
    for field in ["name", "iban", "bic", "email", "country"] {
        assert_names_field(status, &errors, field);
    }
    assert_eq!(errors["iban"], json!(["Enter a valid IBAN."]));

    let (status, created) = api
        .post(
            "api/v1/accounting/vendors/?companyId={cid}",
            json!({"name": "Papierwerk Kreuzberg GmbH", "iban": "de89 3704 0044 0532 0130 00", "bic": "cobadeffxxx", "email": "rechnung@papierwerk.de", "vatNumber": "DE300400500"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["iban"], "DE89370400440532013000");
    assert_eq!(created["bic"], "COBADEFFXXX");
    assert_eq!(created["company"], USER1.company_id);
    let id = created["publicId"].as_str().expect("id").to_owned();
    assert!(id.starts_with("ven_"));
    let path = format!("api/v1/accounting/vendors/{id}/");
    assert_eq!(api.ok(&path).await["name"], "Papierwerk Kreuzberg GmbH");
    let (status, patched) = api.patch(&path, json!({"phone": "+49 30 555"})).await;
    assert_eq!((status, patched["phone"].clone()), (StatusCode::OK, json!("+49 30 555")));
    let (status, errors) = api.patch(&path, json!({"iban": "DE89370400440532013001"})).await;
    assert_names_field(status, &errors, "iban");
    assert_eq!(api.call(Method::DELETE, &path, None).await.0, StatusCode::NO_CONTENT);
    assert_eq!(api.get(&path).await.0, StatusCode::NOT_FOUND);

    // Deleting a vendor leaves its bills, unlinked but still named.
    let telekom = seeded_id("ven", USER1.company_id, 0);
    let (status, _) = api.call(Method::DELETE, &format!("api/v1/accounting/vendors/{telekom}/"), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let bill = api.ok(&format!("api/v1/accounting/bills/{}/", seeded_id("bill", USER1.company_id, 0))).await;
    assert_eq!(bill["vendor"], Value::Null);
    assert_eq!(bill["vendorName"], "Telekom Deutschland GmbH");
    handle.shutdown().await;
}

#[tokio::test]
async fn bills_status_payment_and_deletion() {
    let handle = start().await;
    let api = login(&handle, USER1).await;
    let bills = api.ok("api/v1/accounting/bills/").await;
    assert_eq!(bills["count"], 5);
    let first = &results(&bills)[0];
    for key in ["publicId", "vendor", "vendorName", "billNumber", "issued", "dueDate", "totalGross", "status"]
    {
        assert!(first.get(key).is_some(), "{key} missing in {first}");
    }
    let open = api.ok("api/v1/accounting/bills/?status=OPEN").await;
    assert_eq!(open["count"], 3);
    assert!(results(&open).iter().all(|b| b["status"] == "OPEN"));
    assert_eq!(api.ok("api/v1/accounting/bills/?status=PENDING").await["count"], 1);
    for bad in ["open", "OVERDUE"] {
        let (status, errors) = api.get(&format!("api/v1/accounting/bills/?status={bad}")).await;
        assert_names_field(status, &errors, "status");
    }
    let (status, _) = api.post("api/v1/accounting/bills/", json!({})).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);

    let telekom = seeded_id("bill", USER1.company_id, 0);
    let path = format!("api/v1/accounting/bills/{telekom}/");
    let bill = api.ok(&path).await;
    assert_eq!((bill["totalGross"].as_str(), bill["totalNet"].as_str()), (Some("53.55"), Some("45.00")));
    assert_eq!(bill["status"], "OPEN");

    // Paying: the account must be the company's own, the date not past, the bill open.
    let balance = api.ok("api/v1/companies/{cid}/balance/").await;
    let account = balance["accounts"][0]["publicId"].as_str().expect("account id").to_owned();
    let pay = format!("{path}pay/");
    let (status, errors) = api.post(&pay, json!({})).await;
    assert_names_field(status, &errors, "accountId");
    let (status, errors) = api.post(&pay, json!({"accountId": "bacc_someone_elses"})).await;
    assert_names_field(status, &errors, "accountId");
    let (status, errors) = api
        .post(&pay, json!({"accountId": account, "executionDate": "2020-01-01", "purpose": "x".repeat(141)}))
        .await;
    assert_names_field(status, &errors, "executionDate");
    assert_names_field(status, &errors, "purpose");
    let (status, payment) =
        api.post(&pay, json!({"accountId": account, "purpose": "MR-2026-06-4471208"})).await;
    assert_eq!(status, StatusCode::CREATED, "{payment}");
    assert!(payment["paymentOrderId"].as_str().is_some_and(|p| p.starts_with("pay_")));
    assert_eq!(payment["recipientIban"], "DE31300209001234567890");
    let webform = payment["webformUrl"].as_str().expect("webform");
    let page = reqwest::get(webform).await.expect("webform");
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.headers()["content-type"].to_str().is_ok_and(|t| t.starts_with("text/html")));
    assert_eq!(api.ok(&path).await["status"], "PENDING");
    let (status, again) = api.post(&pay, json!({"accountId": account})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{again}");
    assert!(again["detail"].as_str().is_some_and(|d| d.contains("PENDING")));

    // Marking paid and back.
    let (status, errors) = api.patch(&path, json!({"status": "PAYED"})).await;
    assert_names_field(status, &errors, "status");
    let (status, paid) = api.patch(&path, json!({"status": "PAID"})).await;
    assert_eq!(status, StatusCode::OK, "{paid}");
    assert!(paid["paidAt"].as_str().is_some_and(|d| d.len() == 10));
    let (_, reopened) = api.patch(&path, json!({"status": "OPEN"})).await;
    assert_eq!(reopened["paidAt"], Value::Null);
    let (status, same) = api.patch(&path, json!({})).await;
    assert_eq!((status, same["status"].clone()), (StatusCode::OK, json!("OPEN")));

    assert_eq!(api.call(Method::DELETE, &path, None).await.0, StatusCode::NO_CONTENT);
    assert_eq!(api.get(&path).await.0, StatusCode::NOT_FOUND);
    assert_eq!(api.post(&pay, json!({"accountId": account})).await.0, StatusCode::NOT_FOUND);
    handle.shutdown().await;
}

#[tokio::test]
async fn company_categories_and_templates() {
    let handle = start().await;
    let api = login(&handle, USER1).await;
    let categories = api.ok("api/v1/accounting/company-categories/?pageSize=200").await;
    assert_eq!(categories["count"], 17);
    let office = results(&categories).iter().find(|c| c["code"] == "6815").expect("6815");
    assert_eq!(
        (office["nameDe"].as_str(), office["cashflowType"].as_str()),
        (Some("Bürobedarf"), Some("EXPENSE"))
    );
    let income = api.ok("api/v1/accounting/company-categories/?cashflowType=INCOME").await;
    assert_eq!(names(results(&income), "code"), ["4400", "4300", "4336", "4830"]);
    let (status, errors) = api.get("api/v1/accounting/company-categories/?cashflowType=income").await;
    assert_names_field(status, &errors, "cashflowType");
    let second = login(&handle, USER2).await;
    let theirs = second.ok("api/v1/accounting/company-categories/").await;
    assert!(results(&theirs).iter().any(|c| c["code"] == "4930" && c["nameDe"] == "Bürobedarf"));
    assert!(results(&theirs).iter().all(|c| c["chartOfAccounts"] == "skr03"));

    let path = "api/v1/accounting/company-categories/?companyId={cid}";
    let (status, errors) = api.post(path, json!({"code": "12a", "cashflowType": "COST"})).await;
    for field in ["code", "name", "cashflowType"] {
        assert_names_field(status, &errors, field);
    }
    let (status, errors) =
        api.post(path, json!({"code": "6815", "name": "Office", "cashflowType": "EXPENSE"})).await;
    assert_eq!(errors, json!({"code": ["A category with this code already exists."]}), "{status}");
    let (status, created) = api
        .post(path, json!({"code": "6816", "name": "Coworking passes", "cashflowType": "EXPENSE", "nameDe": "Coworking-Tagespässe"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(
        (created["isCustom"].as_bool(), created["chartOfAccounts"].as_str()),
        (Some(true), Some("skr04"))
    );
    assert_eq!(api.ok("api/v1/accounting/company-categories/").await["count"], 18);

    // A freelancer's company keeps no own chart.
    let freelancer = login(&handle, MULTI_COMPANY_USER).await;
    let (status, refused) = freelancer
        .post(
            "api/v1/accounting/company-categories/",
            json!({"code": "4000", "name": "X", "cashflowType": "INCOME"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");
    assert_eq!(freelancer.ok("api/v1/accounting/company-categories/").await["count"], 0);

    let templates = api.ok("api/v1/accounting/company-categories/templates/").await;
    assert_eq!(names(results(&templates), "code"), ["skr03", "skr04"]);
    let skr04 = &results(&templates)[1];
    let template_codes = names(skr04["categories"].as_array().expect("categories"), "code");
    assert!(template_codes.contains(&"4400".to_owned()) && template_codes.contains(&"6815".to_owned()));
    assert_eq!(skr04["categoryCount"].as_u64(), Some(template_codes.len() as u64));
    handle.shutdown().await;
}

#[tokio::test]
async fn skr_lookup_and_suggestion() {
    let handle = start().await;
    let skr04 = login(&handle, USER1).await;
    let skr03 = login(&handle, USER2).await;
    let found = skr04.ok("api/v1/accounting/company-categories/skr-lookup/?q=4400").await;
    assert_eq!(
        found,
        json!([{"accountNumber": "4400", "nameDe": "Erlöse 19 % USt", "nameEn": "Revenue 19% VAT"}])
    );
    let prefix = skr04.ok("api/v1/accounting/company-categories/skr-lookup/?q=68").await;
    let numbers = names(list(&prefix), "accountNumber");
    assert!(
        numbers.len() > 5 && numbers.iter().all(|n| n.starts_with("68")) && numbers.contains(&"6815".into())
    );
    let mut sorted = numbers.clone();
    sorted.sort();
    assert_eq!(numbers, sorted, "by account number");
    let by_name = skr03.ok("api/v1/accounting/company-categories/skr-lookup/?q=b%C3%BCrobedarf").await;
    assert_eq!(names(list(&by_name), "accountNumber"), ["4930"]);
    assert_eq!(list(&skr03.ok("api/v1/accounting/company-categories/skr-lookup/?q=8400").await).len(), 1);
    assert!(list(&skr04.ok("api/v1/accounting/company-categories/skr-lookup/?q=9999").await).is_empty());
    for path in ["skr-lookup/", "skr-lookup/?q=%20", "skr-ai-suggest/"] {
        let (status, errors) = skr04.get(&format!("api/v1/accounting/company-categories/{path}")).await;
        assert_eq!(errors, json!({"q": ["This field is required."]}), "{path}: {status}");
    }

    let phone = "api/v1/accounting/company-categories/skr-ai-suggest/?q=Telekom%20Handyrechnung%20Juni";
    let suggested = skr04.ok(phone).await;
    assert_eq!(list(&suggested)[0]["accountNumber"], "6805");
    assert_eq!(list(&skr03.ok(phone).await)[0]["accountNumber"], "4920");
    let supplies = skr04
        .ok("api/v1/accounting/company-categories/skr-ai-suggest/?q=Druckerpatronen%20und%20Papier")
        .await;
    assert_eq!(list(&supplies)[0]["nameDe"], "Bürobedarf");
    let many = skr04.ok("api/v1/accounting/company-categories/skr-ai-suggest/?q=Bahn%20Hotel%20Taxi%20Miete%20Strom%20Telefon%20Internet%20Porto%20Werbung").await;
    assert_eq!(list(&many).len(), 5, "at most five");
    assert!(list(&many).iter().all(|s| s["confidence"].as_f64().is_some_and(|c| c > 0.0 && c < 1.0)));
    assert_eq!(skr04.ok("api/v1/accounting/company-categories/skr-ai-suggest/?q=xyzzy").await, json!([]));
    assert_eq!(skr04.ok(phone).await, suggested, "deterministic");
    handle.shutdown().await;
}

#[tokio::test]
async fn datev_export_builds_a_booking_batch() {
    let handle = start().await;
    let api = login(&handle, USER1).await;
    let path = "api/v1/companies/{cid}/accounting/datev-export/";
    let (status, job) = api
        .post(path, json!({"dateFrom": "2026-01-01", "dateTo": "2026-06-30", "includeDocuments": true}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{job}");
    assert_eq!(job["status"], "completed");
    assert_eq!((job["transactionCount"].as_u64(), job["documentCount"].as_u64()), (Some(10), Some(3)));
    assert_eq!(job["fileName"], "EXTF_Buchungsstapel_20260101_20260630.csv");
    let csv = reqwest::get(job["downloadUrl"].as_str().expect("url")).await.expect("download");
    assert_eq!(csv.status(), StatusCode::OK);
    let csv = csv.text().await.expect("text");
    assert!(csv.starts_with("\"EXTF\";700;21;\"Buchungsstapel\""), "{csv}");
    assert!(
        csv.contains(";1234567;10001;20260101;4;20260101;20260630;"),
        "advisor and client numbers: {csv}"
    );
    assert!(csv.contains("1200,00;\"H\";\"EUR\";;;;1800;6310;"), "rent against the bank: {csv}");
    assert_eq!(csv.lines().count(), 2 + 10);
    let (_, without) = api
        .post(path, json!({"dateFrom": "2026-01-01", "dateTo": "2026-01-31", "includeDocuments": false}))
        .await;
    assert_eq!((without["transactionCount"].as_u64(), without["documentCount"].as_u64()), (Some(2), Some(0)));

    for (body, field) in [
        (json!({"dateFrom": "2026-01-01"}), "dateTo"),
        (json!({"dateFrom": "01.01.2026", "dateTo": "2026-03-31"}), "dateFrom"),
        (json!({"dateFrom": "2026-03-01", "dateTo": "2026-01-31"}), "dateTo"),
        (json!({"dateFrom": "2025-12-01", "dateTo": "2026-01-31"}), "dateTo"),
        (
            json!({"dateFrom": "2026-01-01", "dateTo": "2026-01-31", "includeDocuments": "sometimes"}),
            "includeDocuments",
        ),
    ] {
        let (status, errors) = api.post(path, body.clone()).await;
        assert_names_field(status, &errors, field);
    }
    assert_eq!(api.get(path).await.0, StatusCode::METHOD_NOT_ALLOWED);

    let joinery = login(&handle, USER2).await;
    let (_, job) = joinery.post(path, json!({"dateFrom": "2026-01-01", "dateTo": "2026-01-31"})).await;
    let csv = reqwest::get(job["downloadUrl"].as_str().expect("url"))
        .await
        .expect("download")
        .text()
        .await
        .expect("text");
    assert!(csv.contains("850,00;\"H\";\"EUR\";;;;1200;4210;"), "SKR 03 accounts: {csv}");

    // Without DATEV numbers there is no batch header to write.
    let freelancer = login(&handle, MULTI_COMPANY_USER).await;
    let (status, refused) =
        freelancer.post(path, json!({"dateFrom": "2026-01-01", "dateTo": "2026-06-30"})).await;
    assert_names_field(status, &refused, "non_field_errors");
    handle.shutdown().await;
}

#[tokio::test]
async fn every_new_company_scoped_collection_is_404_for_another_user() {
    let handle = start().await;
    let intruder = login(&handle, USER1).await;
    let owner = login(&handle, USER2).await;
    let advisor = login(&handle, TAX_ADVISOR).await;
    let theirs = USER2.company_id;
    let vendor = seeded_id("ven", theirs, 0);
    let bill = seeded_id("bill", theirs, 1);
    let tx = seeded_id("trx", CAFE, 1);
    let q = format!("?companyId={theirs}");
    // Each request, and who may make it: the same request by them must not be a 404, so a
    // 404 for the intruder proves the ownership check, not a missing route. Deletions last.
    let cases: Vec<(&Api, Method, String, Option<Value>)> = vec![
        (&owner, Method::GET, format!("api/v1/accounting/vendors/{q}"), None),
        (
            &owner,
            Method::POST,
            format!("api/v1/accounting/vendors/{q}"),
            Some(json!({"name": "Eindringling"})),
        ),
        (&owner, Method::GET, format!("api/v1/accounting/vendors/{vendor}/"), None),
        (&owner, Method::GET, format!("api/v1/accounting/vendors/{vendor}/{q}"), None),
        (
            &owner,
            Method::PATCH,
            format!("api/v1/accounting/vendors/{vendor}/"),
            Some(json!({"phone": "+49 89 1"})),
        ),
        (&owner, Method::GET, format!("api/v1/accounting/bills/{q}"), None),
        (&owner, Method::GET, format!("api/v1/accounting/bills/{bill}/"), None),
        (
            &owner,
            Method::PATCH,
            format!("api/v1/accounting/bills/{bill}/{q}"),
            Some(json!({"description": "x"})),
        ),
        (
            &owner,
            Method::POST,
            format!("api/v1/accounting/bills/{bill}/pay/"),
            Some(json!({"accountId": seeded_id("bacc", theirs, 0)})),
        ),
        (&owner, Method::PATCH, format!("api/v1/accounting/bills/{bill}/"), Some(json!({"status": "PAID"}))),
        (&owner, Method::GET, format!("api/v1/accounting/company-categories/{q}"), None),
        (
            &owner,
            Method::POST,
            format!("api/v1/accounting/company-categories/{q}"),
            Some(json!({"code": "9999", "name": "X", "cashflowType": "INCOME"})),
        ),
        (&owner, Method::GET, format!("api/v1/accounting/company-categories/templates/{q}"), None),
        (&owner, Method::GET, format!("api/v1/accounting/company-categories/skr-lookup/{q}&q=4"), None),
        (
            &owner,
            Method::GET,
            format!("api/v1/accounting/company-categories/skr-ai-suggest/{q}&q=miete"),
            None,
        ),
        (
            &owner,
            Method::POST,
            format!("api/v1/companies/{theirs}/accounting/datev-export/"),
            Some(json!({"dateFrom": "2026-01-01", "dateTo": "2026-01-31"})),
        ),
        (&advisor, Method::GET, format!("api/v1/tax-advisor/clients/{CAFE}/stats/"), None),
        (&advisor, Method::GET, format!("api/v1/tax-advisor/clients/{CAFE}/transactions/"), None),
        (&advisor, Method::POST, format!("api/v1/tax-advisor/clients/{CAFE}/ping/{tx}/"), None),
        (&owner, Method::DELETE, format!("api/v1/accounting/bills/{bill}/"), None),
        (&owner, Method::DELETE, format!("api/v1/accounting/vendors/{vendor}/"), None),
    ];
    for (_, method, path, body) in &cases {
        let (status, answer) = intruder.call(method.clone(), path, body.clone()).await;
        assert_eq!(
            (status, answer),
            (StatusCode::NOT_FOUND, json!({"detail": "Not found."})),
            "{method} {path}"
        );
    }
    // Nothing of theirs changed.
    let their_vendor = owner.ok(&format!("api/v1/accounting/vendors/{vendor}/")).await;
    assert_eq!(
        (their_vendor["name"].as_str(), their_vendor["phone"].as_str()),
        (Some("Holzhandel Bayern GmbH"), Some("+49 89 8971234"))
    );
    assert_eq!(owner.ok(&format!("api/v1/accounting/bills/{bill}/")).await["status"], "OPEN");
    assert_eq!(owner.ok("api/v1/accounting/vendors/").await["count"], 4);
    assert_eq!(owner.ok("api/v1/accounting/company-categories/").await["count"], 17);
    let pinged = advisor
        .ok(&format!(
            "api/v1/tax-advisor/clients/{CAFE}/transactions/?date_from=2026-03-12&date_to=2026-03-12"
        ))
        .await;
    assert_eq!(results(&pinged)[0]["document_requested_at"], Value::Null);
    // And the same requests are served to those who may make them.
    for (legit, method, path, body) in cases {
        let (status, answer) = legit.call(method.clone(), &path, body).await;
        assert!(status.is_success(), "{method} {path}: {status} {answer}");
    }
    handle.shutdown().await;
}

#[tokio::test]
async fn a_person_with_two_companies_acts_on_both() {
    let handle = start().await;
    let lindner = login(&handle, MULTI_COMPANY_USER).await;
    let companies = lindner.ok("api/v1/companies/").await;
    let listed: Vec<(String, String)> =
        results(&companies).iter().map(|c| (c["publicId"].to_string(), c["name"].to_string())).collect();
    let expected: Vec<(String, String)> = MULTI_COMPANY_USER_COMPANIES
        .iter()
        .map(|c| (json!(c.company_id).to_string(), json!(c.company_name).to_string()))
        .collect();
    assert_eq!(listed, expected, "both, the default first");
    assert_eq!(results(&companies)[0]["chartOfAccounts"], Value::Null, "a freelancer without a chart");

    // Global paths act on the default company unless companyId names the other one.
    let own = lindner.ok("api/v1/accounting/vendors/").await;
    assert_eq!(names(results(&own), "name"), ["Telekom Deutschland GmbH", "Coworking Ehrenfeld GmbH"]);
    let gbr = lindner.ok(&format!("api/v1/accounting/vendors/?companyId={LINDNER_IMMOBILIEN}")).await;
    assert!(results(&gbr).iter().all(|v| v["company"] == LINDNER_IMMOBILIEN));
    assert_eq!(results(&gbr)[0]["name"], "Hausmeisterservice Kalk GmbH");
    let settings = lindner.ok(&format!("api/v1/taxes/tax-settings/?companyId={LINDNER_IMMOBILIEN}")).await;
    assert_eq!(results(&settings)[0]["vatType"], "vat_exempt");
    let detail = lindner.ok(&format!("api/v1/companies/{LINDNER_IMMOBILIEN}/")).await;
    assert_eq!(detail["name"], "Lindner Immobilien GbR");
    let transactions =
        lindner.ok(&format!("api/v1/companies/{LINDNER_IMMOBILIEN}/accounting/transactions/")).await;
    assert_eq!(transactions["count"], 4);
    let categories =
        lindner.ok(&format!("api/v1/accounting/company-categories/?companyId={LINDNER_IMMOBILIEN}")).await;
    assert_eq!(results(&categories)[0]["code"], "4860");

    // Nobody else reaches either company, and the person reaches nobody else's.
    let other = login(&handle, USER1).await;
    for company in MULTI_COMPANY_USER_COMPANIES {
        assert_eq!(
            other.get(&format!("api/v1/companies/{}/", company.company_id)).await.0,
            StatusCode::NOT_FOUND
        );
        let (status, _) =
            other.get(&format!("api/v1/accounting/bills/?companyId={}", company.company_id)).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
    assert_eq!(
        lindner.get(&format!("api/v1/companies/{}/", USER1.company_id)).await.0,
        StatusCode::NOT_FOUND
    );
    let (status, _) = lindner.get(&format!("api/v1/tax-advisor/clients/{LINDNER_IMMOBILIEN}/stats/")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "one's own company is no client");
    handle.shutdown().await;
}

#[tokio::test]
async fn a_tax_advisor_sees_and_acts_on_their_clients_only() {
    let handle = start().await;
    let advisor = login(&handle, TAX_ADVISOR).await;
    let companies = advisor.ok("api/v1/companies/").await;
    assert_eq!(names(results(&companies), "name"), [TAX_ADVISOR.company_name], "the firm only");

    let clients = advisor.ok("api/v1/tax-advisor/clients/").await;
    let clients = list(&clients);
    assert_eq!(names(clients, "public_id"), [CAFE, RICHTER]);
    assert_eq!(names(clients, "name"), TAX_ADVISOR_CLIENTS.map(|c| c.company_name));
    for client in clients {
        for key in ["public_id", "name", "account_type", "transaction_count", "missing_docs_count"] {
            assert!(client.get(key).is_some(), "{key} missing in {client}");
        }
        assert!(client.get("publicId").is_none(), "snake_case here: {client}");
    }
    assert_eq!(
        (clients[0]["transaction_count"].as_u64(), clients[0]["missing_docs_count"].as_u64()),
        (Some(8), Some(6))
    );
    assert_eq!(
        (clients[1]["transaction_count"].as_u64(), clients[1]["missing_docs_count"].as_u64()),
        (Some(5), Some(5))
    );

    let stats = advisor
        .ok(&format!("api/v1/tax-advisor/clients/{CAFE}/stats/?companyId={}", TAX_ADVISOR.company_id))
        .await;
    assert_eq!(stats["company_id"], CAFE);
    assert_eq!(stats["missing_docs_count"], 6);
    assert_eq!(stats["open_bills_count"], 1);

    let path = format!("api/v1/tax-advisor/clients/{RICHTER}/transactions/");
    let page = advisor.ok(&format!("{path}?page_size=2")).await;
    assert_eq!((page["count"].as_u64(), results(&page).len()), (Some(5), 2));
    assert!(page["next"].as_str().is_some_and(|n| n.contains("page_size=2") && n.contains("page=2")));
    let item = &results(&page)[0];
    for key in ["public_id", "description", "amount", "value_date", "category_name", "has_attachment"] {
        assert!(item.get(key).is_some(), "{key} missing in {item}");
    }
    assert!(item.get("valueDate").is_none() && item.get("publicId").is_none(), "snake_case here: {item}");
    let march = advisor.ok(&format!("{path}?date_from=2026-03-01&date_to=2026-03-31&page_size=200")).await;
    assert_eq!(names(results(&march), "value_date"), ["2026-03-20", "2026-03-03"]);
    let (status, errors) = advisor.get(&format!("{path}?date_from=M%C3%A4rz")).await;
    assert_names_field(status, &errors, "date_from");
    let (status, errors) = advisor.get(&format!("{path}?date_to=2026-02-30")).await;
    assert_names_field(status, &errors, "date_to");

    // Pings: a transaction without its document, yes; with one, no; another client's, 404.
    let lens = seeded_id("trx", RICHTER, 1);
    let (status, pinged) =
        advisor.call(Method::POST, &format!("api/v1/tax-advisor/clients/{RICHTER}/ping/{lens}/"), None).await;
    assert_eq!(status, StatusCode::OK, "{pinged}");
    assert!(pinged["detail"].as_str().is_some_and(|d| d.contains("Jonas Richter Fotografie")));
    let after = advisor.ok(&format!("{path}?date_from=2026-03-03&date_to=2026-03-03")).await;
    assert!(results(&after)[0]["document_requested_at"].is_string());
    let rent = seeded_id("trx", CAFE, 0);
    let (status, refused) =
        advisor.call(Method::POST, &format!("api/v1/tax-advisor/clients/{CAFE}/ping/{rent}/"), None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    assert!(refused["detail"].is_string());
    for path in [
        format!("api/v1/tax-advisor/clients/{RICHTER}/ping/{rent}/"),
        format!("api/v1/tax-advisor/clients/{RICHTER}/ping/trx_nope/"),
    ] {
        assert_eq!(advisor.call(Method::POST, &path, None).await.0, StatusCode::NOT_FOUND, "{path}");
    }

    // The advisor acts on a client's company like its owner, through every company path.
    assert_eq!(advisor.ok(&format!("api/v1/companies/{CAFE}/")).await["name"], "Café Morgenrot GmbH");
    let reports = advisor.ok(&format!("api/v1/taxes/reports/?companyId={CAFE}")).await;
    assert!(!results(&reports).is_empty() && results(&reports).iter().all(|r| r["company"] == CAFE));
    let sent = advisor.ok(&format!("api/v1/companies/{CAFE}/invoices/?status=paid")).await;
    assert_eq!(sent["count"], 1);
    let tx = seeded_id("trx", CAFE, 1);
    let (status, verified) = advisor
        .call(Method::POST, &format!("api/v1/companies/{CAFE}/accounting/transactions/{tx}/verify/"), None)
        .await;
    assert_eq!((status, verified["status"].clone()), (StatusCode::OK, json!("VERIFIED")));
    assert_eq!(advisor.ok(&format!("api/v1/accounting/bills/?companyId={CAFE}")).await["count"], 2);

    // Not on anyone else's, and its own firm is no client.
    for path in [
        format!("api/v1/companies/{}/", USER1.company_id),
        format!("api/v1/accounting/vendors/?companyId={}", USER1.company_id),
        format!("api/v1/tax-advisor/clients/{}/stats/", USER1.company_id),
        format!("api/v1/tax-advisor/clients/{}/stats/", TAX_ADVISOR.company_id),
        format!("api/v1/tax-advisor/clients/{}/transactions/", MULTI_COMPANY_USER.company_id),
    ] {
        assert_eq!(advisor.get(&path).await.0, StatusCode::NOT_FOUND, "{path}");
    }

    // Others reach neither the clients nor the advisor's list.
    for user in [USER1, USER2, MULTI_COMPANY_USER] {
        let other = login(&handle, user).await;
        let (status, body) = other.get("api/v1/tax-advisor/clients/").await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{}: {body}", user.email);
        for company in TAX_ADVISOR_CLIENTS {
            let id = company.company_id;
            for path in [
                format!("api/v1/companies/{id}/"),
                format!("api/v1/companies/{id}/accounting/transactions/"),
                format!("api/v1/taxes/reports/?companyId={id}"),
                format!("api/v1/tax-advisor/clients/{id}/stats/"),
                format!("api/v1/tax-advisor/clients/{id}/transactions/"),
            ] {
                assert_eq!(other.get(&path).await.0, StatusCode::NOT_FOUND, "{}: {path}", user.email);
            }
        }
    }
    handle.shutdown().await;
}

mod fuzz {
    //! Whatever arrives at the new write endpoints, the sandbox answers with a 4xx or 2xx,
    //! never a 5xx or a panic.

    use super::*;
    use proptest::prelude::*;
    use tower::ServiceExt as _;

    fn writes() -> Vec<(&'static str, String)> {
        let cid = USER1.company_id;
        vec![
            ("POST", "/api/v1/accounting/vendors/".to_owned()),
            ("PATCH", format!("/api/v1/accounting/vendors/{}/", seeded_id("ven", cid, 1))),
            ("PATCH", format!("/api/v1/accounting/bills/{}/", seeded_id("bill", cid, 3))),
            ("POST", format!("/api/v1/accounting/bills/{}/pay/", seeded_id("bill", cid, 4))),
            ("POST", "/api/v1/accounting/company-categories/".to_owned()),
            ("POST", format!("/api/v1/companies/{cid}/accounting/datev-export/")),
        ]
    }

    fn body_strategy() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..200),
            (
                prop_oneof![
                    Just("name"),
                    Just("iban"),
                    Just("bic"),
                    Just("status"),
                    Just("accountId"),
                    Just("executionDate"),
                    Just("purpose"),
                    Just("code"),
                    Just("cashflowType"),
                    Just("dateFrom"),
                    Just("dateTo"),
                ],
                prop_oneof![
                    Just(json!(null)),
                    any::<i64>().prop_map(|n| json!(n)),
                    any::<f64>().prop_map(|f| json!(f)),
                    ".{0,60}".prop_map(|s| json!(s)),
                    Just(json!(["a", 1])),
                    Just(json!({"nested": true})),
                ],
            )
                .prop_map(
                    |(k, v)| serde_json::to_vec(&json!({ k: v, "dateTo": "2026-12-31" })).unwrap_or_default()
                ),
        ]
    }

    #[test]
    fn no_input_causes_a_server_error() {
        let runtime = tokio::runtime::Runtime::new().expect("runtime");
        let (handle, api, advisor) = runtime.block_on(async {
            let handle = start().await;
            let api = login(&handle, USER1).await;
            let advisor = login(&handle, TAX_ADVISOR).await;
            (handle, api, advisor)
        });
        let app = handle.sandbox.router();
        let writes = writes();
        proptest!(ProptestConfig::with_cases(300), |(
            endpoint in 0..writes.len(),
            body in body_strategy(),
            query in "[a-zA-Z0-9_%=&.-]{0,30}",
        )| {
            let (method, path) = &writes[endpoint];
            let request = axum::http::Request::builder()
                .method(*method)
                .uri(path)
                .header("authorization", format!("Bearer {}", api.access))
                .header("content-type", "application/json")
                .body(axum::body::Body::from(body.clone()))
                .expect("request");
            let status = runtime.block_on(app.clone().oneshot(request)).expect("infallible").status();
            prop_assert!(status.as_u16() < 500, "{method} {path}: {status}");

            for uri in [
                format!("/api/v1/tax-advisor/clients/{RICHTER}/transactions/?{query}"),
                format!("/api/v1/accounting/company-categories/skr-ai-suggest/?q={query}"),
                format!("/api/v1/accounting/bills/?{query}"),
            ] {
                if let Ok(request) = axum::http::Request::get(uri)
                    .header("authorization", format!("Bearer {}", advisor.access))
                    .body(axum::body::Body::empty())
                {
                    let status = runtime.block_on(app.clone().oneshot(request)).expect("infallible").status();
                    prop_assert!(status.as_u16() < 500);
                }
            }
        });
        runtime.block_on(handle.shutdown());
    }
}
