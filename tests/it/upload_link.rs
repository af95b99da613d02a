//! Upload links over real HTTP against the sandbox Norman API: the tool's link, its page, files
//! sent through it landing in Norman (and seen through `list_attachments`), the limits, expired,
//! changed and foreign links, cross-site posts, read-only tokens, file references, and the
//! sealed path never reaching the logs.

use std::sync::Arc;

use norman_mcp::guard::MemoryGuard;
use norman_mcp::keyring::{Keyring, SharedKeyring};
use norman_mcp::mcp::upload::UploadPolicy;
use norman_mcp::mcp::upload_link::UploadLinks;
use norman_mcp::norman::multipart::Form;
use norman_mcp::seal;
use norman_mcp::tokens::NormanToken;
use norman_mcp::tokens::upload_link::{UploadLink, UploadTarget};
use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};

use crate::support::tool_examples::{SMALL_PDF, id};
use crate::support::*;

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";

async fn write_token(server: &TestServer) -> String {
    let (_, tokens) = full_flow(server, "norman.read norman.write", 0).await;
    tokens["access_token"].as_str().unwrap().to_owned()
}

/// `request_file_upload` with `arguments`: its JSON answer.
async fn request_link(server: &TestServer, token: &str, arguments: Value) -> Value {
    let response = mcp_call(server, token, "request_file_upload", arguments).await;
    assert_eq!(response["result"]["isError"], false, "{response}");
    tool_json(&response)
}

/// The `nmf_…` part of a link.
fn sealed_of(url: &str) -> &str {
    url.rsplit_once("/upload/").expect("an upload path").1
}

/// POSTs `files` (name, bytes) as the page's form does, from the page's own origin.
async fn post_files(server: &TestServer, url: &str, files: &[(&str, &[u8])], lang: &str) -> (u16, String) {
    let form = files.iter().fold(Form::new(), |form, (name, data)| form.file("files", *name, data.to_vec()));
    let (content_type, body) = form.encode();
    let response = server
        .http
        .post(url)
        .header("content-type", content_type)
        .header("origin", &server.base)
        .header("accept-language", lang)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

/// The Norman ids the result page lists.
fn ids_on(page: &str) -> Vec<String> {
    page.split("<code class=\"norman-id\">")
        .skip(1)
        .filter_map(|rest| rest.split_once("</code>").map(|(id, _)| id.to_owned()))
        .filter(|id| id != "–")
        .collect()
}

async fn attachments(server: &TestServer, token: &str) -> Vec<Value> {
    let list = tool_json(&mcp_call(server, token, "list_attachments", json!({})).await);
    list["results"].as_array().expect("a results list").clone()
}

#[tokio::test]
async fn a_link_from_the_tool_takes_files_straight_to_norman() {
    let server = TestServer::start().await;
    let token = write_token(&server).await;
    let link = request_link(&server, &token, json!({ "description": "Tankquittung März" })).await;
    let url = link["upload_url"].as_str().unwrap().to_owned();
    assert!(url.starts_with(&format!("{}/upload/nmf_", server.base)), "{url}");
    assert_eq!(link["expires_in_seconds"], 900);
    assert!(link["instructions"].as_str().unwrap().contains("exactly as it is"));

    // The page: the form, what was asked, no script, the security headers.
    let page = server.http.get(&url).header("accept-language", "de-DE,de;q=0.9").send().await.unwrap();
    assert_eq!(page.status(), 200);
    let csp = page.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(csp.contains("default-src 'none'") && csp.contains("form-action 'self'"), "{csp}");
    assert!(!csp.contains("script-src"), "no script is allowed: {csp}");
    assert_eq!(page.headers()["x-frame-options"], "DENY");
    assert_eq!(page.headers()["referrer-policy"], "no-referrer");
    assert_eq!(page.headers()["cache-control"], "no-store");
    let html = page.text().await.unwrap();
    assert!(html.contains("<html lang=\"de\">") && html.contains("An Norman hochladen"), "{html}");
    assert!(html.contains("Tankquittung März") && html.contains("enctype=\"multipart/form-data\""));
    assert!(!html.contains("<script"), "no script on the page");

    // Two files go to Norman's bulk upload; the page names them with their Norman ids.
    let before = attachments(&server, &token).await.len();
    let (status, done) =
        post_files(&server, &url, &[("kassenbon.pdf", SMALL_PDF), ("foto", PNG)], "en").await;
    assert_eq!(status, 200, "{done}");
    assert!(done.contains("Uploaded to Norman") && done.contains("kassenbon.pdf"), "{done}");
    assert!(done.contains("foto.png"), "a name without extension gets its type's: {done}");
    let ids = ids_on(&done);
    assert_eq!(ids.len(), 2, "{done}");
    let stored = attachments(&server, &token).await;
    assert_eq!(stored.len(), before + 2);
    for id in &ids {
        let document =
            stored.iter().find(|a| a["publicId"] == id.as_str()).expect("listed by list_attachments");
        assert_eq!(document["attachmentType"], "receipt");
        assert_eq!(document["linked"], false, "waiting to be matched");
    }

    // What the page reports is what the upload tools take: no second upload.
    let transaction = id("trx", 4);
    let linked = mcp_call(
        &server,
        &token,
        "create_attachment",
        json!({ "file_ref": ids[0], "transactions": [transaction], "attachment_type": "receipt" }),
    )
    .await;
    assert_eq!(linked["result"]["isError"], false, "{linked}");
    let linked = tool_json(&linked);
    assert_eq!(linked["publicId"], ids[0].as_str());
    assert_eq!(linked["linked"], true);
    assert_eq!(linked["fileRef"], ids[0].as_str());
    assert!(linked["downloadUrl"].as_str().is_some_and(|u| u.starts_with("http")), "{linked}");
    let bulk = mcp_call(&server, &token, "upload_bulk_attachments", json!({ "file_refs": ids })).await;
    assert_eq!(bulk["result"]["isError"], false, "{bulk}");
    assert_eq!(tool_json(&bulk)["count"], 2);
    assert_eq!(attachments(&server, &token).await.len(), before + 2, "nothing was uploaded again");
    let unknown =
        mcp_call(&server, &token, "create_attachment", json!({ "file_ref": "att_doesnotexist" })).await;
    assert_eq!(unknown["result"]["isError"], true);
    assert!(unknown.to_string().contains("no document att_doesnotexist"), "{unknown}");

    // The sealed path is a credential: the access log writes the route, never the path.
    let sealed = sealed_of(&url);
    assert!(logs().contains("/upload/…"), "the page requests were logged");
    assert_not_logged(&[sealed, &sealed[4..40]]);
    server.stop().await;
}

#[tokio::test]
async fn a_link_for_a_transaction_links_each_file_to_it() {
    let server = TestServer::start().await;
    let token = write_token(&server).await;
    let transaction = id("trx", 2);
    let link =
        request_link(&server, &token, json!({ "transaction_id": transaction, "document_type": "bill" }))
            .await;
    let url = link["upload_url"].as_str().unwrap();
    let page = server.http.get(url).send().await.unwrap().text().await.unwrap();
    assert!(page.contains(&transaction), "the page names the transaction");
    let (status, done) = post_files(&server, url, &[("rechnung.pdf", SMALL_PDF)], "en").await;
    assert_eq!(status, 200, "{done}");
    let ids = ids_on(&done);
    assert_eq!(ids.len(), 1);
    let stored = attachments(&server, &token).await;
    let document = stored.iter().find(|a| a["publicId"] == ids[0].as_str()).unwrap();
    assert_eq!(document["transactions"], json!([transaction]));
    assert_eq!(document["attachmentType"], "invoice");

    // A transaction that does not exist is refused when the link is asked for, not on the page.
    let wrong =
        mcp_call(&server, &token, "request_file_upload", json!({ "transaction_id": "trx_nope" })).await;
    assert_eq!(wrong["result"]["isError"], true);
    assert!(wrong.to_string().contains("no transaction trx_nope"), "{wrong}");
    server.stop().await;
}

#[tokio::test]
async fn too_many_too_large_and_wrong_files_are_refused_on_the_page_and_nothing_is_sent() {
    let server = TestServer::start().await;
    let token = write_token(&server).await;
    let link = request_link(&server, &token, json!({})).await;
    let url = link["upload_url"].as_str().unwrap();
    let before = attachments(&server, &token).await.len();

    let eleven: Vec<(String, &[u8])> = (0..11).map(|n| (format!("beleg-{n}.pdf"), SMALL_PDF)).collect();
    let eleven: Vec<(&str, &[u8])> = eleven.iter().map(|(name, data)| (name.as_str(), *data)).collect();
    let (status, page) = post_files(&server, url, &eleven, "de").await;
    assert_eq!(status, 400);
    assert!(page.contains("mehr als 10 Dateien") && page.contains("An Norman hochladen"), "{page}");

    let mut large = SMALL_PDF.to_vec();
    large.resize(UploadPolicy::default().max_file_bytes + 1, b' ');
    let (status, page) = post_files(&server, url, &[("scan.pdf", &large)], "en").await;
    assert_eq!(status, 413);
    assert!(page.contains("scan.pdf") && page.contains("larger than 10 MiB"), "{page}");

    let (status, page) =
        post_files(&server, url, &[("ok.pdf", SMALL_PDF), ("notes.pdf", b"just text, not a PDF")], "en")
            .await;
    assert_eq!(status, 415);
    assert!(page.contains("notes.pdf") && page.contains("is not a PDF, PNG, JPEG or HEIC"), "{page}");

    let (status, page) = post_files(&server, url, &[], "en").await;
    assert_eq!(status, 400);
    assert!(page.contains("Choose at least one file"), "{page}");

    let not_a_form = server
        .http
        .post(url)
        .header("origin", &server.base)
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(not_a_form.status(), 400);

    assert_eq!(attachments(&server, &token).await.len(), before, "nothing reached Norman");
    server.stop().await;
}

#[tokio::test]
async fn expired_changed_and_foreign_links_get_a_friendly_page() {
    let server = TestServer::start().await;
    let token = write_token(&server).await;
    let link = request_link(&server, &token, json!({})).await;
    let url = link["upload_url"].as_str().unwrap().to_owned();
    let sealed = sealed_of(&url).to_owned();
    let norman = server.sandbox.as_ref().unwrap().sandbox.stats().api_calls;

    // Sealed through the library with an expiry in the past.
    let now = OffsetDateTime::now_utc();
    let expired = UploadLink {
        norman_access: NormanToken::new("not-a-real-norman-token".to_owned()),
        grant: Default::default(),
        company_id: "company".to_owned(),
        target: UploadTarget::Matching { cashflow_type: "EXPENSE".to_owned() },
        note: None,
        expires_at: now - Duration::minutes(1),
    };
    let old = seal::seal(&server.keyring.current(), &expired, now).unwrap();
    let expired_url = server.url(&format!("/upload/{old}"));
    for lang in ["en", "de"] {
        let page = server.http.get(&expired_url).header("accept-language", lang).send().await.unwrap();
        assert_eq!(page.status(), 410);
        let html = page.text().await.unwrap();
        let title =
            if lang == "de" { "Dieser Upload-Link ist abgelaufen" } else { "This upload link has expired" };
        assert!(html.contains(title) && html.contains(&format!("lang=\"{lang}\"")), "{html}");
    }
    let (status, _) = post_files(&server, &expired_url, &[("a.pdf", SMALL_PDF)], "en").await;
    assert_eq!(status, 410, "an expired link takes no files");

    // One character changed, or cut short.
    let mut chars: Vec<char> = sealed.chars().collect();
    let at = chars.len() / 2;
    chars[at] = if chars[at] == 'A' { 'B' } else { 'A' };
    let changed: String = chars.into_iter().collect();
    for path in [changed.as_str(), &sealed[..sealed.len() - 3], "nmf_", "nmr_AAAA"] {
        let page = server.http.get(server.url(&format!("/upload/{path}"))).send().await.unwrap();
        assert_eq!(page.status(), 404, "{path}");
        assert!(page.text().await.unwrap().contains("This upload link is not valid"));
    }

    // Sealed with the same keys by another deployment (staging for production, say).
    let other = "https://staging.example";
    let foreign = Keyring::from_file(&server.keys).bound_to(other);
    let links = UploadLinks::new(
        Arc::new(SharedKeyring::fixed(foreign)),
        Arc::new(MemoryGuard::new()),
        other,
        &UploadPolicy::default(),
    );
    let issued = links
        .issue(
            &NormanToken::new("t".repeat(40)),
            None,
            "company",
            UploadTarget::Matching { cashflow_type: "EXPENSE".into() },
            None,
            now,
        )
        .unwrap();
    let foreign_url = server.url(&format!("/upload/{}", sealed_of(&issued.url)));
    assert_eq!(server.http.get(&foreign_url).send().await.unwrap().status(), 404);
    let (status, _) = post_files(&server, &foreign_url, &[("a.pdf", SMALL_PDF)], "en").await;
    assert_eq!(status, 404);

    let after = server.sandbox.as_ref().unwrap().sandbox.stats().api_calls;
    assert_eq!(after, norman, "no refused link reached Norman");
    assert_not_logged(&[sealed.as_str(), old.as_str(), changed.as_str()]);
    server.stop().await;
}

#[tokio::test]
async fn uploads_from_another_site_are_refused() {
    let server = TestServer::start().await;
    let token = write_token(&server).await;
    let link = request_link(&server, &token, json!({})).await;
    let url = link["upload_url"].as_str().unwrap();
    let before = attachments(&server, &token).await.len();
    let (content_type, body) = Form::new().file("files", "a.pdf", SMALL_PDF.to_vec()).encode();
    for (name, value) in
        [("origin", "https://evil.example"), ("origin", "null"), ("sec-fetch-site", "cross-site")]
    {
        let response = server
            .http
            .post(url)
            .header("content-type", &content_type)
            .header(name, value)
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 403, "{name}: {value}");
        assert!(response.text().await.unwrap().contains("did not come from its page"));
    }
    assert_eq!(attachments(&server, &token).await.len(), before);
    server.stop().await;
}

#[tokio::test]
async fn a_read_only_token_gets_no_upload_link() {
    let server = TestServer::start().await;
    let (_, tokens) = full_flow(&server, "norman.read", 0).await;
    let token = tokens["access_token"].as_str().unwrap();
    let body = json!({
        "jsonrpc": "2.0", "id": 1, "method": "tools/call",
        "params": { "name": "request_file_upload", "arguments": {} },
    });
    let response = mcp_post(&server, Some(token), &body).await;
    assert_eq!(response.status(), 403);
    assert!(response.headers()["www-authenticate"].to_str().unwrap().contains("insufficient_scope"));
    server.stop().await;
}

/// Revoking at `/revoke` (RFC 7009) ends what was handed out under the grant: the refresh
/// token ends the grant and every upload link asked for under it; an access token alone ends
/// the links that token asked for. Refused links show a page saying so and reach no Norman.
#[tokio::test]
async fn revoking_the_grant_or_the_token_ends_its_upload_links() {
    let server = TestServer::start().await;
    let revoke = async |client_id: &str, token: &str| {
        let form = [("token", token), ("client_id", client_id)];
        let response = server.http.post(server.url("/revoke")).form(&form).send().await.unwrap();
        assert_eq!(response.status(), 200);
    };
    let norman_calls = || server.sandbox.as_ref().unwrap().sandbox.stats().api_calls;

    let (client_id, tokens) = full_flow(&server, "norman.read norman.write", 0).await;
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    let by_grant = request_link(&server, &access, json!({})).await["upload_url"].as_str().unwrap().to_owned();
    let (other_client, other_tokens) = full_flow(&server, "norman.read norman.write", 0).await;
    let other_access = other_tokens["access_token"].as_str().unwrap().to_owned();
    let by_token =
        request_link(&server, &other_access, json!({})).await["upload_url"].as_str().unwrap().to_owned();
    let untouched = request_link(&server, &write_token(&server).await, json!({})).await["upload_url"]
        .as_str()
        .unwrap()
        .to_owned();
    for url in [&by_grant, &by_token, &untouched] {
        assert_eq!(server.http.get(url).send().await.unwrap().status(), 200);
    }

    revoke(&client_id, tokens["refresh_token"].as_str().unwrap()).await;
    revoke(&other_client, &other_access).await;
    let before = norman_calls();
    for url in [&by_grant, &by_token] {
        let page = server.http.get(url).send().await.unwrap();
        assert_eq!(page.status(), 410);
        assert!(page.text().await.unwrap().contains("This upload link no longer works"));
        let german = server.http.get(url).header("accept-language", "de").send().await.unwrap();
        assert!(german.text().await.unwrap().contains("Dieser Upload-Link gilt nicht mehr"));
        let (status, page) = post_files(&server, url, &[("a.pdf", SMALL_PDF)], "en").await;
        assert_eq!(status, 410, "{page}");
    }
    assert_eq!(norman_calls(), before, "no revoked link reached Norman");

    // A link of another grant goes on working.
    let (status, page) = post_files(&server, &untouched, &[("a.pdf", SMALL_PDF)], "en").await;
    assert_eq!(status, 200, "{page}");
    assert_not_logged(&[sealed_of(&by_grant), sealed_of(&by_token), &access, &other_access]);
    server.stop().await;
}
