//! `companies/{cid}/invoices/` (invoices and quotes, told apart by `type`) and
//! `companies/{cid}/recurring-invoices/`.
//!
//! Item `rate` and `total` are in cents, as the Python tool documents; the invoice totals
//! (`totalNet`, `totalVat`, `totalGross`) are decimal strings in euros, as DRF renders
//! `DecimalField`s, which exercises the "number or numeric string" path of clients.

use axum::body::Body;
use axum::http::{HeaderValue, Uri, header};
use axum::response::Response;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64_STD;
use serde_json::{Map, Value, json};
use time::Duration;

use super::files::presign;
use crate::blobs::{FileBlob, PREVIEW_PNG};
use crate::caller::Ctx;
use crate::drf::error::{ApiError, ApiResult, created, ok};
use crate::drf::fields::{Fields, Kind, Spec, f, parse_date, to_f64};
use crate::drf::page::paginate;
use crate::drf::request::{Id, Params, RawBody, date_param};
use crate::store::{
    Collection::{Clients, Invoices, Transactions},
    CompanyData, Record, date_str, f64_of, find, find_mut, icontains, in_range, new_id, now_rfc3339, obj,
    position, seeded_id, str_of, today,
};

const SPECS: &[Spec] = &[
    f("invoiceNumber", Kind::Text, false),
    f("issued", Kind::Date, false),
    f("dueTo", Kind::Date, false),
    f("currency", Kind::Choice(&["EUR", "USD"]), false),
    f("paymentTerms", Kind::LongText, false),
    f("notes", Kind::LongText, false),
    f("language", Kind::Choice(&["en", "de"]), false),
    f("invoiceType", Kind::Choice(&["SERVICES", "GOODS"]), false),
    f("isVatIncluded", Kind::Bool, false),
    f("bankName", Kind::Text, false),
    f("iban", Kind::Text, false),
    f("bic", Kind::Text, false),
    f("createQr", Kind::Bool, false),
    f("colorSchema", Kind::Text, false),
    f("font", Kind::Text, false),
    f("isToSend", Kind::Bool, false),
    f("mailingData", Kind::Object, false),
    f("settingsOnOverdue", Kind::Object, false),
    f("serviceStartDate", Kind::Date, false),
    f("serviceEndDate", Kind::Date, false),
    f("deliveryDate", Kind::Date, false),
    f("type", Kind::Choice(&["invoice", "quote"]), false),
    f("companyEmail", Kind::Email, false),
];

const RECURRING_SPECS: &[Spec] = &[
    f("frequencyType", Kind::Choice(&["daily", "weekly", "monthly", "yearly"]), true),
    f("frequencyUnit", Kind::PositiveInt, true),
    f("startsFromDate", Kind::Date, true),
    f("endsOnDate", Kind::Date, false),
    f("endsOnInvoiceCount", Kind::PositiveInt, false),
    f("recurringNumber", Kind::Text, false),
];

const ITEM_SPECS: &[Spec] = &[
    f("name", Kind::NonBlank, true),
    f("quantity", Kind::Money, true),
    f("rate", Kind::Int, true),
    f("vatRate", Kind::IntChoice(&[0, 7, 19]), false),
    f("unit", Kind::Text, false),
    f("description", Kind::LongText, false),
];

/// The `publicId` prefix of quotes, which share the invoices' collection.
const QUOTE_ID_PREFIX: &str = "quo";

/// Bounds that keep cent arithmetic far from `i64` overflow.
const MAX_QUANTITY: f64 = 1_000_000.0;
const MAX_RATE_CENTS: i64 = 100_000_000_000;

/// Sums in cents.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Totals {
    pub net: i64,
    pub vat: i64,
    pub gross: i64,
}

/// `1234.5` € as `"1234.50"`.
pub(crate) fn cents_str(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

/// Validates and prices the items: line `total = round(quantity × rate)` cents, VAT per line.
/// On failure returns DRF's nested error list (one object per item).
pub(crate) fn price_items(items: &Value, vat_included: bool) -> Result<(Vec<Value>, Totals), Value> {
    let Value::Array(items) = items else {
        return Err(json!(["Expected a list of items but got type \"dict\"."]));
    };
    if items.is_empty() {
        return Err(json!(["This list may not be empty."]));
    }
    let mut out = Vec::with_capacity(items.len());
    let mut errors = Vec::with_capacity(items.len());
    let mut failed = false;
    let mut totals = Totals::default();
    for item in items {
        let Value::Object(item) = item else {
            failed = true;
            errors.push(json!({"non_field_errors": ["Invalid data. Expected a dictionary."]}));
            continue;
        };
        let mut priced = Map::new();
        let mut fields = Fields::new(item);
        fields.apply(ITEM_SPECS, &mut priced, false);
        let quantity = priced.get("quantity").and_then(to_f64).unwrap_or(0.0);
        if !fields.has_error("quantity") && quantity <= 0.0 {
            fields.error("quantity", "Ensure this value is greater than 0.");
        }
        if !fields.has_error("quantity") && quantity > MAX_QUANTITY {
            fields.error("quantity", "Ensure this value is less than or equal to 1000000.");
        }
        let rate = priced.get("rate").and_then(Value::as_i64).unwrap_or(0);
        if !fields.has_error("rate") && rate.abs() > MAX_RATE_CENTS {
            fields.error("rate", "Ensure this value is less than or equal to 100000000000.");
        }
        match fields.finish() {
            Err(ApiError::Invalid(e)) => {
                failed = true;
                errors.push(Value::Object(e));
                continue;
            }
            _ => errors.push(json!({})),
        }
        let vat_rate = priced.get("vatRate").and_then(Value::as_i64).unwrap_or(19);
        priced.insert("vatRate".into(), Value::from(vat_rate));
        let line = (quantity * rate as f64).round() as i64;
        let (net, vat) = if vat_included {
            let net = (line as f64 * 100.0 / (100.0 + vat_rate as f64)).round() as i64;
            (net, line - net)
        } else {
            (line, (line as f64 * vat_rate as f64 / 100.0).round() as i64)
        };
        // Bounded inputs keep each line far from overflow; sums saturate all the same.
        totals.net = totals.net.saturating_add(net);
        totals.vat = totals.vat.saturating_add(vat);
        totals.gross = totals.gross.saturating_add(net.saturating_add(vat));
        priced.insert("total".into(), Value::from(line));
        out.push(Value::Object(priced));
    }
    if failed { Err(Value::Array(errors)) } else { Ok((out, totals)) }
}

fn set_totals(record: &mut Record, totals: Totals) {
    record.insert("totalNet".into(), Value::String(cents_str(totals.net)));
    record.insert("totalVat".into(), Value::String(cents_str(totals.vat)));
    record.insert("totalGross".into(), Value::String(cents_str(totals.gross)));
}

/// The storage key of an invoice's PDF; its truthiness is what "a PDF exists" means.
pub(crate) fn report_key(company_id: &str, id: &str) -> String {
    format!("invoices/{company_id}/{id}.pdf")
}

/// `RE-2026-0004`: one above the highest number of this type and year.
pub(crate) fn next_number(data: &CompanyData, kind: &str) -> String {
    let base = if kind == "quote" { &data.quote_prefix } else { &data.invoice_prefix };
    let prefix = format!("{base}-{}-", today().year());
    let highest = data[Invoices]
        .iter()
        .filter(|i| str_of(i, "type") == kind)
        .filter_map(|i| str_of(i, "invoiceNumber").strip_prefix(&prefix)?.parse::<u32>().ok())
        .max()
        .unwrap_or(0);
    format!("{prefix}{:04}", highest.saturating_add(1))
}

fn kind_param(params: &Params) -> Result<&'static str, ApiError> {
    match params.get("type") {
        None | Some("") | Some("invoice") => Ok("invoice"),
        Some("quote") => Ok("quote"),
        Some(other) => Err(ApiError::field(
            "type",
            format!("Select a valid choice. {other} is not one of the available choices."),
        )),
    }
}

/// `GET`: invoices (or quotes with `?type=quote`), newest first; filters `status`, `name`
/// (client name or number), `dateFrom`/`dateTo` (issue date).
pub(crate) async fn list(ctx: Ctx, uri: Uri, params: Params) -> ApiResult {
    let kind = kind_param(&params)?;
    let from = date_param(&params, "dateFrom")?;
    let to = date_param(&params, "dateTo")?;
    let status = params.get("status").filter(|s| !s.is_empty());
    let name = params.get("name").filter(|s| !s.is_empty());
    let data = ctx.company().read();
    let items = data[Invoices]
        .iter()
        .rev()
        .filter(|i| str_of(i, "type") == kind)
        .filter(|i| status.is_none_or(|s| str_of(i, "status").eq_ignore_ascii_case(s)))
        .filter(|i| {
            name.is_none_or(|n| {
                icontains(str_of(i, "clientName"), n) || icontains(str_of(i, "invoiceNumber"), n)
            })
        })
        .filter(|i| in_range(i, "issued", from, to))
        .collect();
    Ok(ok(&paginate(&ctx.base_url(), &uri, &params, items)?))
}

/// `GET …/next-invoice-number/` (`?type=quote` for quotes).
pub(crate) async fn next_invoice_number(ctx: Ctx, params: Params) -> ApiResult {
    let kind = kind_param(&params)?;
    let data = ctx.company().read();
    Ok(ok(&json!({
        "nextInvoiceNumber": next_number(&data, kind),
        "type": kind,
        "companyId": ctx.company_id(),
    })))
}

pub(crate) async fn detail(ctx: Ctx, Id(id): Id) -> ApiResult {
    let data = ctx.company().read();
    Ok(ok(find(&data[Invoices], &id)?))
}

/// Validates a create body and builds the record. Runs under the write lock because the
/// client must exist and the number must be unique at the moment of insertion.
fn build(
    ctx: &Ctx,
    body: &Map<String, Value>,
    data: &CompanyData,
    recurring: bool,
) -> Result<Record, ApiError> {
    let mut record = Map::new();
    let mut fields = Fields::new(body);
    let client_id = fields.get("client", Kind::NonBlank, true);
    fields.apply(SPECS, &mut record, false);
    if recurring {
        fields.apply(RECURRING_SPECS, &mut record, false);
    }
    if let Some(Value::String(cid)) = body.get("companyId")
        && cid != ctx.company_id()
    {
        fields.error("companyId", "Does not match the company of this request.");
    }
    let client = match client_id {
        Some(Value::String(id)) => match find(&data[Clients], &id) {
            Ok(client) => Some(client),
            Err(_) => {
                fields.error("client", format!("Invalid pk \"{id}\" - object does not exist."));
                None
            }
        },
        _ => None,
    };
    let vat_included = record.get("isVatIncluded").and_then(Value::as_bool).unwrap_or(false);
    let priced = match body.get("invoicedItems") {
        None | Some(Value::Null) => {
            fields.error("invoicedItems", "This field is required.");
            None
        }
        Some(items) => match price_items(items, vat_included) {
            Ok(priced) => Some(priced),
            Err(errors) => {
                fields.error_value("invoicedItems", errors);
                None
            }
        },
    };
    let kind =
        if recurring { "invoice" } else { record.get("type").and_then(Value::as_str).unwrap_or("invoice") }
            .to_owned();
    let date_of = |r: &Record, k: &str| r.get(k).and_then(Value::as_str).and_then(parse_date);
    let issued =
        date_of(&record, "issued").or_else(|| date_of(&record, "startsFromDate")).unwrap_or_else(today);
    let due = date_of(&record, "dueTo").unwrap_or(issued.saturating_add(Duration::days(30)));
    if due < issued {
        fields.error("dueTo", "The due date must not be before the issue date.");
    }
    if let (Some(start), Some(end)) =
        (date_of(&record, "serviceStartDate"), date_of(&record, "serviceEndDate"))
        && end < start
    {
        fields.error("serviceEndDate", "The service period must not end before it starts.");
    }
    let number = match record.get("invoiceNumber").and_then(Value::as_str) {
        Some(n) if !n.trim().is_empty() => n.trim().to_owned(),
        _ => next_number(data, &kind),
    };
    let duplicate =
        data[Invoices].iter().any(|i| str_of(i, "type") == kind && str_of(i, "invoiceNumber") == number);
    if duplicate {
        fields.error("invoiceNumber", "An invoice with this number already exists.");
    }
    fields.finish()?;
    let (Some(client), Some((items, totals))) = (client, priced) else {
        return Err(ApiError::bad_request("Invalid invoice."));
    };

    let id = new_id(if kind == "quote" { QUOTE_ID_PREFIX } else { Invoices.id_prefix() });
    let now = now_rfc3339();
    let mut out = obj(json!({
        "publicId": id,
        "company": ctx.company_id(),
        "companyId": ctx.company_id(),
        "type": kind,
        "invoiceNumber": number,
        "status": "draft",
        "client": str_of(client, "publicId"),
        "clientName": str_of(client, "name"),
        "clientEmail": str_of(client, "email"),
        "issued": date_str(issued),
        "dueTo": date_str(due),
        "currency": "EUR",
        "language": "en",
        "invoiceType": "SERVICES",
        "isVatIncluded": vat_included,
        "isRecurring": recurring,
        "paymentTerms": "",
        "notes": "",
        "linkedTransactions": [],
        "reportUrl": report_key(ctx.company_id(), &id),
        "sentAt": null,
        "paidAt": null,
        "createdAt": now,
        "updatedAt": now,
    }));
    out.extend(record);
    out.insert("invoiceNumber".into(), Value::String(number.clone()));
    out.insert("issued".into(), Value::String(date_str(issued)));
    out.insert("dueTo".into(), Value::String(date_str(due)));
    out.insert("type".into(), Value::String(kind));
    out.insert("invoicedItems".into(), Value::Array(items));
    set_totals(&mut out, totals);
    if recurring {
        out.insert("isRecurring".into(), Value::Bool(true));
        if str_of(&out, "recurringNumber").is_empty() {
            out.insert("recurringNumber".into(), Value::String(number));
        }
        if out.get("endsOnDate").is_none_or(Value::is_null)
            && out.get("endsOnInvoiceCount").is_none_or(Value::is_null)
        {
            out.insert("endsOnInvoiceCount".into(), Value::from(3));
        }
        out.insert("nextIssueDate".into(), Value::String(date_str(issued)));
        out.insert("status".into(), Value::String("scheduled".into()));
    } else if out.get("isToSend").and_then(Value::as_bool) == Some(true) {
        out.insert("status".into(), Value::String("sent".into()));
        out.insert("sentAt".into(), Value::String(now_rfc3339()));
    }
    Ok(out)
}

/// `POST companies/{cid}/invoices/`: an invoice, or a quote with `type: "quote"`.
pub(crate) async fn create(ctx: Ctx, body: RawBody) -> ApiResult {
    let body = body.object()?;
    let mut data = ctx.company().write();
    let record = build(&ctx, &body, &data, false)?;
    let response = created(&record);
    data[Invoices].push(record);
    Ok(response)
}

/// `POST companies/{cid}/recurring-invoices/`: the first invoice of a schedule.
pub(crate) async fn create_recurring(ctx: Ctx, body: RawBody) -> ApiResult {
    let body = body.object()?;
    let mut data = ctx.company().write();
    let record = build(&ctx, &body, &data, true)?;
    let response = created(&record);
    data[Invoices].push(record);
    Ok(response)
}

/// `GET …/pdf/`: a presigned link to the PDF.
pub(crate) async fn pdf(ctx: Ctx, Id(id): Id) -> ApiResult {
    let (number, has_pdf) = {
        let data = ctx.company().read();
        let invoice = find(&data[Invoices], &id)?;
        let has_pdf = invoice.get("reportUrl").is_some_and(|v| !v.is_null() && v != "");
        (str_of(invoice, "invoiceNumber").to_owned(), has_pdf)
    };
    if !has_pdf {
        return Err(ApiError::bad_request("The PDF of this invoice has not been generated yet."));
    }
    let url = presign(&ctx, "invoice-pdf", &id, || FileBlob::pdf(format!("{number}.pdf")));
    Ok(ok(&json!({
        "url": url,
        "expiresIn": 3600,
        "invoiceId": id,
        "companyId": ctx.company_id(),
    })))
}

/// `GET …/preview/`: a first-page image (a small PNG).
pub(crate) async fn preview(ctx: Ctx, Id(id): Id) -> ApiResult {
    let data = ctx.company().read();
    let invoice = find(&data[Invoices], &id)?;
    Ok(ok(&json!({
        "previewImage": B64_STD.encode(PREVIEW_PNG),
        "mimeType": "image/png",
        "page": 1,
        "pageCount": 1,
        "invoiceNumber": str_of(invoice, "invoiceNumber"),
        "companyId": ctx.company_id(),
    })))
}

fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// `GET …/xml/`: an XRechnung-style UBL document as text.
pub(crate) async fn xml(ctx: Ctx, Id(id): Id) -> ApiResult {
    let data = ctx.company().read();
    let invoice = find(&data[Invoices], &id)?;
    if str_of(invoice, "type") != "invoice" {
        return Err(ApiError::bad_request("E-invoices are only available for invoices."));
    }
    let e = |k: &str| xml_escape(str_of(invoice, k));
    let company = &data.company;
    let mut lines = String::new();
    if let Some(Value::Array(items)) = invoice.get("invoicedItems") {
        for (n, item) in items.iter().enumerate() {
            let Value::Object(item) = item else { continue };
            let total = item.get("total").and_then(Value::as_i64).unwrap_or(0);
            lines.push_str(&format!(
                "  <cac:InvoiceLine><cbc:ID>{}</cbc:ID><cbc:InvoicedQuantity>{}</cbc:InvoicedQuantity><cbc:LineExtensionAmount currencyID=\"{}\">{}</cbc:LineExtensionAmount><cac:Item><cbc:Name>{}</cbc:Name><cac:ClassifiedTaxCategory><cbc:Percent>{}</cbc:Percent></cac:ClassifiedTaxCategory></cac:Item></cac:InvoiceLine>\n",
                n + 1,
                f64_of(item, "quantity"),
                e("currency"),
                cents_str(total),
                xml_escape(str_of(item, "name")),
                item.get("vatRate").and_then(Value::as_i64).unwrap_or(19),
            ));
        }
    }
    let body = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2" xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2" xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
  <cbc:CustomizationID>urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0</cbc:CustomizationID>
  <cbc:ID>{number}</cbc:ID>
  <cbc:IssueDate>{issued}</cbc:IssueDate>
  <cbc:DueDate>{due}</cbc:DueDate>
  <cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>
  <cbc:DocumentCurrencyCode>{currency}</cbc:DocumentCurrencyCode>
  <cac:AccountingSupplierParty><cac:Party><cbc:EndpointID schemeID="NORMAN">{company_id}</cbc:EndpointID><cac:PartyName><cbc:Name>{seller}</cbc:Name></cac:PartyName><cac:PartyTaxScheme><cbc:CompanyID>{vat}</cbc:CompanyID></cac:PartyTaxScheme></cac:Party></cac:AccountingSupplierParty>
  <cac:AccountingCustomerParty><cac:Party><cac:PartyName><cbc:Name>{buyer}</cbc:Name></cac:PartyName></cac:Party></cac:AccountingCustomerParty>
  <cac:TaxTotal><cbc:TaxAmount currencyID="{currency}">{total_vat}</cbc:TaxAmount></cac:TaxTotal>
  <cac:LegalMonetaryTotal><cbc:TaxExclusiveAmount currencyID="{currency}">{total_net}</cbc:TaxExclusiveAmount><cbc:TaxInclusiveAmount currencyID="{currency}">{total_gross}</cbc:TaxInclusiveAmount><cbc:PayableAmount currencyID="{currency}">{total_gross}</cbc:PayableAmount></cac:LegalMonetaryTotal>
{lines}</Invoice>
"#,
        number = e("invoiceNumber"),
        issued = e("issued"),
        due = e("dueTo"),
        currency = e("currency"),
        company_id = xml_escape(ctx.company_id()),
        seller = xml_escape(str_of(company, "name")),
        vat = xml_escape(str_of(company, "vatNumber")),
        buyer = e("clientName"),
        total_vat = e("totalVat"),
        total_net = e("totalNet"),
        total_gross = e("totalGross"),
    );
    let mut response = Response::new(Body::from(body));
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/xml; charset=utf-8"));
    Ok(response)
}

/// The recipients of a send/reminder body, validated.
fn recipients(invoice: &Record, company_email: &str, fields: &mut Fields<'_>) -> Vec<String> {
    let custom = fields.get("customClientEmail", Kind::Email, false);
    let additional = fields.get("additionalEmails", Kind::StrList, false);
    let to_company = fields.get("isSendToCompany", Kind::Bool, false);
    let mut out = Vec::new();
    if to_company == Some(Value::Bool(true)) && !company_email.is_empty() {
        out.push(company_email.to_owned());
    }
    match custom {
        Some(Value::String(email)) if !email.is_empty() => out.push(email),
        _ => {
            let email = str_of(invoice, "clientEmail");
            if !email.is_empty() {
                out.push(email.to_owned());
            }
        }
    }
    if let Some(Value::Array(list)) = additional {
        for (n, email) in list.iter().filter_map(Value::as_str).enumerate() {
            if email.contains('@') && !email.contains(char::is_whitespace) {
                out.push(email.to_owned());
            } else {
                fields.error_value(
                    "additionalEmails",
                    json!({ n.to_string(): ["Enter a valid email address."] }),
                );
            }
        }
    }
    out
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mail {
    Send,
    Reminder,
}

fn mail(ctx: Ctx, id: String, body: RawBody, mail: Mail) -> ApiResult {
    let body = body.object()?;
    let mut guard = ctx.company().write();
    let data = &mut *guard;
    let company_email = str_of(&data.company, "email").to_owned();
    let invoice = find_mut(&mut data[Invoices], &id)?;
    let mut fields = Fields::new(&body);
    fields.get("subject", Kind::NonBlank, true);
    if let Some(Value::String(text)) = fields.get("body", Kind::LongText, true)
        && text.trim().is_empty()
    {
        fields.error("body", "This field may not be blank.");
    }
    let to = recipients(invoice, &company_email, &mut fields);
    fields.finish()?;
    if to.is_empty() {
        return Err(ApiError::bad_request("The client has no email address; pass customClientEmail."));
    }
    let status = str_of(invoice, "status").to_owned();
    let now = now_rfc3339();
    let detail = match mail {
        Mail::Send => {
            if matches!(status.as_str(), "draft" | "saved" | "pending" | "scheduled") {
                invoice.insert("status".into(), Value::String("sent".into()));
            }
            invoice.insert("sentAt".into(), Value::String(now.clone()));
            if str_of(invoice, "type") == "quote" { "Quote sent." } else { "Invoice sent." }
        }
        Mail::Reminder => {
            if str_of(invoice, "type") != "invoice" {
                return Err(ApiError::bad_request("Reminders exist only for invoices."));
            }
            if matches!(status.as_str(), "paid" | "draft") {
                return Err(ApiError::bad_request(format!("A {status} invoice cannot be reminded.")));
            }
            let count = invoice.get("reminderCount").and_then(Value::as_u64).unwrap_or(0);
            invoice.insert("reminderCount".into(), Value::from(count + 1));
            invoice.insert("lastReminderSentAt".into(), Value::String(now.clone()));
            "Reminder sent."
        }
    };
    invoice.insert("updatedAt".into(), Value::String(now.clone()));
    Ok(ok(&json!({
        "detail": detail,
        "invoiceId": id,
        "invoiceNumber": str_of(invoice, "invoiceNumber"),
        "status": str_of(invoice, "status"),
        "recipients": to,
        "sentAt": now,
        "companyId": ctx.company_id(),
    })))
}

pub(crate) async fn send(ctx: Ctx, Id(id): Id, body: RawBody) -> ApiResult {
    mail(ctx, id, body, Mail::Send)
}

pub(crate) async fn send_on_overdue(ctx: Ctx, Id(id): Id, body: RawBody) -> ApiResult {
    mail(ctx, id, body, Mail::Reminder)
}

/// `POST …/link-transaction/` `{transaction}`: records the payment; an invoice whose linked
/// payments cover its gross total becomes `paid`.
pub(crate) async fn link_transaction(ctx: Ctx, Id(id): Id, body: RawBody) -> ApiResult {
    let body = body.object()?;
    let mut guard = ctx.company().write();
    let data = &mut *guard;
    let index = position(&data[Invoices], &id).ok_or(ApiError::NotFound)?;
    let mut fields = Fields::new(&body);
    let tx_id = fields.get("transaction", Kind::NonBlank, true);
    fields.finish()?;
    let Some(Value::String(tx_id)) = tx_id else {
        return Err(ApiError::field("transaction", "This field is required."));
    };
    if str_of(&data[Invoices][index], "type") != "invoice" {
        return Err(ApiError::bad_request("Only invoices can be linked to payments."));
    }
    let Some(tx_index) = position(&data[Transactions], &tx_id) else {
        return Err(ApiError::field(
            "transaction",
            format!("Invalid pk \"{tx_id}\" - object does not exist."),
        ));
    };
    let tx = &mut data[Transactions][tx_index];
    tx.insert("invoice".into(), Value::String(id.clone()));
    let tx_date = str_of(tx, "valueDate").to_owned();
    let invoice = &mut data[Invoices][index];
    let linked = invoice.entry("linkedTransactions").or_insert_with(|| Value::Array(Vec::new()));
    if let Value::Array(list) = linked
        && !list.iter().any(|v| v.as_str() == Some(tx_id.as_str()))
    {
        list.push(Value::String(tx_id.clone()));
    }
    let linked_ids: Vec<String> = match invoice.get("linkedTransactions") {
        Some(Value::Array(list)) => list.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect(),
        _ => Vec::new(),
    };
    let gross = f64_of(invoice, "totalGross");
    let paid: f64 = data[Transactions]
        .iter()
        .filter(|t| linked_ids.iter().any(|l| l == str_of(t, "publicId")))
        .map(|t| f64_of(t, "amount"))
        .sum();
    let invoice = &mut data[Invoices][index];
    if paid + 0.005 >= gross {
        invoice.insert("status".into(), Value::String("paid".into()));
        invoice.insert("paidAt".into(), Value::String(tx_date));
    }
    invoice.insert("updatedAt".into(), Value::String(now_rfc3339()));
    Ok(ok(invoice))
}

/// `POST …/convert-to-invoice/`: the quote becomes a new draft invoice and is removed.
pub(crate) async fn convert_to_invoice(ctx: Ctx, Id(id): Id) -> ApiResult {
    let mut data = ctx.company().write();
    let index = position(&data[Invoices], &id).ok_or(ApiError::NotFound)?;
    if str_of(&data[Invoices][index], "type") != "quote" {
        return Err(ApiError::bad_request("Only quotes can be converted to invoices."));
    }
    let quote = data[Invoices].remove(index);
    let number = next_number(&data, "invoice");
    let new_id = new_id(Invoices.id_prefix());
    let issued = today();
    let now = now_rfc3339();
    let mut invoice = quote;
    for (key, value) in [
        ("publicId", Value::String(new_id.clone())),
        ("type", Value::String("invoice".into())),
        ("invoiceNumber", Value::String(number)),
        ("status", Value::String("draft".into())),
        ("issued", Value::String(date_str(issued))),
        ("dueTo", Value::String(date_str(issued.saturating_add(Duration::days(30))))),
        ("convertedFrom", Value::String(id)),
        ("reportUrl", Value::String(report_key(ctx.company_id(), &new_id))),
        ("sentAt", Value::Null),
        ("createdAt", Value::String(now.clone())),
        ("updatedAt", Value::String(now)),
    ] {
        invoice.insert(key.into(), value);
    }
    let response = created(&invoice);
    data[Invoices].push(invoice);
    Ok(response)
}

/// The seed rule. `clientIndex` and `paidByTransaction` name the client and the paying
/// transaction by their position in the company file; `hasPdf` says whether the PDF was
/// generated. Numbers follow the company's prefixes in file order; the invoice is due after
/// 30 days and was sent (unless a draft) on its issue day.
pub(crate) fn seed(data: &mut CompanyData, n: usize, mut record: Record) -> Result<Record, String> {
    let client_index = record.remove("clientIndex").and_then(|v| v.as_u64());
    let paid_by = record.remove("paidByTransaction").map(|v| v.as_u64());
    let has_pdf = record.remove("hasPdf").and_then(|v| v.as_bool()).unwrap_or(false);
    let company_id = str_of(&record, "company").to_owned();
    let kind = str_of(&record, "type").to_owned();
    if kind != "invoice" && kind != "quote" {
        return Err(format!("type \"{kind}\" is neither invoice nor quote"));
    }
    let issued = parse_date(str_of(&record, "issued")).ok_or("issued is not YYYY-MM-DD")?;
    let client = client_index
        .and_then(|i| data[Clients].get(usize::try_from(i).ok()?))
        .ok_or("clientIndex is not the position of a client")?;
    let items = record.get("invoicedItems").unwrap_or(&Value::Null);
    let (items, totals) = price_items(items, false).map_err(|errors| format!("invoicedItems: {errors}"))?;
    let id = if kind == "quote" {
        seeded_id(QUOTE_ID_PREFIX, &company_id, n)
    } else {
        str_of(&record, "publicId").to_owned()
    };
    let prefix = if kind == "quote" { &data.quote_prefix } else { &data.invoice_prefix };
    let seq = 1 + data[Invoices].iter().filter(|i| str_of(i, "type") == kind).count();
    let day = date_str(issued);
    let sent = str_of(&record, "status") != "draft";
    record.extend(obj(json!({
        "publicId": id,
        "companyId": company_id,
        "invoiceNumber": format!("{prefix}-{}-{seq:04}", issued.year()),
        "client": str_of(client, "publicId"),
        "clientName": str_of(client, "name"),
        "clientEmail": str_of(client, "email"),
        "dueTo": date_str(issued.saturating_add(Duration::days(30))),
        "currency": "EUR",
        "isVatIncluded": false,
        "isRecurring": false,
        "paymentTerms": "Zahlbar innerhalb von 30 Tagen ohne Abzug.",
        "notes": "",
        "invoicedItems": items,
        "linkedTransactions": [],
        "reportUrl": if has_pdf { Value::String(report_key(&company_id, &id)) } else { Value::Null },
        "sentAt": if sent { Value::String(format!("{day}T09:00:00Z")) } else { Value::Null },
        "paidAt": null,
        "createdAt": format!("{day}T08:30:00Z"),
        "updatedAt": format!("{day}T08:30:00Z"),
    })));
    set_totals(&mut record, totals);
    if let Some(index) = paid_by {
        let tx = index
            .and_then(|i| data[Transactions].get_mut(usize::try_from(i).ok()?))
            .ok_or("paidByTransaction is not the position of a transaction")?;
        tx.insert("invoice".into(), Value::String(id));
        record.insert("linkedTransactions".into(), json!([str_of(tx, "publicId")]));
        record.insert("paidAt".into(), tx.get("valueDate").cloned().unwrap_or(Value::Null));
    }
    Ok(record)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_items() {
        let items = json!([
            {"name": "Logo", "quantity": 1, "rate": 240000, "vatRate": 19},
            {"name": "Stunden", "quantity": 2.5, "rate": 9000, "vatRate": 7},
        ]);
        let (_, totals) = price_items(&items, false).unwrap_or_default();
        assert_eq!(totals.net, 240000 + 22500);
        assert_eq!(totals.vat, 45600 + 1575);
        assert_eq!(cents_str(totals.gross), "3096.75");
        let (_, included) =
            price_items(&json!([{"name": "x", "quantity": 1, "rate": 11900}]), true).unwrap_or_default();
        assert_eq!((included.net, included.vat), (10000, 1900));
        assert!(price_items(&json!([]), false).is_err());
        assert!(price_items(&json!([{"name": "", "quantity": 0, "rate": "x"}]), false).is_err());
        assert_eq!(cents_str(-5), "-0.05");
    }
}
