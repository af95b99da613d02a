//! Black-box tests over real HTTP of quotes (offers): invoices with `type: "quote"` on the
//! invoices endpoint, with a number series of their own, their mail, their conversion into an
//! invoice, and the same ownership rule as every company path.

use norman_sandbox::seeded_id;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{USER1, USER2, login, results, start};

fn numbers(list: &Value) -> Vec<&str> {
    results(list).iter().map(|i| i["invoiceNumber"].as_str().unwrap_or_default()).collect()
}

/// The body `create_offer` sends.
fn quote_body(client: &str, number: &str) -> Value {
    json!({
        "client": client,
        "invoiceNumber": number,
        "invoicedItems": [{ "name": "Konzeption Corporate Design", "quantity": 1, "rate": 180000, "vatRate": 19 }],
        "issued": "2026-07-01",
        "dueTo": "2026-07-31",
        "currency": "EUR",
        "language": "de",
        "invoiceType": "SERVICES",
        "isVatIncluded": false,
        "type": "quote",
    })
}

#[tokio::test]
async fn quotes_have_their_own_numbers_list_and_conversion() {
    let handle = start().await;
    let api = login(&handle, USER1).await;
    let base = format!("api/v1/companies/{}/invoices/", USER1.company_id);

    let next_quote = api.ok(&format!("{base}next-invoice-number/?type=quote")).await;
    assert_eq!(next_quote["type"], "quote");
    let number = next_quote["nextInvoiceNumber"].as_str().expect("a number").to_owned();
    assert!(number.starts_with("AN-"), "the quote series: {number}");
    let next_invoice = api.ok(&format!("{base}next-invoice-number/")).await;
    assert!(next_invoice["nextInvoiceNumber"].as_str().unwrap().starts_with("RE-"), "{next_invoice}");
    let (status, error) =
        api.call(Method::GET, &format!("{base}next-invoice-number/?type=offer"), None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(error["type"].is_array(), "{error}");

    let client = seeded_id("cli", USER1.company_id, 1);
    let (status, quote) = api.call(Method::POST, &base, Some(quote_body(&client, &number))).await;
    assert_eq!(status, StatusCode::CREATED, "{quote}");
    assert_eq!(quote["type"], "quote");
    assert_eq!(quote["invoiceNumber"], number.as_str());
    assert_eq!(quote["status"], "draft");
    assert_eq!(quote["totalGross"], "2142.00");
    let id = quote["publicId"].as_str().expect("id").to_owned();
    let (status, duplicate) = api.call(Method::POST, &base, Some(quote_body(&client, &number))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(duplicate["invoiceNumber"].is_array(), "{duplicate}");

    // Listed among the quotes, never among the invoices; the series moved on, the other not.
    let quotes = api.ok(&format!("{base}?type=quote&status=draft")).await;
    assert!(numbers(&quotes).contains(&number.as_str()), "{quotes}");
    let invoices = api.ok(&format!("{base}?limit=100")).await;
    assert!(!numbers(&invoices).contains(&number.as_str()));
    let after = api.ok(&format!("{base}next-invoice-number/?type=quote")).await;
    assert_ne!(after["nextInvoiceNumber"], number.as_str());
    assert_eq!(api.ok(&format!("{base}next-invoice-number/")).await, next_invoice);

    // Sent like an invoice; reminders and links are for invoices only.
    let mail = json!({ "subject": "Ihr Angebot", "body": "Anbei unser Angebot." });
    let (status, sent) = api.call(Method::POST, &format!("{base}{id}/send/"), Some(mail.clone())).await;
    assert_eq!(status, StatusCode::OK, "{sent}");
    assert_eq!(sent["detail"], "Quote sent.");
    assert_eq!(api.ok(&format!("{base}{id}/")).await["status"], "sent");
    let (status, _) = api.call(Method::POST, &format!("{base}{id}/send-on-overdue/"), Some(mail)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let transaction = json!({ "transaction": seeded_id("trx", USER1.company_id, 9) });
    let (status, _) =
        api.call(Method::POST, &format!("{base}{id}/link-transaction/"), Some(transaction)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let preview = api.ok(&format!("{base}{id}/preview/")).await;
    assert_eq!(preview["invoiceNumber"], number.as_str());

    // Converted: a new draft invoice of the invoice series, the quote gone.
    let (status, invoice) = api.call(Method::POST, &format!("{base}{id}/convert-to-invoice/"), None).await;
    assert_eq!(status, StatusCode::CREATED, "{invoice}");
    assert_eq!(invoice["type"], "invoice");
    assert_eq!(invoice["convertedFrom"], id.as_str());
    assert_eq!(invoice["invoiceNumber"], next_invoice["nextInvoiceNumber"]);
    assert_eq!(invoice["totalGross"], "2142.00");
    assert_eq!(api.call(Method::GET, &format!("{base}{id}/"), None).await.0, StatusCode::NOT_FOUND);
    let again = api.call(Method::POST, &format!("{base}{id}/convert-to-invoice/"), None).await;
    assert_eq!(again.0, StatusCode::NOT_FOUND);
    handle.shutdown().await;
}

#[tokio::test]
async fn another_users_quotes_are_404_on_every_path() {
    let handle = start().await;
    let owner = login(&handle, USER1).await;
    let other = login(&handle, USER2).await;
    let base = format!("api/v1/companies/{}/invoices/", USER1.company_id);
    let quote = seeded_id("quo", USER1.company_id, 4);
    assert_eq!(owner.ok(&format!("{base}{quote}/")).await["type"], "quote");
    let mail = json!({ "subject": "x", "body": "y" });
    for (method, path, body) in [
        (Method::GET, format!("{base}?type=quote"), None),
        (Method::GET, format!("{base}next-invoice-number/?type=quote"), None),
        (Method::GET, format!("{base}{quote}/"), None),
        (Method::GET, format!("{base}{quote}/preview/"), None),
        (Method::POST, format!("{base}{quote}/send/"), Some(mail)),
        (Method::POST, format!("{base}{quote}/convert-to-invoice/"), None),
        (
            Method::POST,
            base.clone(),
            Some(quote_body(&seeded_id("cli", USER1.company_id, 0), "AN-2026-7777")),
        ),
    ] {
        let (status, body) = other.call(method.clone(), &path, body).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}: {body}");
    }
    // Their own path does not reach the quote either, and the quote is untouched.
    let own = format!("api/v1/companies/{}/invoices/{quote}/", USER2.company_id);
    assert_eq!(other.call(Method::GET, &own, None).await.0, StatusCode::NOT_FOUND);
    let theirs = other.ok(&format!("api/v1/companies/{}/invoices/?type=quote", USER2.company_id)).await;
    assert!(results(&theirs).iter().all(|q| q["publicId"] != quote.as_str()));
    let still = owner.ok(&format!("{base}{quote}/")).await;
    assert_eq!(still["status"], "sent");
    assert_eq!(owner.ok(&format!("{base}?type=quote")).await["count"], 3);
    handle.shutdown().await;
}
